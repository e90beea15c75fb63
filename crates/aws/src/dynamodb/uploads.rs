//! [`UploadStore`] on DynamoDB: one item per upload (`item` = `upload`) and one per stored part
//! (`item` = `part#00001`), under the upload's id, so an upload's parts are one query.

use super::item::{Item, built, get_n, get_opt_n, get_opt_s, get_s, n, s};
use super::{DynamoStore, unavailable};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use vidpush_protocol::UploadId;
use vidpush_protocol::multipart::UploadedPart;
use vidpush_server::clock::now_ms;
use vidpush_server::ports::{StoreError, UploadRecord, UploadStore};

/// The sort key of an upload's own record.
pub(super) const RECORD: &str = "upload";

/// The sort key of part `number`: zero-padded so parts sort by number (S3 allows 10,000).
fn part_key(number: u32) -> String {
    format!("part#{number:05}")
}

fn record_item(upload: &UploadRecord, part_size: Option<u64>) -> Item {
    let mut item = Item::from([
        ("uploadId".to_owned(), s(upload.id.as_str())),
        ("item".to_owned(), s(RECORD)),
        ("length".to_owned(), n(upload.length)),
        ("offset".to_owned(), n(upload.offset)),
        ("fileName".to_owned(), s(&upload.file_name)),
        ("fileType".to_owned(), s(&upload.file_type)),
        ("updatedAtMs".to_owned(), n(upload.updated_at_ms)),
    ]);
    if let Some(owner) = &upload.owner {
        item.insert("owner".to_owned(), s(owner));
    }
    if let Some(size) = part_size {
        item.insert("partSize".to_owned(), n(size));
    }
    item
}

fn record_from_item(item: &Item) -> Result<UploadRecord, StoreError> {
    Ok(UploadRecord {
        id: UploadId(get_s(item, "uploadId")?),
        length: get_n(item, "length")?,
        offset: get_n(item, "offset")?,
        file_name: get_s(item, "fileName")?,
        file_type: get_s(item, "fileType")?,
        owner: get_opt_s(item, "owner")?,
        updated_at_ms: get_n(item, "updatedAtMs")?,
    })
}

impl DynamoStore {
    /// The upload's own record item, read strongly consistent.
    async fn upload_item(&self, id: &UploadId) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.uploads)
            .key("uploadId", s(id.as_str()))
            .key("item", s(RECORD))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(output.item)
    }

    async fn put_record(
        &self,
        upload: &UploadRecord,
        part_size: Option<u64>,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.uploads)
            .set_item(Some(record_item(upload, part_size)))
            .condition_expression("attribute_not_exists(uploadId)")
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Records the id S3 gave the upload's multipart upload (kept on the upload's record).
    /// False when the record is gone.
    pub async fn set_s3_upload_id(&self, id: &UploadId, s3_id: &str) -> Result<bool, StoreError> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.tables.uploads)
            .key("uploadId", s(id.as_str()))
            .key("item", s(RECORD))
            .update_expression("SET s3UploadId = :s3")
            .condition_expression("attribute_exists(uploadId)")
            .expression_attribute_values(":s3", s(s3_id))
            .send()
            .await;
        match updated {
            Ok(_) => Ok(true),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(error) => Err(unavailable(error)),
        }
    }

    /// The id of the upload's S3 multipart upload, if it has one.
    pub async fn s3_upload_id(&self, id: &UploadId) -> Result<Option<String>, StoreError> {
        match self.upload_item(id).await? {
            Some(item) => get_opt_s(&item, "s3UploadId"),
            None => Ok(None),
        }
    }

    /// Removes every part item of an upload.
    pub(super) async fn delete_parts(&self, id: &UploadId) -> Result<(), StoreError> {
        for part in self.parts(id).await? {
            self.client
                .delete_item()
                .table_name(&self.tables.uploads)
                .key("uploadId", s(id.as_str()))
                .key("item", s(part_key(part.part_number)))
                .send()
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }
}

#[async_trait]
impl UploadStore for DynamoStore {
    async fn create_upload(&self, upload: UploadRecord) -> Result<(), StoreError> {
        self.put_record(&upload, None).await
    }

    /// One item holds the record and its part size, so creation is one conditional put.
    async fn create_multipart(
        &self,
        upload: UploadRecord,
        part_size: u64,
    ) -> Result<(), StoreError> {
        self.put_record(&upload, Some(part_size)).await
    }

