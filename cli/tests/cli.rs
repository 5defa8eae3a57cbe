//! The `rivet` command against a real `rivet-node --dev`: a project made by
//! `rivet new` builds, uploads, instantiates and answers calls; dry runs, storage
//! reads and inspect work; failures say what went wrong in the user's terms.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rivet_local_node::{node_binary, Node};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn rivet(args: &[&str]) -> Run {
    let Output { status, stdout, stderr } =
        Command::new(env!("CARGO_BIN_EXE_rivet")).args(args).env("RIVET_CACHE_DIR", cache_dir()).output().expect("rivet runs");
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into(),
        stderr: String::from_utf8_lossy(&stderr).into(),
    };
    eprintln!("$ rivet {}\n{}{}[exit {}]", args.join(" "), run.stdout, run.stderr, run.code);
    run
}

/// Where this test's `rivet` unpacks the guest SDK it carries (not the user's cache).
fn cache_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("rivet-cli-{}", std::process::id())).join("cache")
}

fn ok(args: &[&str]) -> String {
    let r = rivet(args);
    assert_eq!(r.code, 0, "rivet {args:?} failed: {}", r.stderr);
    r.stdout
}

fn fails(args: &[&str], code: i32, says: &str) {
    let r = rivet(args);
    assert_eq!(r.code, code, "rivet {args:?}: {}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains(says), "rivet {args:?} should say {says:?}, said: {}", r.stderr);
}

/// The value after `label: ` on the first line that has it.
fn field(out: &str, label: &str) -> String {
    let prefix = format!("{label}: ");
    out.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {label:?} in:\n{out}"))
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rivet-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Contract builds go to a target directory of their own beside the test's (kept
/// between runs, so `core` for RISC-V is built once), never the host build's.
fn contract_target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().join("rivet-cli-contracts")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn new_project_builds_deploys_and_answers_calls() {
    let dir = scratch();
    let project = dir.join("hello");
    let project_s = project.to_str().unwrap();

    // rivet new, rivet build.
    let out = ok(&["new", project_s]);
    assert!(out.contains("`hello`") && project.join("src/main.rs").exists() && project.join("Cargo.toml").exists());
    // The project uses the SDK the tool carries, unpacked into the cache, not a checkout.
    let manifest_text = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    assert!(manifest_text.contains(cache_dir().join("guest-sdk").to_str().unwrap()), "{manifest_text}");
    fails(&["new", project_s], 2, "already exists");
    fails(&["new", dir.join("9lives").to_str().unwrap()], 2, "not a valid crate name");
    let manifest = project.join("Cargo.toml");
    let build = Command::new(env!("CARGO_BIN_EXE_rivet"))
        .args(["build", "--manifest-path", manifest.to_str().unwrap()])
        .env("CARGO_TARGET_DIR", contract_target_dir())
        .output()
        .unwrap();
    let build_out = String::from_utf8_lossy(&build.stdout).to_string();
    assert!(build.status.success(), "rivet build failed:\n{build_out}\n{}", String::from_utf8_lossy(&build.stderr));
    let blob = field(&build_out, "blob");
    assert!(Path::new(&blob).exists(), "{build_out}");
    let code_hash = field(&build_out, "code hash");
    assert!(build_out.lines().any(|l| l.starts_with("entry points:") && l.contains("deploy") && l.contains("call")), "{build_out}");

    // rivet inspect: sections, entries, disassembly.
    let inspect = ok(&["inspect", &blob]);
    assert!(inspect.contains(&code_hash) && inspect.contains("entry    call") && inspect.contains("[gas "), "{inspect}");

    // Against a node.
    let node = Node::dev(&node_binary(), &dir.join("chain"));
    let url = node.url();
    let url = url.as_str();

    let up = ok(&["upload", &blob, "--url", url]);
    assert_eq!(field(&up, "code hash"), code_hash);
    assert!(ok(&["upload", &blob, "--url", url]).contains("already stored"));

    let inst = ok(&["instantiate", &blob, "--input-hex", "0500000000000000", "--salt", "01", "--url", url]);
    let contract = field(&inst, "contract");
    assert!(inst.contains("instantiated:"), "{inst}");

    let called = ok(&["call", &contract, "--input-hex", "00", "--url", url]);
    assert_eq!(field(&called, "output"), "0x0600000000000000");
    assert!(called.contains("event: ") && called.contains("receipt #"), "{called}");
    assert_eq!(ok(&["storage", &contract, "count", "--url", url]).trim(), "0x0600000000000000");
    assert_eq!(ok(&["storage", &contract, "636f756e74", "--hex", "--url", url]).trim(), "0x0600000000000000");
    assert_eq!(ok(&["storage", &contract, "nothing", "--url", url]).trim(), "(no value)");

    // Dry runs show output, gas and events and commit nothing.
    let dry = ok(&["dry-run", "call", &contract, "--input-hex", "000a00000000000000", "--url", url]);
    assert_eq!(field(&dry, "output"), "0x1000000000000000");
    assert!(field(&dry, "gas used").parse::<u64>().unwrap() > 0 && dry.contains("event: "), "{dry}");
    assert_eq!(ok(&["storage", &contract, "count", "--url", url]).trim(), "0x0600000000000000");
    let reverted = ok(&["dry-run", "call", &contract, "--input-hex", "07", "--url", url]);
    assert_eq!(field(&reverted, "reverted with"), format!("0x{}", hex(b"unknown selector")));
    let dry_inst = ok(&["dry-run", "instantiate", "--code-hash", &code_hash, "--salt", "02", "--url", url]);
    assert!(field(&dry_inst, "contract").len() > 40, "{dry_inst}");

    // Another signer, code by hash.
    let by_bob = ok(&["instantiate", "--code-hash", &code_hash, "--suri", "//Bob", "--url", url]);
    assert_ne!(field(&by_bob, "contract"), contract);

    // Failures in the user's terms, and the chain goes on.
    fails(&["call", &contract, "--input-hex", "00", "--gas", "1000000", "--url", url], 1, "ran out of gas");
    fails(&["call", &contract, "--input-hex", "00", "--gas", "1000000", "--url", url], 1, "estimates --gas");
    fails(&["call", &contract, "--input-hex", "07", "--url", url], 1, &format!("reverted with 0x{}", hex(b"unknown selector")));
    fails(&["call", &contract, "--input-hex", "00", "--suri", "//Nobody", "--url", url], 1, "balance is too low");
    let nobody = format!("0x{}", "07".repeat(32));
    fails(&["call", &nobody, "--url", url], 1, "no contract at that address");
    fails(&["call", &contract, "--url", "ws://127.0.0.1:1"], 1, "can't reach a node");
    fails(&["call", "not-an-address", "--url", url], 2, "not an address");
    fails(&["call", &contract, "--input-hex", "0g", "--url", url], 2, "bad hex");
    let garbage = write(&dir, "garbage.blob", b"RIVT but not a blob");
    fails(&["upload", &garbage, "--url", url], 2, "would reject");
    fails(&["upload", &dir.join("missing.blob").to_string_lossy(), "--url", url], 2, "can't read");
    let trapper = write(&dir, "trapper.blob", rivet_test_programs::blob("trapper"));
    let t = field(&ok(&["instantiate", &trapper, "--url", url]), "contract");
    fails(&["call", &t, "--input-hex", "00", "--url", url], 1, "trapped (Unimp");
    fails(&["call", &t, "--input-hex", "00", "--url", url], 1, "trapper traps");
    let looper = write(&dir, "looper.blob", rivet_test_programs::blob("looper"));
    let l = field(&ok(&["instantiate", &looper, "--url", url]), "contract");
    fails(&["call", &l, "--url", url], 1, "ran out of gas");

    let called = ok(&["call", &contract, "--input-hex", "00", "--url", url]);
    assert_eq!(field(&called, "output"), "0x0700000000000000");
    node.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
