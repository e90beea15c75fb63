//! The AWS SDK's shared configuration. On AWS the default chain finds the region and the
//! function's or task's role; for tests and the simulated stack every service is one local
//! endpoint (moto) with fixed test credentials, and S3 is addressed by path, as moto needs.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The region of the simulated stack (any region works with moto; this is its default).
pub const LOCAL_REGION: &str = "us-east-1";

/// Where the SDK talks to.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// The real services, found from the environment (region, credentials).
    Aws,
    /// One local endpoint for every service, with test credentials.
    Local {
        /// e.g. `http://127.0.0.1:5000` (moto).
        url: String,
        /// The access key id the local services are told.
        access_key: String,
        /// Its secret.
        secret: String,
    },
}

impl Endpoint {
    /// `VIDPUSH_AWS_ENDPOINT` (with `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`) names a
    /// local endpoint; without it, the real services.
    pub fn from_env() -> Self {
        match std::env::var("VIDPUSH_AWS_ENDPOINT") {
            Ok(url) if !url.is_empty() => Endpoint::Local {
                url,
                access_key: std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "testing".into()),
                secret: std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "testing".into()),
            },
            _ => Endpoint::Aws,
        }
    }
}

/// The SDK configuration for `endpoint`.
pub async fn config(endpoint: &Endpoint) -> SdkConfig {
    match endpoint {
        Endpoint::Aws => aws_config::defaults(BehaviorVersion::latest()).load().await,
        Endpoint::Local {
            url,
            access_key,
            secret,
        } => {
            aws_config::defaults(BehaviorVersion::latest())
                .region(Region::new(LOCAL_REGION))
                .endpoint_url(url)
                .credentials_provider(Credentials::new(
                    access_key.clone(),
                    secret.clone(),
                    None,
                    None,
                    "vidpush-local",
                ))
                .load()
                .await
        }
    }
}

/// The S3 client for `config`: path-style addressing against a local endpoint (moto has no
/// per-bucket host names), virtual-hosted on AWS.
pub fn s3_client(config: &SdkConfig, endpoint: &Endpoint) -> aws_sdk_s3::Client {
    let builder = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(matches!(endpoint, Endpoint::Local { .. }));
    aws_sdk_s3::Client::from_conf(builder.build())
}
