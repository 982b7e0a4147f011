//! The `shale-server` binary: parse flags, set up logging, run.

use std::io::IsTerminal;
use std::process::ExitCode;

use shale_server::cli::{parse_args, Command, USAGE};
use tracing_subscriber::EnvFilter;

/// Exit status for a bad command line (the sysexits/getopt convention).
const EXIT_USAGE: u8 = 2;

/// mimalloc rather than glibc malloc: with several threads, glibc's per-arena locks make
/// the engine's cross-thread frees (memtables dropped by the flush thread, cache blocks
/// evicted by other readers) a serialisation point (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let config = match parse_args(std::env::args_os().skip(1)) {
        Ok(Command::Serve(config)) => config,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("shale-server: {e}\nTry 'shale-server --help'.");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let outcome = shale_server::run(config);
    if let Err(e) = &outcome {
        eprintln!("shale-server: {e}");
    }
    ExitCode::from(shale_server::exit_status(&outcome))
}
