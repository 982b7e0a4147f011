//! The command line: `shale-admin [--endpoint URL] [--region R] <command> <operands>
//! [flags]`, tokenised by lexopt as `shale-server`'s flags are (`src/cli.rs`).
//!
//! Flags may come anywhere (before or after the command words); `--` ends them, for a
//! table whose name starts with `-`. Each command lists the flags it takes, and a flag
//! given to a command that does not take it is a usage error rather than silently
//! ignored. `--help` anywhere prints the help of the command named so far.

use std::ffi::OsString;
use std::time::Duration;

use lexopt::Arg;
use shale_table::{AttributeDefinition, ScalarAttributeType};

use crate::time::{parse_time, parse_timeout, TIMEOUT_EXPECTED, TIME_EXPECTED};

/// Where the server is unless `--endpoint` says otherwise: shale-server's default.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8000";
/// The region named when neither `--region`, `AWS_REGION` nor `AWS_DEFAULT_REGION` does.
pub const DEFAULT_REGION: &str = "us-east-1";
/// How long a restore, export or import is waited for unless `--timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);
/// Arguments longer than this are refused before parsing (error messages quote them).
const MAX_ARG_BYTES: usize = 4096;
/// More arguments than any command takes, by far.
const MAX_ARGS: usize = 64;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Print this help text and exit 0.
    Help(&'static str),
    /// Run a command.
    Run(Invocation),
}

/// A command and where to send it.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// `--endpoint`.
    pub endpoint: String,
    /// `--region`.
    pub region: String,
    /// The command.
    pub action: Action,
}

/// The point a PITR restore goes back to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RestorePoint {
    /// `--latest`.
    Latest,
    /// `--time`, as epoch seconds.
    At(f64),
}

/// One command with its operands and flags, validated.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // the fields are the usage text's operands and flags
pub enum Action {
    BackupCreate {
        table: String,
        name: String,
    },
    BackupList {
        table: Option<String>,
    },
    BackupDescribe {
        arn: String,
    },
    BackupDelete {
        arn: String,
    },
    PitrEnable {
        table: String,
        days: Option<i64>,
    },
    PitrDisable {
        table: String,
    },
    PitrStatus {
        table: String,
    },
    RestoreBackup {
        arn: String,
        target: String,
        timeout: Duration,
    },
    RestorePitr {
        source: String,
        target: String,
        point: RestorePoint,
        timeout: Duration,
    },
    Export {
        table: String,
        bucket: String,
        prefix: Option<String>,
        time: Option<f64>,
        timeout: Duration,
    },
    Import {
        bucket: String,
        prefix: Option<String>,
        table: String,
        key: AttributeDefinition,
        sort_key: Option<AttributeDefinition>,
        format: &'static str,
        timeout: Duration,
    },
    /// Offline: check a stopped server's data directory.
    Verify {
        data_dir: String,
    },
}

/// A command line that cannot be obeyed: printed with a pointer to `--help`, exit 2.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CliError {
    /// No command at all.
    #[error("no command given (backup, pitr, restore, export, import or verify)")]
    MissingCommand,
    /// A command word nobody defines.
    #[error("unknown command '{command}'")]
    UnknownCommand {
        /// The words as given.
        command: String,
    },
    /// A group (`backup`) without its subcommand.
    #[error("'{group}' needs a subcommand: {choices}")]
    MissingSubcommand {
        /// The group.
        group: &'static str,
        /// Its subcommands.
        choices: &'static str,
    },
    /// Fewer operands than the command takes.
    #[error("'{command}' needs {operand}")]
    MissingOperand {
        /// The command.
        command: &'static str,
        /// The first one missing, as the usage names it.
        operand: &'static str,
    },
    /// More operands than the command takes.
    #[error("unexpected argument '{arg}'")]
    UnexpectedArgument {
        /// The argument.
        arg: String,
    },
    /// A flag nobody defines.
    #[error("unknown option '{flag}'")]
    UnknownFlag {
        /// The flag as given.
        flag: String,
    },
    /// A flag this command does not take.
    #[error("option '{flag}' does not apply to '{command}'")]
    FlagNotApplicable {
        /// The flag.
        flag: String,
        /// The command.
        command: &'static str,
    },
    /// A flag that needs a value came last.
    #[error("option '{flag}' needs a value")]
    MissingValue {
        /// The flag.
        flag: String,
    },
    /// A flag that takes no value was given one with `=`.
    #[error("option '{flag}' takes no value")]
    UnexpectedValue {
        /// The flag.
        flag: String,
    },
    /// A value that does not parse.
    #[error("invalid value '{value}' for '{flag}': expected {expected}")]
    InvalidValue {
        /// The flag (or operand).
        flag: String,
        /// The value as given.
        value: String,
        /// What was expected instead.
        expected: &'static str,
    },
    /// A required flag is missing, or two exclusive ones were both given.
    #[error("'{command}' needs {what}")]
    FlagRequired {
        /// The command.
        command: &'static str,
        /// What it needs.
        what: &'static str,
    },
    /// An argument that is not UTF-8 (table names, ARNs and URLs all are).
    #[error("argument '{arg}' is not valid UTF-8")]
    NotUtf8 {
        /// It, lossily.
        arg: String,
    },
    /// An argument over the length limit, or too many arguments.
    #[error("command line too long: {detail}")]
    TooLong {
        /// Which limit.
        detail: String,
    },
    /// A command line lexopt cannot tokenise.
    #[error("{detail}")]
    Malformed {
        /// lexopt's description.
        detail: String,
    },
}

