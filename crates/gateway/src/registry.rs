//! The live connections, in memory: who is open, their outbound queues, and the count that caps
//! them. The source of truth for `@connections` while the process runs.
//!
//! Each connection is a small [`Entry`] shared by its own task (which owns the socket) and by
//! whoever posts to it. The registry never touches a socket; it only queues and signals.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use bytes::Bytes;
use tokio::sync::Notify;

use crate::close_code::SLOW_READER_CLOSE;
use crate::handshake::Principal;
use crate::id::ConnectionId;
use crate::route::{CloseInfo, Identity};

/// Most bytes that may wait in one connection's outbound queue. A client that stops reading
/// would otherwise make the gateway hold every post for it; past this it is closed with 1008.
pub const MAX_QUEUED_BYTES: usize = 8 * 1024 * 1024;

/// Why a post or close found no open connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotOpen;

/// What waits to be written to one socket.
#[derive(Debug, Default)]
struct Outbox {
    /// Messages in the order they were posted.
    queue: VecDeque<Bytes>,
    /// Sum of the lengths in `queue`, to enforce [`MAX_QUEUED_BYTES`].
    queued_bytes: usize,
    /// Set once the connection is to be closed; nothing more is accepted after it.
    close: Option<CloseInfo>,
}

/// One open connection, as everyone but its own task sees it.
#[derive(Debug)]
pub(crate) struct Entry {
    pub id: ConnectionId,
    /// Milliseconds since the epoch when the connection was accepted.
    pub connected_at: i64,
    pub identity: Identity,
    pub principal: Option<Principal>,
    /// Milliseconds since the epoch of the last message from the client.
    last_active: AtomicI64,
    /// Whether `last_active` changed since the store last copied it.
    active_dirty: AtomicBool,
    outbox: Mutex<Outbox>,
    /// Wakes the connection's task when `outbox` has something for it.
    pub wake: Notify,
}

impl Entry {
    pub(crate) fn new(
        id: ConnectionId,
        connected_at: i64,
        identity: Identity,
        principal: Option<Principal>,
    ) -> Self {
        Entry {
            id,
            connected_at,
            identity,
            principal,
            last_active: AtomicI64::new(connected_at),
            active_dirty: AtomicBool::new(false),
            outbox: Mutex::new(Outbox::default()),
            wake: Notify::new(),
        }
    }

    fn outbox(&self) -> MutexGuard<'_, Outbox> {
        // The outbox is a queue and a flag; a panic elsewhere cannot leave it half-changed in a
        // way that matters, so a poisoned lock is still used.
        self.outbox
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn last_active(&self) -> i64 {
        self.last_active.load(Ordering::Relaxed)
    }

    /// Records a message from the client at `now` (milliseconds since the epoch).
    pub(crate) fn touch(&self, now: i64) {
        self.last_active.store(now, Ordering::Relaxed);
        self.active_dirty.store(true, Ordering::Relaxed);
    }

    /// Queues a message for the socket, keeping post order.
    pub(crate) fn push(&self, message: Bytes) -> Result<(), NotOpen> {
        let mut outbox = self.outbox();
        if outbox.close.is_some() {
            return Err(NotOpen);
        }
        if outbox.queued_bytes + message.len() > MAX_QUEUED_BYTES {
            outbox.close = Some(CloseInfo {
                code: SLOW_READER_CLOSE,
                reason: "client is not reading its messages".into(),
            });
            drop(outbox);
            self.wake.notify_one();
            return Err(NotOpen);
        }
        outbox.queued_bytes += message.len();
        outbox.queue.push_back(message);
        drop(outbox);
        self.wake.notify_one();
        Ok(())
    }

    /// Asks the connection's task to close with `code`; the first request wins.
    pub(crate) fn request_close(&self, code: u16, reason: &str) -> Result<(), NotOpen> {
        let mut outbox = self.outbox();
        if outbox.close.is_some() {
            return Err(NotOpen);
        }
        outbox.close = Some(CloseInfo {
            code,
            reason: reason.to_owned(),
        });
        drop(outbox);
        self.wake.notify_one();
        Ok(())
    }

