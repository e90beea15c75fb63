//! The worker of the AWS home end to end against the simulated stack: moto for DynamoDB, S3 and
//! SQS, the local gateway in AWS mode for `@connections`, the real analyzer on a generated clip.
//! The job is created the way the HTTP function will create it: upload object, upload record,
//! job record, adopted source, queue message.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vidpush_analysis::synthetic::{ClipSpec, Container, Content, Entry, Segment};
use vidpush_analysis::{AnalysisEvent, CancelFlag};
use vidpush_aws::SqsQueue;
use vidpush_aws::dynamodb::{DynamoStore, TableNames};
use vidpush_aws::s3::{S3Objects, upload_key};
use vidpush_aws::sdk::s3_client;
use vidpush_aws::settings::Resources;
use vidpush_aws::testing::Moto;
use vidpush_aws::testing::gateway::{AwsGateway, Socket, next_text};
use vidpush_aws::worker::{Worker, WorkerOptions};
use vidpush_protocol::{AnalysisResult, EventBody, JobId, UploadId};
use vidpush_server::jobs::analyzer::{AnalysisFailure, VideoAnalyzer};
use vidpush_server::ports::{
    JobObjects, JobQueue, JobStore, Subscriptions, UploadRecord, UploadStore,
};

const BUCKET: &str = "media";

/// Everything a test needs: the stack, and a job queued on it for a subscribed client.
struct Stack {
    moto: Moto,
    gateway: AwsGateway,
    store: DynamoStore,
    objects: S3Objects,
    queue_url: String,
    scratch: tempfile::TempDir,
}

impl Stack {
    async fn start() -> Self {
        let moto = Moto::start();
        let gateway = AwsGateway::start().await;
        let config = moto.config().await;
        let store = DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&config),
            TableNames::prefixed("w-"),
        );
        store.create_tables().await.unwrap();
        let s3 = s3_client(&config, &moto.endpoint());
        s3.create_bucket().bucket(BUCKET).send().await.unwrap();
        let queue_url = aws_sdk_sqs::Client::new(&config)
            .create_queue()
            .queue_name("jobs")
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let objects = S3Objects::new(s3, BUCKET, scratch.path().join("api"));
        Self {
            moto,
            gateway,
            store,
            objects,
            queue_url,
            scratch,
        }
    }

    fn resources(&self) -> Resources {
        Resources {
            tables: TableNames::prefixed("w-"),
            bucket: BUCKET.into(),
            queue_url: self.queue_url.clone(),
            management_endpoint: self.gateway.endpoint(),
        }
    }

    /// Uploads `video`, makes it a queued job, and subscribes a new client to it.
    async fn queued_job(&self, video: Vec<u8>) -> (JobId, Socket) {
        let config = self.moto.config().await;
        let upload = UploadId("up1".into());
        s3_client(&config, &self.moto.endpoint())
            .put_object()
            .bucket(BUCKET)
            .key(upload_key(&upload))
            .body(video.clone().into())
            .send()
            .await
            .unwrap();
        let record = UploadRecord {
            id: upload.clone(),
            length: video.len() as u64,
            offset: video.len() as u64,
            file_name: "three shots.mp4".into(),
            file_type: "video/mp4".into(),
            owner: None,
            updated_at_ms: 0,
        };
        self.store.create_upload(record.clone()).await.unwrap();
        let job = JobId("job1".into());
        self.store
            .create_job(record, job.clone(), None)
            .await
            .unwrap();
        self.objects.adopt_upload(&upload, &job).await.unwrap();
        let (socket, connection) = self.gateway.connect().await;
        self.store.subscribe(&job, &connection).await.unwrap();
        SqsQueue::new(aws_sdk_sqs::Client::new(&config), &self.queue_url)
            .requeue(job.clone())
            .await
            .unwrap();
        (job, socket)
    }
}

/// Three hard-cut shots of a second each, 320×180, H.264 in MP4.
fn three_shots(dir: &Path) -> Vec<u8> {
    let spec = ClipSpec {
        width: 320,
        height: 180,
        fps: 25,
        segments: vec![
            Segment::new(Content::TestPattern, 25, Entry::Cut),
            Segment::new(Content::Bars, 25, Entry::Cut),
            Segment::new(Content::Boxes("navy", "orange"), 25, Entry::Cut),
        ],
    };
    let path = dir.join("three.mp4");
    spec.render(&path, Container::Mp4)
        .expect("ffmpeg renders the clip");
    std::fs::read(path).unwrap()
}

#[tokio::test]
async fn a_queued_job_runs_on_the_worker_and_every_event_is_pushed_once_in_order() {
    let stack = Stack::start().await;
    let (job, mut socket) = stack.queued_job(three_shots(stack.scratch.path())).await;
    let worker = Worker::start(
        &stack.moto.endpoint(),
        stack.resources(),
        WorkerOptions::new(stack.scratch.path().join("worker")),
    )
    .await;
    let mut seqs = Vec::new();
    let mut shots = 0;
    loop {
        let text = next_text(&mut socket).await;
        let event: serde_json::Value = serde_json::from_str(&text).unwrap();
        seqs.push(event["seq"].as_u64().unwrap());
        match event["type"].as_str().unwrap() {
            "job.shot" => shots += 1,
            "job.completed" => break,
            "job.failed" => panic!("the job failed: {text}"),
            _ => {}
        }
    }
    // job.queued (seq 1) was stored before the client subscribed; everything after it arrives.
    assert_eq!(seqs, (2..2 + seqs.len() as u64).collect::<Vec<_>>());
    assert_eq!(shots, 3);
    let stored = stack.store.events_after(&job, 0).await.unwrap();
    assert_eq!(stored.len(), seqs.len() + 1);
    assert!(stack.objects.result(&job).await.unwrap().is_some());
    assert!(stack.objects.thumbnail(&job, 2).await.unwrap().is_some());
    worker.stop().await;
}