/// The flags, each with its one spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    Endpoint,
    Region,
    Table,
    Days,
    Time,
    Latest,
    Timeout,
    Prefix,
    Key,
    SortKey,
    Format,
}

impl Flag {
    fn from_name(name: &str) -> Option<Flag> {
        Some(match name {
            "endpoint" => Flag::Endpoint,
            "region" => Flag::Region,
            "table" => Flag::Table,
            "days" => Flag::Days,
            "time" => Flag::Time,
            "latest" => Flag::Latest,
            "timeout" => Flag::Timeout,
            "prefix" => Flag::Prefix,
            "key" => Flag::Key,
            "sort-key" => Flag::SortKey,
            "format" => Flag::Format,
            _ => return None,
        })
    }

    fn takes_value(self) -> bool {
        self != Flag::Latest
    }

    /// Every command takes these.
    fn is_global(self) -> bool {
        matches!(self, Flag::Endpoint | Flag::Region)
    }
}

/// Which command a [`Spec`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sub {
    BackupCreate,
    BackupList,
    BackupDescribe,
    BackupDelete,
    PitrEnable,
    PitrDisable,
    PitrStatus,
    RestoreBackup,
    RestorePitr,
    Export,
    Import,
    Verify,
}

/// One command's grammar.
struct Spec {
    sub: Sub,
    /// `backup create`.
    name: &'static str,
    /// `["<table>", "<name>"]`.
    operands: &'static [&'static str],
    /// Its own flags (the global ones come on top).
    flags: &'static [Flag],
    usage: &'static str,
}

/// A word with subcommands.
struct Group {
    word: &'static str,
    choices: &'static str,
    usage: &'static str,
}

const GROUPS: &[Group] = &[
    Group {
        word: "backup",
        choices: "create, list, describe, delete",
        usage: usage::BACKUP,
    },
    Group {
        word: "pitr",
        choices: "enable, disable, status",
        usage: usage::PITR,
    },
    Group {
        word: "restore",
        choices: "backup, pitr",
        usage: usage::RESTORE,
    },
];

const SPECS: &[Spec] = &[
    Spec {
        sub: Sub::BackupCreate,
        name: "backup create",
        operands: &["<table>", "<name>"],
        flags: &[],
        usage: usage::BACKUP_CREATE,
    },
    Spec {
        sub: Sub::BackupList,
        name: "backup list",
        operands: &[],
        flags: &[Flag::Table],
        usage: usage::BACKUP_LIST,
    },
    Spec {
        sub: Sub::BackupDescribe,
        name: "backup describe",
        operands: &["<backup-arn>"],
        flags: &[],
        usage: usage::BACKUP_DESCRIBE,
    },
    Spec {
        sub: Sub::BackupDelete,
        name: "backup delete",
        operands: &["<backup-arn>"],
        flags: &[],
        usage: usage::BACKUP_DELETE,
    },
    Spec {
        sub: Sub::PitrEnable,
        name: "pitr enable",
        operands: &["<table>"],
        flags: &[Flag::Days],
        usage: usage::PITR_ENABLE,
    },
    Spec {
        sub: Sub::PitrDisable,
        name: "pitr disable",
        operands: &["<table>"],
        flags: &[],
        usage: usage::PITR_DISABLE,
    },
    Spec {
        sub: Sub::PitrStatus,
        name: "pitr status",
        operands: &["<table>"],
        flags: &[],
        usage: usage::PITR_STATUS,
    },
    Spec {
        sub: Sub::RestoreBackup,
        name: "restore backup",
        operands: &["<backup-arn>", "<target-table>"],
        flags: &[Flag::Timeout],
        usage: usage::RESTORE_BACKUP,
    },
    Spec {
        sub: Sub::RestorePitr,
        name: "restore pitr",
        operands: &["<source-table>", "<target-table>"],
        flags: &[Flag::Time, Flag::Latest, Flag::Timeout],
        usage: usage::RESTORE_PITR,
    },
    Spec {
        sub: Sub::Export,
        name: "export",
        operands: &["<table>", "<dir-name>"],
        flags: &[Flag::Time, Flag::Prefix, Flag::Timeout],
        usage: usage::EXPORT,
    },
    Spec {
        sub: Sub::Import,
        name: "import",
        operands: &["<dir-name>", "<new-table>"],
        flags: &[
            Flag::Key,
            Flag::SortKey,
            Flag::Prefix,
            Flag::Format,
            Flag::Timeout,
        ],
        usage: usage::IMPORT,
    },
    Spec {
        sub: Sub::Verify,
        name: "verify",
        operands: &["<data-dir>"],
        flags: &[],
        usage: usage::VERIFY,
    },
];

