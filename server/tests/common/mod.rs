//! Shared by the server's integration tests: start the real `shale-server` binary on a
//! free port and talk to it over raw HTTP/1.1.
#![allow(dead_code)] // each test file uses a different subset

pub mod http;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// When this environment variable is set (to anything but `0`), as `.ci/run` sets it, a
/// test whose client tool (`aws`, boto3) is missing fails instead of skipping: CI installs
/// the tools, so a missing one there is a broken setup, not a reason to pass.
pub const REQUIRE_CLIENTS_ENV: &str = "SHALE_REQUIRE_CLIENTS";

/// How long the server may take to print its address. It starts in milliseconds; the
/// margin is for a loaded CI machine.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// The announcement the binary prints on stdout.
const ANNOUNCE_PREFIX: &str = "shale-server listening on http://";

/// A running `shale-server` child. Killed on drop if still running.
pub struct Server {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
}

impl Server {
    /// Starts the binary with `--port 0` plus `args`, and waits for its address.
    pub fn start(args: &[&str]) -> Server {
        Self::start_in(args, None)
    }

    /// As [`Server::start`], with the working directory set.
    pub fn start_in(args: &[&str], cwd: Option<&Path>) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_shale-server"));
        cmd.env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stderr(Stdio::inherit());
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        Self::spawn(cmd, args)
    }

    /// As [`Server::start`], with `RUST_LOG` set to `filter` and the log (stderr) written
    /// to `log_file`.
    pub fn start_logging(args: &[&str], filter: &str, log_file: &Path) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_shale-server"));
        cmd.env("RUST_LOG", filter)
            .stderr(std::fs::File::create(log_file).expect("create log file"));
        Self::spawn(cmd, args)
    }

    fn spawn(mut cmd: Command, args: &[&str]) -> Server {
        cmd.args(["--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn shale-server");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        // Reads every stdout line (so the pipe never fills) and forwards the first.
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent {
                    let _ = tx.send(line);
                    sent = true;
                }
            }
        });
        let line = match rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!("shale-server printed no address within {STARTUP_TIMEOUT:?}: {status:?}");
            }
        };
        let addr = line
            .strip_prefix(ANNOUNCE_PREFIX)
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .parse()
            .expect("address parses");
        Server { child, addr }
    }

    /// Starts an in-memory server.
    pub fn in_memory() -> Server {
        Self::start(&["--in-memory"])
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        self.signal("TERM");
    }

    /// Sends SIGINT, what Ctrl-C in a terminal sends.
    pub fn sigint(&self) {
        self.signal("INT");
    }

    /// Sends signal `name` (`TERM`, `INT`) through kill(1): the workspace forbids
    /// `unsafe`, and so `libc::kill`.
    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed: {status}");
    }

    /// Waits for the process to exit, polling up to `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Decides whether `test`, which needs `tool`, runs: `true` when the tool is `available`.
