//! [`JobStore`] in SQLite: the `jobs` and `events` tables.

use super::SqliteStore;
use crate::clock::now_ms;
use crate::ports::{JobCursor, JobPage, JobRecord, JobStore, StoreError, UploadRecord};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use vidpush_protocol::{EventBody, JobEvent, JobId, JobState};

#[async_trait]
impl JobStore for SqliteStore {
    /// Turns a finished upload into a queued job in one transaction: the upload row goes, the
    /// job row and its first event (`job.queued`) come. Returns the job and that event.
    async fn create_job(
        &self,
        upload: UploadRecord,
        job_id: JobId,
        sensitivity: Option<f64>,
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
                sensitivity,
            };
            tx.execute(
                "INSERT INTO jobs (id, owner, file_name, size_bytes, state, last_seq, created_at_ms, sensitivity)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7)",
                params![job.id.as_str(), job.owner, job.file_name, job.size_bytes, job.state.as_str(), job.created_at_ms, job.sensitivity],
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
    async fn job(&self, id: &JobId) -> Result<Option<JobRecord>, StoreError> {
        let id = id.clone();
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT id, owner, file_name, size_bytes, state, last_seq, created_at_ms, sensitivity FROM jobs WHERE id = ?1",
                [id.as_str()],
                job_from_row,
            )
            .optional()?)
        })
        .await
    }

    /// Up to `limit` jobs of `owner`, newest first, after `after`: one indexed range read
    /// (`jobs_by_owner`), one row more than asked for to know whether a next page exists.
    async fn jobs_of(
        &self,
        owner: Option<&str>,
        after: Option<&JobCursor>,
        limit: usize,
    ) -> Result<JobPage, StoreError> {
        let owner = owner.map(str::to_owned);
        // Past every real job: the first page starts at the newest.
        let (before_ms, before_id) = after.map_or((i64::MAX, String::new()), |c| {
            (c.created_at_ms as i64, c.id.as_str().to_owned())
        });
        self.call(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, owner, file_name, size_bytes, state, last_seq, created_at_ms, sensitivity FROM jobs
                 WHERE owner IS ?1 AND (created_at_ms < ?2 OR (created_at_ms = ?2 AND id < ?3))
                 ORDER BY created_at_ms DESC, id DESC LIMIT ?4",
            )?;
            let mut jobs = stmt
                .query_map(
                    params![owner, before_ms, before_id, limit as i64 + 1],
                    job_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            let more = jobs.len() > limit;
            jobs.truncate(limit);
            let next = jobs.last().filter(|_| more).map(|last| JobCursor {
                created_at_ms: last.created_at_ms,
                id: last.id.clone(),
            });
            Ok(JobPage { jobs, next })
        })
        .await
    }

    /// Deletes the job's row and its events in one transaction.
    async fn delete_job(&self, id: &JobId) -> Result<bool, StoreError> {
        let id = id.clone();
        self.call(move |c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM events WHERE job_id = ?1", [id.as_str()])?;
            let deleted = tx.execute("DELETE FROM jobs WHERE id = ?1", [id.as_str()])?;
            tx.commit()?;
            Ok(deleted > 0)
        })
        .await
    }

    /// Jobs in one of `states`, oldest first (for re-queueing after a restart).
    async fn jobs_in(&self, states: &[JobState]) -> Result<Vec<JobRecord>, StoreError> {
        let states: Vec<&'static str> = states.iter().map(|s| s.as_str()).collect();
        self.call(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, owner, file_name, size_bytes, state, last_seq, created_at_ms, sensitivity FROM jobs
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
    async fn append_event(
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

    /// Appends `job.queued` to a failed or cancelled job in one transaction.
    async fn requeue_ended(&self, job: &JobId) -> Result<Option<JobEvent>, StoreError> {
        let job = job.clone();
        self.call(move |c| {
            let tx = c.transaction()?;
            let found: Option<(String, String, u64)> = tx
                .query_row(
                    "SELECT state, file_name, size_bytes FROM jobs WHERE id = ?1",
                    [job.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((state, file_name, size_bytes)) = found else {
                return Ok(None);
            };
            if !matches!(
                parse_state(&state),
                Ok(JobState::Failed | JobState::Cancelled)
            ) {
                return Ok(None);
            }
            let event = append_in(
                &tx,
                &job,
                EventBody::Queued {
                    file_name,
                    size_bytes,
                },
            )?;
            tx.commit()?;
            Ok(Some(event))
        })
        .await
    }

    /// The job's stored events with `seq > after_seq`, in order.
    async fn events_after(&self, job: &JobId, after_seq: u64) -> Result<Vec<String>, StoreError> {
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
        sensitivity: row.get(7)?,
    })
}
