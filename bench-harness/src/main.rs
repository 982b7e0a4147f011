//! `shale-bench`: see the library docs and `shale-bench --help`.

use std::process::ExitCode;

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
