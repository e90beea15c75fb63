//! The backend's durable state in SQLite: uploads, jobs, each job's event stream, and which
//! connection follows which job.
//!
//! Owns the schema and every SQL statement; nothing else in the crate writes SQL. Events are
//! appended inside one transaction that also advances the job's `last_seq`, so a job's stream
//! is gap-free by construction. It must never push anything: storing comes first, pushing is
//! the caller's next step.

use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use vidpush_protocol::{EventBody, JobEvent, JobId, JobState, UploadId};

/// Something went wrong inside the store. Never shown to users as is.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused a statement.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored event could not be decoded (the file was edited or is from a newer version).
    #[error("a stored event is not valid: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// The blocking task running the statement died.
    #[error("the database task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// One tus upload as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadRecord {
    /// The upload's id (also its file name on disk).
    pub id: UploadId,
    /// The size the client declared at creation.
    pub length: u64,
    /// Bytes received and flushed to disk.
    pub offset: u64,
    /// The client's file name, for display only; never used as a path.
    pub file_name: String,
    /// The client's MIME type, for display only.
    pub file_type: String,
    /// The principal that created it, when tokens are on.
    pub owner: Option<String>,
    /// Last time bytes arrived, for expiry.
    pub updated_at_ms: u64,
}

/// One job as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct JobRecord {
    /// The job's id.
    pub id: JobId,
    /// The principal that created it, when tokens are on.
    pub owner: Option<String>,
    /// The uploaded file's name, for display only.
    pub file_name: String,
    /// The uploaded file's size.
    pub size_bytes: u64,
    /// Where the job stands.
    pub state: JobState,
    /// The newest event's `seq` (0 before the first).
    pub last_seq: u64,
    /// Creation time.
    pub created_at_ms: u64,
}

/// Milliseconds since the Unix epoch, as stored.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A fresh random id: 128 bits as 26 lower-case base-32 characters, URL- and file-safe.
pub fn new_id() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut value: u128 = rand::random();
    (0..26)
        .map(|_| {
            let c = ALPHABET[(value & 31) as usize] as char;
            value >>= 5;
            c
        })
        .collect()
}

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
";

