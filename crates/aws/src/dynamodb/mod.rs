//! The datastore ports on DynamoDB: [`JobStore`](vidpush_server::ports::JobStore),
//! [`Subscriptions`](vidpush_server::ports::Subscriptions) and
//! [`UploadStore`](vidpush_server::ports::UploadStore), one [`DynamoStore`] over four tables.
//!
//! - [`schema`]: the tables' keys, indexes and TTL, shared with tests and the template check.
//! - `jobs`: jobs and events; each event's `seq` is taken by a conditional transaction and
//!   retried when another writer took it first.
//! - `subscriptions`: by job for fan-out, by connection for `$disconnect`, each with a TTL.
//! - `uploads`: upload records and parts.
//! - `connections`: who opened each WebSocket connection, for the AWS functions.
//! - `item`: reading and writing attribute values.

mod connections;
pub use connections::ConnectionRecord;
mod item;
mod jobs;
pub mod schema;
mod subscriptions;
mod uploads;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use std::time::Duration;
use vidpush_server::ports::StoreError;

/// How long a connection's records (the connection, its subscriptions) live without being
/// renewed: API Gateway closes every connection after 2 hours, so a record older than that
/// belongs to a connection that is gone even if its `$disconnect` never ran. Reads filter by
/// it too, since DynamoDB deletes expired items only within a few days.
pub const CONNECTION_RECORD_TTL: Duration = Duration::from_secs(2 * 60 * 60 + 5 * 60);

/// Now, in the epoch seconds DynamoDB's TTL compares with.
fn now_secs() -> u64 {
    vidpush_server::clock::now_ms() / 1000
}

/// The real names of the tables (a stack prefixes them).
#[derive(Debug, Clone)]
pub struct TableNames {
    /// Jobs, one item each.
    pub jobs: String,
    /// Events, by job and `seq`.
    pub events: String,
    /// Subscriptions, by job and connection.
    pub subscriptions: String,
    /// Uploads and their parts.
    pub uploads: String,
    /// Open connections and who opened them.
    pub connections: String,
}

impl TableNames {
    /// Names with a common prefix: `<prefix>Jobs`, `<prefix>Events`, …
    pub fn prefixed(prefix: &str) -> Self {
        Self {
            jobs: format!("{prefix}{}", schema::JOBS.logical),
            events: format!("{prefix}{}", schema::EVENTS.logical),
            subscriptions: format!("{prefix}{}", schema::SUBSCRIPTIONS.logical),
            uploads: format!("{prefix}{}", schema::UPLOADS.logical),
            connections: format!("{prefix}{}", schema::CONNECTIONS.logical),
        }
    }

    /// The names from `VIDPUSH_JOBS_TABLE`, `VIDPUSH_EVENTS_TABLE`, … as the template sets them
    /// on every function; a sentence naming the missing variable otherwise.
    pub fn from_env() -> Result<Self, String> {
        let read = |table: &schema::Table| {
            let var = table.env_var();
            std::env::var(&var)
                .map_err(|_| format!("{var} is not set: it names the {} table", table.logical))
        };
        Ok(Self {
            jobs: read(&schema::JOBS)?,
            events: read(&schema::EVENTS)?,
            subscriptions: read(&schema::SUBSCRIPTIONS)?,
            uploads: read(&schema::UPLOADS)?,
            connections: read(&schema::CONNECTIONS)?,
        })
    }

    /// Each table's description with its real name.
    pub fn tables(&self) -> [(schema::Table, &str); 5] {
        [
            (schema::JOBS, self.jobs.as_str()),
            (schema::EVENTS, self.events.as_str()),
            (schema::SUBSCRIPTIONS, self.subscriptions.as_str()),
            (schema::UPLOADS, self.uploads.as_str()),
            (schema::CONNECTIONS, self.connections.as_str()),
        ]
    }
}

/// The datastore ports over DynamoDB.
#[derive(Clone)]
pub struct DynamoStore {
    /// The SDK client (its endpoint is moto's in tests).
    client: Client,
    /// Where each kind of record lives.
    tables: TableNames,
}

impl DynamoStore {
    /// A store over `tables`, which must exist.
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, tables }
    }

    /// Creates the tables (tests and the simulated stack).
    pub async fn create_tables(&self) -> Result<(), String> {
        for (table, name) in self.tables.tables() {
            table.create(&self.client, name).await?;
        }
        Ok(())
    }
}

/// An SDK error as the ports' [`StoreError`], with the service's error code and message.
fn unavailable<E, R>(error: aws_sdk_dynamodb::error::SdkError<E, R>) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StoreError::Unavailable(format!("DynamoDB: {}", DisplayErrorContext(error)))
}
