use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use rivet_vm::isa::decode;
use rivet_vm::trace::TraceEvent;
use rivet_vm::{Limits, Module};
use rivet_vm_cli::input::{hex, ChainArgs, InputArgs};
use rivet_vm_cli::inspect::describe;
use rivet_vm_cli::{Backend, DevHost, ExitStatus};

/// Run and inspect Rivet program blobs.
#[derive(Parser)]
#[command(name = "rivet-vm", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an entry point of a blob and print its output, exit status and gas used.
    Run {
        blob: PathBuf,
        /// Entry point name.
        #[arg(long, default_value = "call")]
        entry: String,
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        chain: ChainArgs,
        /// Gas limit.
        #[arg(long, default_value_t = 10_000_000_000)]
        gas: u64,
        /// Print every executed instruction with its register and memory effects
        /// (runs on the interpreter, which records traces).
        #[arg(long)]
        trace: bool,
        /// Backend: jit (falls back to the interpreter where unsupported) or interpreter.
        #[arg(long, default_value = "jit", value_parser = ["jit", "interpreter"])]
        backend: String,
    },
    /// Print a blob's memory layout, entry points and disassembly.
    Inspect { blob: PathBuf },
    /// Run an entry point and prove the execution (a STARK proof of its result and
    /// gas); writes a proof file with the statement and the proof.
    Prove {
        blob: PathBuf,
        #[arg(long, default_value = "call")]
        entry: String,
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        chain: ChainArgs,
        /// Gas limit (below 2^48).
        #[arg(long, default_value_t = 10_000_000_000)]
        gas: u64,
        /// Where to write the proof file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Check a proof file against a blob and print what it proves.
    Verify { blob: PathBuf, proof: PathBuf },
}

fn load(path: &PathBuf) -> Result<Arc<Module>, ExitCode> {
    let bytes = std::fs::read(path).map_err(|e| {
        eprintln!("error: can't read {}: {e}", path.display());
        ExitCode::from(2)
    })?;
    let program = rivet_vm::parse(&bytes, &Limits::default()).map_err(|e| {
        eprintln!("error: {} is not a valid program: {e}", path.display());
        ExitCode::from(1)
    })?;
    Ok(Arc::new(Module::new(Arc::new(program))))
}

