//! The state every connection task, the upgrade handler and the `@connections` handlers share.
//! It lives apart from the facade ([`crate::gateway`]) and the connection task, so that neither
//! has to import the other to reach it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::GatewayConfig;
use crate::handshake::Admission;
use crate::id::new_request_id;
use crate::registry::{Entry, Registry};
use crate::route::{CloseInfo, RouteHandler, RouteRequest};
use crate::store::Store;

/// What every connection task and handler shares.
pub(crate) struct Inner {
    /// The settings, AWS's limits among them.
    pub config: GatewayConfig,
    /// The handshake checks (origin, rate, token).
    pub admission: Admission,
    /// The live connections.
    pub registry: Arc<Registry>,
    /// The durable record of connections.
    pub store: Store,
    /// The handler of each route key.
    pub routes: HashMap<String, Arc<dyn RouteHandler>>,
}

impl Inner {
    /// A route invocation about `entry`.
    pub(crate) fn request(
        &self,
        entry: &Entry,
        route_key: &str,
        body: Option<String>,
        disconnect: Option<CloseInfo>,
    ) -> RouteRequest {
        RouteRequest {
            route_key: route_key.to_owned(),
            connection_id: entry.id.clone(),
            request_id: new_request_id(),
            body,
            identity: entry.identity.clone(),
            principal: entry.principal.clone(),
            disconnect,
            connected_at: entry.connected_at,
            handshake: None,
        }
    }
}
