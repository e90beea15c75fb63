//! Shared test harness: the real gateway router served by axum on `127.0.0.1:0`, a real
//! WebSocket client, a minimal HTTP client for `@connections`, and route handlers that report
//! what they saw as events the tests wait on (never sleeps).

#![allow(dead_code)] // Each test file uses a different part of the harness.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use vidpush_gateway::{Gateway, GatewayBuilder, GatewayConfig, RouteRequest, RouteResponse};

/// The management key every test gateway uses.
pub const KEY: &str = "test-management-key";

/// Longest any test waits for an event before failing; generous because the box is shared.
pub const WAIT: Duration = Duration::from_secs(10);

pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What a route handler saw.
#[derive(Debug, Clone)]
pub struct Event {
    pub route_key: String,
    pub request: RouteRequest,
}

/// A served gateway and the events of its routes.
pub struct TestGateway {
    pub addr: SocketAddr,
    pub gateway: Gateway,
    pub events: mpsc::UnboundedReceiver<Event>,
    pub dir: tempfile::TempDir,
}

/// A config with a fresh database in a temp dir.
pub fn config() -> (GatewayConfig, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temp dir can be created");
    let config = GatewayConfig::new(dir.path().join("gateway.db"), KEY);
    (config, dir)
}

/// Routes every test gateway has: `$connect`, `$disconnect` and `$default` report events,
/// `whoami` replies with the connection id, `echo` replies with the body.
pub fn standard_routes(
    builder: GatewayBuilder,
    with_default: bool,
) -> (GatewayBuilder, mpsc::UnboundedReceiver<Event>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let report = |tx: mpsc::UnboundedSender<Event>| {
        move |request: RouteRequest| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(Event {
                    route_key: request.route_key.clone(),
                    request,
                });
                RouteResponse::ok()
            }
        }
    };
    let mut builder = builder
        .route("$connect", report(tx.clone()))
        .route("$disconnect", report(tx.clone()))
        .route("whoami", |r: RouteRequest| async move {
            RouteResponse::reply(r.connection_id.to_string())
        })
        .route("echo", |r: RouteRequest| async move {
            RouteResponse::reply(r.body.unwrap_or_default())
        });
    if with_default {
        builder = builder.route("$default", move |request: RouteRequest| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(Event {
                    route_key: request.route_key.clone(),
                    request,
                });
                RouteResponse::reply("default")
            }
        });
    }
    (builder, rx)
}

/// Serves `builder`'s gateway on a free loopback port.
pub async fn serve(
    builder: GatewayBuilder,
    events: mpsc::UnboundedReceiver<Event>,
    dir: tempfile::TempDir,
) -> TestGateway {
    let gateway = builder.build().expect("the test gateway builds");
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback has free ports");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let app = gateway
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    TestGateway {
        addr,
        gateway,
        events,
        dir,
    }
}

/// A gateway with `adjust`ed config and the standard routes (with `$default`).
pub async fn start(adjust: impl FnOnce(&mut GatewayConfig)) -> TestGateway {
    start_with(adjust, true).await
}

pub async fn start_with(
    adjust: impl FnOnce(&mut GatewayConfig),
    with_default: bool,
) -> TestGateway {
    let (mut config, dir) = config();
    adjust(&mut config);
    let (builder, events) = standard_routes(Gateway::builder(config), with_default);
    serve(builder, events, dir).await
}

impl TestGateway {
    pub fn url(&self, query: &str) -> String {
        format!("ws://{}/ws{query}", self.addr)
    }

    /// Connects, panicking on refusal.
    pub async fn connect(&self) -> Client {
        self.try_connect("", None)
            .await
            .expect("the handshake is accepted")
    }

    /// Connects with `query` and an optional Origin; a refusal comes back as its HTTP status.
    pub async fn try_connect(&self, query: &str, origin: Option<&str>) -> Result<Client, u16> {
        let mut request = self
            .url(query)
            .into_client_request()
            .expect("the URL is valid");
        request
            .headers_mut()
            .insert("user-agent", HeaderValue::from_static("gateway-tests/1"));
        if let Some(origin) = origin {
            request.headers_mut().insert(
                "origin",
                HeaderValue::from_str(origin).expect("origin is ASCII"),
            );
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((client, _)) => Ok(client),
            Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
            Err(other) => panic!("handshake failed without a status: {other}"),
        }
    }

    /// Connects and learns the connection id through the `whoami` route.
    pub async fn connect_with_id(&self) -> (Client, String) {
        let mut client = self.connect().await;
        client
            .send(Message::text(r#"{"action":"whoami"}"#))
            .await
            .expect("the socket is open");
        let id = next_text(&mut client).await;
        (client, id)
    }

    /// The next event of `route_key`, skipping others.
    pub async fn event(&mut self, route_key: &str) -> Event {
        tokio::time::timeout(WAIT, async {
            loop {
                let event = self
                    .events
                    .recv()
                    .await
                    .expect("the gateway keeps its routes");
                if event.route_key == route_key {
                    return event;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {route_key} event in time"))
    }

    /// `method /@connections/{id}` with `key` (None = no Authorization), returning status and
    /// body.
    pub async fn management(
        &self,
        method: &str,
        id: &str,
        key: Option<&str>,
        body: &[u8],
    ) -> (u16, String) {
        http(self.addr, method, &format!("/@connections/{id}"), key, body).await
    }
}

/// One HTTP/1.1 request with `Connection: close`; returns the status and body.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    let (status, _head, body) = http_with_head(addr, method, path, key, body).await;
    (status, body)
}

/// As [`http`], with the response head (status line and headers) as text too.
pub async fn http_with_head(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &[u8],
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).await.expect("the gateway listens");
    let auth = key
        .map(|k| format!("authorization: Bearer {k}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\n{auth}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("the request is written");
    // The server may answer 413 and close before reading a large body; that is fine.
    let _ = stream.write_all(body).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("an HTTP status line");
    let (head, body) = text
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_owned(), b.to_owned()))
        .unwrap_or_default();
    (status, head, body)
}

/// The next text message, failing on anything else.
pub async fn next_text(client: &mut Client) -> String {
    match next(client).await {
        Message::Text(text) => text.to_string(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// The next message of any kind.
pub async fn next(client: &mut Client) -> Message {
    tokio::time::timeout(WAIT, client.next())
        .await
        .expect("a message arrives in time")
        .expect("the stream is open")
        .expect("the frame is valid")
}

/// Reads until the server's close frame and returns it (code, reason).
pub async fn close_frame(client: &mut Client) -> (u16, String) {
    tokio::time::timeout(WAIT, async {
        while let Some(message) = client.next().await {
            match message {
                Ok(Message::Close(Some(CloseFrame { code, reason }))) => {
                    return (u16::from(code), reason.to_string());
                }
                Ok(Message::Close(None)) => return (1005, String::new()),
                Ok(_) => continue,
                Err(error) => panic!("the stream failed before a close frame: {error}"),
            }
        }
        panic!("the stream ended without a close frame")
    })
    .await
    .expect("the close frame arrives in time")
}
