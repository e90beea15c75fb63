//! The gateway's settings and their defaults.
//!
//! Every default copies the AWS API Gateway WebSocket quota it emulates, so that code which works
//! here works there. This module owns values only; it never reads flags or the environment (the
//! server crate fills [`GatewayConfig`] from its command line).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// AWS: "WebSocket frame size: 32 KB". Larger frames close the connection with 1009.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 32 * 1024;

/// AWS: "Message payload size: 128 KB" (a message may span several frames). Larger messages close
/// the connection with 1009, and `@connections` posts larger than this answer 413.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 128 * 1024;

/// AWS: "Idle Connection Timeout: 10 minutes". A connection with no message from its client for
/// this long is closed with 1001.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// AWS: "Connection duration for WebSocket API: 2 hours". Older connections are closed with 1001.
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// AWS has no per-API cap on open connections; this one exists to keep one process inside its
/// file-descriptor and memory budget. 20,000 is the load the benchmark shows the gateway holds.
pub const DEFAULT_MAX_CONNECTIONS: usize = 20_000;

/// AWS: "New connections per second: 500" (per account and region). Here the budget is per source
/// IP, so one misbehaving client cannot use it all; a browser that reconnects with back-off never
/// comes near it.
pub const DEFAULT_CONNECTS_PER_SECOND: u32 = 10;

/// A short burst above the steady rate, so a page that opens a couple of tabs at once, or reloads,
/// is not refused.
pub const DEFAULT_CONNECT_BURST: u32 = 20;

/// How many new connections one source IP may open: a token bucket that holds `burst` attempts and
/// refills `per_second` of them each second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectRate {
    /// Attempts added back to the bucket each second.
    pub per_second: u32,
    /// The most attempts one IP may make back to back.
    pub burst: u32,
}

impl Default for ConnectRate {
    fn default() -> Self {
        ConnectRate {
            per_second: DEFAULT_CONNECTS_PER_SECOND,
            burst: DEFAULT_CONNECT_BURST,
        }
    }
}

/// Everything the gateway needs to know to run. Build it with [`GatewayConfig::new`] and change
/// the fields that differ from AWS's defaults.
#[derive(Clone)]
pub struct GatewayConfig {
    /// Tokens a client may present as `?token=`; empty means no token is required.
    pub tokens: Vec<String>,
    /// Values of the `Origin` header a browser may connect from; empty allows none (a request
    /// without `Origin` comes from a non-browser client and is always allowed).
    pub allowed_origins: Vec<String>,
    /// Largest single frame a client may send.
    pub max_frame_bytes: usize,
    /// Largest message (all frames of it together) a client may send or a post may carry.
    pub max_message_bytes: usize,
    /// How long a connection may go without a message from its client.
    pub idle_timeout: Duration,
    /// How long a connection may stay open at all.
    pub max_lifetime: Duration,
    /// How many connections may be open (or opening) at once.
    pub max_connections: usize,
    /// How fast one source IP may open connections.
    pub connect_rate: ConnectRate,
    /// The bearer key the `@connections` HTTP API demands. Never given to a browser.
    pub management_key: String,
    /// Where the SQLite file of connections lives.
    pub db_path: PathBuf,
    /// API Gateway's shape for AWS code (stage prefix, SigV4); `None` serves the plain local API.
    pub aws: Option<AwsApi>,
}

/// The gateway as AWS SDK code expects API Gateway: `@connections` also under
/// `/{stage}/@connections/{id}`, and calls signed with SigV4 by one of these access keys
/// accepted besides the bearer key. The keys are test credentials, never real AWS ones.
#[derive(Clone)]
pub struct AwsApi {
    /// The stage name, the first path segment of the management endpoint.
    pub stage: String,
    /// The region signatures must be scoped to.
    pub region: String,
    /// The access keys whose signatures are accepted.
    pub credentials: Vec<AccessKey>,
}

/// One access key id and its secret.
#[derive(Clone)]
pub struct AccessKey {
    /// The public half, named in the signature's credential scope.
    pub id: String,
    /// The secret half, which signs.
    pub secret: String,
}

/// The secrets are counted, never printed.
impl fmt::Debug for AwsApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsApi")
            .field("stage", &self.stage)
            .field("region", &self.region)
            .field(
                "credentials",
                &format_args!("[{} redacted]", self.credentials.len()),
            )
            .finish()
    }
}

impl GatewayConfig {
    /// A configuration with AWS's limits, no tokens and no allowed browser origins.
    pub fn new(db_path: impl Into<PathBuf>, management_key: impl Into<String>) -> Self {
        GatewayConfig {
            tokens: Vec::new(),
            allowed_origins: Vec::new(),
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_lifetime: DEFAULT_MAX_LIFETIME,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            connect_rate: ConnectRate::default(),
            management_key: management_key.into(),
            db_path: db_path.into(),
            aws: None,
        }
    }
}

/// Secrets (tokens, the management key) are counted, never printed.
impl fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("tokens", &format_args!("[{} redacted]", self.tokens.len()))
            .field("allowed_origins", &self.allowed_origins)
            .field("max_frame_bytes", &self.max_frame_bytes)
            .field("max_message_bytes", &self.max_message_bytes)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_lifetime", &self.max_lifetime)
            .field("max_connections", &self.max_connections)
            .field("connect_rate", &self.connect_rate)
            .field("management_key", &"[redacted]")
            .field("db_path", &self.db_path)
            .field("aws", &self.aws)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_secrets() {
        let mut config = GatewayConfig::new("/tmp/x.db", "sekrit-key");
        config.tokens.push("tok-123".into());
        config.aws = Some(AwsApi {
            stage: "local".into(),
            region: "us-east-1".into(),
            credentials: vec![AccessKey {
                id: "AKID".into(),
                secret: "aws-sekrit".into(),
            }],
        });
        let printed = format!("{config:?}");
        assert!(!printed.contains("sekrit-key"));
        assert!(!printed.contains("tok-123"));
        assert!(!printed.contains("aws-sekrit"));
    }
}