/// Otherwise it panics when [`REQUIRE_CLIENTS_ENV`] is set, or prints a `SKIPPED` notice
/// and returns `false`, so a bare `cargo test` on a machine without the tool still passes.
pub fn client_available(test: &str, tool: &str, available: bool) -> bool {
    if available {
        return true;
    }
    let required = std::env::var(REQUIRE_CLIENTS_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
    assert!(
        !required,
        "{test}: {tool} is not installed, and {REQUIRE_CLIENTS_ENV} is set (CI must install it)"
    );
    eprintln!(
        "SKIPPED {test}: {tool} is not installed (set {REQUIRE_CLIENTS_ENV}=1 to fail instead)"
    );
    false
}

/// Whether `python3` can import boto3 (the boto3 scenario tests' client), as
/// [`client_available`] decides for `test`: `false` means skip (or, under CI, fail).
pub fn require_boto3(test: &str) -> bool {
    require_python_module(test, "boto3")
}

/// Whether `python3` can import `module` (a client library: boto3, pynamodb), as
/// [`client_available`] decides for `test`.
pub fn require_python_module(test: &str, module: &str) -> bool {
    let found = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    client_available(test, &format!("python3 with {module}"), found)
}

/// Where the JavaScript SDKs are installed: `SHALE_NODE_MODULES` when set, else
/// `target/ci-node/node_modules` of this workspace (where `.ci/run` installs them).
pub fn node_modules_dir() -> std::path::PathBuf {
    match std::env::var_os("SHALE_NODE_MODULES") {
        Some(dir) => dir.into(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ci-node/node_modules"),
    }
}

/// Whether `node` can load `package` from [`node_modules_dir`], as [`client_available`]
/// decides for `test`.
pub fn require_node_package(test: &str, package: &str) -> bool {
    let found = Command::new("node")
        .args(["-e", &format!("require({package:?})")])
        .env("NODE_PATH", node_modules_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    client_available(test, &format!("node with {package}"), found)
}

/// Runs the Node script `script` (a path) against `url` with the SDKs of
/// [`node_modules_dir`], as [`run_boto3_script`] runs a Python one.
pub fn run_node_script(name: &str, script: &str, url: &str) -> String {
    let mut cmd = Command::new("timeout");
    cmd.args(["300", "node", "--no-warnings", script, url])
        .env("NODE_PATH", node_modules_dir());
    run_client_script(name, cmd)
}

/// Runs `shale-server` with `args` to completion (for flag-error tests), bounded.
pub fn run_to_exit(args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shale-server"));
    cmd.args(args);
    output_within(cmd, STARTUP_TIMEOUT, &format!("shale-server {args:?}"))
}

/// Runs `cmd` to completion with its output captured, killing it (and failing the test)
/// if it has not exited within `limit`.
pub fn output_within(mut cmd: Command, limit: Duration, what: &str) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{what} did not exit within {limit:?}");
}

/// Runs the boto3 script `script` (a path) with `args` under a 300 s `timeout`, with no
/// AWS configuration from the environment, and checks that it exits 0 and reports
/// "checks passed". Returns its stdout.
pub fn run_boto3_script(name: &str, script: &str, args: &[&str]) -> String {
    let mut cmd = Command::new("timeout");
    cmd.args(["300", "python3", script]).args(args);
    run_client_script(name, cmd)
}

/// Runs a client script's command (already bounded by `timeout`) with no AWS
/// configuration from the environment, and checks that it exits 0 and reports "checks
/// passed". Returns its stdout.
fn run_client_script(name: &str, mut cmd: Command) -> String {
    let out = cmd
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap_or_else(|e| panic!("run {name}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
    eprint!("{stdout}");
    stdout
}

/// Scrapes `/metrics` from the server at `addr` and checks that each of `series` (the
/// labels and the count, e.g. `{operation="GetItem",table="T",outcome="ok"} 1`) is a
/// `shale_requests_total` line. Returns the scrape.
pub fn assert_request_counts(addr: SocketAddr, series: &[&str]) -> String {
    let mut c = http::Client::connect(addr).expect("connect");
    let r = c.request("GET", "/metrics", &[], b"").expect("scrape");
    assert_eq!(r.status, 200);
    let text = String::from_utf8(r.body).expect("UTF-8 metrics");
    for s in series {
        assert!(
            text.contains(&format!("shale_requests_total{s}\n")),
            "{s}:\n{text}"
        );
    }
    text
}

/// Checks the headers every response carries (`X-Amz-Crc32`, the CRC32 of the exact body
/// bytes sent, compressed or not; a 52-character `x-amzn-RequestId`), then returns it.
pub fn checked(r: http::Response) -> http::Response {
    let crc: u32 = r
        .header("x-amz-crc32")
        .expect("X-Amz-Crc32 on every response")
        .parse()
        .expect("decimal CRC");
    assert_eq!(crc, crc32fast::hash(&r.body), "CRC of the bytes sent");
    let id = r.header("x-amzn-requestid").expect("x-amzn-RequestId");
    assert_eq!(id.len(), 52, "{id}");
    r
}

/// `body` gzip-compressed (one member).
pub fn gzip(body: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(body).expect("write to a Vec");
    e.finish().expect("finish a Vec")
}

/// `body` deflate-compressed, in HTTP's sense: a zlib stream.
pub fn deflate(body: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(body).expect("write to a Vec");
    e.finish().expect("finish a Vec")
}

/// `body` decoded from `coding` (`gzip`, several members allowed, or `deflate`).
pub fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    let mut out = Vec::new();
    match coding {
        "gzip" => flate2::read::MultiGzDecoder::new(body)
            .read_to_end(&mut out)
            .expect("valid gzip"),
        "deflate" => flate2::read::ZlibDecoder::new(body)
            .read_to_end(&mut out)
            .expect("valid deflate"),
        other => panic!("unexpected coding {other}"),
    };
    out
}

/// The peak resident set of process `pid` in bytes (`VmHWM`), on Linux.
pub fn peak_rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