/// Handle to the database; cheap to clone. Every call runs on tokio's blocking pool, so a
/// slow disk never stalls the async workers.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (or creates) the database at `path`. Subscriptions are cleared: they belong to
    /// connections, and no connection survives a restart.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        // WAL lets readers proceed during writes; FULL makes each committed event survive a
        // power cut, which is what "stored before it is pushed" promises.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        conn.execute("DELETE FROM subscriptions", [])?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.call_on_this_thread(f)).await?
    }

    /// Runs `f` on the calling thread, which must be allowed to block: a blocking-pool thread
    /// that already does blocking work. Such a thread must never wait on another blocking
    /// thread (`block_on` of an async call), or writers that fill the pool deadlock it.
    fn call_on_this_thread<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Connection) -> Result<T, StoreError>,
    {
        // A poisoned lock means a statement panicked; SQLite itself rolled back, so the
        // connection is still usable.
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut conn)
    }

    // ----- uploads -----

    /// Records a new, empty upload.
    pub async fn create_upload(&self, upload: UploadRecord) -> Result<(), StoreError> {
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
    pub async fn upload(&self, id: &UploadId) -> Result<Option<UploadRecord>, StoreError> {
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

    /// Records that bytes up to `offset` are on disk (after they were flushed). Blocking: for
    /// the upload writer, which runs on a blocking thread and must not wait for another one.
    pub fn set_upload_offset_blocking(&self, id: &UploadId, offset: u64) -> Result<(), StoreError> {
        self.call_on_this_thread(|c| {
            c.execute(
                "UPDATE uploads SET offset = ?2, updated_at_ms = ?3 WHERE id = ?1",
                params![id.as_str(), offset, now_ms()],
            )?;
            Ok(())
        })
    }

    /// Forgets an upload (its file is the caller's to remove).
    pub async fn delete_upload(&self, id: &UploadId) -> Result<bool, StoreError> {
        let id = id.clone();
        self.call(move |c| Ok(c.execute("DELETE FROM uploads WHERE id = ?1", [id.as_str()])? > 0))
            .await
    }

    /// Uploads, finished or not, with no bytes since `before_ms`: the expiry sweep removes
    /// them. An upload a job used is no longer here (its row went when the job was made).
    pub async fn stale_uploads(&self, before_ms: u64) -> Result<Vec<UploadId>, StoreError> {
        self.call(move |c| {
            let mut stmt = c.prepare("SELECT id FROM uploads WHERE updated_at_ms < ?1")?;
            let ids = stmt
                .query_map([before_ms], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ids.into_iter().map(UploadId).collect())
        })
        .await
    }

    // ----- jobs and events -----

    /// Turns a finished upload into a queued job in one transaction: the upload row goes, the
    /// job row and its first event (`job.queued`) come. Returns the job and that event.
    pub async fn create_job(
        &self,
        upload: UploadRecord,
        job_id: JobId,
    ) -> Result<(JobRecord, JobEvent), StoreError> {
        self.call(move |c| {
            let tx = c.transaction()?;
            let job = JobRecord {
                id: job_id,
                owner: upload.owner.clone(),
                file_name: upload.file_name.clone(),
                size_bytes: upload.length,
                state: JobState::Queued,
                last_seq: 0,
                created_at_ms: now_ms(),
            };
            tx.execute(
                "INSERT INTO jobs (id, owner, file_name, size_bytes, state, last_seq, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
                params![job.id.as_str(), job.owner, job.file_name, job.size_bytes, job.state.as_str(), job.created_at_ms],
            )?;
            tx.execute("DELETE FROM uploads WHERE id = ?1", [upload.id.as_str()])?;
            let body = EventBody::Queued { file_name: job.file_name.clone(), size_bytes: job.size_bytes };
            let event = append_in(&tx, &job.id, body)?;
            tx.commit()?;
            let job = JobRecord { last_seq: event.seq, ..job };
            Ok((job, event))
        })
        .await
    }

    /// The job with this id, if any.
    pub async fn job(&self, id: &JobId) -> Result<Option<JobRecord>, StoreError> {
        let id = id.clone();
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT id, owner, file_name, size_bytes, state, last_seq, created_at_ms FROM jobs WHERE id = ?1",
                [id.as_str()],
                job_from_row,
            )
            .optional()?)
        })
        .await
    }

    /// Jobs in one of `states`, oldest first (for re-queueing after a restart).
    pub async fn jobs_in(&self, states: &[JobState]) -> Result<Vec<JobRecord>, StoreError> {
        let states: Vec<&'static str> = states.iter().map(|s| s.as_str()).collect();
        self.call(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, owner, file_name, size_bytes, state, last_seq, created_at_ms FROM jobs
                 WHERE state IN (SELECT value FROM json_each(?1)) ORDER BY created_at_ms",
            )?;
            let list = serde_json::to_string(&states)?;
            let jobs = stmt
                .query_map([list], job_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(jobs)
        })
        .await
    }

    /// Appends an event to a job's stream with the next `seq`, updating the job's state when
    /// the event changes it. Refuses (returns `None`) once the job is in a final state, so
    /// nothing can follow `job.completed`, `job.failed` or `job.cancelled`.
    pub async fn append_event(
        &self,
        job: &JobId,
        body: EventBody,
    ) -> Result<Option<JobEvent>, StoreError> {
        let job = job.clone();
        self.call(move |c| {
            let tx = c.transaction()?;
            let state: Option<String> = tx
                .query_row(
                    "SELECT state FROM jobs WHERE id = ?1",
                    [job.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            match state.as_deref().map(parse_state) {
                Some(Ok(state)) if !state.is_final() => {}
                _ => return Ok(None),
            }
            let event = append_in(&tx, &job, body)?;
            tx.commit()?;
            Ok(Some(event))
        })
        .await
    }

    /// The job's stored events with `seq > after_seq`, in order.
    pub async fn events_after(
        &self,
        job: &JobId,
        after_seq: u64,
    ) -> Result<Vec<String>, StoreError> {
        let job = job.clone();
        self.call(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT body FROM events WHERE job_id = ?1 AND seq > ?2 ORDER BY seq",
            )?;
            let bodies = stmt
                .query_map(params![job.as_str(), after_seq], |row| {
                    row.get::<_, String>(0)
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(bodies)
        })
        .await
    }

    // ----- subscriptions -----

    /// Records that `connection` follows `job`.
    pub async fn subscribe(&self, job: &JobId, connection: &str) -> Result<(), StoreError> {
        let (job, connection) = (job.clone(), connection.to_owned());
        self.call(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO subscriptions (job_id, connection_id) VALUES (?1, ?2)",
                params![job.as_str(), connection],
            )?;
            Ok(())
        })
        .await
    }

    /// Removes one subscription; returns whether it existed.
    pub async fn unsubscribe(&self, job: &JobId, connection: &str) -> Result<bool, StoreError> {
        let (job, connection) = (job.clone(), connection.to_owned());
        self.call(move |c| {
            Ok(c.execute(
                "DELETE FROM subscriptions WHERE job_id = ?1 AND connection_id = ?2",
                params![job.as_str(), connection],
            )? > 0)
        })
        .await
    }

    /// Removes every subscription of a connection; returns the jobs it followed.
    pub async fn drop_connection(&self, connection: &str) -> Result<Vec<JobId>, StoreError> {
        let connection = connection.to_owned();
        self.call(move |c| {
            let tx = c.transaction()?;
            let jobs = {
                let mut stmt =
                    tx.prepare("SELECT job_id FROM subscriptions WHERE connection_id = ?1")?;
                stmt.query_map([connection.as_str()], |row| row.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?
            };
            tx.execute(
                "DELETE FROM subscriptions WHERE connection_id = ?1",
                [connection.as_str()],
            )?;
            tx.commit()?;
            Ok(jobs.into_iter().map(JobId).collect())
        })
        .await
    }

    /// The connections following a job.
    pub async fn subscribers(&self, job: &JobId) -> Result<Vec<String>, StoreError> {
        let job = job.clone();
        self.call(move |c| {
            let mut stmt =
                c.prepare_cached("SELECT connection_id FROM subscriptions WHERE job_id = ?1")?;
            let ids = stmt
                .query_map([job.as_str()], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ids)
        })
        .await
    }
}