/// The input formats ImportTable takes.
const IMPORT_FORMATS: &[&str] = &["DYNAMODB_JSON", "ION", "CSV"];

/// The tokens of a command line: command words and operands, flags with their values.
#[derive(Default)]
struct Tokens {
    words: Vec<String>,
    /// (flag, as given, value); in order, so the last of a repeated flag wins.
    flags: Vec<(Flag, String, Option<String>)>,
    help: bool,
}

/// Parses the arguments after the program name. `env_region` is `AWS_REGION` or
/// `AWS_DEFAULT_REGION`, the default for `--region`.
///
/// # Errors
/// [`CliError`] for anything the command line gets wrong.
pub fn parse_args<I, S>(args: I, env_region: Option<String>) -> Result<Parsed, CliError>
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let tokens = tokenize(args)?;
    let Some((spec, operands)) = resolve(&tokens.words, tokens.help)? else {
        return Ok(Parsed::Help(help_for(&tokens.words)));
    };
    if tokens.help {
        return Ok(Parsed::Help(spec.usage));
    }
    for (flag, given, _) in &tokens.flags {
        if !flag.is_global() && !spec.flags.contains(flag) {
            return Err(CliError::FlagNotApplicable {
                flag: given.clone(),
                command: spec.name,
            });
        }
    }
    let endpoint = match tokens.value(Flag::Endpoint) {
        Some((given, url)) => parse_endpoint(given, url)?,
        None => DEFAULT_ENDPOINT.to_owned(),
    };
    let region = match tokens.value(Flag::Region) {
        Some((_, region)) => region.to_owned(),
        None => env_region
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| DEFAULT_REGION.to_owned()),
    };
    let action = build_action(spec, operands, &tokens)?;
    Ok(Parsed::Run(Invocation {
        endpoint,
        region,
        action,
    }))
}

impl Tokens {
    /// The last value given for `flag`, with the flag as spelt.
    fn value(&self, flag: Flag) -> Option<(&str, &str)> {
        self.flags
            .iter()
            .rev()
            .find(|(f, _, _)| *f == flag)
            .and_then(|(_, given, value)| Some((given.as_str(), value.as_deref()?)))
    }

    fn has(&self, flag: Flag) -> bool {
        self.flags.iter().any(|(f, _, _)| *f == flag)
    }
}

fn tokenize<I, S>(args: I) -> Result<Tokens, CliError>
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    if args.len() > MAX_ARGS {
        return Err(CliError::TooLong {
            detail: format!("{} arguments, at most {MAX_ARGS}", args.len()),
        });
    }
    if let Some(arg) = args.iter().find(|a| a.len() > MAX_ARG_BYTES) {
        return Err(CliError::TooLong {
            detail: format!(
                "an argument of {} bytes, at most {MAX_ARG_BYTES}",
                arg.len()
            ),
        });
    }
    let mut parser = lexopt::Parser::from_args(args);
    let mut tokens = Tokens::default();
    while let Some(arg) = parser.next().map_err(from_lexopt)? {
        match arg {
            Arg::Short('h') | Arg::Long("help") => tokens.help = true,
            Arg::Short(c) => {
                return Err(CliError::UnknownFlag {
                    flag: format!("-{c}"),
                })
            }
            Arg::Long(name) => {
                let given = format!("--{name}");
                let Some(flag) = Flag::from_name(name) else {
                    return Err(CliError::UnknownFlag { flag: given });
                };
                let value = if flag.takes_value() {
                    let raw = parser.value().map_err(|_| CliError::MissingValue {
                        flag: given.clone(),
                    })?;
                    Some(utf8(raw)?)
                } else {
                    None
                };
                tokens.flags.push((flag, given, value));
            }
            Arg::Value(word) => tokens.words.push(utf8(word)?),
        }
    }
    Ok(tokens)
}

