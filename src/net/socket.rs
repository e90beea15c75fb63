//! The page's one WebSocket: connect, resubscribe, keep alive, renew before the gateway's
//! lifetime limit, and reconnect with backoff when it drops. Decisions (delays, what a refusal
//! means, which events apply) come from `backoff`, `connection` and `store`.

use crate::backoff::Backoff;
use crate::connection::{ConnectionState, diagnose};
use crate::net::{http, now_ms, random, sleep, sleep_unless_woken, upload_control};
use crate::store::{Outbox, Store};
use futures::future::{FutureExt, poll_fn};
use futures::{SinkExt, StreamExt, pin_mut, select};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, State, WebSocketError};
use leptos::prelude::*;
use std::pin::Pin;
use std::time::Duration;
use vidpush_protocol::limits::{KEEPALIVE_INTERVAL, RENEW_CONNECTION_AFTER};
use vidpush_protocol::web;
use vidpush_protocol::{ClientAction, ServerMessage};

/// How long to wait before checking again when the browser says it is offline or the server
/// refuses this page outright.
const OFFLINE_RECHECK: Duration = Duration::from_secs(30);

/// Opens a socket and waits until it is open. `None` when the handshake failed.
async fn open(url: &str) -> Option<WebSocket> {
    let mut ws = WebSocket::open(url).ok()?;
    let _ = poll_fn(|cx| futures::Sink::<Message>::poll_ready(Pin::new(&mut ws), cx)).await;
    matches!(ws.state(), State::Open).then_some(ws)
}

/// Waits `delay` before the next attempt, or less when the person asks to retry now or the
/// browser comes back online.
async fn wait(store: Store, delay: Duration) {
    sleep_unless_woken(delay, store.retry_requested()).await;
}

fn browser_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Runs the connection for the life of the page.
pub async fn run(store: Store, mut outbox: Outbox) {
    let mut backoff = Backoff::default();
    let mut reason = String::new();
    // Whether the page was live before: then a loss and each return are announced.
    let mut was_live = false;
    loop {
        let endpoints = store.endpoints.get_untracked();
        if backoff.attempt() == 0 && reason.is_empty() {
            store.connection.set(ConnectionState::Connecting);
        }
        match open(&endpoints.socket_url()).await {
            Some(ws) => {
                backoff.reset();
                if was_live {
                    store.announce("The live connection is back.".into());
                }
                // Uploads that failed while the server was away need not wait out their backoff.
                upload_control::retry_waiting_now();
                reason = session(store, ws, &mut outbox).await;
                store.announce("The live connection was lost; reconnecting.".into());
                was_live = true;
            }
            None if !browser_online() => {
                store.connection.set(ConnectionState::Offline {
                    reason: "This device is offline; the page reconnects when the network is back."
                        .into(),
                });
                wait(store, Duration::from_secs(1)).await;
                continue;
            }
            None => {
                let diagnosis = diagnose(http::connect_check(&endpoints).await.as_ref());
                if !diagnosis.retry {
                    store.connection.set(ConnectionState::Offline {
                        reason: diagnosis.reason,
                    });
                    wait(store, OFFLINE_RECHECK).await;
                    continue;
                }
                reason = diagnosis.reason;
            }
        }
        let delay = backoff.next_delay(random());
        store.connection.set(ConnectionState::Reconnecting {
            attempt: backoff.attempt(),
            retry_at_ms: now_ms() + delay.as_millis() as f64,
            reason: reason.clone(),
        });
        wait(store, delay).await;
    }
}

/// What woke the session loop.
enum Input {
    Frame(Option<Result<Message, WebSocketError>>),
    Action(ClientAction),
    Ping,
    Renew,
}

/// Serves one open socket until it closes; returns why it closed.
async fn session(store: Store, ws: WebSocket, outbox: &mut Outbox) -> String {
    store.connection.set(ConnectionState::Live);
    let (mut tx, mut rx) = ws.split();
    for action in store.resubscriptions() {
        let _ = tx.send(Message::Text(web::encode(&action))).await;
    }
    let mut renew = Box::pin(sleep(RENEW_CONNECTION_AFTER)).fuse();
    // Reset after every message sent: the gateway's idle timer only counts client messages.
    let mut ping = Box::pin(sleep(KEEPALIVE_INTERVAL)).fuse();
    loop {
        let input = {
            let frame = rx.next().fuse();
            let action = outbox.next().fuse();
            pin_mut!(frame, action);
            select! {
                f = frame => Input::Frame(f),
                a = action => match a {
                    Some(a) => Input::Action(a),
                    None => return "The page is closing.".into(),
                },
                () = ping => Input::Ping,
                () = renew => Input::Renew,
            }
        };
        let outgoing = match input {
            Input::Frame(Some(Ok(Message::Text(text)))) => {
                match web::decode::<ServerMessage>(&text) {
                    Ok(message) => store.receive(message),
                    Err(error) => {
                        let head: String = text.chars().take(120).collect();
                        leptos::logging::warn!(
                            "ignoring a frame that is not a vidpush message ({error}): {head}"
                        );
                        None
                    }
                }
            }
            Input::Frame(Some(Ok(Message::Bytes(_)))) => None,
            Input::Frame(Some(Err(WebSocketError::ConnectionClose(close)))) => {
                return format!("The connection closed (code {}).", close.code);
            }
            Input::Frame(Some(Err(_))) | Input::Frame(None) => {
                return "The connection was lost.".into();
            }
            Input::Action(action) => Some(action),
            Input::Ping => Some(ClientAction::Ping),
            Input::Renew => {
                // Open the successor first so no pushed event falls between the two sockets;
                // events that reach both are dropped by `seq`.
                let endpoints = store.endpoints.get_untracked();
                match open(&endpoints.socket_url()).await {
                    Some(fresh) => {
                        let (fresh_tx, fresh_rx) = fresh.split();
                        let old = std::mem::replace(&mut tx, fresh_tx);
                        rx = fresh_rx;
                        drop(old);
                        for action in store.resubscriptions() {
                            let _ = tx.send(Message::Text(web::encode(&action))).await;
                        }
                        renew = Box::pin(sleep(RENEW_CONNECTION_AFTER)).fuse();
                    }
                    None => renew = Box::pin(sleep(Duration::from_secs(30))).fuse(),
                }
                None
            }
        };
        if let Some(action) = outgoing {
            if tx.send(Message::Text(web::encode(&action))).await.is_err() {
                return "The connection was lost while sending.".into();
            }
            ping = Box::pin(sleep(KEEPALIVE_INTERVAL)).fuse();
        }
    }
}
