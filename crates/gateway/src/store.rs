//! The SQLite record of open connections (`connectionId`, `connectedAt`, `lastActiveAt`,
//! `sourceIp`, `userAgent`), written by one background thread.
//!
//! Reads are never served from here: the registry in memory is the truth while the process runs,
//! and this file is its durable shadow. Writes are batched into transactions, and `lastActiveAt`
//! is copied in periodically rather than on every message, so message rate never becomes SQLite
//! write rate. On open, rows a previous process left behind are deleted: their sockets are gone.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use tokio::sync::oneshot;

use crate::id::ConnectionId;

/// How often changed `lastActiveAt` values are copied to SQLite. Readers use memory, so this only
/// bounds how stale the file is after a crash.
pub const LAST_ACTIVE_FLUSH_INTERVAL: Duration = Duration::from_secs(5);

/// Most operations written in one transaction; large enough to absorb a connect storm, small
/// enough that a transaction never holds the write lock for long.
const MAX_BATCH: usize = 4096;

/// A row to insert when a connection opens.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub id: ConnectionId,
    pub connected_at: i64,
    pub source_ip: String,
    pub user_agent: String,
}

/// One change for the writer thread.
enum Op {
    Insert(Row),
    Delete(ConnectionId),
    /// Answer once everything sent before is committed.
    Flush(oneshot::Sender<()>),
}

/// Collects `(id, lastActiveAt)` of connections active since the last call.
pub(crate) type DirtyActivity = Box<dyn Fn() -> Vec<(ConnectionId, i64)> + Send + 'static>;

/// The handle through which the gateway sends changes to the writer thread. Dropping every handle
/// ends the thread after a last write.
#[derive(Debug)]
pub(crate) struct Store {
    ops: mpsc::Sender<Op>,
}

/// The SQLite file could not be opened or prepared.
#[derive(Debug, thiserror::Error)]
#[error(
    "could not open the connection store {path}: {source}; check that the directory exists and is writable"
)]
pub struct StoreError {
    path: String,
    #[source]
    source: rusqlite::Error,
}

impl Store {
    /// Opens (or creates) the file at `path`, deletes stale rows and starts the writer thread.
    /// `dirty` is asked periodically for activity to copy into `lastActiveAt`.
    pub(crate) fn open(path: &Path, dirty: DirtyActivity) -> Result<Store, StoreError> {
        let wrap = |source| StoreError {
            path: path.display().to_string(),
            source,
        };
        let db = Connection::open(path).map_err(wrap)?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS connections (
                 connection_id  TEXT PRIMARY KEY,
                 connected_at   INTEGER NOT NULL,
                 last_active_at INTEGER NOT NULL,
                 source_ip      TEXT NOT NULL,
                 user_agent     TEXT NOT NULL
             );",
        )
        .map_err(wrap)?;
        let stale = db.execute("DELETE FROM connections", []).map_err(wrap)?;
        if stale > 0 {
            tracing::info!(stale, "removed connections left by a previous run");
        }
        let (ops, receiver) = mpsc::channel();
        thread::Builder::new()
            .name("gateway-store".into())
            .spawn(move || write_loop(db, receiver, dirty))
            .map_err(|e| wrap(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        Ok(Store { ops })
    }

    pub(crate) fn insert(&self, row: Row) {
        // The thread only stops when every sender is gone, and `self` is one, so this cannot fail
        // unless the thread panicked; then there is nothing better to do than drop the write.
        let _ = self.ops.send(Op::Insert(row));
    }

    pub(crate) fn delete(&self, id: ConnectionId) {
        let _ = self.ops.send(Op::Delete(id));
    }

    /// Waits until every change sent so far, and current activity, is committed.
    pub(crate) async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.ops.send(Op::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

/// The writer thread: batches of operations, one transaction each.
fn write_loop(mut db: Connection, receiver: mpsc::Receiver<Op>, dirty: DirtyActivity) {
    let mut last_touch = Instant::now();
    loop {
        let mut batch = Vec::new();
        let mut closing = false;
        match receiver.recv_timeout(LAST_ACTIVE_FLUSH_INTERVAL) {
            Ok(op) => batch.push(op),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => closing = true,
        }
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let flushing = batch.iter().any(|op| matches!(op, Op::Flush(_)));
        let touches = if closing || flushing || last_touch.elapsed() >= LAST_ACTIVE_FLUSH_INTERVAL {
            last_touch = Instant::now();
            dirty()
        } else {
            Vec::new()
        };
        if let Err(error) = write_batch(&mut db, &batch, &touches) {
            tracing::warn!(%error, "could not write connection changes to SQLite");
        }
        for op in batch {
            if let Op::Flush(done) = op {
                let _ = done.send(());
            }
        }
        if closing {
            return;
        }
    }
}

fn write_batch(
    db: &mut Connection,
    batch: &[Op],
    touches: &[(ConnectionId, i64)],
) -> rusqlite::Result<()> {
    if batch.is_empty() && touches.is_empty() {
        return Ok(());
    }
    let tx = db.transaction()?;
    {
        let mut insert =
            tx.prepare_cached("INSERT OR REPLACE INTO connections VALUES (?1, ?2, ?2, ?3, ?4)")?;
        let mut delete = tx.prepare_cached("DELETE FROM connections WHERE connection_id = ?1")?;
        for op in batch {
            match op {
                Op::Insert(row) => {
                    insert.execute(params![
                        row.id.as_str(),
                        row.connected_at,
                        row.source_ip,
                        row.user_agent
                    ])?;
                }
                Op::Delete(id) => {
                    delete.execute(params![id.as_str()])?;
                }
                Op::Flush(_) => {}
            }
        }
        let mut touch = tx.prepare_cached(
            "UPDATE connections SET last_active_at = ?2 WHERE connection_id = ?1",
        )?;
        for (id, at) in touches {
            touch.execute(params![id.as_str(), at])?;
        }
    }
    tx.commit()
}