/// The command the words name, with its operands; `None` when `help` asks for the help
/// of a group or of the whole tool rather than of one command.
fn resolve(words: &[String], help: bool) -> Result<Option<(&'static Spec, &[String])>, CliError> {
    let Some(first) = words.first() else {
        return if help {
            Ok(None)
        } else {
            Err(CliError::MissingCommand)
        };
    };
    let (spec, depth) = if let Some(group) = GROUPS.iter().find(|g| g.word == *first) {
        let Some(second) = words.get(1) else {
            return if help {
                Ok(None)
            } else {
                Err(CliError::MissingSubcommand {
                    group: group.word,
                    choices: group.choices,
                })
            };
        };
        let name = format!("{first} {second}");
        let spec = SPECS
            .iter()
            .find(|s| s.name == name)
            .ok_or(CliError::UnknownCommand { command: name })?;
        (spec, 2)
    } else {
        let spec =
            SPECS
                .iter()
                .find(|s| s.name == first)
                .ok_or_else(|| CliError::UnknownCommand {
                    command: first.clone(),
                })?;
        (spec, 1)
    };
    let operands = &words[depth..];
    if help {
        return Ok(Some((spec, operands)));
    }
    if let Some(missing) = spec.operands.get(operands.len()) {
        return Err(CliError::MissingOperand {
            command: spec.name,
            operand: missing,
        });
    }
    if let Some(extra) = operands.get(spec.operands.len()) {
        return Err(CliError::UnexpectedArgument { arg: extra.clone() });
    }
    Ok(Some((spec, operands)))
}

/// The help for words that name a group, or nothing: the tool's.
fn help_for(words: &[String]) -> &'static str {
    words
        .first()
        .and_then(|w| GROUPS.iter().find(|g| g.word == w))
        .map_or(usage::MAIN, |g| g.usage)
}

fn build_action(spec: &Spec, operands: &[String], tokens: &Tokens) -> Result<Action, CliError> {
    let operand = |i: usize| operands.get(i).cloned().unwrap_or_default();
    let timeout = match tokens.value(Flag::Timeout) {
        Some((given, v)) => parse_timeout(v).ok_or_else(|| invalid(given, v, TIMEOUT_EXPECTED))?,
        None => DEFAULT_TIMEOUT,
    };
    let time = tokens
        .value(Flag::Time)
        .map(|(given, v)| parse_time(v).ok_or_else(|| invalid(given, v, TIME_EXPECTED)))
        .transpose()?;
    let prefix = tokens.value(Flag::Prefix).map(|(_, v)| v.to_owned());
    Ok(match spec.sub {
        Sub::BackupCreate => Action::BackupCreate {
            table: operand(0),
            name: operand(1),
        },
        Sub::BackupList => Action::BackupList {
            table: tokens.value(Flag::Table).map(|(_, v)| v.to_owned()),
        },
        Sub::BackupDescribe => Action::BackupDescribe { arn: operand(0) },
        Sub::BackupDelete => Action::BackupDelete { arn: operand(0) },
        Sub::PitrEnable => Action::PitrEnable {
            table: operand(0),
            days: tokens
                .value(Flag::Days)
                .map(|(given, v)| {
                    v.parse()
                        .map_err(|_| invalid(given, v, "a whole number of days (1 to 35)"))
                })
                .transpose()?,
        },
        Sub::PitrDisable => Action::PitrDisable { table: operand(0) },
        Sub::Verify => Action::Verify {
            data_dir: operand(0),
        },
        Sub::PitrStatus => Action::PitrStatus { table: operand(0) },
        Sub::RestoreBackup => Action::RestoreBackup {
            arn: operand(0),
            target: operand(1),
            timeout,
        },
        Sub::RestorePitr => Action::RestorePitr {
            source: operand(0),
            target: operand(1),
            point: match (time, tokens.has(Flag::Latest)) {
                (Some(t), false) => RestorePoint::At(t),
                (None, true) => RestorePoint::Latest,
                _ => {
                    return Err(CliError::FlagRequired {
                        command: spec.name,
                        what: "exactly one of --time <TIME> and --latest",
                    })
                }
            },
            timeout,
        },
        Sub::Export => Action::Export {
            table: operand(0),
            bucket: operand(1),
            prefix,
            time,
            timeout,
        },
        Sub::Import => import_action(spec, operands, tokens, prefix, timeout)?,
    })
}

