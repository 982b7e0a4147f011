//! Command-line parsing: Shale's own `--flags` plus DynamoDB Local's `-flags`, so scripts
//! written for DynamoDB Local start Shale unchanged.
//!
//! Hand-rolled on purpose: the grammar is a dozen flags and a parser crate would be the
//! largest dependency of the binary.

use std::net::IpAddr;
use std::path::PathBuf;

/// The port DynamoDB Local and every DynamoDB tutorial use.
pub const DEFAULT_PORT: u16 = 8000;
/// Where on-disk data lives unless `--data-dir`/`-dbPath` says otherwise.
pub const DEFAULT_DATA_DIR: &str = "./shale-data";
/// Loopback only by default: the server has no authentication.
pub const DEFAULT_BIND: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
/// Arguments longer than this are rejected before any parsing, so a hostile command line
/// cannot make error messages unbounded.
const MAX_ARG_BYTES: usize = 4096;

/// The usage text printed by `--help`.
pub const USAGE: &str = "\
shale-server: a DynamoDB-compatible HTTP server on Shale's storage engine

USAGE:
    shale-server [OPTIONS]

OPTIONS:
    --port <PORT>        TCP port to listen on (default 8000; 0 picks a free port)
    --bind <ADDR>        IP address to bind (default 127.0.0.1)
    --data-dir <PATH>    directory of the on-disk database (default ./shale-data)
    --in-memory          keep everything in memory; nothing survives a restart
    -h, --help           print this help and exit

DynamoDB Local compatible spellings:
    -port <PORT>         same as --port
    -inMemory            same as --in-memory
    -dbPath <PATH>       same as --data-dir
    -sharedDb            accepted; Shale always uses one database for every
                         access key and region

Environment:
    RUST_LOG             log filter (tracing env-filter syntax), default \"info\"

The server prints `shale-server listening on http://ADDR:PORT` on stdout once it
accepts connections. SIGTERM or Ctrl-C shut it down cleanly.
";

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageMode {
    /// `--in-memory`: the in-memory backend; nothing is durable.
    InMemory,
    /// The LSM engine in this directory.
    OnDisk(PathBuf),
}

/// Everything the command line decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Address to bind.
    pub bind: IpAddr,
    /// Port to bind; 0 lets the OS choose.
    pub port: u16,
    /// Backend choice.
    pub storage: StorageMode,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: DEFAULT_BIND,
            port: DEFAULT_PORT,
            storage: StorageMode::OnDisk(PathBuf::from(DEFAULT_DATA_DIR)),
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the server.
    Serve(ServerConfig),
    /// Print [`USAGE`] and exit successfully.
    Help,
}

/// A command line that cannot be obeyed. `main` prints it with a pointer to `--help` and
/// exits with status 2, the convention for usage errors.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CliError {
    /// A flag nobody defines.
    #[error("unknown option '{flag}'")]
    UnknownFlag {
        /// The flag as given.
        flag: String,
    },
    /// A flag that needs a value came last.
    #[error("option '{flag}' needs a value")]
    MissingValue {
        /// The flag as given.
        flag: String,
    },
    /// A flag that takes no value was given one with `=`.
    #[error("option '{flag}' takes no value")]
    UnexpectedValue {
        /// The flag as given.
        flag: String,
    },
    /// A value that does not parse.
    #[error("invalid value '{value}' for '{flag}': {expected}")]
    InvalidValue {
        /// The flag.
        flag: String,
        /// The value as given.
        value: String,
        /// What was expected instead.
        expected: &'static str,
    },
    /// `--in-memory` together with a data directory: one of them would be ignored.
    #[error("'{dir_flag}' cannot be combined with '{memory_flag}': in-memory mode has no data directory")]
    ConflictingStorage {
        /// The data-directory flag as given.
        dir_flag: String,
        /// The in-memory flag as given.
        memory_flag: String,
    },
    /// A positional argument; the server takes none.
    #[error("unexpected argument '{arg}'")]
    UnexpectedArgument {
        /// The argument as given.
        arg: String,
    },
    /// An argument over [`MAX_ARG_BYTES`].
    #[error("argument of {len_bytes} bytes is longer than the limit of {max_bytes}")]
    ArgumentTooLong {
        /// Its length.
        len_bytes: usize,
        /// The limit.
        max_bytes: usize,
    },
}

/// The flags, after mapping DynamoDB Local's spellings onto Shale's.
#[derive(Clone, Copy)]
enum Flag {
    Port,
    Bind,
    DataDir,
    InMemory,
    SharedDb,
    Help,
}

impl Flag {
    fn from_name(name: &str) -> Option<Flag> {
        Some(match name {
            "--port" | "-port" => Flag::Port,
            "--bind" => Flag::Bind,
            "--data-dir" | "-dbPath" => Flag::DataDir,
            "--in-memory" | "-inMemory" => Flag::InMemory,
            "-sharedDb" | "--shared-db" => Flag::SharedDb,
            "-h" | "--help" | "-help" => Flag::Help,
            _ => return None,
        })
    }

    fn takes_value(self) -> bool {
        matches!(self, Flag::Port | Flag::Bind | Flag::DataDir)
    }
}

