//! Open WebSocket connections on DynamoDB. The local gateway hands every route the principal
//! of the connection; on AWS, routes after `$connect` learn nothing of the handshake, so
//! `$connect` records who connected and each message reads it back.

use super::item::{get_n, get_opt_s, n, s};
use super::schema::CONNECTIONS;
use super::{CONNECTION_RECORD_TTL, DynamoStore, now_secs, unavailable};
use vidpush_server::ports::StoreError;

/// A recorded connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRecord {
    /// Who connected, when tokens are on.
    pub principal: Option<String>,
    /// When `$connect` accepted it, in milliseconds since the epoch.
    pub connected_at_ms: u64,
}

impl DynamoStore {
    /// Records an accepted connection (`$connect`).
    pub async fn put_connection(
        &self,
        connection: &str,
        record: &ConnectionRecord,
    ) -> Result<(), StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.tables.connections)
            .item("connectionId", s(connection))
            .item("connectedAtMs", n(record.connected_at_ms))
            .item(
                CONNECTIONS.ttl_attribute(),
                n(now_secs() + CONNECTION_RECORD_TTL.as_secs()),
            );
        if let Some(principal) = &record.principal {
            put = put.item("principal", s(principal));
        }
        put.send().await.map_err(unavailable)?;
        Ok(())
    }

    /// The connection's record; `None` when it was never recorded, was removed, or expired.
    pub async fn connection(
        &self,
        connection: &str,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.connections)
            .key("connectionId", s(connection))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        if get_n(&item, CONNECTIONS.ttl_attribute())? <= now_secs() {
            return Ok(None);
        }
        Ok(Some(ConnectionRecord {
            principal: get_opt_s(&item, "principal")?,
            connected_at_ms: get_n(&item, "connectedAtMs")?,
        }))
    }

    /// Forgets a closed connection (`$disconnect`).
    pub async fn delete_connection(&self, connection: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.tables.connections)
            .key("connectionId", s(connection))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
