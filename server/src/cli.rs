//! Command-line parsing: Shale's own `--flags` plus DynamoDB Local's `-flags`, so scripts
//! written for DynamoDB Local start Shale unchanged.
//!
//! Tokenised by `lexopt` (no dependencies of its own, no derive macros), which leaves the
//! grammar here: each flag's spellings, its value, and the error a bad one gets. DynamoDB
//! Local's single-dash words (`-inMemory`) are not getopt options; [`next_flag`] says how
//! they are read.

use std::ffi::{OsStr, OsString};
use std::net::IpAddr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use lexopt::Arg;

use crate::limits::ServerLimits;

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
    --durability <sync|buffered>
                         on disk, acknowledge a write once its WAL record is
                         fdatasynced (sync, the default) or once it is written
                         to the OS, with a background fdatasync every 100 ms
                         (buffered: a power cut loses up to 100 ms of writes)
    --wal-mmap <on|off>  on disk with --durability buffered, copy each write's WAL
                         record into a memory map of the log segment instead of a
                         pwrite (default on; an I/O error on a mapped page fails the
                         write as a pwrite's would; no effect with sync durability)
    --mmap-reads <on|off>
                         on disk, read SSTables through memory maps instead of a
                         pread per block (default on, as in the engine; an I/O error
                         on a mapped page fails the read as a pread's would)
    --tolerate-wal-loss  open even if WAL recovery would drop records the log marks
                         as synced (lost data); each dropped range is logged at WARN.
                         Without it such a data directory refuses to open.
    --capacity <on|off>  enforce provisioned throughput and on-demand maxima per
                         partition, as DynamoDB does (default on; every table starts
                         with a full 300 s of burst credit); off only reports
                         consumed capacity
    --on-demand-scaling <on|off>
                         on: hold an on-demand table to twice its previous peak while
                         it scales, as DynamoDB does (a new one takes 4,000 WRU and
                         12,000 RRU per second at once). Default off: on-demand tables
                         are limited only by their OnDemandThroughput, because a local
                         client outpaces what one could send DynamoDB over a network
    --partition-limits <on|off>
                         on: a partition serves at most 3,000 RCU and 1,000 WCU per
                         second whatever its table's capacity, and hot partitions are
                         split for heat each minute, as DynamoDB's are. Default off:
                         bursts at one key are limited only by the table's capacity
    --table-max-units <N>
                         the most read and write units a table or GSI may provision
                         or take as an on-demand maximum (default 40000, DynamoDB's
                         default quota; CreateTable and UpdateTable refuse more with
                         LimitExceededException, and DescribeLimits reports it)
    --auto-scaling <FILE>
                         scale provisioned tables' throughput by target tracking,
                         with the policies in FILE (JSON, by table name; see
                         docs/capacity.md)
    --manual-clock       for tests: time stands still except when moved with
                         POST /_shale/clock/advance?seconds=N (TTL expiry, stream
                         shard rollover and iterator expiry, PITR windows)
    -h, --help           print this help and exit

LIMITS (docs/server.md says why each default is what it is):
    --max-connections <N>           connections served at once (default 4096); at
                                    the cap the connection that has waited longest
                                    for its client is closed to make room
    --max-connections-per-peer <N>  the same, per client IP address (default 1024)
    --idle-timeout <SECS>           close a connection idle this long (default 60)
    --body-timeout <SECS>           time every request body gets (default 10) ...
    --min-body-rate <BYTES/S>       ... plus its size at this rate (default 65536)
    --event-loops <N>               threads serving connections, one event loop
                                    each (default: one per CPU)
    --blocking-threads <N>          threads running engine calls (default 64), one
                                    pool shared by the event loops
    --max-queued-requests <N>       engine calls running or queued (default 1024);
                                    beyond it requests get a ThrottlingException

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
    /// Connection, body and queue limits.
    pub limits: ServerLimits,
    /// `--tolerate-wal-loss`: open a data directory whose WAL lost synced records,
    /// dropping them (each reported at WARN), instead of refusing to start.
    pub tolerate_wal_loss: bool,
    /// `--capacity on|off`: throttle requests over a table's capacity (DynamoDB's
    /// semantics, the default) or only report consumed capacity.
    pub capacity_enforcement: bool,
    /// `--on-demand-scaling on|off`: on-demand tables take at once only twice their
    /// previous peak (DynamoDB's semantics). Off by default in the server, unlike the
    /// Rust API: a test suite's fixture loader on loopback sends thousands of writes a
    /// second, which over a network to DynamoDB it could not, and its unretried
    /// BatchWriteItem leftovers would be a surprise Shale's speed caused.
    pub on_demand_scaling: bool,
    /// `--partition-limits on|off`: per-partition limits and split for heat (off by
    /// default, as in the Rust API).
    pub partition_limits: bool,
    /// `--auto-scaling FILE`: auto scaling policies by table name
    /// (`crate::auto_scaling_config`).
    pub auto_scaling_file: Option<PathBuf>,
    /// `--table-max-units N`: the per-table quota of read and of write units
    /// (`CapacityOptions::table_max_read_units`).
    pub table_max_units: u64,
    /// `--manual-clock`: the engine's and tables' time moves only when a test advances it.
    pub manual_clock: bool,
    /// `--event-loops N`: threads serving connections, each a single-threaded runtime
    /// (`crate::event_loops`); 0 (the default) means one per CPU.
    pub event_loops: usize,
    /// `--durability sync|buffered`: when an on-disk write is acknowledged.
    pub durability: WriteDurability,
    /// `--wal-mmap on|off`: WAL appends copied into a map of the segment
    /// (`DbOptions::wal_mmap_appends`); `None` when not given: on, as in the engine.
    pub wal_mmap_appends: Option<bool>,
    /// `--mmap-reads on|off`: SSTables read through memory maps (`shale_io::MmapFs`);
    /// `None` when not given: on, as in the engine.
    pub mmap_reads: Option<bool>,
}

/// When the on-disk engine acknowledges a write (`--durability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteDurability {
    /// Once its WAL record is fdatasynced (group commit), as DynamoDB acknowledges only
    /// durable writes. The default.
    #[default]
    Sync,
    /// Once its WAL record is written to the OS; a background fdatasync runs every
    /// [`crate::storage::BUFFERED_SYNC_INTERVAL`]. A process crash loses nothing, a power
    /// cut up to that interval of acknowledged writes. For benchmarks and local
    /// development.
    Buffered,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: DEFAULT_BIND,
            port: DEFAULT_PORT,
            storage: StorageMode::OnDisk(PathBuf::from(DEFAULT_DATA_DIR)),
            limits: ServerLimits::default(),
            tolerate_wal_loss: false,
            capacity_enforcement: true,
            on_demand_scaling: false,
            partition_limits: false,
            auto_scaling_file: None,
            table_max_units: shale_table::capacity::DEFAULT_TABLE_MAX_READ_UNITS,
            manual_clock: false,
            event_loops: 0,
            durability: WriteDurability::Sync,
            wal_mmap_appends: None,
            mmap_reads: None,
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
    /// A command line lexopt cannot tokenise (no known input produces it; see
    /// `from_lexopt`).
    #[error("{detail}")]
    Malformed {
        /// lexopt's description.
        detail: String,
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
    TolerateWalLoss,
    MaxConnections,
    MaxConnectionsPerPeer,
    IdleTimeout,
    BodyTimeout,
    MinBodyRate,
    BlockingThreads,
    MaxQueuedRequests,
    Capacity,
    OnDemandScaling,
    PartitionLimits,
    AutoScaling,
    TableMaxUnits,
    ManualClock,
    EventLoops,
    Durability,
    WalMmap,
    MmapReads,
}

impl Flag {
    /// `name` as given, dashes included: `--port` and `-port` are both spellings of
    /// [`Flag::Port`], but `-bind` and `--dbPath` are nobody's.
    fn from_name(name: &str) -> Option<Flag> {
        Some(match name {
            "--port" | "-port" => Flag::Port,
            "--bind" => Flag::Bind,
            "--data-dir" | "-dbPath" => Flag::DataDir,
            "--in-memory" | "-inMemory" => Flag::InMemory,
            "-sharedDb" | "--shared-db" => Flag::SharedDb,
            "-h" | "--help" | "-help" => Flag::Help,
            "--tolerate-wal-loss" => Flag::TolerateWalLoss,
            "--max-connections" => Flag::MaxConnections,
            "--max-connections-per-peer" => Flag::MaxConnectionsPerPeer,
            "--idle-timeout" => Flag::IdleTimeout,
            "--body-timeout" => Flag::BodyTimeout,
            "--min-body-rate" => Flag::MinBodyRate,
            "--blocking-threads" => Flag::BlockingThreads,
            "--max-queued-requests" => Flag::MaxQueuedRequests,
            "--capacity" => Flag::Capacity,
            "--on-demand-scaling" => Flag::OnDemandScaling,
            "--partition-limits" => Flag::PartitionLimits,
            "--auto-scaling" => Flag::AutoScaling,
            "--table-max-units" => Flag::TableMaxUnits,
            "--manual-clock" => Flag::ManualClock,
            "--event-loops" => Flag::EventLoops,
            "--durability" => Flag::Durability,
            "--wal-mmap" => Flag::WalMmap,
            "--mmap-reads" => Flag::MmapReads,
            _ => return None,
        })
    }

    fn takes_value(self) -> bool {
        !matches!(
            self,
            Flag::InMemory
                | Flag::SharedDb
                | Flag::Help
                | Flag::TolerateWalLoss
                | Flag::ManualClock
        )
    }
}

/// Parses the arguments after the program name.
///
/// Accepts `--flag value` and `--flag=value`, and DynamoDB Local's single-dash words
/// (`-port 8000`, `-port=8000`, `-inMemory`). `--help` anywhere wins over everything else
/// that parses. `--` ends the options (and the server takes no arguments after it).
///
/// # Errors
/// [`CliError`] for unknown flags, missing or malformed values, conflicting storage
/// choices, and any argument over [`MAX_ARG_BYTES`] (checked before any parsing).
pub fn parse_args<I, S>(args: I) -> Result<Command, CliError>
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    if let Some(arg) = args.iter().find(|a| a.len() > MAX_ARG_BYTES) {
        return Err(CliError::ArgumentTooLong {
            len_bytes: arg.len(),
            max_bytes: MAX_ARG_BYTES,
        });
    }
    let mut parser = lexopt::Parser::from_args(args);
    // `-h=x` must reach `single_dash_word` as written, not with its `=` eaten.
    parser.set_short_equals(false);
    let mut config = ServerConfig::default();
    let mut data_dir_flag: Option<String> = None;
    let mut memory_flag: Option<String> = None;
    let mut help = false;
    while let Some((name, inline_value)) = next_flag(&mut parser)? {
        let Some(flag) = Flag::from_name(&name) else {
            return Err(CliError::UnknownFlag { flag: name });
        };
        let value = if flag.takes_value() {
            match inline_value {
                Some(v) => v,
                None => parser
                    .value()
                    .map_err(|_| CliError::MissingValue { flag: name.clone() })?,
            }
        } else {
            if inline_value.is_some() {
                return Err(CliError::UnexpectedValue { flag: name });
            }
            OsString::new()
        };
        match flag {
            Flag::Port => config.port = parse_value(&name, &value, PORT_EXPECTED)?,
            Flag::Bind => config.bind = parse_value(&name, &value, BIND_EXPECTED)?,
            Flag::DataDir => {
                if value.is_empty() {
                    return Err(invalid_value(name, &value, "a directory path"));
                }
                config.storage = StorageMode::OnDisk(PathBuf::from(value));
                data_dir_flag = Some(name);
            }
            Flag::InMemory => memory_flag = Some(name),
            // DynamoDB Local keys its databases by access key and region unless told
            // -sharedDb; Shale has a single database, which is -sharedDb's behaviour.
            Flag::SharedDb => {}
            Flag::Help => help = true,
            Flag::TolerateWalLoss => config.tolerate_wal_loss = true,
            Flag::ManualClock => config.manual_clock = true,
            Flag::MaxConnections => {
                config.limits.max_connections = parse_count(&name, &value)?;
            }
            Flag::MaxConnectionsPerPeer => {
                config.limits.max_connections_per_peer = parse_count(&name, &value)?;
            }
            Flag::IdleTimeout => config.limits.idle_timeout = parse_seconds(&name, &value)?,
            Flag::BodyTimeout => {
                config.limits.body_read_timeout = parse_seconds(&name, &value)?;
            }
            Flag::MinBodyRate => {
                config.limits.min_body_bytes_per_sec = parse_value(&name, &value, RATE_EXPECTED)?;
                if config.limits.min_body_bytes_per_sec == 0 {
                    return Err(invalid_value(name, &value, RATE_EXPECTED));
                }
            }
            Flag::BlockingThreads => {
                config.limits.blocking_threads = parse_count(&name, &value)?;
            }
            Flag::EventLoops => {
                config.event_loops = parse_count(&name, &value)?;
                if config.event_loops > MAX_EVENT_LOOPS {
                    return Err(invalid_value(name, &value, COUNT_EXPECTED));
                }
            }
            Flag::MaxQueuedRequests => {
                config.limits.max_queued_engine_calls = parse_count(&name, &value)?;
            }
            Flag::Durability => {
                config.durability = match value.to_str() {
                    Some("sync") => WriteDurability::Sync,
                    Some("buffered") => WriteDurability::Buffered,
                    _ => return Err(invalid_value(name, &value, DURABILITY_EXPECTED)),
                };
            }
            Flag::WalMmap => {
                config.wal_mmap_appends = Some(on_off(&name, &value)?);
            }
            Flag::MmapReads => {
                config.mmap_reads = Some(on_off(&name, &value)?);
            }
            Flag::Capacity => {
                config.capacity_enforcement = on_off(&name, &value)?;
            }
            Flag::OnDemandScaling => {
                config.on_demand_scaling = on_off(&name, &value)?;
            }
            Flag::PartitionLimits => {
                config.partition_limits = on_off(&name, &value)?;
            }
            Flag::TableMaxUnits => {
                let units: u64 = parse_value(&name, &value, TABLE_MAX_UNITS_EXPECTED)?;
                if !(1..=MAX_TABLE_UNITS).contains(&units) {
                    return Err(invalid_value(name, &value, TABLE_MAX_UNITS_EXPECTED));
                }
                config.table_max_units = units;
            }
            Flag::AutoScaling => {
                if value.is_empty() {
                    return Err(invalid_value(name, &value, "a file path"));
                }
                config.auto_scaling_file = Some(PathBuf::from(value));
            }
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

const PORT_EXPECTED: &str = "a port number from 0 to 65535";
const BIND_EXPECTED: &str = "an IPv4 or IPv6 address such as 127.0.0.1";
const COUNT_EXPECTED: &str = "a whole number from 1 to 1000000";
const SECONDS_EXPECTED: &str = "a number of seconds greater than 0, such as 60 or 0.5";
const RATE_EXPECTED: &str = "a number of bytes per second greater than 0";
const CAPACITY_EXPECTED: &str = "on or off";

/// An `on|off` flag's value.
fn on_off(name: &str, value: &OsStr) -> Result<bool, CliError> {
    match value.to_str() {
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        _ => Err(invalid_value(name.to_owned(), value, CAPACITY_EXPECTED)),
    }
}

/// The largest count a limit flag takes: beyond it a "limit" is no limit.
const MAX_COUNT: usize = 1_000_000;
/// The longest duration a limit flag takes (a day): beyond it a timeout is none.
const MAX_SECONDS: f64 = 86_400.0;

/// A positive count up to [`MAX_COUNT`].
fn parse_count(flag: &str, value: &OsStr) -> Result<usize, CliError> {
    let count: usize = parse_value(flag, value, COUNT_EXPECTED)?;
    if (1..=MAX_COUNT).contains(&count) {
        Ok(count)
    } else {
        Err(invalid_value(flag.to_string(), value, COUNT_EXPECTED))
    }
}

/// What `--table-max-units` takes.
const TABLE_MAX_UNITS_EXPECTED: &str = "a whole number of units from 1 to 1000000000000";
/// Most `--table-max-units`: DynamoDB's bound on ProvisionedThroughput's members.
const MAX_TABLE_UNITS: u64 = 1_000_000_000_000;

/// What `--durability` takes.
const DURABILITY_EXPECTED: &str = "sync or buffered";

/// Most `--event-loops`: each is a thread.
const MAX_EVENT_LOOPS: usize = 1024;

/// A positive number of seconds up to [`MAX_SECONDS`], fractions allowed.
fn parse_seconds(flag: &str, value: &OsStr) -> Result<Duration, CliError> {
    let seconds: f64 = parse_value(flag, value, SECONDS_EXPECTED)?;
    if seconds > 0.0 && seconds <= MAX_SECONDS {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(invalid_value(flag.to_string(), value, SECONDS_EXPECTED))
    }
}

/// The next flag as given (dashes included) with its `=value` if it had one, or `None`
/// at the end of the command line.
///
/// lexopt reads `--name[=value]` itself. DynamoDB Local's flags are single-dash words
/// (`-inMemory`), which lexopt, following getopt, starts to split into a cluster of short
/// options (`-i -n -M ...`): the first letter arrives as `Short('i')` and the rest of the
/// word is still pending, so it is taken back whole with `optional_value` and the word
/// is looked up as one name. No Shale flag is a short cluster, so nothing is lost.
fn next_flag(parser: &mut lexopt::Parser) -> Result<Option<(String, Option<OsString>)>, CliError> {
    let arg = parser.next().map_err(from_lexopt)?;
    Ok(match arg {
        None => None,
        Some(Arg::Long(long)) => {
            let name = format!("--{long}");
            Some((name, parser.optional_value()))
        }
        Some(Arg::Short(first)) => {
            let rest = parser.optional_value().unwrap_or_default();
            Some(single_dash_word(first, &rest))
        }
        Some(Arg::Value(arg)) => {
            return Err(CliError::UnexpectedArgument {
                arg: arg.to_string_lossy().into_owned(),
            })
        }
    })
}

/// `-` + `first` + `rest`, split at its first `=` into a name and a value. The value stays
/// an `OsString` (a `-dbPath=` directory need not be UTF-8); the name is shown lossily.
fn single_dash_word(first: char, rest: &OsStr) -> (String, Option<OsString>) {
    let rest = rest.as_bytes();
    let (name_rest, value) = match rest.iter().position(|&b| b == b'=') {
        Some(eq) => (
            &rest[..eq],
            Some(OsStr::from_bytes(&rest[eq + 1..]).to_owned()),
        ),
        None => (rest, None),
    };
    let name = format!("-{first}{}", String::from_utf8_lossy(name_rest));
    (name, value)
}

/// `value` parsed as a `T`, else [`CliError::InvalidValue`] saying what `expected`.
fn parse_value<T: FromStr>(
    flag: &str,
    value: &OsStr,
    expected: &'static str,
) -> Result<T, CliError> {
    value
        .to_str()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| invalid_value(flag.to_string(), value, expected))
}

fn invalid_value(flag: String, value: &OsStr, expected: &'static str) -> CliError {
    CliError::InvalidValue {
        flag,
        value: value.to_string_lossy().into_owned(),
        expected,
    }
}

/// lexopt's `next` fails only when an `=value` is left unconsumed, and [`next_flag`]
/// consumes every one it is handed; the mapping is total all the same.
fn from_lexopt(e: lexopt::Error) -> CliError {
    match e {
        lexopt::Error::UnexpectedValue { option, .. } => CliError::UnexpectedValue { flag: option },
        other => CliError::Malformed {
            detail: other.to_string(),
        },
    }
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

    #[test]
    fn capacity_is_enforced_unless_turned_off() {
        assert!(serve(&[]).capacity_enforcement);
        assert!(serve(&["--capacity", "on"]).capacity_enforcement);
        assert!(!serve(&["--capacity", "off"]).capacity_enforcement);
        assert!(!serve(&["--capacity=off", "--in-memory"]).capacity_enforcement);
        for bad in ["OFF", "no", ""] {
            assert!(matches!(
                parse_args(["--capacity", bad]),
                Err(CliError::InvalidValue { .. })
            ));
        }
        assert!(matches!(
            parse_args(["--capacity"]),
            Err(CliError::MissingValue { .. })
        ));
    }

    #[test]
    fn the_table_quota_is_dynamodbs_unless_raised() {
        assert_eq!(serve(&[]).table_max_units, 40_000);
        assert_eq!(
            serve(&["--table-max-units", "1000000"]).table_max_units,
            1_000_000
        );
        for bad in ["0", "-5", "1000000000001", "lots"] {
            assert!(matches!(
                parse_args(["--table-max-units", bad]),
                Err(CliError::InvalidValue { .. })
            ));
        }
    }

    #[test]
    fn on_demand_scaling_is_off_unless_turned_on() {
        assert!(!serve(&[]).on_demand_scaling);
        assert!(!serve(&["--on-demand-scaling", "off"]).on_demand_scaling);
        assert!(serve(&["--on-demand-scaling=on"]).on_demand_scaling);
        assert!(matches!(
            parse_args(["--on-demand-scaling", "maybe"]),
            Err(CliError::InvalidValue { .. })
        ));
    }

    #[test]
    fn partition_limits_are_off_unless_turned_on() {
        assert!(!serve(&[]).partition_limits);
        assert!(serve(&["--partition-limits", "on"]).partition_limits);
        assert!(matches!(
            parse_args(["--partition-limits", "yes"]),
            Err(CliError::InvalidValue { .. })
        ));
    }

    #[test]
    fn auto_scaling_takes_a_file_path() {
        assert_eq!(serve(&[]).auto_scaling_file, None);
        assert_eq!(
            serve(&["--auto-scaling", "as.json"]).auto_scaling_file,
            Some(PathBuf::from("as.json"))
        );
        assert!(matches!(
            parse_args(["--auto-scaling", ""]),
            Err(CliError::InvalidValue { .. })
        ));
        assert!(matches!(
            parse_args(["--auto-scaling"]),
            Err(CliError::MissingValue { .. })
        ));
    }

    #[test]
    fn limit_flags_set_the_limits_and_reject_zero_and_nonsense() {
        let c = serve(&[
            "--max-connections",
            "10",
            "--max-connections-per-peer=3",
            "--idle-timeout",
            "0.5",
            "--body-timeout",
            "2",
            "--min-body-rate",
            "100",
            "--blocking-threads",
            "4",
            "--max-queued-requests",
            "8",
        ]);
        assert_eq!(
            c.limits,
            ServerLimits {
                max_connections: 10,
                max_connections_per_peer: 3,
                idle_timeout: Duration::from_millis(500),
                body_read_timeout: Duration::from_secs(2),
                min_body_bytes_per_sec: 100,
                blocking_threads: 4,
                max_queued_engine_calls: 8,
            }
        );
        assert_eq!(serve(&[]).limits, ServerLimits::default());
        assert_eq!(serve(&[]).event_loops, 0);
        assert_eq!(serve(&["--event-loops", "3"]).event_loops, 3);
        assert!(parse_args(["--event-loops", "0"]).is_err());
        assert!(parse_args(["--event-loops", "1025"]).is_err());
        assert_eq!(serve(&[]).durability, WriteDurability::Sync);
        assert_eq!(
            serve(&["--durability", "buffered"]).durability,
            WriteDurability::Buffered
        );
        assert!(parse_args(["--durability", "none"]).is_err());
        assert_eq!(serve(&[]).wal_mmap_appends, None);
        assert_eq!(serve(&["--wal-mmap", "on"]).wal_mmap_appends, Some(true));
        assert_eq!(serve(&["--wal-mmap=off"]).wal_mmap_appends, Some(false));
        assert!(parse_args(["--wal-mmap", "yes"]).is_err());
        assert_eq!(serve(&[]).mmap_reads, None);
        assert_eq!(serve(&["--mmap-reads", "on"]).mmap_reads, Some(true));
        assert_eq!(serve(&["--mmap-reads=off"]).mmap_reads, Some(false));
        assert!(parse_args(["--mmap-reads", "1"]).is_err());
        for bad in [
            ["--max-connections", "0"],
            ["--max-connections", "-1"],
            ["--blocking-threads", "1000001"],
            ["--idle-timeout", "0"],
            ["--idle-timeout", "NaN"],
            ["--idle-timeout", "inf"],
            ["--body-timeout", "-3"],
            ["--min-body-rate", "0"],
            ["--max-queued-requests", "many"],
        ] {
            assert!(
                matches!(parse_args(bad), Err(CliError::InvalidValue { .. })),
                "{bad:?}"
            );
        }
    }

    /// DynamoDB Local's single-dash words are whole names, never getopt clusters: lexopt
    /// sees `-port` as `-p` plus a pending rest, and [`next_flag`] reads it back as one.
    #[test]
    fn single_dash_words_are_read_whole() {
        assert_eq!(serve(&["-port=9000"]).port, 9000);
        assert_eq!(
            serve(&["-dbPath=/tmp/a=b"]).storage,
            StorageMode::OnDisk(PathBuf::from("/tmp/a=b"))
        );
        // A value is taken as written even when it looks like a flag.
        assert_eq!(
            serve(&["--data-dir", "-inMemory"]).storage,
            StorageMode::OnDisk(PathBuf::from("-inMemory"))
        );
        assert_eq!(parse_args(["-help"]), Ok(Command::Help));
        assert_eq!(
            parse_args(["-hx"]),
            Err(CliError::UnknownFlag { flag: "-hx".into() })
        );
        assert_eq!(
            parse_args(["-h=x"]),
            Err(CliError::UnexpectedValue { flag: "-h".into() })
        );
        assert_eq!(
            parse_args(["-inMemory=yes"]),
            Err(CliError::UnexpectedValue {
                flag: "-inMemory".into()
            })
        );
        assert_eq!(
            parse_args(["-bind", "::1"]),
            Err(CliError::UnknownFlag {
                flag: "-bind".into()
            })
        );
    }

    /// Errors name the flag as the user spelt it, and `main` prints them verbatim.
    #[test]
    fn errors_name_the_flag_as_given() {
        let message = |args: &[&str]| parse_args(args.iter().copied()).unwrap_err().to_string();
        assert_eq!(message(&["--prot", "1"]), "unknown option '--prot'");
        assert_eq!(message(&["-port"]), "option '-port' needs a value");
        assert_eq!(
            message(&["--port="]),
            "invalid value '' for '--port': a port number from 0 to 65535"
        );
        assert_eq!(
            message(&["--in-memory=1"]),
            "option '--in-memory' takes no value"
        );
        assert_eq!(
            message(&["-dbPath", "d", "--in-memory"]),
            "'-dbPath' cannot be combined with '--in-memory': in-memory mode has no data directory"
        );
        assert_eq!(message(&["serve"]), "unexpected argument 'serve'");
    }

    #[test]
    fn a_data_dir_need_not_be_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let dir = OsString::from_vec(b"/tmp/\xff".to_vec());
        let mut flag = OsString::from("-dbPath=");
        flag.push(&dir);
        for args in [vec![OsString::from("--data-dir"), dir.clone()], vec![flag]] {
            assert_eq!(
                parse_args(args),
                Ok(Command::Serve(ServerConfig {
                    storage: StorageMode::OnDisk(PathBuf::from(dir.clone())),
                    ..ServerConfig::default()
                }))
            );
        }
        assert!(matches!(
            parse_args([OsString::from("--port"), dir]),
            Err(CliError::InvalidValue { .. })
        ));
    }
}
