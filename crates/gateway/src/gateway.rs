//! The gateway itself: built from a configuration and routes, it serves `GET /ws` and the
//! `@connections` HTTP API, hands out the in-process [`Connections`] client, and shuts down.
//!
//! The `/ws` upgrade handler is the last place that sees HTTP facts (peer address, headers,
//! query); it turns them into a [`Handshake`] and an [`Identity`] and nothing further down reads
//! HTTP.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

use crate::config::GatewayConfig;
use crate::handshake::{Admission, Handshake, Principal, Refusal, token_from_query};
use crate::management::{self, Connections};
use crate::registry::{Entry, Registry};
use crate::route::{HandshakeRequest, Identity, RouteHandler, RouteResponse};
use crate::selection::CONNECT;
use crate::shared::Inner;
use crate::store::{Store, StoreError};
use crate::timestamp::now_millis;

/// Bytes tungstenite reads from a socket at a time. Kept small because every connection holds
/// one such buffer while idle; messages of our app are small, and a larger frame simply takes
/// more reads.
pub const READ_BUFFER_BYTES: usize = 1024;

/// Bytes of outgoing frames gathered before a write. The buffer grows only when something is
/// sent, so idle connections pay nothing for it.
pub const WRITE_BUFFER_BYTES: usize = 8 * 1024;

/// The gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid gateway configuration: {0}")]
    Config(&'static str),
}

/// Collects routes, then builds a [`Gateway`].
pub struct GatewayBuilder {
    config: GatewayConfig,
    routes: HashMap<String, Arc<dyn RouteHandler>>,
    /// The live connections, made first so [`GatewayBuilder::connections`] can hand out the
    /// push client before the routes that use it exist.
    registry: Arc<Registry>,
}

impl GatewayBuilder {
    /// The in-process `@connections` client of the gateway being built: backend code that
    /// pushes (and that the routes call) takes it here, so construction runs one way — push
    /// client, backend, routes, gateway — with nothing filled in afterwards.
    pub fn connections(&self) -> Connections {
        Connections::over(&self.registry, &self.config)
    }

    /// Registers `handler` for `route_key` (`$connect`, `$disconnect`, `$default` or an action
    /// name). A later registration of the same key replaces the earlier one.
    pub fn route(mut self, route_key: impl Into<String>, handler: impl RouteHandler) -> Self {
        self.routes.insert(route_key.into(), Arc::new(handler));
        self
    }

    /// Opens the connection store (deleting rows a previous process left) and builds the gateway.
    pub fn build(self) -> Result<Gateway, GatewayError> {
        let config = self.config;
        if config.management_key.is_empty() {
            return Err(GatewayError::Config("the management key must not be empty"));
        }
        if config.max_frame_bytes > config.max_message_bytes {
            return Err(GatewayError::Config(
                "max_frame_bytes must not exceed max_message_bytes",
            ));
        }
        let registry = self.registry;
        let dirty = Arc::clone(&registry);
        let store = Store::open(&config.db_path, Box::new(move || dirty.take_dirty()))?;
        let inner = Inner {
            admission: Admission::new(&config),
            config,
            registry,
            store,
            routes: self.routes,
        };
        Ok(Gateway {
            inner: Arc::new(inner),
        })
    }
}

/// A running gateway. Cheap to clone; every clone is the same gateway.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

