//! The `@connections` management API: post to, describe and close one connection. One
//! implementation, [`Connections`], serves both backend code in the process and the HTTP
//! endpoint (which only adds the bearer-key check and status codes).
//!
//! The JSON shapes here are AWS's own (`@connections` GET, the `Forbidden` reply), not vidpush's,
//! which is why they are written here and not in `vidpush-protocol`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;

use crate::close_code::CLOSE_NORMAL;
use crate::config::GatewayConfig;
use crate::handshake::Principal;
use crate::id::ConnectionId;
use crate::registry::{Entry, Registry};
use crate::route::Identity;
use crate::shared::Inner;
use crate::sigv4;
use crate::timestamp::iso8601;

/// The connection does not exist, is closed or closing, or is still in `$connect` (AWS: 410).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the connection is gone: it closed, or never finished opening")]
pub struct Gone;

/// Why a post was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// 410: no such open connection.
    #[error("the connection is gone: it closed, or never finished opening")]
    Gone,
    /// 413: the message is larger than a client may receive.
    #[error("the message is {size} bytes, more than the {max}-byte limit; send it in parts")]
    PayloadTooLarge { size: usize, max: usize },
}

/// What `GET @connections/{id}` tells about a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// When the connection was accepted, in milliseconds since the Unix epoch.
    pub connected_at: i64,
    /// When its client last sent a message (or `connected_at`), in milliseconds since the epoch.
    pub last_active_at: i64,
    pub identity: Identity,
    /// Who connected, when tokens are configured (not part of AWS's answer).
    pub principal: Option<Principal>,
}

/// The in-process `@connections` client: the way backend code pushes to connections. It needs
/// only the live connections, not the routes, so backend code can hold one before the gateway
/// that routes to it is built ([`GatewayBuilder::connections`](crate::GatewayBuilder::connections)).
#[derive(Clone)]
pub struct Connections {
    /// The live connections.
    pub(crate) registry: Arc<Registry>,
    /// AWS's message limit, checked before a post is queued.
    pub(crate) max_message_bytes: usize,
}

impl Inner {
    /// The in-process `@connections` client over this gateway's connections.
    pub(crate) fn connections(&self) -> Connections {
        Connections::over(&self.registry, &self.config)
    }
}

impl Connections {
    /// The client over `registry`, with `config`'s message limit.
    pub(crate) fn over(registry: &Arc<Registry>, config: &GatewayConfig) -> Self {
        Self {
            registry: Arc::clone(registry),
            max_message_bytes: config.max_message_bytes,
        }
    }

    /// Queues `data` for connection `id`; returns once it is accepted onto that connection's
    /// queue. Posts to one connection are delivered in the order they were accepted. UTF-8 data
    /// is sent as a text frame, anything else as binary.
    pub fn post(&self, id: impl AsRef<str>, data: impl Into<Bytes>) -> Result<(), PostError> {
        let data = data.into();
        let max = self.max_message_bytes;
        if data.len() > max {
            return Err(PostError::PayloadTooLarge {
                size: data.len(),
                max,
            });
        }
        let entry = self.open(id.as_ref()).map_err(|Gone| PostError::Gone)?;
        entry.push(data).map_err(|_| PostError::Gone)
    }

    /// Describes connection `id`, from memory (so `lastActiveAt` is exact).
    pub fn get(&self, id: impl AsRef<str>) -> Result<ConnectionInfo, Gone> {
        let entry = self.open(id.as_ref())?;
        Ok(ConnectionInfo {
            connected_at: entry.connected_at,
            last_active_at: entry.last_active(),
            identity: entry.identity.clone(),
            principal: entry.principal.clone(),
        })
    }

    /// Closes connection `id` with 1000. Returns once the close is requested; the socket closes
    /// and `$disconnect` runs shortly after. Later posts to it answer [`PostError::Gone`].
    pub fn delete(&self, id: impl AsRef<str>) -> Result<(), Gone> {
        let entry = self.open(id.as_ref())?;
        entry.request_close(CLOSE_NORMAL, "").map_err(|_| Gone)
    }

    /// Connection `id` if it is open. One whose close was requested (by `DELETE`, a limit, a
    /// slow reader or shutdown) stays in the registry for its close handshake, but to every
    /// management verb it is already gone, as on AWS. `post` and `delete` check again under the
    /// outbox lock, so a close that lands after this check is still seen.
    fn open(&self, id: &str) -> Result<Arc<Entry>, Gone> {
        self.registry
            .get(id)
            .filter(|entry| entry.close_requested().is_none())
            .ok_or(Gone)
    }

    /// How many connections are open.
    pub fn count(&self) -> usize {
        self.registry.len()
    }
}