/// An analysis that runs until it is cancelled.
struct Endless;

impl VideoAnalyzer for Endless {
    fn analyze(
        &self,
        _source: &Path,
        _sensitivity: Option<f64>,
        cancel: &CancelFlag,
        _on_event: &mut dyn FnMut(AnalysisEvent),
    ) -> Result<AnalysisResult, AnalysisFailure> {
        while !cancel.is_cancelled() {
            std::thread::sleep(Duration::from_millis(5));
        }
        Err(AnalysisFailure::Cancelled)
    }
}

#[tokio::test]
async fn a_cancel_stored_by_another_process_stops_the_running_worker() {
    let stack = Stack::start().await;
    let (job, mut socket) = stack.queued_job(b"not decoded by this test".to_vec()).await;
    let mut options = WorkerOptions::new(stack.scratch.path().join("worker"));
    options.analyzer = Arc::new(Endless);
    let worker = Worker::start(&stack.moto.endpoint(), stack.resources(), options).await;
    let started = next_text(&mut socket).await;
    assert!(started.contains("job.started"), "{started}");
    // What the message function does on `cancel`: store the final event.
    let cancelled = EventBody::Cancelled {
        reason: "cancelled by request".into(),
    };
    let at = Instant::now();
    assert!(
        stack
            .store
            .append_event(&job, cancelled)
            .await
            .unwrap()
            .is_some()
    );
    while worker.running_count() > 0 {
        assert!(
            at.elapsed() < Duration::from_secs(10),
            "the worker never noticed the cancel"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "the worker stopped the analysis {:?} after the cancel was stored",
        at.elapsed()
    );
    let stored = stack.store.events_after(&job, 0).await.unwrap();
    assert!(stored.last().unwrap().contains("job.cancelled"));
    assert_eq!(
        stored
            .iter()
            .filter(|e| e.contains("job.cancelled"))
            .count(),
        1
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_job_left_running_by_a_worker_that_stopped_is_taken_over_and_finished() {
    let stack = Stack::start().await;
    let (job, mut socket) = stack.queued_job(three_shots(stack.scratch.path())).await;
    // A first worker started the job and stopped without finishing it: the job is `running`
    // in the store, and SQS hands its message out again once its visibility lapses.
    stack
        .store
        .append_event(&job, EventBody::Started)
        .await
        .unwrap()
        .expect("the job starts");
    let worker = Worker::start(
        &stack.moto.endpoint(),
        stack.resources(),
        WorkerOptions::new(stack.scratch.path().join("worker")),
    )
    .await;
    let mut kinds = Vec::new();
    loop {
        let text = next_text(&mut socket).await;
        let event: serde_json::Value = serde_json::from_str(&text).unwrap();
        let kind = event["type"].as_str().unwrap().to_owned();
        kinds.push(kind.clone());
        match kind.as_str() {
            "job.completed" => break,
            "job.failed" | "job.cancelled" => panic!("the job ended badly: {text}"),
            _ => {}
        }
    }
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("job.queued"),
        "{kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| *k == "job.shot").count(), 3);
    worker.stop().await;
}

#[tokio::test]
async fn a_job_deleted_by_another_process_stops_its_worker_and_leaves_no_object() {
    let stack = Stack::start().await;
    let (job, mut socket) = stack.queued_job(b"not decoded by this test".to_vec()).await;
    let mut options = WorkerOptions::new(stack.scratch.path().join("worker"));
    options.analyzer = Arc::new(Endless);
    let worker = Worker::start(&stack.moto.endpoint(), stack.resources(), options).await;
    let started = next_text(&mut socket).await;
    assert!(started.contains("job.started"), "{started}");
    // What the HTTP function does on DELETE: the cancel, then the records, then the objects.
    stack
        .store
        .append_event(
            &job,
            EventBody::Cancelled {
                reason: "deleted by request".into(),
            },
        )
        .await
        .unwrap();
    assert!(stack.store.delete_job(&job).await.unwrap());
    stack.objects.remove_all(&job).await;
    let at = Instant::now();
    while worker.running_count() > 0 {
        assert!(
            at.elapsed() < Duration::from_secs(10),
            "the worker never noticed the delete"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The worker's own clean-up ran after its turn: nothing of the job is left in S3.
    let deadline = Instant::now() + Duration::from_secs(10);
    while stack.objects.source(&job).await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "the job's source outlived it");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stack.objects.result(&job).await.unwrap().is_none());
    assert!(stack.store.events_after(&job, 0).await.unwrap().is_empty());
    worker.stop().await;
}
