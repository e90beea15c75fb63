//! The DynamoDB adapter against moto: the same contract the SQLite adapter keeps.

use std::collections::BTreeSet;
use vidpush_aws::dynamodb::{DynamoStore, TableNames};
use vidpush_aws::testing::Moto;
use vidpush_protocol::multipart::UploadedPart;
use vidpush_protocol::{EventBody, JobId, JobState, Stage, UploadId};
use vidpush_server::ports::{JobStore, Subscriptions, UploadRecord, UploadStore};

async fn store(moto: &Moto) -> (DynamoStore, aws_sdk_dynamodb::Client) {
    let client = aws_sdk_dynamodb::Client::new(&moto.config().await);
    let store = DynamoStore::new(client.clone(), TableNames::prefixed("test-"));
    store
        .create_tables()
        .await
        .expect("moto creates the tables");
    (store, client)
}

fn upload(id: &str) -> UploadRecord {
    UploadRecord {
        id: UploadId(id.into()),
        length: 1000,
        offset: 1000,
        file_name: "clip.mp4".into(),
        file_type: "video/mp4".into(),
        owner: Some("alice".into()),
        updated_at_ms: 1,
    }
}

/// A progress event told apart from others by its frame count.
fn progress(i: u64) -> EventBody {
    EventBody::Progress {
        stage: Stage::Detecting,
        fraction: 0.5,
        frames_done: i,
    }
}

#[tokio::test]
async fn a_job_is_created_from_its_upload_with_job_queued_as_seq_1_and_keeps_its_sensitivity() {
    let moto = Moto::start();
    let (store, _) = store(&moto).await;
    store.create_upload(upload("u1")).await.unwrap();
    let (job, event) = store
        .create_job(upload("u1"), JobId("j1".into()), Some(0.5))
        .await
        .unwrap();
    assert_eq!(event.seq, 1);
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(store.upload(&UploadId("u1".into())).await.unwrap(), None);
    let stored = store.job(&JobId("j1".into())).await.unwrap().unwrap();
    assert_eq!(stored, job);
    assert_eq!(stored.sensitivity, Some(0.5));
    let events = store.events_after(&job.id, 0).await.unwrap();
    assert_eq!(events, vec![event.to_json()]);
}