fn import_action(
    spec: &Spec,
    operands: &[String],
    tokens: &Tokens,
    prefix: Option<String>,
    timeout: Duration,
) -> Result<Action, CliError> {
    let Some((given, key)) = tokens.value(Flag::Key) else {
        return Err(CliError::FlagRequired {
            command: spec.name,
            what: "--key <NAME:TYPE> (the new table's partition key)",
        });
    };
    let format = match tokens.value(Flag::Format) {
        Some((given, v)) => IMPORT_FORMATS
            .iter()
            .find(|f| f.eq_ignore_ascii_case(v))
            .copied()
            .ok_or_else(|| invalid(given, v, "DYNAMODB_JSON, ION or CSV"))?,
        None => IMPORT_FORMATS[0],
    };
    Ok(Action::Import {
        bucket: operands.first().cloned().unwrap_or_default(),
        prefix,
        table: operands.get(1).cloned().unwrap_or_default(),
        key: parse_key_attribute(given, key)?,
        sort_key: tokens
            .value(Flag::SortKey)
            .map(|(given, v)| parse_key_attribute(given, v))
            .transpose()?,
        format,
        timeout,
    })
}

/// `--endpoint`: an `http://` URL. ureq is built without TLS (the server has none).
fn parse_endpoint(given: &str, url: &str) -> Result<String, CliError> {
    let host = url.strip_prefix("http://").unwrap_or_default();
    if host.is_empty() || host.starts_with('/') || url.contains(char::is_whitespace) {
        return Err(invalid(
            given,
            url,
            "an http:// URL such as http://127.0.0.1:8000 (https is not supported)",
        ));
    }
    Ok(url.to_owned())
}

/// `NAME:TYPE` with TYPE one of S, N, B.
fn parse_key_attribute(given: &str, v: &str) -> Result<AttributeDefinition, CliError> {
    const EXPECTED: &str = "NAME:TYPE with TYPE one of S, N, B (e.g. UserId:S)";
    let (name, ty) = v
        .rsplit_once(':')
        .ok_or_else(|| invalid(given, v, EXPECTED))?;
    let attribute_type = match ty {
        "S" | "s" => ScalarAttributeType::S,
        "N" | "n" => ScalarAttributeType::N,
        "B" | "b" => ScalarAttributeType::B,
        _ => return Err(invalid(given, v, EXPECTED)),
    };
    if name.is_empty() {
        return Err(invalid(given, v, EXPECTED));
    }
    Ok(AttributeDefinition {
        attribute_name: name.to_owned(),
        attribute_type,
    })
}

fn invalid(flag: &str, value: &str, expected: &'static str) -> CliError {
    CliError::InvalidValue {
        flag: flag.to_owned(),
        value: value.to_owned(),
        expected,
    }
}

fn utf8(arg: OsString) -> Result<String, CliError> {
    arg.into_string().map_err(|a| CliError::NotUtf8 {
        arg: a.to_string_lossy().into_owned(),
    })
}

fn from_lexopt(e: lexopt::Error) -> CliError {
    match e {
        lexopt::Error::UnexpectedValue { option, .. } => CliError::UnexpectedValue { flag: option },
        other => CliError::Malformed {
            detail: other.to_string(),
        },
    }
}