    /// Everything queued, in order, and the close request if there is one. Messages queued
    /// before a close are still delivered before it.
    /// The close asked for, if any, without taking anything.
    pub(crate) fn close_requested(&self) -> Option<CloseInfo> {
        self.outbox().close.clone()
    }

    pub(crate) fn take(&self) -> (VecDeque<Bytes>, Option<CloseInfo>) {
        let mut outbox = self.outbox();
        outbox.queued_bytes = 0;
        (std::mem::take(&mut outbox.queue), outbox.close.clone())
    }
}

/// The set of open connections and the count of admitted ones.
#[derive(Debug)]
pub(crate) struct Registry {
    open: RwLock<HashMap<ConnectionId, Arc<Entry>>>,
    /// Connections admitted and not yet finished (opening, open or closing).
    admitted: AtomicUsize,
    /// Set (under the `open` write lock) when shutdown starts; no connection opens after it.
    shutting_down: AtomicBool,
    /// Signalled when `admitted` drops to zero.
    drained: Notify,
    max: usize,
}

/// One admitted connection's place under the cap; freed when dropped.
#[derive(Debug)]
pub(crate) struct Slot(Arc<Registry>);

impl Drop for Slot {
    fn drop(&mut self) {
        if self.0.admitted.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.drained.notify_waiters();
        }
    }
}

impl Registry {
    pub(crate) fn new(max: usize) -> Self {
        Registry {
            open: RwLock::new(HashMap::new()),
            admitted: AtomicUsize::new(0),
            shutting_down: AtomicBool::new(false),
            drained: Notify::new(),
            max,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<ConnectionId, Arc<Entry>>> {
        // Map operations do not panic halfway; a poisoned lock still guards a consistent map.
        self.open
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<ConnectionId, Arc<Entry>>> {
        self.open
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Whether one more connection could be admitted now (does not reserve it).
    pub(crate) fn has_room(&self) -> bool {
        !self.shutting_down.load(Ordering::Acquire)
            && self.admitted.load(Ordering::Acquire) < self.max
    }

    /// Reserves a place under the cap, or `None` when full or shutting down.
    pub(crate) fn reserve(self: &Arc<Self>) -> Option<Slot> {
        if self.shutting_down.load(Ordering::Acquire) {
            return None;
        }
        self.admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(Arc::clone(self)))
    }

    /// A random id that no open connection has.
    pub(crate) fn fresh_id(&self) -> ConnectionId {
        loop {
            let id = ConnectionId::new_random();
            if !self.read().contains_key(id.as_str()) {
                return id;
            }
        }
    }

    /// Makes `entry` open; false when shutdown has started (the caller must close it).
    pub(crate) fn insert(&self, entry: Arc<Entry>) -> bool {
        let mut open = self.write();
        if self.shutting_down.load(Ordering::Acquire) {
            return false;
        }
        open.insert(entry.id.clone(), entry);
        true
    }

    pub(crate) fn remove(&self, id: &ConnectionId) {
        self.write().remove(id.as_str());
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Entry>> {
        self.read().get(id).cloned()
    }

    pub(crate) fn len(&self) -> usize {
        self.read().len()
    }

    /// `(id, lastActiveAt)` of every connection that had a message since the last call.
    pub(crate) fn take_dirty(&self) -> Vec<(ConnectionId, i64)> {
        self.read()
            .values()
            .filter(|e| e.active_dirty.swap(false, Ordering::Relaxed))
            .map(|e| (e.id.clone(), e.last_active()))
            .collect()
    }

    /// Stops admissions and returns every open connection, so the caller can close them.
    pub(crate) fn begin_shutdown(&self) -> Vec<Arc<Entry>> {
        let open = self.write();
        self.shutting_down.store(true, Ordering::Release);
        open.values().cloned().collect()
    }

    /// Waits until every admitted connection has finished.
    pub(crate) async fn drained(&self) {
        loop {
            let notified = self.drained.notified();
            tokio::pin!(notified);
            // Register interest before checking, so a drop to zero in between is not missed.
            notified.as_mut().enable();
            if self.admitted.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}
