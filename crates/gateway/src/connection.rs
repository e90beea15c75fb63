//! The task of one open connection: it owns the socket, reads client messages and routes them,
//! writes queued posts in order, enforces the limits and timeouts, and runs `$disconnect` after
//! any close.
//!
//! State is kept small on purpose (one timer, no per-connection channels or buffers beyond the
//! socket's own) because the gateway holds tens of thousands of these. Errors of one connection
//! are logged here and go no further.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::SinkExt;
use tokio::time::{Instant, sleep_until};

use crate::close_code::*;
use crate::registry::{Entry, Slot};
use crate::route::CloseInfo;
use crate::selection::{self, Selection};
use crate::shared::Inner;
use crate::timestamp::now_millis;

/// How long to wait for the client's answer to our close frame before dropping the socket.
const CLOSE_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(2);

/// After a read error (oversized frame, bad UTF-8, protocol violation) tungstenite reads nothing
/// more, so unread bytes may remain in the kernel buffer, and closing the socket would answer
/// with a TCP reset that can overtake our close frame. Waiting this long first gives the client
/// time to read the 1009, 1007 or 1002.
const READ_ERROR_CLOSE_LINGER: Duration = Duration::from_millis(500);

/// Runs the connection from its first frame until `$disconnect` has run.
#[tracing::instrument(name = "connection", skip_all, fields(id = %entry.id))]
pub(crate) async fn run(gateway: Arc<Inner>, entry: Arc<Entry>, mut socket: WebSocket, slot: Slot) {
    let closed = if gateway.registry.insert(Arc::clone(&entry)) {
        gateway.store.insert(crate::store::Row {
            id: entry.id.clone(),
            connected_at: entry.connected_at,
            source_ip: entry.identity.source_ip.to_string(),
            user_agent: entry.identity.user_agent.clone(),
        });
        let closed = serve(&gateway, &entry, &mut socket).await;
        gateway.registry.remove(&entry.id);
        gateway.store.delete(entry.id.clone());
        closed
    } else {
        // Shutdown started while this connection was in `$connect`.
        close(
            &entry,
            &mut socket,
            CLOSE_GOING_AWAY,
            "the gateway is shutting down",
            false,
        )
        .await
    };
    tracing::debug!(connection = %entry.id, code = closed.code, "connection closed");
    drop(socket);
    disconnect(&gateway, &entry, closed).await;
    drop(slot);
}

/// Runs `$disconnect` (if registered) for a connection that closed as `closed`. Also used when
/// `$connect` accepted but the upgrade never completed, so the backend hears about every
/// connection it was told about.
pub(crate) async fn disconnect(gateway: &Inner, entry: &Entry, closed: CloseInfo) {
    if let Some(handler) = gateway.routes.get(selection::DISCONNECT) {
        let request = gateway.request(entry, selection::DISCONNECT, None, Some(closed));
        handler.call(request).await;
    }
}

/// Reads, writes and times the connection until it closes; returns how it closed.
async fn serve(gateway: &Inner, entry: &Entry, socket: &mut WebSocket) -> CloseInfo {
    let config = &gateway.config;
    let retire_at = Instant::now() + config.max_lifetime;
    let mut idle_since = Instant::now();
    let timer = sleep_until(retire_at.min(idle_since + config.idle_timeout));
    tokio::pin!(timer);
    loop {
        tokio::select! {
            // Writes first: a busy client must not starve pushes.
            biased;
            () = entry.wake.notified() => {
                let (messages, close_request) = entry.take();
                if let Err(closed) = deliver(entry, socket, messages).await {
                    return closed;
                }
                if let Some(request) = close_request {
                    return close(entry, socket, request.code, &request.reason, false).await;
                }
            }
            received = socket.recv() => {
                let message = match received {
                    Some(Ok(message)) => message,
                    Some(Err(error)) => return read_failed(entry, socket, error).await,
                    None => return dropped(),
                };
                match message {
                    Message::Text(text) => {
                        idle_since = Instant::now();
                        entry.touch(now_millis());
                        route(gateway, entry, text.as_str()).await;
                    }
                    Message::Binary(_) => {
                        return close(entry, socket, CLOSE_UNSUPPORTED, "binary frames are not supported", false).await;
                    }
                    Message::Close(frame) => return closed_by_client(entry, socket, frame).await,
                    // tungstenite answers pings itself; neither counts as a message (AWS's idle
                    // timer is about messages).
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            }
            () = &mut timer => {
                let now = Instant::now();
                if now >= retire_at {
                    return close(entry, socket, CLOSE_GOING_AWAY, "connection lifetime exceeded", false).await;
                }
                if now >= idle_since + config.idle_timeout {
                    return close(entry, socket, CLOSE_GOING_AWAY, "idle timeout", false).await;
                }
                // A message arrived since the timer was set: re-arm instead of resetting the
                // timer on every message.
                timer.as_mut().reset(retire_at.min(idle_since + config.idle_timeout));
            }
        }
    }
}

/// Runs the route a text message selects and queues its reply.
async fn route(gateway: &Inner, entry: &Entry, text: &str) {
    let selected = selection::select_route(
        text,
        |key| gateway.routes.contains_key(key),
        gateway.routes.contains_key(selection::DEFAULT),
    );
    let key = match &selected {
        Selection::Route(key) => key.as_str(),
        Selection::Default => selection::DEFAULT,
        Selection::Forbidden => {
            let request_id = crate::id::new_request_id();
            let _ = entry.push(crate::management::forbidden_reply(&entry.id, &request_id).into());
            return;
        }
    };
    let handler = gateway
        .routes
        .get(key)
        .expect("select_route only picks registered routes");
    let request = gateway.request(entry, key, Some(text.to_owned()), None);
    if let crate::route::RouteResponse::Reply(reply) = handler.call(request).await {
        // Gone only if a close was requested meanwhile; then the reply has nobody to go to.
        let _ = entry.push(reply.into());
    }
}

/// Writes `messages` to the socket. A client that does not read makes the write wait on a full
/// socket buffer, so a close requested meanwhile is watched for: a slow-reader close (the
/// client is not reading; a close frame could not reach it either) drops the socket at once,
/// any other close gives the write [`CLOSE_HANDSHAKE_TIMEOUT`] to finish first.
async fn deliver(
    entry: &Entry,
    socket: &mut WebSocket,
    messages: VecDeque<Bytes>,
) -> Result<(), CloseInfo> {
    let write = async {
        for message in messages {
            // Text when it is UTF-8 (checked without copying; cloning `Bytes` only counts a
            // reference), as AWS sends posts.
            let frame = match axum::extract::ws::Utf8Bytes::try_from(message.clone()) {
                Ok(text) => Message::Text(text),
                Err(_) => Message::Binary(message),
            };
            socket.feed(frame).await?;
        }
        socket.flush().await
    };
    tokio::pin!(write);
    let mut woken = false;
    let mut give_up_at: Option<(Instant, CloseInfo)> = None;
    loop {
        let deadline = sleep_until(give_up_at.as_ref().map_or_else(far_future, |(at, _)| *at));
        tokio::select! {
            biased;
            written = &mut write => {
                if woken {
                    // The wake-up taken here was for the main loop: give it back.
                    entry.wake.notify_one();
                }
                return written.map_err(|_| dropped());
            }
            () = entry.wake.notified() => {
                woken = true;
                match entry.close_requested() {
                    Some(close) if close.code == SLOW_READER_CLOSE => return Err(close),
                    Some(close) if give_up_at.is_none() => {
                        give_up_at = Some((Instant::now() + CLOSE_HANDSHAKE_TIMEOUT, close));
                    }
                    _ => {}
                }
            }
            () = deadline => {
                let (_, close) = give_up_at.take().expect("the deadline is armed only with a close");
                return Err(close);
            }
        }
    }
}

/// A deadline that never comes in practice, for a timer that is not armed.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(365 * 24 * 60 * 60)
}

