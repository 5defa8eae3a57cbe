//! The JIT's fault handler must leave every fault outside compiled code to the
//! handler installed before it. Each case runs in a child process (this test binary
//! re-run with an environment variable) so a crash is observed, not suffered.

#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use rivet_vm::Interrupt;

const CHILD: &str = "RIVET_CHAINING_CHILD";
const SIGABRT: i32 = 6;
const SIGSEGV: i32 = 11;

/// In the child: run a guest on the JIT (so the handler is installed and has
/// handled a guest fault), then misbehave as asked.
fn child(case: &str) {
    assert!(rivet_vm_jit::is_supported());
    let m = rivet_test_programs::module("minimal");
    let (mut inst, backend) = rivet_vm_jit::instantiate(m.program(), rivet_vm_jit::Backend::Jit);
    assert_eq!(backend, rivet_vm_jit::Backend::Jit);
    inst.prepare_call("deploy", 1000).unwrap();
    assert_eq!(inst.run(), Interrupt::Finished);
    match case {
        "null" => {
            // A host bug: must crash the process as it would without the JIT.
            let p = std::hint::black_box(16usize) as *const u8;
            unsafe { std::ptr::read_volatile(p) };
        }
        "overflow" => {
            #[allow(unconditional_recursion)]
            fn recurse(n: u64) -> u64 {
                let buf = std::hint::black_box([n; 64]);
                recurse(buf[7] + 1) + buf[3]
            }
            std::hint::black_box(recurse(0));
        }
        _ => unreachable!(),
    }
}

/// Runs one case in a child, killed after 60 s: a handler that swallowed the fault
/// would re-execute it forever, and that must fail the test, not hang it.
fn run_child(case: &str, test: &str) -> std::process::Output {
    Command::new("timeout")
        .arg("60")
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, case)
        .output()
        .unwrap()
}

#[test]
fn a_host_segfault_still_kills_the_process() {
    if let Ok(case) = std::env::var(CHILD) {
        return child(&case);
    }
    if !rivet_vm_jit::is_supported() {
        return;
    }
    let out = run_child("null", "a_host_segfault_still_kills_the_process");
    assert_eq!(out.status.signal(), Some(SIGSEGV), "{out:?}");
}

#[test]
fn rusts_stack_overflow_handler_still_runs() {
    if let Ok(case) = std::env::var(CHILD) {
        return child(&case);
    }
    if !rivet_vm_jit::is_supported() {
        return;
    }
    let out = run_child("overflow", "rusts_stack_overflow_handler_still_runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("has overflowed its stack"), "Rust's handler didn't run: {out:?}");
    assert_eq!(out.status.signal(), Some(SIGABRT), "SIGABRT expected: {out:?}");
}