#[tokio::test]
async fn racing_writers_get_a_gap_free_seq_with_every_event_once() {
    let moto = Moto::start();
    let (store, _) = store(&moto).await;
    let (job, _) = store
        .create_job(upload("u1"), JobId("race".into()), None)
        .await
        .unwrap();
    let writers = 4;
    let per_writer = 8;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (store, id) = (store.clone(), job.id.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..per_writer {
                let event = store
                    .append_event(&id, progress(w * 100 + i))
                    .await
                    .expect("a lost race is retried, not reported");
                assert!(event.is_some(), "the job is open");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let events = store.events_after(&job.id, 0).await.unwrap();
    let total = 1 + (writers * per_writer) as usize;
    assert_eq!(events.len(), total);
    let mut seqs = Vec::new();
    let mut frames = BTreeSet::new();
    for text in &events {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        seqs.push(value["seq"].as_u64().unwrap());
        if let Some(done) = value["framesDone"].as_u64() {
            frames.insert(done);
        }
    }
    assert_eq!(
        seqs,
        (1..=total as u64).collect::<Vec<_>>(),
        "1, 2, 3 … in order, no gap"
    );
    assert_eq!(frames.len(), total - 1, "every event stored once");
    let stored = store.job(&job.id).await.unwrap().unwrap();
    assert_eq!(stored.last_seq, total as u64);
}

#[tokio::test]
async fn nothing_follows_a_final_event_and_replay_starts_after_the_given_seq() {
    let moto = Moto::start();
    let (store, _) = store(&moto).await;
    let (job, _) = store
        .create_job(upload("u1"), JobId("j".into()), None)
        .await
        .unwrap();
    let started = store
        .append_event(&job.id, EventBody::Started)
        .await
        .unwrap();
    assert_eq!(started.map(|e| e.seq), Some(2));
    assert_eq!(
        store.job(&job.id).await.unwrap().unwrap().state,
        JobState::Running
    );
    let cancelled = EventBody::Cancelled {
        reason: "by request".into(),
    };
    assert!(
        store
            .append_event(&job.id, cancelled)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.append_event(&job.id, progress(1)).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .append_event(&JobId("none".into()), progress(1))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.events_after(&job.id, 2).await.unwrap().len(), 1);
    let running = store.jobs_in(&[JobState::Running]).await.unwrap();
    assert!(running.is_empty());
    let cancelled = store.jobs_in(&[JobState::Cancelled]).await.unwrap();
    assert_eq!(cancelled.len(), 1);
}

#[tokio::test]
async fn subscriptions_are_found_by_job_and_dropped_by_connection() {
    let moto = Moto::start();
    let (store, _) = store(&moto).await;
    let (a, b) = (JobId("a".into()), JobId("b".into()));
    store.subscribe(&a, "c1").await.unwrap();
    store.subscribe(&a, "c2").await.unwrap();
    store.subscribe(&b, "c1").await.unwrap();
    store.subscribe(&b, "c1").await.unwrap(); // again is fine
    let mut subscribers = store.subscribers(&a).await.unwrap();
    subscribers.sort();
    assert_eq!(subscribers, ["c1", "c2"]);
    assert!(store.unsubscribe(&a, "c2").await.unwrap());
    assert!(!store.unsubscribe(&a, "c2").await.unwrap());
    let mut jobs = store.drop_connection("c1").await.unwrap();
    jobs.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    assert_eq!(jobs, [a.clone(), b.clone()]);
    assert!(store.subscribers(&a).await.unwrap().is_empty());
    assert!(store.subscribers(&b).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_expired_subscription_is_not_a_subscriber_before_dynamodb_deletes_it() {
    let moto = Moto::start();
    let (store, client) = store(&moto).await;
    let job = JobId("j".into());
    store.subscribe(&job, "live").await.unwrap();
    // A connection whose `$disconnect` never ran: its record outlived its TTL, and moto (like
    // DynamoDB for a while) has not deleted it.
    client
        .put_item()
        .table_name("test-Subscriptions")
        .item(
            "jobId",
            aws_sdk_dynamodb::types::AttributeValue::S("j".into()),
        )
        .item(
            "connectionId",
            aws_sdk_dynamodb::types::AttributeValue::S("stale".into()),
        )
        .item(
            "expiresAt",
            aws_sdk_dynamodb::types::AttributeValue::N("1000".into()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(store.subscribers(&job).await.unwrap(), ["live"]);
}

#[tokio::test]
async fn multipart_parts_are_recorded_until_the_upload_is_finished() {
    let moto = Moto::start();
    let (store, _) = store(&moto).await;
    let id = UploadId("m1".into());
    let record = UploadRecord {
        offset: 0,
        ..upload("m1")
    };
    store.create_multipart(record.clone(), 500).await.unwrap();
    assert_eq!(store.part_size(&id).await.unwrap(), Some(500));
    let part = |n: u32, etag: &str| UploadedPart {
        part_number: n,
        size: 500,
        etag: etag.into(),
    };
    assert!(store.record_part(&id, part(2, "\"b\"")).await.unwrap());
    assert!(store.record_part(&id, part(1, "\"a\"")).await.unwrap());
    assert!(store.record_part(&id, part(1, "\"a2\"")).await.unwrap());
    assert_eq!(
        store.parts(&id).await.unwrap(),
        [part(1, "\"a2\""), part(2, "\"b\"")]
    );
    store.finish_multipart(&id).await.unwrap();
    assert_eq!(store.upload(&id).await.unwrap().unwrap().offset, 1000);
    assert!(store.parts(&id).await.unwrap().is_empty());
    assert!(
        !store.record_part(&id, part(3, "\"c\"")).await.unwrap(),
        "a finished upload takes no more parts"
    );
    assert!(
        !store
            .record_part(&UploadId("gone".into()), part(1, "\"x\""))
            .await
            .unwrap()
    );
    assert_eq!(
        store.stale_uploads(u64::MAX).await.unwrap(),
        std::slice::from_ref(&id)
    );
    assert!(store.delete_upload(&id).await.unwrap());
    assert!(!store.delete_upload(&id).await.unwrap());
}

#[tokio::test]
async fn an_owners_jobs_are_listed_newest_first_a_page_at_a_time() {
    let moto = Moto::start();
    let (store, _) = store(&moto).await;
    for i in 0..5 {
        let mut record = upload(&format!("u{i}"));
        record.owner = Some(if i == 2 { "bob" } else { "alice" }.into());
        store
            .create_job(record, JobId(format!("j{i}")), None)
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let first = store.jobs_of(Some("alice"), None, 2).await.unwrap();
    let ids = |page: &vidpush_server::ports::JobPage| -> Vec<String> {
        page.jobs.iter().map(|j| j.id.as_str().to_owned()).collect()
    };
    assert_eq!(ids(&first), ["j4", "j3"]);
    let second = store
        .jobs_of(Some("alice"), first.next.as_ref(), 2)
        .await
        .unwrap();
    assert_eq!(ids(&second), ["j1", "j0"]);
    assert!(second.next.is_none(), "no older job is left");
    assert_eq!(
        ids(&store.jobs_of(Some("bob"), None, 10).await.unwrap()),
        ["j2"]
    );
    assert!(store.jobs_of(None, None, 10).await.unwrap().jobs.is_empty());
}

#[tokio::test]
async fn a_deleted_job_is_gone_with_its_events_and_takes_no_more() {
    let moto = Moto::start();
    let (store, _) = store(&moto).await;
    let (job, _) = store
        .create_job(upload("u1"), JobId("doomed".into()), None)
        .await
        .unwrap();
    store
        .append_event(&job.id, EventBody::Started)
        .await
        .unwrap();
    assert!(store.delete_job(&job.id).await.unwrap());
    assert!(!store.delete_job(&job.id).await.unwrap());
    assert_eq!(store.job(&job.id).await.unwrap(), None);
    assert!(store.events_after(&job.id, 0).await.unwrap().is_empty());
    assert_eq!(
        store.append_event(&job.id, progress(1)).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn only_a_failed_or_cancelled_job_is_queued_again() {
    let moto = Moto::start();
    let (store, _) = store(&moto).await;
    let (job, _) = store
        .create_job(upload("u1"), JobId("again".into()), None)
        .await
        .unwrap();
    assert_eq!(
        store.requeue_ended(&job.id).await.unwrap(),
        None,
        "still queued"
    );
    let failed = EventBody::Failed {
        reason: "no video stream".into(),
    };
    store.append_event(&job.id, failed).await.unwrap();
    let queued = store
        .requeue_ended(&job.id)
        .await
        .unwrap()
        .expect("failed jobs run again");
    assert_eq!(queued.seq, 3);
    assert_eq!(
        store.job(&job.id).await.unwrap().unwrap().state,
        JobState::Queued
    );
    assert_eq!(store.requeue_ended(&job.id).await.unwrap(), None);
}