/// The help texts.
mod usage {
    pub const MAIN: &str = "\
shale-admin: backups, point-in-time recovery, restores, exports and imports of a running
shale-server, without writing API calls

USAGE:
    shale-admin [--endpoint URL] [--region REGION] <COMMAND> ...

COMMANDS:
    backup create <table> <name>          take an on-demand backup; prints its ARN
    backup list [--table T]               list backups (every page)
    backup describe <backup-arn>          a backup's details, as JSON
    backup delete <backup-arn>            delete a backup
    pitr enable <table> [--days N]        turn point-in-time recovery on
    pitr disable <table>                  turn it off
    pitr status <table>                   whether it is on, and the restorable window
    restore backup <backup-arn> <target>  restore a backup into a new table and wait
    restore pitr <source> <target> (--time T | --latest)
                                          restore a table as it was at T, and wait
    export <table> <dir-name> [--time T]  export a table (ExportTableToPointInTime), and wait
    import <dir-name> <new-table> --key NAME:TYPE
                                          import into a new table (ImportTable), and wait
    verify <data-dir>                     check every checksum of a stopped server's data
                                          directory, offline (no server needed)

OPTIONS:
    --endpoint <URL>     the server (default http://127.0.0.1:8000; http only)
    --region <REGION>    the region named in requests (default $AWS_REGION,
                         $AWS_DEFAULT_REGION, else us-east-1)
    -h, --help           this help; `shale-admin <command> --help` for a command's

Requests are not signed: shale-server accepts any credentials. Errors print the
server's exception name and message and exit 1; a bad command line exits 2.
";

    pub const VERIFY: &str = "\
USAGE:
    shale-admin verify <data-dir>

Checks the data directory of a stopped shale-server without opening it for writes and
without a server: the manifest, every block of every live SSTable, and every WAL
segment (live and archived) as recovery would read it, torn tails and synced marks
included. Prints one line per file and a summary. Exit 0 when nothing is damaged (a
torn WAL tail, which opening cuts, is reported but is not damage), 1 otherwise.
Run it on a directory no server has open: a running server's files change under it.
";

    pub const BACKUP: &str = "\
USAGE:
    shale-admin backup create <table> <name>
    shale-admin backup list [--table <table>]
    shale-admin backup describe <backup-arn>
    shale-admin backup delete <backup-arn>

`shale-admin backup <subcommand> --help` for each.
";

    pub const BACKUP_CREATE: &str = "\
USAGE:
    shale-admin backup create <table> <name>

Takes an on-demand backup of <table> named <name> (CreateBackup) and prints its ARN
on stdout. Names need not be unique; the ARN is the backup's identity.
";

    pub const BACKUP_LIST: &str = "\
USAGE:
    shale-admin backup list [--table <table>]

Lists backups, oldest first, paging through ListBackups: one tab-separated line each
(CREATED, STATUS, SIZE_BYTES, TABLE, NAME, ARN) after a header line. --table keeps
only that table's (which may have been deleted since).
";

    pub const BACKUP_DESCRIBE: &str = "\
USAGE:
    shale-admin backup describe <backup-arn>

Prints the backup's description (DescribeBackup) as JSON: the backup, its source
table and that table's indexes, stream and TTL settings.
";

    pub const BACKUP_DELETE: &str = "\
USAGE:
    shale-admin backup delete <backup-arn>

Deletes the backup (DeleteBackup). Refused with BackupInUseException while a restore
reads it.
";

    pub const PITR: &str = "\
USAGE:
    shale-admin pitr enable <table> [--days <N>]
    shale-admin pitr disable <table>
    shale-admin pitr status <table>

`shale-admin pitr <subcommand> --help` for each.
";

    pub const PITR_ENABLE: &str = "\
USAGE:
    shale-admin pitr enable <table> [--days <N>]

Turns point-in-time recovery on (UpdateContinuousBackups) with a window of N days,
1 to 35 (default 35), and prints the settings. The window starts now: turning it
off and on again starts it afresh.
";

    pub const PITR_DISABLE: &str = "\
USAGE:
    shale-admin pitr disable <table>

Turns point-in-time recovery off (UpdateContinuousBackups); the window is dropped.
";

    pub const PITR_STATUS: &str = "\
USAGE:
    shale-admin pitr status <table>

Prints whether point-in-time recovery is on (DescribeContinuousBackups), its period,
and the restorable window as ISO 8601 times in UTC.
";

    pub const RESTORE: &str = "\
USAGE:
    shale-admin restore backup <backup-arn> <target-table> [--timeout <D>]
    shale-admin restore pitr <source-table> <target-table> (--time <T> | --latest) [--timeout <D>]

`shale-admin restore <subcommand> --help` for each.
";

    pub const RESTORE_BACKUP: &str = "\
USAGE:
    shale-admin restore backup <backup-arn> <target-table> [--timeout <D>]

Restores the backup into a new table (RestoreTableFromBackup), then polls
DescribeTable until the table is ACTIVE, showing progress on stderr.

OPTIONS:
    --timeout <D>    how long to wait: 90s, 30m, 1h or seconds (default 1h, at most
                     7 days). Past it the command exits 1; the restore goes on.
";

    pub const RESTORE_PITR: &str = "\
USAGE:
    shale-admin restore pitr <source-table> <target-table> (--time <T> | --latest) [--timeout <D>]

Restores <source-table> as it was at a point in time into a new table
(RestoreTableToPointInTime), then polls DescribeTable until it is ACTIVE, showing
progress on stderr. The source needs point-in-time recovery on.

OPTIONS:
    --time <T>       the time: RFC 3339 with an offset (2026-12-01T10:00:00Z,
                     2026-12-01T11:00:00+01:00) or epoch seconds (1796119200.5)
    --latest         the latest restorable time
    --timeout <D>    how long to wait: 90s, 30m, 1h or seconds (default 1h, at most
                     7 days). Past it the command exits 1; the restore goes on.
";

    pub const EXPORT: &str = "\
USAGE:
    shale-admin export <table> <dir-name> [--time <T>] [--prefix <P>] [--timeout <D>]

Exports the table (ExportTableToPointInTime, S3Bucket=<dir-name>, S3Prefix=<P>,
DYNAMODB_JSON) as of <T> (default: now), then polls DescribeExport until COMPLETED
or FAILED. The table needs point-in-time recovery on. A server without exports
answers that it does not implement the operation: that is printed, exit 1.

OPTIONS:
    --time <T>       RFC 3339 with an offset, or epoch seconds
    --prefix <P>     key prefix inside <dir-name>
    --timeout <D>    how long to wait (default 1h, at most 7 days)
";

    pub const IMPORT: &str = "\
USAGE:
    shale-admin import <dir-name> <new-table> --key <NAME:TYPE> [--sort-key <NAME:TYPE>]
                       [--prefix <P>] [--format <F>] [--timeout <D>]

Imports the data in <dir-name> into a new on-demand table (ImportTable,
S3BucketSource.S3Bucket=<dir-name>), then polls DescribeImport until COMPLETED or
FAILED. A server without imports answers that it does not implement the operation:
that is printed, exit 1.

OPTIONS:
    --key <NAME:TYPE>       the partition key; TYPE is S, N or B (required)
    --sort-key <NAME:TYPE>  the sort key, if any
    --prefix <P>            key prefix inside <dir-name>
    --format <F>            DYNAMODB_JSON (default; read as gzip, as exports write it),
                            ION or CSV (read uncompressed)
    --timeout <D>           how long to wait (default 1h, at most 7 days)
";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Invocation {
        match parse_args(args.iter().copied(), None) {
            Ok(Parsed::Run(i)) => i,
            other => panic!("expected a command for {args:?}, got {other:?}"),
        }
    }