    async fn upload(&self, id: &UploadId) -> Result<Option<UploadRecord>, StoreError> {
        self.upload_item(id)
            .await?
            .map(|item| record_from_item(&item))
            .transpose()
    }

    async fn set_upload_offset(&self, id: &UploadId, offset: u64) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.tables.uploads)
            .key("uploadId", s(id.as_str()))
            .key("item", s(RECORD))
            .update_expression("SET #offset = :offset, updatedAtMs = :now")
            .condition_expression("attribute_exists(uploadId)")
            .expression_attribute_names("#offset", "offset")
            .expression_attribute_values(":offset", n(offset))
            .expression_attribute_values(":now", n(now_ms()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn delete_upload(&self, id: &UploadId) -> Result<bool, StoreError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.tables.uploads)
            .key("uploadId", s(id.as_str()))
            .key("item", s(RECORD))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        self.delete_parts(id).await?;
        Ok(output.attributes.is_some_and(|item| !item.is_empty()))
    }

    /// A scan: the expiry sweep runs every few minutes, not per request.
    async fn stale_uploads(&self, before_ms: u64) -> Result<Vec<UploadId>, StoreError> {
        let mut ids = Vec::new();
        let mut pages = self
            .client
            .scan()
            .table_name(&self.tables.uploads)
            .filter_expression("#item = :record AND updatedAtMs < :before")
            .expression_attribute_names("#item", "item")
            .expression_attribute_values(":record", s(RECORD))
            .expression_attribute_values(":before", n(before_ms))
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            ids.push(UploadId(get_s(&item.map_err(unavailable)?, "uploadId")?));
        }
        Ok(ids)
    }

    async fn part_size(&self, id: &UploadId) -> Result<Option<u64>, StoreError> {
        match self.upload_item(id).await? {
            Some(item) => get_opt_n(&item, "partSize"),
            None => Ok(None),
        }
    }

    /// One transaction: the record is touched only while the upload is unfinished, and the
    /// part is written only if the record was.
    async fn record_part(&self, id: &UploadId, part: UploadedPart) -> Result<bool, StoreError> {
        let touch = Update::builder()
            .table_name(&self.tables.uploads)
            .key("uploadId", s(id.as_str()))
            .key("item", s(RECORD))
            .update_expression("SET updatedAtMs = :now")
            .condition_expression("attribute_exists(uploadId) AND #offset < #length")
            .expression_attribute_names("#offset", "offset")
            .expression_attribute_names("#length", "length")
            .expression_attribute_values(":now", n(now_ms()));
        let put = Put::builder()
            .table_name(&self.tables.uploads)
            .item("uploadId", s(id.as_str()))
            .item("item", s(part_key(part.part_number)))
            .item("partNumber", n(u64::from(part.part_number)))
            .item("size", n(part.size))
            .item("etag", s(&part.etag));
        match self
            .client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .update(built(touch.build())?)
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .put(built(put.build())?)
                    .build(),
            )
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(TransactWriteItemsError::TransactionCanceledException(_))
                ) =>
            {
                Ok(false)
            }
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn parts(&self, id: &UploadId) -> Result<Vec<UploadedPart>, StoreError> {
        let mut parts = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.tables.uploads)
            .key_condition_expression("uploadId = :u AND begins_with(#item, :part)")
            .expression_attribute_names("#item", "item")
            .expression_attribute_values(":u", s(id.as_str()))
            .expression_attribute_values(":part", s("part#"))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item = item.map_err(unavailable)?;
            let number = get_n(&item, "partNumber")?;
            parts.push(UploadedPart {
                part_number: u32::try_from(number)
                    .map_err(|_| StoreError::Corrupt(format!("part number {number}")))?,
                size: get_n(&item, "size")?,
                etag: get_s(&item, "etag")?,
            });
        }
        Ok(parts)
    }

    async fn finish_multipart(&self, id: &UploadId) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.tables.uploads)
            .key("uploadId", s(id.as_str()))
            .key("item", s(RECORD))
            .update_expression("SET #offset = #length, updatedAtMs = :now")
            .condition_expression("attribute_exists(uploadId)")
            .expression_attribute_names("#offset", "offset")
            .expression_attribute_names("#length", "length")
            .expression_attribute_values(":now", n(now_ms()))
            .send()
            .await
            .map_err(unavailable)?;
        self.delete_parts(id).await
    }
}