impl Gateway {
    /// Starts building a gateway with `config`.
    pub fn builder(config: GatewayConfig) -> GatewayBuilder {
        GatewayBuilder {
            registry: Arc::new(Registry::new(config.max_connections)),
            config,
            routes: HashMap::new(),
        }
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &GatewayConfig {
        &self.inner.config
    }

    /// `GET /ws` and `/@connections/{id}` (in AWS mode also `/{stage}/@connections/{id}`, where
    /// the AWS SDK sends its calls). Serve it with
    /// `into_make_service_with_connect_info::<SocketAddr>()` so the source IP is known. Do not
    /// wrap it in a layer that logs request URIs: the `/ws` query carries the token.
    pub fn router(&self) -> Router {
        let management = || {
            get(management::get)
                .post(management::post)
                .delete(management::delete)
        };
        let mut router = Router::new()
            .route("/ws", get(upgrade))
            .route("/@connections/{id}", management());
        if let Some(api) = &self.inner.config.aws {
            router = router.route(&format!("/{}/@connections/{{id}}", api.stage), management());
        }
        router.with_state(Arc::clone(&self.inner))
    }

    /// The in-process `@connections` client.
    pub fn connections(&self) -> Connections {
        self.inner.connections()
    }

    /// The token policy alone, for HTTP APIs that accept the same tokens: `Ok(None)` when no
    /// tokens are configured.
    pub fn authorize(&self, token: Option<&str>) -> Result<Option<Principal>, Refusal> {
        self.inner.admission.authorize(token)
    }

    /// Every built-in handshake check (origin, rate, token, capacity), counting this as a
    /// connection attempt of its IP. The `$connect` route is not run.
    pub fn check_handshake(&self, handshake: &Handshake<'_>) -> Result<Option<Principal>, Refusal> {
        self.check(handshake, true)
    }

    /// Like [`Gateway::check_handshake`] but not counted as an attempt: for a "could I connect?"
    /// probe that must not use up the rate budget of the connection it precedes.
    pub fn peek_handshake(&self, handshake: &Handshake<'_>) -> Result<Option<Principal>, Refusal> {
        self.check(handshake, false)
    }

    fn check(&self, handshake: &Handshake<'_>, count: bool) -> Result<Option<Principal>, Refusal> {
        let principal = self.inner.admission.check(handshake, count)?;
        if !self.inner.registry.has_room() {
            return Err(Refusal::AtCapacity);
        }
        Ok(principal)
    }

    /// Waits until every connection change so far (including `lastActiveAt`) is in SQLite.
    pub async fn flush(&self) {
        self.inner.store.flush().await;
    }

    /// Refuses new connections (503), closes every open one with 1001, and returns when every
    /// connection task has finished, `$disconnect` included.
    pub async fn shutdown(&self) {
        for entry in self.inner.registry.begin_shutdown() {
            // Gone means it was already closing; it finishes on its own.
            let _ = entry.request_close(
                crate::close_code::CLOSE_GOING_AWAY,
                "the gateway is shutting down",
            );
        }
        self.inner.registry.drained().await;
        self.flush().await;
    }
}

/// A refusal as the plain HTTP answer to a handshake.
fn refuse(refusal: &Refusal) -> Response {
    tracing::debug!(kind = refusal.kind(), "handshake refused");
    (refusal.status(), refusal.to_string()).into_response()
}

/// `GET /ws`: checks, `$connect`, then the upgrade.
async fn upgrade(
    State(inner): State<Arc<Inner>>,
    connect_info: Option<Extension<ConnectInfo<SocketAddr>>>,
    uri: Uri,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // Without connect info (a router served without it) every peer shares one rate bucket.
    let source_ip = connect_info.map_or(
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        |Extension(ConnectInfo(a))| a.ip(),
    );
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    let token = match token_from_query(uri.query()) {
        Ok(token) => token,
        Err(duplicate) => return (StatusCode::BAD_REQUEST, duplicate.to_string()).into_response(),
    };
    let handshake = Handshake {
        source_ip,
        origin: text(header::ORIGIN),
        token: token.as_deref(),
        user_agent: text(header::USER_AGENT),
    };
    let principal = match inner.admission.check(&handshake, true) {
        Ok(principal) => principal,
        Err(refusal) => return refuse(&refusal),
    };
    let Some(slot) = inner.registry.reserve() else {
        return refuse(&Refusal::AtCapacity);
    };
    let identity = Identity {
        source_ip,
        user_agent: handshake.user_agent.unwrap_or_default().to_owned(),
    };
    let entry = Arc::new(Entry::new(
        inner.registry.fresh_id(),
        now_millis(),
        identity,
        principal,
    ));
    let mut connect = inner.request(&entry, CONNECT, None, None);
    connect.handshake = Some(HandshakeRequest {
        headers: headers
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect(),
        query: form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
    });
    if let Some(handler) = inner.routes.get(CONNECT)
        && let RouteResponse::Reject(status) = handler.call(connect).await
    {
        return refuse(&Refusal::Rejected(status));
    }
    let config = &inner.config;
    let (failed_gateway, failed_entry) = (Arc::clone(&inner), Arc::clone(&entry));
    upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_frame_size(config.max_frame_bytes)
        .max_message_size(config.max_message_bytes)
        .on_failed_upgrade(move |error| {
            tracing::debug!(%error, "the WebSocket upgrade did not complete");
            // `$connect` already accepted this connection; its backend must hear it end.
            tokio::spawn(async move {
                let closed = crate::connection::dropped();
                crate::connection::disconnect(&failed_gateway, &failed_entry, closed).await;
            });
        })
        .on_upgrade(move |socket| crate::connection::run(inner, entry, socket, slot))
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}