/// AWS's answer to a message no route takes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ForbiddenReply<'a> {
    message: &'static str,
    connection_id: &'a str,
    request_id: &'a str,
}

/// The text of AWS's `{"message":"Forbidden",…}` reply.
pub(crate) fn forbidden_reply(id: &ConnectionId, request_id: &str) -> String {
    let reply = ForbiddenReply {
        message: "Forbidden",
        connection_id: id.as_str(),
        request_id,
    };
    serde_json::to_string(&reply).expect("a struct of strings always serializes")
}

/// AWS's `GET @connections/{id}` body.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InfoBody {
    connected_at: String,
    last_active_at: String,
    identity: IdentityBody,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IdentityBody {
    source_ip: String,
    user_agent: String,
}

/// An AWS-style error body, `{"message":"…"}`.
/// An error answer as API Gateway's management API gives it: the JSON `message`, and the error
/// kind in `x-amzn-ErrorType`, which is where the AWS SDK reads it from (without it, an SDK
/// client cannot tell a `GoneException` from any other failure).
fn message(status: StatusCode, error_type: &'static str, text: &str) -> Response {
    (
        status,
        [(AWS_ERROR_TYPE, error_type)],
        axum::Json(serde_json::json!({ "message": text })),
    )
        .into_response()
}

/// The header AWS services name their error kind in.
const AWS_ERROR_TYPE: &str = "x-amzn-ErrorType";

/// Whether the caller may use `@connections`: `Authorization: Bearer <management key>`, or, in
/// AWS mode, a SigV4 signature by one of the configured access keys (what the AWS SDK sends).
/// A refusal is AWS's 403 `ForbiddenException`, saying what was wrong with the signature.
fn authorize(
    inner: &Inner,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Denied> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(given) = bearer {
        let expected = inner.config.management_key.as_bytes();
        return if sigv4::constant_time_eq(given.as_bytes(), expected) {
            Ok(())
        } else {
            Err(Denied("Forbidden".into()))
        };
    }
    let Some(api) = &inner.config.aws else {
        return Err(Denied("Forbidden".into()));
    };
    sigv4::verify(api, method, uri, headers, body, SystemTime::now())
        .map_err(|refusal| Denied(refusal.to_string()))
}

/// A refused `@connections` caller, and the sentence it is told.
struct Denied(String);

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        message(StatusCode::FORBIDDEN, "ForbiddenException", &self.0)
    }
}

fn gone() -> Response {
    message(StatusCode::GONE, "GoneException", "the connection is gone")
}

/// The connection id at the end of `…/@connections/{id}`, with or without a stage before it.
fn connection_id(params: &HashMap<String, String>) -> &str {
    params.get("id").map_or("", String::as_str)
}

/// `POST [/{stage}]/@connections/{id}`: 200, 403, 410 or 413.
pub(crate) async fn post(
    State(inner): State<Arc<Inner>>,
    Path(params): Path<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let max = inner.config.max_message_bytes;
    // Reading stops one byte past the limit, so an oversized body costs no more than that.
    let Ok(data) = to_bytes(body, max).await else {
        return message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLargeException",
            "the message is larger than the limit",
        );
    };
    if let Err(refusal) = authorize(&inner, &method, &uri, &headers, &data) {
        return refusal.into_response();
    }
    match inner.connections().post(connection_id(&params), data) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(PostError::Gone) => gone(),
        Err(error @ PostError::PayloadTooLarge { .. }) => message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLargeException",
            &error.to_string(),
        ),
    }
}

/// `GET [/{stage}]/@connections/{id}`: 200 with AWS's body, 403 or 410.
pub(crate) async fn get(
    State(inner): State<Arc<Inner>>,
    Path(params): Path<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = authorize(&inner, &method, &uri, &headers, &[]) {
        return refusal.into_response();
    }
    match inner.connections().get(connection_id(&params)) {
        Ok(info) => axum::Json(InfoBody {
            connected_at: iso8601(info.connected_at),
            last_active_at: iso8601(info.last_active_at),
            identity: IdentityBody {
                source_ip: info.identity.source_ip.to_string(),
                user_agent: info.identity.user_agent,
            },
        })
        .into_response(),
        Err(Gone) => gone(),
    }
}

/// `DELETE [/{stage}]/@connections/{id}`: 204, 403 or 410.
pub(crate) async fn delete(
    State(inner): State<Arc<Inner>>,
    Path(params): Path<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = authorize(&inner, &method, &uri, &headers, &[]) {
        return refusal.into_response();
    }
    match inner.connections().delete(connection_id(&params)) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(Gone) => gone(),
    }
}
