//! The worker of the AWS home: the local server's job runner ([`Jobs`]) unchanged, over the AWS
//! adapters — jobs from SQS, records in DynamoDB, objects in S3, pushes through `@connections`.
//! It runs as a long-lived process (an ECS Fargate task), so a two-hour film is not cut off at
//! Lambda's fifteen minutes. A cancel stored by the message function reaches it through
//! [`Jobs::follow_stored_cancels`].

use crate::s3::S3Objects;
use crate::sdk::Endpoint;
use crate::settings::Resources;
use crate::sqs::SqsQueue;
use crate::wiring::AwsPorts;
use async_trait::async_trait;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use vidpush_protocol::JobId;
use vidpush_server::background::Background;
use vidpush_server::jobs::Jobs;
use vidpush_server::jobs::analyzer::{FfmpegAnalyzer, VideoAnalyzer};
use vidpush_server::ports::{JobObjects, JobQueue, QueueFull, QueuePlace, StoreError};

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
        let ports = AwsPorts::connect(endpoint, &resources, options.scratch.clone()).await;
        Self::start_over(ports, &resources, options)
    }

    /// Starts taking jobs from the queue, over `ports` (a test's may push differently).
    pub fn start_over(ports: AwsPorts, resources: &Resources, options: WorkerOptions) -> Self {
        let objects: Arc<dyn JobObjects> = ports.objects.clone();
        let queue: Arc<dyn JobQueue> = Arc::new(WorkerQueue {
            sqs: ports.queue(resources),
            objects: ports.objects,
        });
        // Jobs run to the end with nobody watching: the runner gets no notices of unwatched jobs.
        let (_none, no_orphans) = tokio::sync::mpsc::channel(1);
        let (job_store, subscriptions, publisher) =
            (ports.job_store, ports.subscriptions, ports.publisher);
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
