//! Who is calling the HTTP API: the same token policy as the WebSocket, through a [`Door`]
//! (the gateway locally; the same checks without one in a function).
//! The token comes as `Authorization: Bearer <token>` or, for `<img>` and `<a>` links that
//! cannot set headers, as `?token=`, read by the gateway's one query parser (a token named
//! twice is a 400, as on `/ws`). Failed token checks are charged to the caller's IP, and an IP
//! out of attempts is refused (429) before its token is even looked at, so guessing tokens
//! costs attempts here as it does on `/ws`. Tokens are never logged.

use crate::error::ApiFailure;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri, header};
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use vidpush_gateway::{
    Admission, Gateway, GatewayConfig, Handshake, Principal, Refusal, token_from_query,
};

/// Who may call the API and open the WebSocket: tokens and allowed origins.
pub trait Door: Send + Sync + 'static {
    /// The principal a token stands for (`None` when no tokens are required), or the refusal.
    fn authorize(&self, token: Option<&str>) -> Result<Option<Principal>, Refusal>;

    /// The verdict a WebSocket handshake would get, not counted as a connection attempt.
    fn peek_handshake(&self, handshake: &Handshake<'_>) -> Result<Option<Principal>, Refusal>;

    /// The browser origins allowed, as configured.
    fn allowed_origins(&self) -> Vec<String>;
}

/// The one process: the gateway's own checks, its capacity included.
impl Door for Gateway {
    fn authorize(&self, token: Option<&str>) -> Result<Option<Principal>, Refusal> {
        Gateway::authorize(self, token)
    }

    fn peek_handshake(&self, handshake: &Handshake<'_>) -> Result<Option<Principal>, Refusal> {
        Gateway::peek_handshake(self, handshake)
    }

    fn allowed_origins(&self) -> Vec<String> {
        self.config().allowed_origins.clone()
    }
}

/// The same checks where no gateway runs (a Lambda function behind API Gateway, which keeps
/// its own connection count).
pub struct Policy {
    admission: Admission,
    allowed_origins: Vec<String>,
}

impl Policy {
    /// Accepts `tokens` (none: anyone) from `allowed_origins`.
    pub fn new(tokens: Vec<String>, allowed_origins: Vec<String>) -> Self {
        let mut config = GatewayConfig::new("/dev/null", "");
        config.tokens = tokens;
        config.allowed_origins = allowed_origins.clone();
        Self {
            admission: Admission::new(&config),
            allowed_origins,
        }
    }
}

impl Door for Policy {
    fn authorize(&self, token: Option<&str>) -> Result<Option<Principal>, Refusal> {
        self.admission.authorize(token)
    }

    fn peek_handshake(&self, handshake: &Handshake<'_>) -> Result<Option<Principal>, Refusal> {
        self.admission.check(handshake, false)
    }

    fn allowed_origins(&self) -> Vec<String> {
        self.allowed_origins.clone()
    }
}

/// The `Retry-After` of a request refused for too many failed token checks: the bucket gains
/// an attempt within a second at the default rate.
pub const FAILED_AUTH_RETRY_AFTER_SECS: u64 = 1;

/// The caller's IP address, from the TCP connection; unspecified when the router is driven
/// without one (then every such caller shares one attempt budget).
#[derive(Clone, Copy, Debug)]
pub struct SourceIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for SourceIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(SourceIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(peer)| {
                    peer.ip()
                }),
        ))
    }
}

/// The `?token=` of a request: a 400 when the query names it more than once.
pub fn query_token(uri: &Uri) -> Result<Option<String>, ApiFailure> {
    token_from_query(uri.query()).map_err(|duplicate| ApiFailure::BadRequest(duplicate.to_string()))
}

/// Refuses an IP that has used up its failed token checks.
pub fn ensure_attempts_left(app: &AppState, ip: IpAddr) -> Result<(), ApiFailure> {
    if app.failed_auth.allow(ip, false) {
        Ok(())
    } else {
        Err(ApiFailure::TooManyAttempts {
            retry_after_secs: FAILED_AUTH_RETRY_AFTER_SECS,
        })
    }
}

/// Charges one failed token check to `ip`.
pub fn charge_failure(app: &AppState, ip: IpAddr) {
    app.failed_auth.allow(ip, true);
}

/// The caller's principal: `None` when the server requires no tokens.
pub fn caller(
    app: &AppState,
    SourceIp(ip): SourceIp,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Option<String>, ApiFailure> {
    let in_query = query_token(uri)?;
    let token = bearer(headers).or(in_query);
    ensure_attempts_left(app, ip)?;
    app.door
        .authorize(token.as_deref())
        .map(|principal| principal.map(|p| p.as_str().to_owned()))
        .map_err(|_| {
            charge_failure(app, ip);
            ApiFailure::Unauthorized
        })
}

/// True when a resource owned by `owner` belongs to someone other than `caller`. Without
/// tokens there are no owners, and everything belongs to everyone.
pub fn is_foreign(caller: &Option<String>, owner: &Option<String>) -> bool {
    matches!((caller, owner), (Some(caller), Some(owner)) if caller != owner)
}

/// Refuses when a resource owned by `owner` is touched by someone else.
pub fn ensure_owner(
    caller: &Option<String>,
    owner: &Option<String>,
    what: &str,
) -> Result<(), ApiFailure> {
    if is_foreign(caller, owner) {
        return Err(ApiFailure::Forbidden(format!(
            "this {what} belongs to another token"
        )));
    }
    Ok(())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn someone_elses_resource_is_forbidden() {
        let (a, b) = (Some("a".to_owned()), Some("b".to_owned()));
        assert!(ensure_owner(&a, &a, "job").is_ok());
        assert!(ensure_owner(&None, &a, "job").is_ok());
        assert!(matches!(
            ensure_owner(&a, &b, "job"),
            Err(ApiFailure::Forbidden(_))
        ));
    }
}
