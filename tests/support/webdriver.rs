//! A blocking HTTP/1.1 client for chromedriver on 127.0.0.1, for the places where async cannot
//! go: waiting for chromedriver to answer before fantoccini connects, and `Drop` (failure
//! screenshot, closing the session so Chromium does not outlive the test).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// How long one request may take; chromedriver answers these in milliseconds.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends one request to chromedriver and returns the status code and the JSON body.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT)?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    // chromedriver refuses HTTP/1.0, and it leaves the connection open even after answering
    // `Connection: close`, so the answer is read by its length (see `read_response`).
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let (status, body) = read_response(&mut stream)?;
    let json = serde_json::from_str(&body).unwrap_or(Value::Null);
    Ok((status, json))
}

/// Whether chromedriver on `port` answers `/status` with `ready: true`.
pub fn is_ready(port: u16) -> bool {
    matches!(
        request(port, "GET", "/status", None),
        Ok((200, body)) if body["value"]["ready"] == Value::Bool(true)
    )
}

/// A PNG screenshot of the session's current page.
pub fn screenshot(port: u16, session: &str) -> Option<Vec<u8>> {
    let (status, body) =
        request(port, "GET", &format!("/session/{session}/screenshot"), None).ok()?;
    if status != 200 {
        return None;
    }
    decode_base64(body["value"].as_str()?)
}

/// The browser console messages logged since the last call (needs `goog:loggingPrefs`).
pub fn console_log(port: u16, session: &str) -> Vec<String> {
    let body = serde_json::json!({ "type": "browser" });
    let Ok((200, answer)) = request(
        port,
        "POST",
        &format!("/session/{session}/se/log"),
        Some(&body),
    ) else {
        return Vec::new();
    };
    answer["value"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|entry| {
                    format!(
                        "{} {}",
                        entry["level"].as_str().unwrap_or("?"),
                        entry["message"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Ends the session, which closes Chromium.
pub fn delete_session(port: u16, session: &str) {
    // Best effort: chromedriver may already be gone, and then so is Chromium.
    let _ = request(port, "DELETE", &format!("/session/{session}"), None);
}

/// Reads one answer: the status code and the body, by `Content-Length` or chunk by chunk.
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
            return Err(invalid(
                "chromedriver closed the connection before answering",
            ));
        }
        received.extend_from_slice(&buffer[..read]);
    };
    let head = String::from_utf8_lossy(&received[..header_end]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("chromedriver's answer has no status code"))?;
    let header = |name: &str| {
        head.lines().find_map(|line| {
            line.strip_prefix(name)
                .map(|value| value.trim().to_string())
        })
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

/// Standard base64 (with padding), as chromedriver encodes screenshots.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn value(byte: u8) -> Option<u32> {
        Some(match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let clean: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut bits = 0u32;
        for (i, &byte) in chunk.iter().enumerate() {
            bits |= value(byte)? << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}
