//! [`Push`]: the `@connections` API, as backend code uses it.

use async_trait::async_trait;

/// Why a push did not reach its connection.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The connection does not exist (any more): AWS's 410 `GoneException`. The caller drops
    /// what it kept about the connection.
    #[error("the connection is gone")]
    Gone,
    /// The message is over the gateway's limit (413); a bug, since events stay far below it.
    #[error("the message is {size} bytes, over the limit of {max}")]
    TooLarge {
        /// The message's size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The push could not be made (network, throttling); the event stays stored for a replay.
    #[error("the push failed: {0}")]
    Failed(String),
}

/// `POST @connections/{id}`: one message to one connection. Posts to one connection arrive in
/// the order they were made when each is awaited before the next.
#[async_trait]
pub trait Push: Send + Sync + 'static {
    /// Sends `message` (JSON text) to `connection`.
    async fn post(&self, connection: &str, message: String) -> Result<(), PushError>;
}
