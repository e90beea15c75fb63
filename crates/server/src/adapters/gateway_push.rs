//! [`Push`] through the in-process gateway's `@connections` client.

use crate::ports::{Push, PushError};
use async_trait::async_trait;
use vidpush_gateway::{Connections, PostError};

#[async_trait]
impl Push for Connections {
    async fn post(&self, connection: &str, message: String) -> Result<(), PushError> {
        Connections::post(self, connection, message).map_err(|error| match error {
            PostError::Gone => PushError::Gone,
            PostError::PayloadTooLarge { size, max } => PushError::TooLarge { size, max },
        })
    }
}
