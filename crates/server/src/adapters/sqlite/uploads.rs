//! [`UploadStore`] in SQLite: the `uploads` table, and the multipart tables that a trigger
//! empties whenever an upload row goes.

use super::SqliteStore;
use crate::clock::now_ms;
use crate::ports::{StoreError, UploadRecord, UploadStore};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use vidpush_protocol::UploadId;
use vidpush_protocol::multipart::UploadedPart;

#[async_trait]
impl UploadStore for SqliteStore {
    /// Records a new, empty upload.
    async fn create_upload(&self, upload: UploadRecord) -> Result<(), StoreError> {
        self.call(move |c| {
            c.execute(
                "INSERT INTO uploads (id, length, offset, file_name, file_type, owner, created_at_ms, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                params![upload.id.as_str(), upload.length, upload.offset, upload.file_name, upload.file_type, upload.owner, upload.updated_at_ms],
            )?;
            Ok(())
        })
        .await
    }

    /// The upload with this id, if any.
    async fn upload(&self, id: &UploadId) -> Result<Option<UploadRecord>, StoreError> {
        let id = id.clone();
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT id, length, offset, file_name, file_type, owner, updated_at_ms FROM uploads WHERE id = ?1",
                [id.as_str()],
                upload_from_row,
            )
            .optional()?)
        })
        .await
    }

    /// Records that bytes up to `offset` are on disk (after they were flushed).
    async fn set_upload_offset(&self, id: &UploadId, offset: u64) -> Result<(), StoreError> {
        let id = id.clone();
        self.call(move |c| {
            c.execute(
                "UPDATE uploads SET offset = ?2, updated_at_ms = ?3 WHERE id = ?1",
                params![id.as_str(), offset, now_ms()],
            )?;
            Ok(())
        })
        .await
    }

    /// Forgets an upload (its file is the caller's to remove).
    async fn delete_upload(&self, id: &UploadId) -> Result<bool, StoreError> {
        let id = id.clone();
        self.call(move |c| Ok(c.execute("DELETE FROM uploads WHERE id = ?1", [id.as_str()])? > 0))
            .await
    }

    /// Uploads, finished or not, with no bytes since `before_ms`: the expiry sweep removes
    /// them. An upload a job used is no longer here (its row went when the job was made).
    async fn stale_uploads(&self, before_ms: u64) -> Result<Vec<UploadId>, StoreError> {
        self.call(move |c| {
            let mut stmt = c.prepare("SELECT id FROM uploads WHERE updated_at_ms < ?1")?;
            let ids = stmt
                .query_map([before_ms], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ids.into_iter().map(UploadId).collect())
        })
        .await
    }

    /// Records a new, empty multipart upload and its part size in one transaction.
    async fn create_multipart(
        &self,
        upload: UploadRecord,
        part_size: u64,
    ) -> Result<(), StoreError> {
        self.call(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO uploads (id, length, offset, file_name, file_type, owner, created_at_ms, updated_at_ms)
                 VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, ?6)",
                params![upload.id.as_str(), upload.length, upload.file_name, upload.file_type, upload.owner, upload.updated_at_ms],
            )?;
            tx.execute(
                "INSERT INTO multipart_uploads (upload_id, part_size) VALUES (?1, ?2)",
                params![upload.id.as_str(), part_size],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// The part size of a multipart upload; `None` for a tus upload or no upload at all.
    async fn part_size(&self, id: &UploadId) -> Result<Option<u64>, StoreError> {
        let id = id.clone();
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT part_size FROM multipart_uploads WHERE upload_id = ?1",
                [id.as_str()],
                |row| row.get(0),
            )
            .optional()?)
        })
        .await
    }

    /// Records a part that is on disk (fsynced), replacing an earlier copy of the same part,
    /// and counts it as activity for the expiry sweep. False when the upload is gone or already
    /// complete, so the part belongs to nothing.
    async fn record_part(&self, id: &UploadId, part: UploadedPart) -> Result<bool, StoreError> {
        let id = id.clone();
        self.call(move |c| {
            let tx = c.transaction()?;
            let touched = tx.execute(
                "UPDATE uploads SET updated_at_ms = ?2 WHERE id = ?1 AND offset < length",
                params![id.as_str(), now_ms()],
            )?;
            if touched == 0 {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO upload_parts (upload_id, part_number, size, etag) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag",
                params![id.as_str(), part.part_number, part.size, part.etag],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    /// Every stored part of an upload, by part number.
    async fn parts(&self, id: &UploadId) -> Result<Vec<UploadedPart>, StoreError> {
        let id = id.clone();
        self.call(move |c| {
            let mut stmt = c.prepare(
                "SELECT part_number, size, etag FROM upload_parts WHERE upload_id = ?1 ORDER BY part_number",
            )?;
            let parts = stmt
                .query_map([id.as_str()], |row| {
                    Ok(UploadedPart {
                        part_number: row.get(0)?,
                        size: row.get(1)?,
                        etag: row.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(parts)
        })
        .await
    }

    /// Marks a multipart upload whole: its offset becomes its length, so `POST /api/jobs`
    /// takes it; its part rows are no longer needed.
    async fn finish_multipart(&self, id: &UploadId) -> Result<(), StoreError> {
        let id = id.clone();
        self.call(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE uploads SET offset = length, updated_at_ms = ?2 WHERE id = ?1",
                params![id.as_str(), now_ms()],
            )?;
            tx.execute(
                "DELETE FROM upload_parts WHERE upload_id = ?1",
                [id.as_str()],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }
}

fn upload_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UploadRecord> {
    Ok(UploadRecord {
        id: UploadId(row.get(0)?),
        length: row.get(1)?,
        offset: row.get(2)?,
        file_name: row.get(3)?,
        file_type: row.get(4)?,
        owner: row.get(5)?,
        updated_at_ms: row.get(6)?,
    })
}
