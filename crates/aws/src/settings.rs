//! What the functions and the worker read from their environment, which the SAM template
//! sets. The names are constants here so the template's contract test can hold the template to
//! them.

use crate::dynamodb::TableNames;
use crate::dynamodb::schema::TABLES;

/// The media bucket (uploads, sources, thumbnails, results).
pub const BUCKET: &str = "VIDPUSH_BUCKET";
/// The job queue's URL.
pub const QUEUE_URL: &str = "VIDPUSH_QUEUE_URL";
/// The WebSocket API's management endpoint, stage included.
pub const MANAGEMENT_ENDPOINT: &str = "VIDPUSH_MANAGEMENT_ENDPOINT";
/// Comma-separated access tokens; empty or unset lets anyone in.
pub const TOKENS: &str = "VIDPUSH_TOKENS";
/// Comma-separated browser origins allowed to connect.
pub const ALLOWED_ORIGINS: &str = "VIDPUSH_ALLOWED_ORIGINS";
/// The largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: &str = "VIDPUSH_MAX_UPLOAD_BYTES";

/// Every variable the worker needs: the tables, the bucket, the queue, the push endpoint.
pub fn worker_vars() -> Vec<String> {
    let mut vars: Vec<String> = TABLES.iter().map(|t| t.env_var()).collect();
    vars.extend([BUCKET, QUEUE_URL, MANAGEMENT_ENDPOINT].map(String::from));
    vars
}

/// Every variable a function may read: the worker's, and the access policy and limits.
pub fn function_vars() -> Vec<String> {
    let mut vars = worker_vars();
    vars.extend([TOKENS, ALLOWED_ORIGINS, MAX_UPLOAD_BYTES].map(String::from));
    vars
}

/// Where the AWS home keeps things, read from the environment.
#[derive(Debug, Clone)]
pub struct Resources {
    /// The four tables.
    pub tables: TableNames,
    /// The media bucket.
    pub bucket: String,
    /// The job queue's URL.
    pub queue_url: String,
    /// The `@connections` endpoint.
    pub management_endpoint: String,
}

impl Resources {
    /// Reads every variable, or names the first one missing.
    pub fn from_env() -> Result<Self, String> {
        let read = |var: &str| {
            std::env::var(var).map_err(|_| format!("{var} is not set (the SAM template sets it)"))
        };
        Ok(Self {
            tables: TableNames::from_env()?,
            bucket: read(BUCKET)?,
            queue_url: read(QUEUE_URL)?,
            management_endpoint: read(MANAGEMENT_ENDPOINT)?,
        })
    }
}
