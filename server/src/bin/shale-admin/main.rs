//! `shale-admin`: backups, point-in-time recovery, restores, exports and imports of a
//! running shale-server from the command line, for operators who would rather not write
//! API calls.
//!
//! ```text
//! shale-admin pitr enable Orders --days 7
//! ARN=$(shale-admin backup create Orders nightly)
//! shale-admin restore backup "$ARN" OrdersCopy          # waits until ACTIVE
//! shale-admin restore pitr Orders OrdersAt10 --time 2026-12-01T10:00:00Z
//! ```
//!
//! The path of a command: [`cli`] parses it, [`commands`] (and [`transfer`] for export and
//! import) sends DynamoDB's JSON protocol through [`client`], [`wait`] polls background
//! work with a bound and shows its progress, [`time`] reads and writes times.
//!
//! It is not:
//! - a library: nothing here is used by the server, and it talks to one only over HTTP;
//! - an AWS client: requests are not signed, and https is not supported;
//! - a way around the API: everything it does, `aws dynamodb ...` can do too; except
//!   `verify`, which reads a stopped server's data directory itself ([`verify`]).
//!
//! Exit status: 0 on success, 1 when the server refuses or fails (its exception and
//! message are printed) or a wait runs out, 2 for a bad command line.

mod cli;
mod client;
mod commands;
mod error;
mod time;
mod transfer;
mod verify;
mod wait;

use std::io::Write as _;
use std::process::ExitCode;

use cli::{parse_args, Parsed};
use error::AdminError;

/// Exit status of a failed command.
const EXIT_FAILURE: u8 = 1;
/// Exit status of a bad command line (the sysexits/getopt convention, as shale-server).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let env_region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .ok();
    let invocation = match parse_args(std::env::args_os().skip(1), env_region) {
        Ok(Parsed::Run(invocation)) => invocation,
        Ok(Parsed::Help(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("shale-admin: {e}\nTry 'shale-admin --help'.");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let client = client::Client::new(&invocation.endpoint, &invocation.region);
    let outcome = commands::run(&client, invocation.action).and_then(|text| {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(AdminError::Output)
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shale-admin: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
