//! [`JobQueue`] on SQS. A received job stays invisible to other workers while a heartbeat keeps
//! extending its visibility, and its message is deleted only when the worker is done with it,
//! so a worker that dies mid-job gives the job back; one that keeps dying sends it to the
//! dead-letter queue after the queue's `maxReceiveCount`.

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::task::JoinHandle;
use vidpush_protocol::JobId;
use vidpush_server::ports::{JobQueue, QueueFull, QueuePlace, StoreError};

/// How long a received job stays hidden from other workers without a heartbeat. Short, so a
/// crashed worker's job is taken again soon; the heartbeat renews it every third of it.
pub const VISIBILITY: Duration = Duration::from_secs(60);

/// SQS long polling: a receive waits up to this long for a message (its maximum), so an idle
/// worker makes three requests a minute.
const WAIT: Duration = Duration::from_secs(20);

/// The pause after a failed receive, so an unreachable queue is not hammered.
const RECEIVE_RETRY: Duration = Duration::from_secs(1);

/// A received job: its receipt, and the task that keeps it invisible.
struct Held {
    receipt: String,
    heartbeat: JoinHandle<()>,
}

/// The job queue on SQS.
pub struct SqsQueue {
    client: Client,
    /// The queue's URL.
    url: String,
    /// How long a received job stays hidden between heartbeats.
    visibility: Duration,
    /// How long one receive waits for a message (SQS long polling).
    wait: Duration,
    /// Jobs received and not yet done, by id.
    held: Mutex<HashMap<JobId, Held>>,
}

/// A worker that stops stops renewing: its jobs become visible again after `visibility`.
impl Drop for SqsQueue {
    fn drop(&mut self) {
        for (_, held) in self
            .held
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
        {
            held.heartbeat.abort();
        }
    }
}

impl SqsQueue {
    /// The queue at `url`.
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
            visibility: VISIBILITY,
            wait: WAIT,
            held: Mutex::default(),
        }
    }

    /// The same queue with another visibility window (tests use seconds, not a minute).
    pub fn with_visibility(mut self, visibility: Duration) -> Self {
        self.visibility = visibility;
        self
    }

    /// The same queue with a shorter long poll. A receive abandoned by its caller still waits
    /// at SQS and may take a message nobody then reads (it comes back after its visibility
    /// timeout); tests that give up on `next` keep that window short.
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    async fn send(client: &Client, url: &str, job: &JobId) -> Result<(), StoreError> {
        client
            .send_message()
            .queue_url(url)
            .message_body(job.as_str())
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(format!("SQS: {}", DisplayErrorContext(e))))?;
        Ok(())
    }

    /// Renews `receipt`'s invisibility until aborted.
    fn heartbeat(&self, receipt: String) -> JoinHandle<()> {
        let (client, url, visibility) = (self.client.clone(), self.url.clone(), self.visibility);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(visibility / 3).await;
                let renewed = client
                    .change_message_visibility()
                    .queue_url(&url)
                    .receipt_handle(&receipt)
                    .visibility_timeout(secs(visibility))
                    .send()
                    .await;
                if let Err(error) = renewed {
                    tracing::warn!(error = %DisplayErrorContext(error), "could not renew a job's visibility");
                }
            }
        })
    }
}

fn secs(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs()).unwrap_or(i32::MAX)
}

/// A place on SQS: the queue has no bound, so every reservation succeeds.
struct SqsPlace {
    client: Client,
    url: String,
}

#[async_trait]
impl QueuePlace for SqsPlace {
    async fn put(self: Box<Self>, job: JobId) -> Result<(), StoreError> {
        SqsQueue::send(&self.client, &self.url, &job).await
    }
}

#[async_trait]
impl JobQueue for SqsQueue {
    fn reserve(&self) -> Result<Box<dyn QueuePlace>, QueueFull> {
        Ok(Box::new(SqsPlace {
            client: self.client.clone(),
            url: self.url.clone(),
        }))
    }

    async fn requeue(&self, job: JobId) -> Result<(), StoreError> {
        Self::send(&self.client, &self.url, &job).await
    }

    async fn next(&self) -> Option<JobId> {
        loop {
            let received = self
                .client
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(1)
                .wait_time_seconds(secs(self.wait))
                .visibility_timeout(secs(self.visibility))
                .send()
                .await;
            let messages = match received {
                Ok(output) => output.messages.unwrap_or_default(),
                Err(error) => {
                    tracing::warn!(error = %DisplayErrorContext(error), "could not receive from the job queue");
                    tokio::time::sleep(RECEIVE_RETRY).await;
                    continue;
                }
            };
            for message in messages {
                let (Some(body), Some(receipt)) = (message.body, message.receipt_handle) else {
                    continue;
                };
                let job = JobId(body);
                let heartbeat = self.heartbeat(receipt.clone());
                let earlier = self
                    .held
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(job.clone(), Held { receipt, heartbeat });
                if let Some(earlier) = earlier {
                    earlier.heartbeat.abort();
                }
                return Some(job);
            }
        }
    }

    async fn done(&self, job: &JobId) {
        let held = self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(job);
        let Some(held) = held else { return };
        held.heartbeat.abort();
        let deleted = self
            .client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(&held.receipt)
            .send()
            .await;
        if let Err(error) = deleted {
            // The job comes back after its visibility timeout and is skipped as no longer queued.
            tracing::warn!(job = %job, error = %DisplayErrorContext(error), "could not delete a finished job's message");
        }
    }
}