    fn error(args: &[&str]) -> CliError {
        parse_args(args.iter().copied(), None).expect_err("a usage error")
    }

    #[test]
    fn defaults_and_global_flags_anywhere() {
        let i = run(&["backup", "list"]);
        assert_eq!(i.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(i.region, DEFAULT_REGION);
        assert_eq!(i.action, Action::BackupList { table: None });
        let i = run(&[
            "--endpoint",
            "http://10.0.0.1:9000",
            "backup",
            "list",
            "--region=eu-west-1",
            "--table",
            "T",
        ]);
        assert_eq!(i.endpoint, "http://10.0.0.1:9000");
        assert_eq!(i.region, "eu-west-1");
        assert_eq!(
            i.action,
            Action::BackupList {
                table: Some("T".into())
            }
        );
        let from_env = parse_args(["pitr", "status", "T"], Some("ap-south-1".into()));
        assert!(matches!(from_env, Ok(Parsed::Run(i)) if i.region == "ap-south-1"));
    }

    #[test]
    fn restores_take_a_point_and_a_timeout() {
        let i = run(&["restore", "pitr", "A", "B", "--latest"]);
        assert_eq!(
            i.action,
            Action::RestorePitr {
                source: "A".into(),
                target: "B".into(),
                point: RestorePoint::Latest,
                timeout: DEFAULT_TIMEOUT,
            }
        );
        let i = run(&[
            "restore",
            "pitr",
            "A",
            "B",
            "--time",
            "2024-12-01T10:00:00Z",
            "--timeout",
            "90s",
        ]);
        assert_eq!(
            i.action,
            Action::RestorePitr {
                source: "A".into(),
                target: "B".into(),
                point: RestorePoint::At(1_733_047_200.0),
                timeout: Duration::from_secs(90),
            }
        );
        let i = run(&["restore", "backup", "arn:x", "B"]);
        assert_eq!(
            i.action,
            Action::RestoreBackup {
                arn: "arn:x".into(),
                target: "B".into(),
                timeout: DEFAULT_TIMEOUT
            }
        );
    }

    #[test]
    fn import_needs_a_key() {
        let i = run(&["import", "dir", "T", "--key", "pk:S", "--sort-key", "sk:n"]);
        let Action::Import {
            key,
            sort_key,
            format,
            ..
        } = i.action
        else {
            panic!("{:?}", i.action)
        };
        assert_eq!(key.attribute_name, "pk");
        assert_eq!(
            sort_key.map(|k| k.attribute_type),
            Some(ScalarAttributeType::N)
        );
        assert_eq!(format, "DYNAMODB_JSON");
        assert!(matches!(
            error(&["import", "dir", "T"]),
            CliError::FlagRequired { .. }
        ));
        assert!(matches!(
            error(&["import", "dir", "T", "--key", "pk"]),
            CliError::InvalidValue { .. }
        ));
    }

    #[test]
    fn help_names_the_command_asked_about() {
        let help = |args: &[&str]| match parse_args(args.iter().copied(), None) {
            Ok(Parsed::Help(text)) => text,
            other => panic!("{other:?}"),
        };
        assert_eq!(help(&["--help"]), usage::MAIN);
        assert_eq!(help(&["-h"]), usage::MAIN);
        assert_eq!(help(&["backup", "--help"]), usage::BACKUP);
        assert_eq!(help(&["restore", "pitr", "-h"]), usage::RESTORE_PITR);
        // Help needs no operands, and wins over flags that do not apply.
        assert_eq!(help(&["backup", "create", "--help"]), usage::BACKUP_CREATE);
        assert_eq!(help(&["export", "--help", "--latest"]), usage::EXPORT);
    }

    #[test]
    fn bad_command_lines_are_typed_errors() {
        assert_eq!(error(&[]), CliError::MissingCommand);
        assert_eq!(
            error(&["backups"]),
            CliError::UnknownCommand {
                command: "backups".into()
            }
        );
        assert!(matches!(
            error(&["backup"]),
            CliError::MissingSubcommand {
                group: "backup",
                ..
            }
        ));
        assert_eq!(
            error(&["backup", "create", "T"]),
            CliError::MissingOperand {
                command: "backup create",
                operand: "<name>"
            }
        );
        assert_eq!(
            error(&["pitr", "status", "T", "U"]),
            CliError::UnexpectedArgument { arg: "U".into() }
        );
        assert_eq!(
            error(&["pitr", "status", "T", "--days", "3"]),
            CliError::FlagNotApplicable {
                flag: "--days".into(),
                command: "pitr status"
            }
        );
        assert!(matches!(
            error(&["restore", "pitr", "A", "B"]),
            CliError::FlagRequired { .. }
        ));
        assert!(matches!(
            error(&["restore", "pitr", "A", "B", "--latest", "--time", "5"]),
            CliError::FlagRequired { .. }
        ));
        assert!(matches!(
            error(&["restore", "pitr", "A", "B", "--time", "noon"]),
            CliError::InvalidValue { .. }
        ));
        assert!(matches!(
            error(&["restore", "pitr", "A", "B", "--latest=yes"]),
            CliError::UnexpectedValue { .. }
        ));
        assert!(matches!(
            error(&["pitr", "enable", "T", "--days"]),
            CliError::MissingValue { .. }
        ));
        assert!(matches!(
            error(&["pitr", "enable", "T", "--days", "a week"]),
            CliError::InvalidValue { .. }
        ));
        assert!(matches!(
            error(&["--endpoint", "https://x", "backup", "list"]),
            CliError::InvalidValue { .. }
        ));
        assert!(matches!(
            error(&["backup", "list", "--verbose"]),
            CliError::UnknownFlag { .. }
        ));
        assert!(matches!(
            error(&["backup", "list", "-v"]),
            CliError::UnknownFlag { .. }
        ));
        let long = "x".repeat(MAX_ARG_BYTES + 1);
        assert!(matches!(
            error(&["pitr", "status", &long]),
            CliError::TooLong { .. }
        ));
    }

    #[test]
    fn double_dash_ends_the_flags() {
        let i = run(&["pitr", "status", "--", "-odd-name"]);
        assert_eq!(
            i.action,
            Action::PitrStatus {
                table: "-odd-name".into()
            }
        );
    }
}
