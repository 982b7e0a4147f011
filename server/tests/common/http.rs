//! A tiny blocking HTTP/1.1 client over `std::net::TcpStream` with keep-alive: enough to
//! send DynamoDB JSON-RPC requests and see every status, header and byte the server
//! returns (SDKs hide those). Shared by the integration tests and the load generator.
#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Response headers accepted before the response is declared malformed.
const MAX_HEADERS: usize = 64;
/// Longest status or header line accepted.
const MAX_LINE_BYTES: usize = 8192;
/// Largest response body accepted.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Socket read/write timeout: a hung server fails the test instead of hanging it.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// One response.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Headers in order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// A keep-alive connection.
pub struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> io::Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Client {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// A client on an already connected stream (whose caller may have written to it).
    pub fn from_stream(stream: TcpStream) -> io::Result<Client> {
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Client {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends a request and reads its response.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut buf = head.into_bytes();
        buf.extend_from_slice(body);
        self.writer.write_all(&buf)?;
        self.read_response()
    }

    /// Writes `raw` bytes as they are, without reading anything back.
    pub fn write_raw(&mut self, raw: &[u8]) -> io::Result<()> {
        self.writer.write_all(raw)?;
        self.writer.flush()
    }

    /// Writes `raw` bytes as they are (for malformed requests) and reads a response.
    pub fn send_raw(&mut self, raw: &[u8]) -> io::Result<Response> {
        self.writer.write_all(raw)?;
        self.read_response()
    }

    /// A DynamoDB call: `POST /` with `X-Amz-Target: DynamoDB_20120810.<operation>`.
    pub fn call(&mut self, operation: &str, body: &serde_json::Value) -> io::Result<Response> {
        let target = format!("DynamoDB_20120810.{operation}");
        self.request(
            "POST",
            "/",
            &[
                ("X-Amz-Target", &target),
                ("Content-Type", "application/x-amz-json-1.0"),
            ],
            body.to_string().as_bytes(),
        )
    }

    /// A DynamoDB call with a raw `body` and `headers` besides the target and the content
    /// type (`Content-Encoding`, `Accept-Encoding`, `Origin`, ...).
    pub fn call_raw(
        &mut self,
        operation: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        let target = format!("DynamoDB_20120810.{operation}");
        let mut all = vec![
            ("X-Amz-Target", target.as_str()),
            ("Content-Type", "application/x-amz-json-1.0"),
        ];
        all.extend_from_slice(headers);
        self.request("POST", "/", &all, body)
    }

    /// A second handle on the connection's socket, for writing from another thread while
    /// this one reads the response.
    pub fn try_clone_writer(&self) -> io::Result<TcpStream> {
        self.writer.try_clone()
    }

    fn read_line(&mut self) -> io::Result<String> {
        let mut line = Vec::new();
        let n = (&mut self.reader)
            .take(MAX_LINE_BYTES as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        if !line.ends_with(b"\n") {
            return Err(bad("line too long"));
        }
        let s = String::from_utf8(line).map_err(|_| bad("non-UTF-8 header"))?;
        Ok(s.trim_end_matches(['\r', '\n']).to_string())
    }

    /// Reads one response.
    pub fn read_response(&mut self) -> io::Result<Response> {
        let status_line = self.read_line()?;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("bad status line"))?;
        let mut headers = Vec::new();
        loop {
            let line = self.read_line()?;
            if line.is_empty() {
                break;
            }
            if headers.len() == MAX_HEADERS {
                return Err(bad("too many headers"));
            }
            let (name, value) = line.split_once(':').ok_or_else(|| bad("bad header"))?;
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map(|(_, v)| v.parse().map_err(|_| bad("bad content-length")))
            .transpose()?
            .ok_or_else(|| bad("no content-length"))?;
        if len > MAX_BODY_BYTES {
            return Err(bad("body too large"));
        }
        let mut body = vec![0u8; len];
        self.reader.read_exact(&mut body)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

fn bad(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}
