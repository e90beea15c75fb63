//! The worker of the AWS home: the local server's job runner ([`Jobs`]) unchanged, over the AWS
//! adapters — jobs from SQS, records in DynamoDB, objects in S3, pushes through `@connections`.
//! It runs as a long-lived process (an ECS Fargate task), so a two-hour film is not cut off at
//! Lambda's fifteen minutes. A cancel stored by the message function reaches it through
//! [`Jobs::follow_stored_cancels`].

use crate::dynamodb::DynamoStore;
use crate::push::ApiGatewayPush;
use crate::s3::S3Objects;
use crate::sdk::{self, Endpoint};
use crate::settings::Resources;
use crate::sqs::SqsQueue;
use async_trait::async_trait;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use vidpush_protocol::JobId;
use vidpush_server::background::Background;
use vidpush_server::jobs::Jobs;
use vidpush_server::jobs::analyzer::{FfmpegAnalyzer, VideoAnalyzer};
use vidpush_server::ports::{
    JobObjects, JobQueue, JobStore, Push, QueueFull, QueuePlace, StoreError, Subscriptions,
};
use vidpush_server::publisher::{self, Publisher};

/// How often a running job's stored state is read to notice a cancel made elsewhere: the
/// issue's bound is a second, and one strongly consistent read per running job twice a second
/// costs well under a cent a day.
pub const CANCEL_CHECK: Duration = Duration::from_millis(500);

/// How the worker runs.
pub struct WorkerOptions {
    /// Jobs analysed at once (a Fargate task with 2 vCPU runs one well).
    pub workers: usize,
    /// Where sources are downloaded for the decoder.
    pub scratch: PathBuf,
    /// The analyzer (the real one in production; tests may give their own).
    pub analyzer: Arc<dyn VideoAnalyzer>,
}

impl WorkerOptions {
    /// One job at a time with the real analyzer, downloading into `scratch`.
    pub fn new(scratch: impl Into<PathBuf>) -> Self {
        Self {
            workers: 1,
            scratch: scratch.into(),
            analyzer: Arc::new(FfmpegAnalyzer {
                options: Default::default(),
            }),
        }
    }
}

/// The SQS queue, and the worker's disk kept clean: when the worker is done with a job, its
/// downloaded source goes (the object stays in S3 as long as the job).
struct WorkerQueue {
    sqs: SqsQueue,
    objects: Arc<S3Objects>,
}

#[async_trait]
impl JobQueue for WorkerQueue {
    fn reserve(&self) -> Result<Box<dyn QueuePlace>, QueueFull> {
        self.sqs.reserve()
    }

    async fn requeue(&self, job: JobId) -> Result<(), StoreError> {
        self.sqs.requeue(job).await
    }

    async fn next(&self) -> Option<JobId> {
        self.sqs.next().await
    }

    async fn done(&self, job: &JobId) {
        self.objects.forget_local(job).await;
        self.sqs.done(job).await;
    }
}

/// A running worker.
pub struct Worker {
    jobs: Jobs,
    background: Background,
}

impl Worker {
    /// Starts taking jobs from the queue.
    pub async fn start(endpoint: &Endpoint, resources: Resources, options: WorkerOptions) -> Self {
        let config = sdk::config(endpoint).await;
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), resources.tables);
        let job_store: Arc<dyn JobStore> = Arc::new(store.clone());
        let subscriptions: Arc<dyn Subscriptions> = Arc::new(store);
        let push: Arc<dyn Push> =
            Arc::new(ApiGatewayPush::new(&config, &resources.management_endpoint));
        let s3 = Arc::new(S3Objects::new(
            sdk::s3_client(&config, endpoint),
            resources.bucket,
            options.scratch,
        ));
        let objects: Arc<dyn JobObjects> = s3.clone();
        let queue: Arc<dyn JobQueue> = Arc::new(WorkerQueue {
            sqs: SqsQueue::new(aws_sdk_sqs::Client::new(&config), resources.queue_url),
            objects: s3,
        });
        // Jobs run to the end with nobody watching: the publisher's notices of unwatched jobs
        // go nowhere (it drops them when nobody reads), and the runner gets none.
        let (notices, _unread) = tokio::sync::mpsc::channel(publisher::ORPHAN_NOTICES_QUEUED);
        let (_none, no_orphans) = tokio::sync::mpsc::channel(1);
        let publisher = Publisher::new(job_store.clone(), subscriptions.clone(), push, notices);
        let background = Background::default();
        let jobs = Jobs::start(
            job_store,
            subscriptions,
            publisher,
            options.analyzer,
            objects,
            options.workers,
            queue,
            None,
            no_orphans,
            background.clone(),
        );
        jobs.follow_stored_cancels(CANCEL_CHECK);
        Self { jobs, background }
    }

    /// Jobs being analysed now.
    pub fn running_count(&self) -> usize {
        self.jobs.running_count()
    }

    /// Stops: running analyses are interrupted and left with the queue, which hands them to
    /// another worker after their visibility timeout.
    pub async fn stop(self) {
        self.jobs.shutdown().await;
        self.background.stop().await;
    }
}
