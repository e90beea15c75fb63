//! A blocking HTTP/1.1 client for loopback peers (chromedriver, `vidpush-server`): one request
//! per connection, answers read by `Content-Length` or chunk by chunk. The benchmark is
//! synchronous and only ever talks to 127.0.0.1, so no async runtime or TLS is built for it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long one request may take. chromedriver's slowest answer here is a page load or a script
/// waiting for the page, which the scripts themselves bound well below this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A connection with a request ready to be sent: connecting is done before the caller takes a
/// timestamp, so the TCP handshake is not part of what is measured.
pub struct PendingRequest {
    stream: TcpStream,
    bytes: Vec<u8>,
}

impl PendingRequest {
    /// Connects to `addr` and prepares `method path` with `headers` and `body`.
    pub fn new(
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT)?;
        stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
        stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
        stream.set_nodelay(true)?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        Ok(Self { stream, bytes })
    }

    /// Sends the request and returns the status code and the body.
    pub fn send(mut self) -> std::io::Result<(u16, String)> {
        self.stream.write_all(&self.bytes)?;
        read_response(&mut self.stream)
    }
}

/// Sends one request and returns the status code and the body.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    PendingRequest::new(addr, method, path, headers, body)?.send()
}

/// Reads one answer. chromedriver leaves the connection open even after answering
/// `Connection: close`, so the body is read by its length rather than to the end of the stream.
fn read_response(stream: &mut TcpStream) -> std::io::Result<(u16, String)> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut received: Vec<u8> = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    let header_end = loop {
        if let Some(end) = find(&received, b"\r\n\r\n") {
            break end;
        }
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            return Err(invalid("the peer closed the connection before answering"));
        }
        received.extend_from_slice(&buffer[..read]);
    };
    let head = String::from_utf8_lossy(&received[..header_end]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("the answer has no status code"))?;
    let header = |name: &str| {
        head.lines()
            .find_map(|line| line.strip_prefix(name).map(|value| value.trim().to_owned()))
    };
    let body_start = header_end + 4;
    let chunked = header("transfer-encoding:").is_some_and(|value| value.contains("chunked"));
    let length: Option<usize> = header("content-length:").and_then(|value| value.parse().ok());
    loop {
        let body = &received[body_start..];
        let complete = match length {
            Some(length) => body.len() >= length,
            None if chunked => find(body, b"0\r\n\r\n").is_some(),
            None => false,
        };
        if complete {
            break;
        }
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..read]);
    }
    let mut body = &received[body_start..];
    if let Some(length) = length {
        body = &body[..length.min(body.len())];
    }
    let body = String::from_utf8_lossy(body).into_owned();
    Ok((status, if chunked { dechunk(&body) } else { body }))
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The payload of a `Transfer-Encoding: chunked` body.
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size =
            usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}
