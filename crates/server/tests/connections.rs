//! What a connection may cost before its request is in, against the real server: silent and
//! slow request heads are cut off at the head timeout, and one IP gets only so many
//! connections without a finished request.

mod support;

use std::time::{Duration, Instant};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The head timeout the tests run with: short, so they are quick.
const HEAD_TIMEOUT: Duration = Duration::from_secs(1);

/// How much later than the head timeout a close may come on a busy test machine.
const SLACK: Duration = Duration::from_secs(2);

/// Waits for the server to close `stream`, reading (and ignoring) anything it sends first;
/// returns how long that took, or `None` if it stayed open for `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => continue,
            }
        }
    })
    .await
    .ok()
}

#[tokio::test]
async fn a_silent_connection_is_closed_at_the_head_timeout() {
    let server = TestServer::start(&["--head-timeout", "1"], ScriptedAnalyzer::new(1)).await;
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    let took = closed_within(&mut silent, HEAD_TIMEOUT + SLACK)
        .await
        .expect("the silent connection is closed");
    assert!(
        took >= HEAD_TIMEOUT - Duration::from_millis(100),
        "{took:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_websocket_handshake_sent_a_byte_at_a_time_is_closed_at_the_head_timeout() {
    let server = TestServer::start(&["--head-timeout", "1"], ScriptedAnalyzer::new(1)).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let handshake = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        server.addr
    );
    // A byte every 200 ms: each read is prompt, but the head would take ~30 s to finish.
    let slow = tokio::spawn(async move {
        for byte in handshake.into_bytes() {
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    let closed = tokio::time::timeout(HEAD_TIMEOUT + SLACK, async {
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "still open after {:?}: the trickle keeps it alive",
        started.elapsed()
    );
    slow.abort();
    server.stop().await;
}

#[tokio::test]
async fn one_address_gets_only_so_many_connections_without_a_request() {
    let server = TestServer::start(
        &["--head-timeout", "30", "--max-unfinished-heads-per-ip", "3"],
        ScriptedAnalyzer::new(1),
    )
    .await;
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let mut excess = TcpStream::connect(server.addr).await.unwrap();
    assert!(
        closed_within(&mut excess, SLACK).await.is_some(),
        "the fourth connection without a request is closed at once, long before the head timeout"
    );

    // A held connection that finishes its request no longer counts, and frees a place.
    let health = format!("GET /api/health HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr);
    silent[0].write_all(health.as_bytes()).await.unwrap();
    let mut answer = [0u8; 12];
    silent[0].read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    let mut next = TcpStream::connect(server.addr).await.unwrap();
    next.write_all(health.as_bytes()).await.unwrap();
    let mut answer = [0u8; 12];
    next.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    drop((silent, next));
    server.stop().await;
}
