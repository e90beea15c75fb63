//! [`JobQueue`] in process: a bounded channel, so a flood of jobs is refused, not hoarded.

use crate::ports::{JobQueue, QueueFull, QueuePlace, StoreError};
use async_trait::async_trait;
use tokio::sync::{Mutex, mpsc};
use vidpush_protocol::JobId;

/// Seconds a refused client is told to wait when the queue is full: about one short job.
const RETRY_AFTER_SECS: u64 = 10;

/// The in-process queue of the one-process server.
pub struct InProcessQueue {
    /// Where jobs are put.
    sender: mpsc::Sender<JobId>,
    /// Where workers take them, one at a time.
    receiver: Mutex<mpsc::Receiver<JobId>>,
}

impl InProcessQueue {
    /// A queue with room for `limit` waiting jobs (at least one).
    pub fn new(limit: usize) -> Self {
        let (sender, receiver) = mpsc::channel(limit.max(1));
        Self {
            sender,
            receiver: Mutex::new(receiver),
        }
    }
}

/// A reserved place in the channel.
struct Place(mpsc::OwnedPermit<JobId>);

#[async_trait]
impl QueuePlace for Place {
    async fn put(self: Box<Self>, job: JobId) -> Result<(), StoreError> {
        self.0.send(job);
        Ok(())
    }
}

#[async_trait]
impl JobQueue for InProcessQueue {
    fn reserve(&self) -> Result<Box<dyn QueuePlace>, QueueFull> {
        self.sender
            .clone()
            .try_reserve_owned()
            .map(|permit| Box::new(Place(permit)) as Box<dyn QueuePlace>)
            .map_err(|_| QueueFull {
                retry_after_secs: RETRY_AFTER_SECS,
            })
    }

    async fn requeue(&self, job: JobId) -> Result<(), StoreError> {
        self.sender
            .send(job)
            .await
            .map_err(|_| StoreError::Unavailable("the job queue is closed".into()))
    }

    async fn next(&self) -> Option<JobId> {
        self.receiver.lock().await.recv().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_refuses_a_reservation_until_a_worker_takes_a_job() {
        let queue = InProcessQueue::new(1);
        let place = queue.reserve().expect("room for one");
        assert!(queue.reserve().is_err(), "a reserved place counts as taken");
        place.put(JobId("a".into())).await.unwrap();
        assert!(queue.reserve().is_err());
        assert_eq!(queue.next().await, Some(JobId("a".into())));
        assert!(queue.reserve().is_ok());
    }
}