fn main() -> ExitCode {
    rivet_vm_cli::exit_quietly_on_closed_pipe();
    match Cli::parse().command {
        Command::Run { blob, entry, input, chain, gas, trace, backend } => {
            let module = match load(&blob) {
                Ok(m) => m,
                Err(c) => return c,
            };
            let input = match input.bytes() {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let outcome = if trace || backend == "interpreter" {
                chain.host().run(&module, &entry, &input, gas, trace)
            } else {
                chain.host().run_program(module.program(), Backend::Jit, &entry, &input, gas)
            };
            let outcome = match outcome {
                Ok(o) => o,
                Err(_) => {
                    let names: Vec<_> = module.program().entry_points().iter().map(|(n, _)| n.as_str()).collect();
                    eprintln!("error: no entry point {entry:?}; this program has: {}", names.join(", "));
                    return ExitCode::from(2);
                }
            };
            if let Some(events) = &outcome.trace {
                for e in events {
                    print_event(e);
                }
            }
            for l in &outcome.logs {
                println!("log: {l}");
            }
            println!("status: {}", outcome.status);
            println!("output: {}", hex(&outcome.output));
            println!("gas used: {}", outcome.gas_used);
            match outcome.status {
                ExitStatus::Returned => ExitCode::SUCCESS,
                ExitStatus::Reverted => ExitCode::from(3),
                ExitStatus::Trapped(_) => ExitCode::from(4),
                ExitStatus::OutOfGas => ExitCode::from(5),
                ExitStatus::HostError(_) => ExitCode::from(6),
            }
        }
        Command::Prove { blob, entry, input, chain, gas, output } => match input.bytes() {
            Ok(input) => prove(&blob, &entry, &input, chain.host(), gas, &output),
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Verify { blob, proof } => verify(&blob, &proof),
        Command::Inspect { blob } => {
            let module = match load(&blob) {
                Ok(m) => m,
                Err(c) => return c,
            };
            print!("{}", describe(module.program()));
            ExitCode::SUCCESS
        }
    }
}

fn read(path: &PathBuf) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(path).map_err(|e| {
        eprintln!("error: can't read {}: {e}", path.display());
        ExitCode::from(2)
    })
}

fn print_statement(s: &rivet_prover::Statement) {
    println!("code hash: 0x{}", hex(&s.code_hash));
    println!("entry: {:#x}", s.entry);
    println!("gas limit: {}, gas used: {}", s.gas_limit, s.gas_used());
    println!("host calls: {}", s.transcript.calls.len());
    match (s.ending, s.transcript.calls.last()) {
        (rivet_prover::Ending::EndedByHost, Some(last)) => {
            let read: Vec<u8> = last.reads.iter().flat_map(|(_, b)| b.iter().copied()).collect();
            println!("ended at host call {} (a0 = {:#x}), which read: {}", last.number, last.args[0], hex(&read));
        }
        (rivet_prover::Ending::Returned, _) => println!("returned with a0: {:#x}, a1: {:#x}", s.a0, s.a1),
        (rivet_prover::Ending::OutOfGas, _) => println!("ran out of gas"),
        (ending, _) => println!("trapped ({ending:?})"),
    }
}

fn prove(blob: &PathBuf, entry: &str, input: &[u8], mut host: DevHost, gas: u64, output: &PathBuf) -> ExitCode {
    let bytes = match read(blob) {
        Ok(b) => b,
        Err(c) => return c,
    };
    let start = std::time::Instant::now();
    // The development host answers the host calls, as `run` does.
    let drive = |vm: &mut dyn rivet_vm::GuestInstance| drop(host.drive(vm, input, |_| None));
    let proved = rivet_prover::prove_with_host(&bytes, entry, gas, drive, |stage| match stage {
        rivet_prover::Stage::Executing => eprintln!("[{:6.2}s] executing {entry}", start.elapsed().as_secs_f64()),
        rivet_prover::Stage::Proving { steps } => eprintln!("[{:6.2}s] proving {steps} steps", start.elapsed().as_secs_f64()),
    });
    let proved = match proved {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let secs = start.elapsed().as_secs_f64();
    eprintln!("[{secs:6.2}s] done: {} steps, {:.0} steps/s, proof {} bytes", proved.steps, proved.steps as f64 / secs, proved.proof.len());
    if let Err(e) = std::fs::write(output, rivet_prover::proof::bundle(&proved.statement, &proved.proof)) {
        eprintln!("error: can't write {}: {e}", output.display());
        return ExitCode::from(2);
    }
    print_statement(&proved.statement);
    println!("proof: {}", output.display());
    ExitCode::SUCCESS
}

fn verify(blob: &PathBuf, proof: &PathBuf) -> ExitCode {
    let (bytes, file) = match (read(blob), read(proof)) {
        (Ok(b), Ok(p)) => (b, p),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    let (statement, proof_bytes) = match rivet_prover::proof::unbundle(&file) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {} is not a proof file: {e}", proof.display());
            return ExitCode::from(2);
        }
    };
    match rivet_prover::verify(&bytes, &statement, proof_bytes) {
        Ok(()) => {
            println!("valid proof");
            print_statement(&statement);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: invalid proof: {e}");
            ExitCode::from(1)
        }
    }
}

fn print_event(e: &TraceEvent) {
    match e {
        TraceEvent::Step(s) => {
            let insn = decode(s.word).map(|i| i.to_string()).unwrap_or_else(|_| "?".into());
            let mut line = format!("{:08x}: {insn:<28}", s.pc);
            if s.gas_charged > 0 {
                line += &format!(" gas-{} ", s.gas_charged);
            }
            if let Some((r, v)) = s.rd {
                line += &format!(" {r}={v:#x}");
            }
            if let Some(m) = s.mem {
                line += &format!(" {}[{:#x};{}]={:#x}", if m.write { "store" } else { "load" }, m.addr, m.size, m.value);
            }
            println!("{line}");
        }
        other => println!("          {other:?}"),
    }
}
