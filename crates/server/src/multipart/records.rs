//! The multipart rows in SQLite: which uploads are multipart and with what part size, and each
//! stored part's size and `ETag`. The upload itself is an ordinary upload row (its file, owner,
//! length and expiry), so job creation and the expiry sweep treat both protocols alike; a
//! trigger removes an upload's multipart rows whenever its upload row goes.

use crate::store::{Store, StoreError, UploadRecord, now_ms};
use rusqlite::{OptionalExtension, params};
use vidpush_protocol::UploadId;
use vidpush_protocol::multipart::UploadedPart;

/// Created beside the store's own tables at start-up.
pub(crate) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS multipart_uploads (
        upload_id TEXT PRIMARY KEY,
        part_size INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS upload_parts (
        upload_id TEXT NOT NULL,
        part_number INTEGER NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        PRIMARY KEY (upload_id, part_number)
    ) WITHOUT ROWID;
    CREATE TRIGGER IF NOT EXISTS multipart_rows_follow_their_upload
    AFTER DELETE ON uploads BEGIN
        DELETE FROM upload_parts WHERE upload_id = OLD.id;
        DELETE FROM multipart_uploads WHERE upload_id = OLD.id;
    END;
";

impl Store {
    /// Records a new, empty multipart upload and its part size in one transaction.
    pub async fn create_multipart(
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
    pub async fn part_size(&self, id: &UploadId) -> Result<Option<u64>, StoreError> {
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
    pub async fn record_part(&self, id: &UploadId, part: UploadedPart) -> Result<bool, StoreError> {
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
    pub async fn parts(&self, id: &UploadId) -> Result<Vec<UploadedPart>, StoreError> {
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
    pub async fn finish_multipart(&self, id: &UploadId) -> Result<(), StoreError> {
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