fn append_in(
    tx: &rusqlite::Transaction<'_>,
    job: &JobId,
    body: EventBody,
) -> Result<JobEvent, StoreError> {
    let last: u64 = tx.query_row(
        "SELECT last_seq FROM jobs WHERE id = ?1",
        [job.as_str()],
        |r| r.get(0),
    )?;
    let event = JobEvent {
        job_id: job.clone(),
        seq: last + 1,
        at_ms: now_ms(),
        body,
    };
    tx.execute(
        "INSERT INTO events (job_id, seq, body) VALUES (?1, ?2, ?3)",
        params![job.as_str(), event.seq, event.to_json()],
    )?;
    match event.body.state_after() {
        Some(state) => tx.execute(
            "UPDATE jobs SET last_seq = ?2, state = ?3 WHERE id = ?1",
            params![job.as_str(), event.seq, state.as_str()],
        )?,
        None => tx.execute(
            "UPDATE jobs SET last_seq = ?2 WHERE id = ?1",
            params![job.as_str(), event.seq],
        )?,
    };
    Ok(event)
}

fn parse_state(s: &str) -> Result<JobState, serde_json::Error> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
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

fn job_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<JobRecord> {
    let state: String = row.get(4)?;
    let state = parse_state(&state).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(JobRecord {
        id: JobId(row.get(0)?),
        owner: row.get(1)?,
        file_name: row.get(2)?,
        size_bytes: row.get(3)?,
        state,
        last_seq: row.get(5)?,
        created_at_ms: row.get(6)?,
    })
}
