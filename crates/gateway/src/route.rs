//! Route handlers, the gateway's "integrations": what they receive and what they may answer.
//!
//! A handler is like a Lambda function behind an API Gateway route: it gets one [`RouteRequest`]
//! and answers one [`RouteResponse`]. This module owns those shapes; it never decides which route
//! runs (that is [`crate::selection`]).

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use axum::http::StatusCode;

use crate::handshake::Principal;
use crate::id::ConnectionId;

/// A boxed, sendable future, as handlers return through the trait object.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Where a connection comes from, as AWS's `requestContext.identity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The peer's IP address.
    pub source_ip: IpAddr,
    /// The handshake's `User-Agent` header, empty when there was none.
    pub user_agent: String,
}

/// How a connection closed, given to `$disconnect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The WebSocket close code (1005 when the client closed without one, 1006 when the TCP
    /// connection dropped without a close frame).
    pub code: u16,
    /// The close reason text, possibly empty.
    pub reason: String,
}

/// One invocation of a route.
#[derive(Debug, Clone)]
pub struct RouteRequest {
    /// Which route runs: `$connect`, `$disconnect`, `$default` or a named route.
    pub route_key: String,
    /// The connection the event is about.
    pub connection_id: ConnectionId,
    /// A fresh id for this invocation, as AWS gives each one.
    pub request_id: String,
    /// The message text, for message routes; `None` for `$connect` and `$disconnect`.
    pub body: Option<String>,
    /// Where the connection comes from.
    pub identity: Identity,
    /// Who connected, when tokens are configured.
    pub principal: Option<Principal>,
    /// How the connection closed; only for `$disconnect`.
    pub disconnect: Option<CloseInfo>,
    /// When the connection was accepted, in milliseconds since the Unix epoch.
    pub connected_at: i64,
    /// What the handshake carried; only for `$connect`.
    pub handshake: Option<HandshakeRequest>,
}

/// The `$connect` request's headers and query string, as API Gateway hands them to a
/// `$connect` integration (which may check a token or an origin itself).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HandshakeRequest {
    /// Every header, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The query string's parameters, decoded.
    pub query: Vec<(String, String)>,
}

/// Names only: the query holds the token.
impl fmt::Debug for HandshakeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |pairs: &[(String, String)]| -> Vec<String> {
            pairs.iter().map(|(name, _)| name.clone()).collect()
        };
        f.debug_struct("HandshakeRequest")
            .field("headers", &names(&self.headers))
            .field("query", &names(&self.query))
            .finish()
    }
}

/// What a handler answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteResponse {
    /// Nothing to say; for `$connect`, accept the connection.
    Ok,
    /// Send this text to the connection that sent the message (ignored for `$connect` and
    /// `$disconnect`, as AWS does).
    Reply(String),
    /// Only for `$connect`: refuse the handshake with this HTTP status.
    Reject(StatusCode),
}

impl RouteResponse {
    /// Accept / nothing to reply.
    pub fn ok() -> Self {
        RouteResponse::Ok
    }

    /// Reply to the sender.
    pub fn reply(text: impl Into<String>) -> Self {
        RouteResponse::Reply(text.into())
    }

    /// Refuse a `$connect` with `status`.
    pub fn reject(status: StatusCode) -> Self {
        RouteResponse::Reject(status)
    }
}

/// Something that can handle a route. Implemented for every
/// `Fn(RouteRequest) -> impl Future<Output = RouteResponse>`, so closures and `async fn`s work.
///
/// A message route runs inside its connection's task: messages of one connection are handled one
/// at a time, in order. Handlers should be quick and hand long work elsewhere, as Lambda handlers
/// do.
pub trait RouteHandler: Send + Sync + 'static {
    /// Runs the route.
    fn call(&self, request: RouteRequest) -> BoxFuture<RouteResponse>;
}

impl<F, Fut> RouteHandler for F
where
    F: Fn(RouteRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = RouteResponse> + Send + 'static,
{
    fn call(&self, request: RouteRequest) -> BoxFuture<RouteResponse> {
        Box::pin(self(request))
    }
}
