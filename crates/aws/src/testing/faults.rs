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

/// Per connection: posts so far, and the message held back, if any.
type Connections = Mutex<HashMap<String, (u64, Option<String>)>>;

/// Duplicates and reorders what `inner` delivers.
pub struct UnrulyDelivery {
    inner: Arc<dyn Push>,
    connections: Arc<Connections>,
}

impl UnrulyDelivery {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Push>) -> Self {
        Self {
            inner,
            connections: Arc::default(),
        }
    }

    fn take_held(connections: &Connections, connection: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what reaches the connection.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    #[async_trait]
    impl Push for Recorder {
        async fn post(&self, _connection: &str, message: String) -> Result<(), PushError> {
            self.0.lock().unwrap().push(message);
            Ok(())
        }
    }

    #[tokio::test]
    async fn some_messages_arrive_twice_and_some_after_the_next_but_none_is_lost() {
        let recorder = Arc::new(Recorder::default());
        let unruly = UnrulyDelivery::new(recorder.clone());
        for n in 1..=10 {
            unruly.post("c", n.to_string()).await.unwrap();
        }
        tokio::time::sleep(HOLD_AT_MOST * 2).await;
        let got: Vec<u32> = recorder
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|m| m.parse().unwrap())
            .collect();
        // 3, 6 and 9 twice; 5 after 6; 10 held until no 11 came.
        assert_eq!(got, [1, 2, 3, 3, 4, 6, 5, 6, 7, 8, 9, 9, 10]);
    }
}
