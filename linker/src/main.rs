use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rivet_linker::{link, LinkOptions};

/// Link an RV32EM ELF executable into a validated Rivet program blob.
#[derive(Parser)]
#[command(name = "rivet-link", version)]
struct Args {
    /// The ELF executable (built with the guest SDK's memory.ld).
    elf: PathBuf,
    /// Where to write the blob.
    #[arg(short, long)]
    output: PathBuf,
    /// Stack size in bytes (multiple of 4096).
    #[arg(long, default_value_t = 64 * 1024)]
    stack_size: u32,
    /// Heap limit in bytes (multiple of 4096).
    #[arg(long, default_value_t = 1 << 20)]
    heap_max: u32,
    /// Extra entry point, NAME=SYMBOL (repeatable).
    #[arg(long = "entry", value_parser = parse_entry)]
    entries: Vec<(String, String)>,
}

fn parse_entry(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(a, b)| (a.to_string(), b.to_string())).ok_or_else(|| format!("expected NAME=SYMBOL, got {s:?}"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let elf = match std::fs::read(&args.elf) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: can't read {}: {e}", args.elf.display());
            return ExitCode::from(2);
        }
    };
    let opts = LinkOptions { stack_size: args.stack_size, heap_max: args.heap_max, entries: args.entries };
    match link(&elf, &opts) {
        Ok(blob) => {
            if let Err(e) = std::fs::write(&args.output, &blob) {
                eprintln!("error: can't write {}: {e}", args.output.display());
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.elf.display());
            ExitCode::FAILURE
        }
    }
}