/// Sends a close frame and waits (bounded) for the client's answer. `linger` is for closes after
/// a read error, when the read side can no longer be parsed and no answer can be seen.
async fn close(
    entry: &Entry,
    socket: &mut WebSocket,
    code: u16,
    reason: &str,
    linger: bool,
) -> CloseInfo {
    // From here on the connection is closing: gone to every `@connections` verb (as on AWS),
    // though it stays registered until the handshake below ends. Err means a close was already
    // requested, so the connection is marked already.
    let _ = entry.request_close(code, reason);
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    // Bounded: a client that does not read leaves no room for the close frame either.
    let sent = tokio::time::timeout(
        CLOSE_HANDSHAKE_TIMEOUT,
        socket.send(Message::Close(Some(frame))),
    )
    .await;
    if matches!(sent, Ok(Ok(()))) {
        if linger {
            tokio::time::sleep(READ_ERROR_CLOSE_LINGER).await;
        } else {
            // The client answers with its own close frame; after it the stream ends.
            let _ = tokio::time::timeout(CLOSE_HANDSHAKE_TIMEOUT, async {
                while let Some(Ok(_)) = socket.recv().await {}
            })
            .await;
        }
    }
    CloseInfo {
        code,
        reason: reason.to_owned(),
    }
}

/// The client closed: tungstenite has queued the echo; let it go out, then report the client's
/// code.
async fn closed_by_client(
    entry: &Entry,
    socket: &mut WebSocket,
    frame: Option<CloseFrame>,
) -> CloseInfo {
    let closed = match frame {
        Some(frame) => CloseInfo {
            code: frame.code,
            reason: frame.reason.to_string(),
        },
        None => CloseInfo {
            code: CLOSE_NO_STATUS,
            reason: String::new(),
        },
    };
    // Closing, so gone to `@connections` while the echo goes out (see `close`).
    let _ = entry.request_close(closed.code, &closed.reason);
    let _ = tokio::time::timeout(CLOSE_HANDSHAKE_TIMEOUT, socket.flush()).await;
    closed
}

/// A read error: oversize (1009), bad UTF-8 (1007), protocol violation (1002) or a dead socket.
async fn read_failed(entry: &Entry, socket: &mut WebSocket, error: axum::Error) -> CloseInfo {
    use tungstenite::error::{Error as WsError, ProtocolError};
    let inner = error.into_inner();
    let Some(error) = inner.downcast_ref::<WsError>() else {
        return dropped();
    };
    match error {
        WsError::Capacity(_) => close(entry, socket, CLOSE_TOO_BIG, "message too big", true).await,
        WsError::Utf8(_) => {
            close(
                entry,
                socket,
                CLOSE_INVALID_DATA,
                "text is not valid UTF-8",
                true,
            )
            .await
        }
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => dropped(),
        WsError::Protocol(_) => {
            close(entry, socket, CLOSE_PROTOCOL_ERROR, "protocol error", true).await
        }
        _ => dropped(),
    }
}

pub(crate) fn dropped() -> CloseInfo {
    CloseInfo {
        code: CLOSE_ABNORMAL,
        reason: "connection dropped".into(),
    }
}
