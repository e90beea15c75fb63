//! `vidpush-gateway`: a faithful local emulator of an AWS API Gateway WebSocket API.
//!
//! Clients connect to `GET /ws`; messages are routed to handlers by their JSON `action`; backend
//! code pushes to connections through `@connections` (in process with [`Connections`], or over
//! HTTP). Limits, timeouts and status codes are AWS's. The crate knows nothing about video and
//! depends on no other vidpush crate.
//!
//! The modules, one job each:
//!
//! - [`config`]: the settings and their AWS defaults, each a documented constant.
//! - [`handshake`]: the checks before an upgrade (origin 403, rate 429, token 401) and the
//!   [`Principal`] a token maps to.
//! - [`rate`]: per-IP token buckets behind the 429.
//! - [`selection`]: the pure route-selection function (JSON `action` → route), fuzzed.
//! - [`route`]: what handlers receive and answer ([`RouteRequest`], [`RouteResponse`]).
//! - `registry`: live connections in memory, their outbound queues, the connection cap.
//! - `shared`: the state the upgrade handler, each connection task and `@connections` share.
//! - `connection`: the task of one connection: read, route, write, limits, timeouts, close.
//! - [`close_code`]: the close codes sent and reported to `$disconnect`.
//! - [`management`]: `@connections` post/get/delete, shared by HTTP and the Rust client.
//! - [`sigv4`]: the SigV4 check on `@connections` calls from AWS SDK code (AWS mode).
//! - [`lambda`]: routes as Lambda integrations — the Runtime API, function processes, and
//!   API Gateway's WebSocket event JSON; and an HTTP API route (payload format 2.0) served as
//!   an axum router.
//! - `store`: the SQLite record of connections, written in batches by one thread.
//! - [`gateway`]: builder, router (`/ws`, `/@connections/{id}`), shutdown.
//! - [`id`]: connection and request ids. [`timestamp`]: ISO-8601 and Common Log Format text.
//! - [`key`]: the management key file.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use vidpush_gateway::{Gateway, GatewayConfig, RouteRequest, RouteResponse};
//! let gateway = Gateway::builder(GatewayConfig::new("/tmp/gw.db", "management-key"))
//!     .route("echo", |req: RouteRequest| async move {
//!         RouteResponse::reply(req.body.unwrap_or_default())
//!     })
//!     .build()?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let app = gateway.router().into_make_service_with_connect_info::<std::net::SocketAddr>();
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

pub mod close_code;
pub mod config;
mod connection;
pub mod gateway;
pub mod handshake;
pub mod id;
pub mod key;
pub mod lambda;
pub mod management;
pub mod rate;
mod registry;
pub mod route;
pub mod selection;
mod shared;
pub mod sigv4;
mod store;
pub mod timestamp;

pub use config::{AccessKey, AwsApi, ConnectRate, GatewayConfig};
pub use gateway::{Gateway, GatewayBuilder, GatewayError};
pub use handshake::{Admission, DuplicateToken, Handshake, Principal, Refusal, token_from_query};
pub use id::ConnectionId;
pub use key::load_or_create_management_key;
pub use management::{ConnectionInfo, Connections, Gone, PostError};
pub use registry::MAX_QUEUED_BYTES;
pub use route::{
    BoxFuture, CloseInfo, HandshakeRequest, Identity, RouteHandler, RouteRequest, RouteResponse,
};
pub use selection::{Selection, select_route};
pub use store::{LAST_ACTIVE_FLUSH_INTERVAL, StoreError};
