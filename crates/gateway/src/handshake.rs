//! The checks a WebSocket handshake must pass before it is upgraded: origin (403), attempt rate
//! per IP (429), token (401). The connection cap (503) is checked by the gateway, which owns the
//! count.
//!
//! This module decides; it never touches a socket and never logs a token.

use std::fmt;
use std::net::IpAddr;

use axum::http::StatusCode;
use sha2::{Digest, Sha256};

use crate::config::GatewayConfig;
use crate::rate::ConnectLimiter;

/// The origin value that allows every browser origin (for development only).
pub const ANY_ORIGIN: &str = "*";

/// What the gateway knows about a handshake before deciding on it. Built by the `/ws` upgrade
/// handler, or by another HTTP handler that wants the same answer (a connect check).
#[derive(Clone, Copy)]
pub struct Handshake<'a> {
    /// The peer's address, from the TCP connection.
    pub source_ip: IpAddr,
    /// The `Origin` header; `None` for non-browser clients.
    pub origin: Option<&'a str>,
    /// The `?token=` query value.
    pub token: Option<&'a str>,
    /// The `User-Agent` header, recorded with the connection.
    pub user_agent: Option<&'a str>,
}

/// Prints everything but the token.
impl fmt::Debug for Handshake<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handshake")
            .field("source_ip", &self.source_ip)
            .field("origin", &self.origin)
            .field("token", &self.token.map(|_| "[redacted]"))
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// Who is connecting, as a stable name that is not a secret: the first 16 hex characters of the
/// SHA-256 of the token. The backend records ownership with it and never needs the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal(String);

impl Principal {
    /// The principal of a token.
    pub fn of_token(token: &str) -> Self {
        let digest = Sha256::digest(token.as_bytes());
        Principal(digest.iter().take(8).map(|b| format!("{b:02x}")).collect())
    }

    /// A principal recorded earlier by its [`as_str`](Self::as_str) text (the AWS functions keep
    /// it with the connection between `$connect` and later messages).
    pub fn from_recorded(name: impl Into<String>) -> Self {
        Principal(name.into())
    }

    /// The principal as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a handshake was refused. The HTTP status is what the client gets; the Display text is for
/// a person (it never contains a token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 401: the token is absent or not one of the configured tokens.
    #[error("the token is missing or not valid; reconnect with a valid ?token=")]
    BadToken,
    /// 403: the browser page's origin is not on the allowlist.
    #[error("origin {0} is not allowed to connect; open the app from an allowed address")]
    OriginNotAllowed(String),
    /// 429: this IP opened connections too fast.
    #[error("too many connection attempts from this address; wait a few seconds and retry")]
    TooManyAttempts,
    /// 503: the gateway holds as many connections as it may (or is shutting down).
    #[error("the gateway is at its connection limit; retry later")]
    AtCapacity,
    /// The `$connect` route handler refused with this status.
    #[error("the connection was refused by the $connect handler ({0})")]
    Rejected(StatusCode),
}

impl Refusal {
    /// The HTTP status the handshake is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::BadToken => StatusCode::UNAUTHORIZED,
            Refusal::OriginNotAllowed(_) => StatusCode::FORBIDDEN,
            Refusal::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            Refusal::AtCapacity => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::Rejected(status) => *status,
        }
    }

    /// A stable machine-readable name for the refusal.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::BadToken => "bad_token",
            Refusal::OriginNotAllowed(_) => "origin_not_allowed",
            Refusal::TooManyAttempts => "too_many_attempts",
            Refusal::AtCapacity => "at_capacity",
            Refusal::Rejected(_) => "rejected",
        }
    }
}

/// A query that names `token` more than once: which one is meant cannot be known, so the
/// request is refused (400) rather than one being picked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the address names ?token= more than once; send the token once")]
pub struct DuplicateToken;

/// The `token` value of a URL query (`%XX` escapes and `+` decoded), the one parser for every
/// place a token travels in a query: `/ws` and any HTTP API that shares its tokens.
pub fn token_from_query(query: Option<&str>) -> Result<Option<String>, DuplicateToken> {
    let mut found = None;
    for pair in query.unwrap_or("").split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != "token" {
            continue;
        }
        if found.is_some() {
            return Err(DuplicateToken);
        }
        found = Some(percent_decode(value));
    }
    Ok(found)
}

