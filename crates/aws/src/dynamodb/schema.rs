//! The tables' key schemas, indexes and TTL attributes: one description that the adapters
//! read and write by, that tests and the simulated stack create tables from, and that the
//! contract test holds the SAM template to.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

/// A key attribute: its name and whether it is a string or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The attribute's name.
    pub name: &'static str,
    /// `S` or `N`, as in the template's `AttributeType`.
    pub kind: &'static str,
}

/// A global secondary index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    /// Its name, as queries name it.
    pub name: &'static str,
    /// Its partition key.
    pub partition: Key,
    /// Its sort key.
    pub sort: Option<Key>,
    /// What it holds besides keys: `KEYS_ONLY` or `ALL`, as in the template.
    pub projection: &'static str,
}

/// One table as the adapters use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    /// The logical name: the template's resource is `<Logical>Table`, the environment variable
    /// that carries the real name is `VIDPUSH_<LOGICAL>_TABLE`.
    pub logical: &'static str,
    /// The partition key.
    pub partition: Key,
    /// The sort key.
    pub sort: Option<Key>,
    /// The global secondary indexes.
    pub indexes: &'static [Index],
    /// The attribute holding an expiry time in epoch seconds, if records expire.
    pub ttl: Option<&'static str>,
}

const fn s(name: &'static str) -> Key {
    Key { name, kind: "S" }
}
const fn n(name: &'static str) -> Key {
    Key { name, kind: "N" }
}

/// Jobs, one item per job; listed per owner, newest first, through `byOwner`.
pub const JOBS: Table = Table {
    logical: "Jobs",
    partition: s("jobId"),
    sort: None,
    indexes: &[BY_OWNER],
    ttl: None,
};

/// The index the job list reads: an owner's jobs by creation time, whole (the list shows
/// them). Jobs made without a token share the owner key [`NO_OWNER`].
pub const BY_OWNER: Index = Index {
    name: "byOwner",
    partition: s("ownerKey"),
    sort: Some(n("createdAtMs")),
    projection: "ALL",
};

/// The owner key of jobs made without a token (principals are hex, so it names nobody).
pub const NO_OWNER: &str = "-";

/// Every job's events, by `seq`.
pub const EVENTS: Table = Table {
    logical: "Events",
    partition: s("jobId"),
    sort: Some(n("seq")),
    indexes: &[],
    ttl: None,
};

/// Which connection follows which job: by job for the worker's fan-out (strongly consistent),
/// by connection for `$disconnect`. Each item expires, since `$disconnect` is best-effort.
pub const SUBSCRIPTIONS: Table = Table {
    logical: "Subscriptions",
    partition: s("jobId"),
    sort: Some(s("connectionId")),
    indexes: &[BY_CONNECTION],
    ttl: Some("expiresAt"),
};

/// The index `$disconnect` finds a connection's subscriptions by.
pub const BY_CONNECTION: Index = Index {
    name: "byConnection",
    partition: s("connectionId"),
    sort: Some(s("jobId")),
    projection: "KEYS_ONLY",
};

/// Uploads: the record (`item` = `upload`) and, for multipart uploads stored by the server,
/// one item per part (`item` = `part#00001`).
pub const UPLOADS: Table = Table {
    logical: "Uploads",
    partition: s("uploadId"),
    sort: Some(s("item")),
    indexes: &[],
    ttl: None,
};

/// Open WebSocket connections: written by `$connect` with who connected, read by every message,
/// removed by `$disconnect`; each expires after API Gateway's two-hour connection limit, since
/// `$disconnect` is best-effort.
pub const CONNECTIONS: Table = Table {
    logical: "Connections",
    partition: s("connectionId"),
    sort: None,
    indexes: &[],
    ttl: Some("expiresAt"),
};

/// Every table.
pub const TABLES: [Table; 5] = [JOBS, EVENTS, SUBSCRIPTIONS, UPLOADS, CONNECTIONS];

impl Table {
    /// The attribute holding the expiry of a table described with one.
    pub fn ttl_attribute(&self) -> &'static str {
        self.ttl
            .unwrap_or_else(|| panic!("the {} table is described without a TTL", self.logical))
    }

    /// The environment variable the table's real name is read from.
    pub fn env_var(&self) -> String {
        format!("VIDPUSH_{}_TABLE", self.logical.to_uppercase())
    }

    /// Creates the table as described (tests and the simulated stack; on AWS the template
    /// creates it), on demand, with its TTL attribute switched on.
    pub async fn create(&self, client: &Client, name: &str) -> Result<(), String> {
        let mut keys = vec![self.partition];
        keys.extend(self.sort);
        for index in self.indexes {
            keys.push(index.partition);
            keys.extend(index.sort);
        }
        keys.sort_by_key(|k| k.name);
        keys.dedup();
        let mut request = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key_schema(self.partition, self.sort)?));
        for key in keys {
            let kind = if key.kind == "N" {
                ScalarAttributeType::N
            } else {
                ScalarAttributeType::S
            };
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(key.name)
                    .attribute_type(kind)
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        for index in self.indexes {
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(key_schema(index.partition, index.sort)?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(index.projection))
                            .build(),
                    )
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        request.send().await.map_err(|e| format!("{e:?}"))?;
        if let Some(attribute) = self.ttl {
            client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(attribute)
                        .enabled(true)
                        .build()
                        .map_err(|e| e.to_string())?,
                )
                .send()
                .await
                .map_err(|e| format!("{e:?}"))?;
        }
        Ok(())
    }
}

fn key_schema(partition: Key, sort: Option<Key>) -> Result<Vec<KeySchemaElement>, String> {
    let mut schema = vec![
        KeySchemaElement::builder()
            .attribute_name(partition.name)
            .key_type(KeyType::Hash)
            .build()
            .map_err(|e| e.to_string())?,
    ];
    if let Some(sort) = sort {
        schema.push(
            KeySchemaElement::builder()
                .attribute_name(sort.name)
                .key_type(KeyType::Range)
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(schema)
}