/// Parses the arguments after the program name.
///
/// Accepts `--flag value` and `--flag=value`. `--help` anywhere wins over everything else
/// that parses.
///
/// # Errors
/// [`CliError`] for unknown flags, missing or malformed values, and conflicting storage
/// choices.
pub fn parse_args<I, S>(args: I) -> Result<Command, CliError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut config = ServerConfig::default();
    let mut data_dir_flag: Option<String> = None;
    let mut memory_flag: Option<String> = None;
    let mut help = false;
    let mut args = args.into_iter().map(Into::into);
    while let Some(arg) = args.next() {
        check_len(&arg)?;
        let (name, inline_value) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with('-') => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let Some(flag) = Flag::from_name(&name) else {
            return Err(if name.starts_with('-') {
                CliError::UnknownFlag { flag: name }
            } else {
                CliError::UnexpectedArgument { arg }
            });
        };
        let value = if flag.takes_value() {
            match inline_value {
                Some(v) => v,
                None => {
                    let v = args
                        .next()
                        .ok_or_else(|| CliError::MissingValue { flag: name.clone() })?;
                    check_len(&v)?;
                    v
                }
            }
        } else {
            if inline_value.is_some() {
                return Err(CliError::UnexpectedValue { flag: name });
            }
            String::new()
        };
        match flag {
            Flag::Port => {
                config.port = value.parse().map_err(|_| CliError::InvalidValue {
                    flag: name,
                    value,
                    expected: "a port number from 0 to 65535",
                })?;
            }
            Flag::Bind => {
                config.bind = value.parse().map_err(|_| CliError::InvalidValue {
                    flag: name,
                    value,
                    expected: "an IPv4 or IPv6 address such as 127.0.0.1",
                })?;
            }
            Flag::DataDir => {
                if value.is_empty() {
                    return Err(CliError::InvalidValue {
                        flag: name,
                        value,
                        expected: "a directory path",
                    });
                }
                config.storage = StorageMode::OnDisk(PathBuf::from(value));
                data_dir_flag = Some(name);
            }
            Flag::InMemory => memory_flag = Some(name),
            // DynamoDB Local keys its databases by access key and region unless told
            // -sharedDb; Shale has a single database, which is -sharedDb's behaviour.
            Flag::SharedDb => {}
            Flag::Help => help = true,
        }
    }
    if help {
        return Ok(Command::Help);
    }
    if let Some(memory_flag) = memory_flag {
        if let Some(dir_flag) = data_dir_flag {
            return Err(CliError::ConflictingStorage {
                dir_flag,
                memory_flag,
            });
        }
        config.storage = StorageMode::InMemory;
    }
    Ok(Command::Serve(config))
}

fn check_len(arg: &str) -> Result<(), CliError> {
    if arg.len() > MAX_ARG_BYTES {
        return Err(CliError::ArgumentTooLong {
            len_bytes: arg.len(),
            max_bytes: MAX_ARG_BYTES,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> ServerConfig {
        match parse_args(args.iter().copied()) {
            Ok(Command::Serve(c)) => c,
            other => panic!("expected a config for {args:?}, got {other:?}"),
        }
    }

    #[test]
    fn no_flags_mean_loopback_port_8000_on_disk() {
        let c = serve(&[]);
        assert_eq!(c.bind, DEFAULT_BIND);
        assert_eq!(c.port, 8000);
        assert_eq!(
            c.storage,
            StorageMode::OnDisk(PathBuf::from("./shale-data"))
        );
    }

    #[test]
    fn shale_and_dynamodb_local_spellings_agree() {
        let a = serve(&["--port", "9000", "--in-memory"]);
        let b = serve(&["-port", "9000", "-inMemory", "-sharedDb"]);
        let c = serve(&["--port=9000", "--in-memory"]);
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.port, 9000);
        assert_eq!(a.storage, StorageMode::InMemory);
        assert_eq!(
            serve(&["-dbPath", "/tmp/x"]).storage,
            StorageMode::OnDisk(PathBuf::from("/tmp/x"))
        );
        assert_eq!(
            serve(&["--data-dir", "d", "--bind", "::1"]).bind,
            "::1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn help_wins() {
        assert_eq!(parse_args(["--port", "1", "--help"]), Ok(Command::Help));
        assert_eq!(parse_args(["-h"]), Ok(Command::Help));
    }

    #[test]
    fn bad_command_lines_are_typed_errors() {
        assert!(matches!(
            parse_args(["--prot", "1"]),
            Err(CliError::UnknownFlag { .. })
        ));
        assert!(matches!(
            parse_args(["--port"]),
            Err(CliError::MissingValue { .. })
        ));
        assert!(matches!(
            parse_args(["--port", "70000"]),
            Err(CliError::InvalidValue { .. })
        ));
        assert!(matches!(
            parse_args(["--bind", "localhost"]),
            Err(CliError::InvalidValue { .. })
        ));
        assert!(matches!(
            parse_args(["--in-memory=yes"]),
            Err(CliError::UnexpectedValue { .. })
        ));
        assert!(matches!(
            parse_args(["-inMemory", "-dbPath", "x"]),
            Err(CliError::ConflictingStorage { .. })
        ));
        assert!(matches!(
            parse_args(["serve"]),
            Err(CliError::UnexpectedArgument { .. })
        ));
        let long = "x".repeat(MAX_ARG_BYTES + 1);
        assert!(matches!(
            parse_args(["--data-dir".to_string(), long]),
            Err(CliError::ArgumentTooLong { .. })
        ));
    }
}
