//! Accepting TCP connections and serving HTTP/1.1 on them, with the limits `axum::serve` lacks:
//! a request head must arrive whole within the head timeout (a silent or byte-a-second client
//! is cut off), and one IP may hold only so many connections whose first request head is not
//! in yet. Graceful shutdown stops accepting, asks every connection to finish the request it is
//! on, and waits for them all.
//!
//! Owns the accept loop and each connection's task. Errors of one connection are logged in its
//! task and never reach the loop. It knows nothing of routes: every request goes to the router.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

/// How long the accept loop pauses after a failed accept (most often: out of file
/// descriptors), so it does not spin while connections close and free some.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// What a connection may cost before it has sent a request.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Longest wait for a whole request head, from the connection's start or from the end of
    /// its previous request; then the connection is closed.
    pub head_timeout: Duration,
    /// Most connections one IP may have open whose first request head is not in yet; more
    /// are closed at once.
    pub max_unfinished_heads_per_ip: usize,
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets every connection finish
/// its request and returns once all are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let heads = UnfinishedHeads::default();
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection task holds a receiver; `closed()` resolves when the last one is gone.
    let (alive_tx, alive_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "could not accept a connection");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        // Pushed events are small WebSocket frames written one at a time: with Nagle's
        // algorithm on, each waited for the client's (delayed) ACK of the one before, which
        // cost a page receiving shots a few milliseconds apart about 20 ms a shot.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not turn Nagle's algorithm off");
        }
        let Some(head) = heads.enter(peer.ip(), limits.max_unfinished_heads_per_ip) else {
            tracing::debug!(ip = %peer.ip(), "too many connections without a request from this address; closed");
            continue;
        };
        let connection = Connection {
            router: router.clone(),
            peer,
            head_timeout: limits.head_timeout,
            stop: stop_rx.clone(),
            _alive: alive_rx.clone(),
        };
        tokio::spawn(connection.run(stream, head));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(alive_rx);
    alive_tx.closed().await;
}

/// One accepted connection and what its task needs.
struct Connection {
    /// Where its requests go.
    router: Router,
    /// The client's address, handed to handlers as `ConnectInfo`.
    peer: SocketAddr,
    /// See [`ConnectionLimits::head_timeout`].
    head_timeout: Duration,
    /// Turns true when the server shuts down.
    stop: watch::Receiver<bool>,
    /// Dropped when the task ends: shutdown waits for every one.
    _alive: watch::Receiver<()>,
}

impl Connection {
    /// Serves requests until the client or the server closes; a WebSocket upgrade continues
    /// in the gateway's own task.
    async fn run(mut self, stream: TcpStream, head: HeadInFlight) {
        let head = Mutex::new(Some(head));
        let (router, peer) = (self.router, self.peer);
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            // The first head is in: this connection no longer counts against its IP.
            head.lock().unwrap_or_else(|p| p.into_inner()).take();
            request.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            async move {
                match router.oneshot(request).await {
                    Ok(response) => Ok::<_, Infallible>(response),
                    Err(never) => match never {},
                }
            }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.head_timeout)
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        tokio::pin!(connection);
        let mut stopping = false;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%peer, %error, "connection ended with an error");
                    }
                    return;
                }
                _ = self.stop.wait_for(|stop| *stop), if !stopping => {
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Per IP, the connections whose first request head has not arrived yet.
#[derive(Clone, Default)]
struct UnfinishedHeads(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// Counts one connection against its IP until its first head is in or it closes.
struct HeadInFlight {
    /// The table to leave on drop.
    heads: UnfinishedHeads,
    /// The IP counted.
    ip: IpAddr,
}

impl UnfinishedHeads {
    /// Counts a new connection from `ip`, or refuses when that IP already has `max`.
    fn enter(&self, ip: IpAddr, max: usize) -> Option<HeadInFlight> {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(ip).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(HeadInFlight {
            heads: self.clone(),
            ip,
        })
    }
}

impl Drop for HeadInFlight {
    fn drop(&mut self) {
        let mut counts = self.heads.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            // Forget IPs with nothing in flight, so the table only holds current ones.
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ip_gets_only_so_many_unfinished_heads_and_frees_them_when_done() {
        let heads = UnfinishedHeads::default();
        let ip: IpAddr = [10, 0, 0, 1].into();
        let first = heads.enter(ip, 2).unwrap();
        let _second = heads.enter(ip, 2).unwrap();
        assert!(heads.enter(ip, 2).is_none());
        assert!(heads.enter([10, 0, 0, 2].into(), 2).is_some());
        drop(first);
        assert!(heads.enter(ip, 2).is_some());
    }
}
