//! `shale-bench`: see the library docs and `shale-bench --help`.

use std::process::ExitCode;

/// Every target in a run shares this process allocator; mimalloc, as in `shale-server`,
/// because glibc malloc's arena locks serialise cross-thread frees (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let result = shale_bench::cli::parse(args).and_then(|inv| shale_bench::cli::execute(&inv));
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shale-bench: {e}");
            ExitCode::from(2)
        }
    }
}
