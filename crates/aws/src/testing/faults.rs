//! [`UnrulyDelivery`]: a [`Push`] that delivers as AWS may — some messages twice, some after
//! the one that followed them — so a test can show the page still ends with every shot once.
//!
//! On AWS the same event can reach a page twice (subscribe and the worker both write before
//! they read) and out of order (a replay racing a live push); this makes both happen on every
//! job instead of by chance.

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vidpush_server::ports::{Push, PushError};

/// Every this-many-th post to a connection is delivered twice.
const DUPLICATE_EVERY: u64 = 3;
/// Every this-many-th post to a connection is held back and delivered after the next one.
const HOLD_EVERY: u64 = 5;
/// A held message with no next one to overtake it is delivered after this long.
const HOLD_AT_MOST: Duration = Duration::from_millis(300);

/// Duplicates and reorders what `inner` delivers.
pub struct UnrulyDelivery {
    inner: Arc<dyn Push>,
    /// Per connection: posts so far, and the message held back, if any.
    connections: Arc<Mutex<HashMap<String, (u64, Option<String>)>>>,
}

impl UnrulyDelivery {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Push>) -> Self {
        Self {
            inner,
            connections: Arc::default(),
        }
    }

    fn take_held(
        connections: &Mutex<HashMap<String, (u64, Option<String>)>>,
        connection: &str,
    ) -> Option<String> {
        connections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(connection)
            .and_then(|(_, held)| held.take())
    }
}

#[async_trait]
impl Push for UnrulyDelivery {
    async fn post(&self, connection: &str, message: String) -> Result<(), PushError> {
        let count = {
            let mut connections = self.connections.lock().unwrap_or_else(|p| p.into_inner());
            let (count, held) = connections.entry(connection.to_owned()).or_default();
            *count += 1;
            if *count % HOLD_EVERY == 0 && held.is_none() {
                *held = Some(message);
                drop(connections);
                let (inner, connections) = (self.inner.clone(), self.connections.clone());
                let connection = connection.to_owned();
                tokio::spawn(async move {
                    tokio::time::sleep(HOLD_AT_MOST).await;
                    if let Some(late) = Self::take_held(&connections, &connection) {
                        let _ = inner.post(&connection, late).await;
                    }
                });
                return Ok(());
            }
            *count
        };
        self.inner.post(connection, message.clone()).await?;
        if let Some(late) = Self::take_held(&self.connections, connection) {
            self.inner.post(connection, late).await?;
        }
        if count % DUPLICATE_EVERY == 0 {
            self.inner.post(connection, message).await?;
        }
        Ok(())
    }
}