/// Decodes `%XX` escapes and `+` in a query value; invalid escapes are kept as they are.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit() =>
            {
                let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
                out.push(hex(bytes[i + 1]) << 4 | hex(bytes[i + 2]));
                i += 3;
                continue;
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The handshake policy built from the configuration: the gateway's own `$connect` checks, and
/// the AWS `$connect` function's.
#[derive(Debug)]
pub struct Admission {
    /// SHA-256 of each accepted token: comparing digests keeps the comparison's timing
    /// independent of how much of a guess matches, and keeps the tokens themselves out of memory
    /// dumps of this struct.
    token_digests: Vec<[u8; 32]>,
    /// Allowed `Origin` values, lower-case without a trailing slash.
    allowed_origins: Vec<String>,
    /// Per-IP attempt budget.
    limiter: ConnectLimiter,
}

/// How origins are compared: scheme and host are case-insensitive, and a trailing `/` is noise.
fn normalize_origin(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

impl Admission {
    pub fn new(config: &GatewayConfig) -> Self {
        Admission {
            token_digests: config
                .tokens
                .iter()
                .map(|t| Sha256::digest(t.as_bytes()).into())
                .collect(),
            allowed_origins: config
                .allowed_origins
                .iter()
                .map(|o| normalize_origin(o))
                .collect(),
            limiter: ConnectLimiter::new(config.connect_rate),
        }
    }

    /// The token policy alone: `Ok(None)` when no tokens are configured.
    pub fn authorize(&self, token: Option<&str>) -> Result<Option<Principal>, Refusal> {
        if self.token_digests.is_empty() {
            return Ok(None);
        }
        let token = token.ok_or(Refusal::BadToken)?;
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // Look at every configured digest so the time taken does not say which one matched.
        let matched = self
            .token_digests
            .iter()
            .fold(false, |found, d| found | (*d == digest));
        if matched {
            Ok(Some(Principal::of_token(token)))
        } else {
            Err(Refusal::BadToken)
        }
    }

    /// Origin, then rate, then token. The rate check comes before the token check so guessing
    /// tokens costs attempts. When `count` is false the attempt is not charged to the IP.
    pub fn check(
        &self,
        handshake: &Handshake<'_>,
        count: bool,
    ) -> Result<Option<Principal>, Refusal> {
        if let Some(origin) = handshake.origin {
            let wanted = normalize_origin(origin);
            let allowed = self
                .allowed_origins
                .iter()
                .any(|o| o == ANY_ORIGIN || *o == wanted);
            if !allowed {
                return Err(Refusal::OriginNotAllowed(origin.to_owned()));
            }
        }
        if !self.limiter.allow(handshake.source_ip, count) {
            return Err(Refusal::TooManyAttempts);
        }
        self.authorize(handshake.token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(tokens: &[&str], origins: &[&str]) -> Admission {
        let mut config = GatewayConfig::new("/dev/null", "k");
        config.tokens = tokens.iter().map(|t| t.to_string()).collect();
        config.allowed_origins = origins.iter().map(|o| o.to_string()).collect();
        Admission::new(&config)
    }

    fn handshake<'a>(origin: Option<&'a str>, token: Option<&'a str>) -> Handshake<'a> {
        Handshake {
            source_ip: [127, 0, 0, 1].into(),
            origin,
            token,
            user_agent: None,
        }
    }

    #[test]
    fn no_tokens_configured_needs_none() {
        assert_eq!(
            admission(&[], &[]).check(&handshake(None, None), true),
            Ok(None)
        );
    }

    #[test]
    fn token_maps_to_stable_principal() {
        let a = admission(&["t1", "t2"], &[]);
        let p = a
            .check(&handshake(None, Some("t2")), true)
            .expect("t2 is configured");
        assert_eq!(p, Some(Principal::of_token("t2")));
        assert_eq!(p.expect("tokens are configured").as_str().len(), 16);
        assert_eq!(
            a.check(&handshake(None, Some("t3")), true),
            Err(Refusal::BadToken)
        );
        assert_eq!(
            a.check(&handshake(None, None), true),
            Err(Refusal::BadToken)
        );
    }

    #[test]
    fn origin_allowlist_is_normalized() {
        let a = admission(&[], &["http://Localhost:8080/"]);
        assert!(
            a.check(&handshake(Some("http://localhost:8080"), None), true)
                .is_ok()
        );
        let refused = a.check(&handshake(Some("http://evil"), None), true);
        assert_eq!(refused.map_err(|r| r.status()), Err(StatusCode::FORBIDDEN));
    }

    #[test]
    fn query_tokens_are_decoded_and_a_second_one_is_refused() {
        assert_eq!(
            token_from_query(Some("a=1&token=s%3Dcret%2B1")),
            Ok(Some("s=cret+1".to_owned()))
        );
        assert_eq!(
            token_from_query(Some("token=abc%")),
            Ok(Some("abc%".to_owned()))
        );
        assert_eq!(token_from_query(Some("tokens=x")), Ok(None));
        assert_eq!(
            token_from_query(Some("token=%a\u{e9}")),
            Ok(Some("%a\u{e9}".to_owned()))
        );
        assert_eq!(token_from_query(None), Ok(None));
        assert_eq!(
            token_from_query(Some("token=a&token=a")),
            Err(DuplicateToken)
        );
    }

    #[test]
    fn refusal_text_never_contains_the_token() {
        let a = admission(&["secret"], &[]);
        let refused = a
            .check(&handshake(None, Some("secret-guess")), true)
            .unwrap_err();
        assert!(!refused.to_string().contains("secret"));
        assert!(!format!("{:?}", handshake(None, Some("secret"))).contains("secret"));
    }
}
