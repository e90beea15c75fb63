//! The local datastore: SQLite behind the [`JobStore`], [`Subscriptions`] and [`UploadStore`]
//! ports, one file per port.
//!
//! Owns the schema and every SQL statement; nothing else in the crate writes SQL. Events are
//! appended inside one transaction that also advances the job's `last_seq`, so a job's stream
//! is gap-free by construction. It must never push anything: storing comes first, pushing is
//! the caller's next step. Every call runs on tokio's blocking pool, so a slow disk never
//! stalls the async workers.
//!
//! [`JobStore`]: crate::ports::JobStore
//! [`Subscriptions`]: crate::ports::Subscriptions
//! [`UploadStore`]: crate::ports::UploadStore

mod jobs;
mod subscriptions;
mod uploads;

use crate::ports::StoreError;
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The schema as first released. Never edited: a database made by an older build already has
/// it, so every later change is a step in [`MIGRATIONS`].
const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS uploads (
        id TEXT PRIMARY KEY,
        length INTEGER NOT NULL,
        offset INTEGER NOT NULL DEFAULT 0,
        file_name TEXT NOT NULL,
        file_type TEXT NOT NULL,
        owner TEXT,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        owner TEXT,
        file_name TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        state TEXT NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0,
        created_at_ms INTEGER NOT NULL
    );
    -- `GET /api/jobs`: one owner's jobs, newest first, read as a range.
    CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs (owner, created_at_ms, id);
    CREATE TABLE IF NOT EXISTS events (
        job_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (job_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS subscriptions (
        job_id TEXT NOT NULL,
        connection_id TEXT NOT NULL,
        PRIMARY KEY (job_id, connection_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS subscriptions_by_connection ON subscriptions (connection_id);
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
    -- A multipart upload's rows go with its upload row, however that goes (abort, expiry,
    -- becoming a job).
    CREATE TRIGGER IF NOT EXISTS multipart_rows_follow_their_upload
    AFTER DELETE ON uploads BEGIN
        DELETE FROM upload_parts WHERE upload_id = OLD.id;
        DELETE FROM multipart_uploads WHERE upload_id = OLD.id;
    END;
";

/// Changes to [`SCHEMA`], in order; `PRAGMA user_version` counts the steps a database has had.
/// Append only: a database from an older build gets the steps it lacks at its next start, and
/// keeps every row.
const MIGRATIONS: &[&str] = &[
    // 1: the hard-cut sensitivity chosen for a job; NULL, as for every job made before, means
    // the default.
    "ALTER TABLE jobs ADD COLUMN sensitivity REAL",
];

/// Brings the database up to [`MIGRATIONS`] in one transaction: all the missing steps or none.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    let done: usize = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", step + 1)?;
    }
    tx.commit()?;
    Ok(())
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    /// The one connection; SQLite serialises writes anyway.
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`. Subscriptions are cleared: they belong to
    /// connections, and no connection survives a restart.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        // WAL lets readers proceed during writes; FULL makes each committed event survive a
        // power cut, which is what "stored before it is pushed" promises.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        migrate(&mut conn)?;
        conn.execute("DELETE FROM subscriptions", [])?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    pub(crate) async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // A poisoned lock means a statement panicked; SQLite itself rolled back, so the
            // connection is still usable.
            let mut conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut conn)
        })
        .await?
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        Self::Corrupt(error.to_string())
    }
}

impl From<tokio::task::JoinError> for StoreError {
    fn from(error: tokio::task::JoinError) -> Self {
        Self::Unavailable(format!("the database task failed: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{JobStore, UploadRecord};
    use vidpush_protocol::{JobId, UploadId};

    fn finished_upload(id: &str) -> UploadRecord {
        UploadRecord {
            id: UploadId(id.to_owned()),
            length: 10,
            offset: 10,
            file_name: "clip.mp4".into(),
            file_type: "video/mp4".into(),
            owner: None,
            updated_at_ms: 0,
        }
    }

    #[tokio::test]
    async fn a_database_from_before_the_sensitivity_keeps_its_jobs_and_takes_new_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vidpush.db");
        {
            // What a build before the migration left behind: the first schema and a job.
            let old = Connection::open(&path).unwrap();
            old.execute_batch(SCHEMA).unwrap();
            old.execute(
                "INSERT INTO jobs (id, owner, file_name, size_bytes, state, last_seq, created_at_ms)
                 VALUES ('old', NULL, 'old.mp4', 7, 'queued', 0, 1)",
                [],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let old = store.job(&JobId("old".into())).await.unwrap().unwrap();
        assert_eq!(
            (old.file_name.as_str(), old.size_bytes, old.sensitivity),
            ("old.mp4", 7, None)
        );
        let (new, _) = store
            .create_job(finished_upload("u1"), JobId("new".into()), Some(0.5))
            .await
            .unwrap();
        assert_eq!(new.sensitivity, Some(0.5));
        drop(store);
        // Opening again runs no step twice (a second ALTER TABLE would fail).
        let store = SqliteStore::open(&path).unwrap();
        let new = store.job(&JobId("new".into())).await.unwrap().unwrap();
        assert_eq!(new.sensitivity, Some(0.5));
    }
}
