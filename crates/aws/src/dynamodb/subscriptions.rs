//! [`Subscriptions`] on DynamoDB: one item per (job, connection), found by job for the
//! worker's fan-out and through the `byConnection` index for `$disconnect`. Each item carries an
//! expiry, renewed by every subscribe, and expired items are never returned, whether or not
//! DynamoDB has deleted them yet.

use super::item::{get_n, get_s, n, s};
use super::schema::{BY_CONNECTION, SUBSCRIPTIONS};
use super::{CONNECTION_RECORD_TTL, DynamoStore, now_secs, unavailable};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use vidpush_protocol::JobId;
use vidpush_server::ports::{StoreError, Subscriptions};

#[async_trait]
impl Subscriptions for DynamoStore {
    async fn subscribe(&self, job: &JobId, connection: &str) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.subscriptions)
            .item("jobId", s(job.as_str()))
            .item("connectionId", s(connection))
            .item(
                SUBSCRIPTIONS.ttl_attribute(),
                n(now_secs() + CONNECTION_RECORD_TTL.as_secs()),
            )
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn unsubscribe(&self, job: &JobId, connection: &str) -> Result<bool, StoreError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.tables.subscriptions)
            .key("jobId", s(job.as_str()))
            .key("connectionId", s(connection))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(output.attributes.is_some_and(|item| !item.is_empty()))
    }

    async fn drop_connection(&self, connection: &str) -> Result<Vec<JobId>, StoreError> {
        let mut jobs = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.tables.subscriptions)
            .index_name(BY_CONNECTION.name)
            .key_condition_expression("connectionId = :c")
            .expression_attribute_values(":c", s(connection))
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            jobs.push(JobId(get_s(&item.map_err(unavailable)?, "jobId")?));
        }
        for job in &jobs {
            self.unsubscribe(job, connection).await?;
        }
        Ok(jobs)
    }

    async fn subscribers(&self, job: &JobId) -> Result<Vec<String>, StoreError> {
        let now = now_secs();
        let mut connections = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.tables.subscriptions)
            .key_condition_expression("jobId = :j")
            .expression_attribute_values(":j", s(job.as_str()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item = item.map_err(unavailable)?;
            if get_n(&item, SUBSCRIPTIONS.ttl_attribute())? > now {
                connections.push(get_s(&item, "connectionId")?);
            }
        }
        Ok(connections)
    }
}
