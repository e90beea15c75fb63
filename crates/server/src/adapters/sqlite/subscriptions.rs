//! [`Subscriptions`] in SQLite: the `subscriptions` table, emptied at start-up since no
//! connection survives a restart.

use super::SqliteStore;
use crate::ports::{StoreError, Subscriptions};
use async_trait::async_trait;
use rusqlite::params;
use vidpush_protocol::JobId;

#[async_trait]
impl Subscriptions for SqliteStore {
    /// Records that `connection` follows `job`.
    async fn subscribe(&self, job: &JobId, connection: &str) -> Result<(), StoreError> {
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
    async fn unsubscribe(&self, job: &JobId, connection: &str) -> Result<bool, StoreError> {
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
    async fn drop_connection(&self, connection: &str) -> Result<Vec<JobId>, StoreError> {
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
    async fn subscribers(&self, job: &JobId) -> Result<Vec<String>, StoreError> {
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
