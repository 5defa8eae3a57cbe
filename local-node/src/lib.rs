//! Start a real `rivet-node` for tests and wait until its RPC answers.

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free local port")
}

/// The `rivet-node` binary next to the running test's own target directory
/// (`<target>/<profile>/deps/test-…` → `<target>/<profile>/rivet-node`), unless
/// `RIVET_NODE` names another.
pub fn node_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("RIVET_NODE") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("a target directory");
    let bin = profile_dir.join("rivet-node");
    assert!(bin.exists(), "{} is missing: build it first (cargo build --release -p rivet-node) or set RIVET_NODE", bin.display());
    bin
}

pub struct Node {
    child: Child,
    pub rpc_port: u16,
    pub log: PathBuf,
}

impl Node {
    /// `rivet-node --dev` with its database in `base` (kept across restarts).
    pub fn dev(binary: &Path, base: &Path) -> Node {
        Node::start(binary, base, &["--dev"])
    }

    /// Starts the node with `args` plus a base path, free ports and no telemetry,
    /// and waits (up to 2 minutes) for its RPC. The log goes to `<base>.log`.
    pub fn start(binary: &Path, base: &Path, args: &[&str]) -> Node {
        let rpc_port = free_port();
        let log = base.with_extension("log");
        let child = Command::new(binary)
            .args(args)
            .args(["--no-telemetry", "--no-prometheus", "--no-mdns"])
            .arg("--base-path")
            .arg(base)
            .args(["--rpc-port", &rpc_port.to_string(), "--port", &free_port().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).expect("the node's log file")))
            .spawn()
            .unwrap_or_else(|e| panic!("can't start {}: {e}", binary.display()));
        let node = Node { child, rpc_port, log };
        let deadline = Instant::now() + Duration::from_secs(120);
        while rpc(node.rpc_port, "system_health", "[]").is_none() {
            assert!(Instant::now() < deadline, "the node's RPC did not come up (log: {})", node.log.display());
            std::thread::sleep(Duration::from_millis(250));
        }
        node
    }

    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.rpc_port)
    }

    /// Stops the node with SIGINT, as Ctrl-C would, so it shuts down cleanly; kills
    /// it only if it hangs for 30 s.
    pub fn stop(mut self) {
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw JSON-RPC call over HTTP: the response body, or None if the node isn't up.
pub fn rpc(port: u16, method: &str, params: &str) -> Option<String> {
    let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{params}}}"#);
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.split("\r\n\r\n").nth(1).map(str::to_string)
}
