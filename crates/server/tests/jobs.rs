//! Jobs and pushed events against the real server with a scripted analyzer: the event stream,
//! replay after a reconnect, cancel, the orphan grace, ownership, the queue bound, bad input.

mod support;

use support::*;
use vidpush_protocol::*;

fn seqs(events: &[JobEvent]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

fn kinds(events: &[JobEvent]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match &e.body {
            EventBody::Queued { .. } => "queued",
            EventBody::Started => "started",
            EventBody::Progress { .. } => "progress",
            EventBody::Metadata { .. } => "metadata",
            EventBody::Shot { .. } => "shot",
            EventBody::Cue { .. } => "cue",
            EventBody::Completed { .. } => "completed",
            EventBody::Failed { .. } => "failed",
            EventBody::Cancelled { .. } => "cancelled",
        })
        .collect()
}

#[tokio::test]
async fn a_subscriber_gets_every_event_once_in_seq_order_without_gaps() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(4)).await;
    let job = server.start_job(&fake_mp4(4096), None).await;
    let mut client = server.connect(None).await;
    let (reply, before) = client.subscribe(&job, 0).await;
    assert!(before.is_empty(), "the subscribed reply comes first");
    assert!(matches!(reply, Reply::Subscribed { ref job_id, .. } if *job_id == job));
    let events = client.events_until_final().await;
    let expected: Vec<u64> = (1..=events.len() as u64).collect();
    assert_eq!(seqs(&events), expected, "gap-free from 1");
    let kinds = kinds(&events);
    assert_eq!(kinds.first(), Some(&"queued"));
    assert_eq!(kinds.iter().filter(|k| **k == "shot").count(), 4);
    assert_eq!(kinds.last(), Some(&"completed"));
    let EventBody::Shot { thumbnail_url, .. } = &events
        .iter()
        .find(|e| matches!(e.body, EventBody::Shot { .. }))
        .unwrap()
        .body
    else {
        unreachable!()
    };
    let thumb = server
        .http
        .get(server.url(thumbnail_url))
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    assert_eq!(
        thumb.bytes().await.unwrap().as_ref(),
        &[0xFF, 0xD8, 0, 0xFF, 0xD9]
    );
    let result: AnalysisResult = server.get_json(&format!("/api/jobs/{job}/result")).await;
    assert_eq!(result.shots.len(), 4);
    let status: JobStatus = server.get_json(&format!("/api/jobs/{job}")).await;
    assert_eq!(
        (status.state, status.last_seq, status.file_name.as_str()),
        (JobState::Completed, events.len() as u64, "clip.mp4")
    );
    server.stop().await;
}

#[tokio::test]
async fn resubscribing_with_after_seq_replays_only_what_was_missed() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(3)).await;
    let job = server.start_job(&fake_mp4(4096), None).await;
    server.wait_for_state(&job, JobState::Completed).await;
    let mut client = server.connect(None).await;
    client.subscribe(&job, 0).await;
    let all = client.events_until_final().await;
    let mut again = server.connect(None).await;
    let (reply, _) = again.subscribe(&job, 3).await;
    assert!(
        matches!(reply, Reply::Subscribed { state: JobState::Completed, last_seq, .. } if last_seq == all.len() as u64)
    );
    let rest = again.events_until_final().await;
    assert_eq!(rest, all[3..].to_vec());
    server.stop().await;
}

#[tokio::test]
async fn cancel_over_the_websocket_stops_a_running_job_and_keeps_its_video_and_thumbnails() {
    let analyzer = ScriptedAnalyzer::holding();
    let server = TestServer::start(&[], analyzer.clone()).await;
    let job = server.start_job(&fake_mp4(4096), None).await;
    let mut client = server.connect(None).await;
    client.subscribe(&job, 0).await;
    // Wait until the first shot is pushed: the analysis is then holding, mid-job.
    loop {
        if let ServerMessage::Event(JobEvent {
            body: EventBody::Shot { .. },
            ..
        }) = client.next().await
        {
            break;
        }
    }
    client
        .send(&ClientAction::Cancel {
            job_id: job.clone(),
        })
        .await;
    let events = client.events_until_final().await;
    assert!(
        matches!(&events.last().unwrap().body, EventBody::Cancelled { reason } if reason == "cancelled by request")
    );
    let dir = server.data.path().join("jobs").join(job.as_str());
    assert!(
        dir.join("source").is_file(),
        "the video of a cancelled job is kept, to play its shots and to run it again"
    );
    assert!(
        dir.join("thumbnails").is_dir(),
        "the thumbnails of the shots already pushed were removed"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_job_nobody_watches_any_more_is_cancelled_after_the_grace_period() {
    let server = TestServer::start(&["--orphan-grace", "1"], ScriptedAnalyzer::holding()).await;
    let job = server.start_job(&fake_mp4(4096), None).await;
    let mut client = server.connect(None).await;
    client.subscribe(&job, 0).await;
    drop(client);
    server.wait_for_state(&job, JobState::Cancelled).await;
    let mut watcher = server.connect(None).await;
    watcher.subscribe(&job, 0).await;
    let events = watcher.events_until_final().await;
    assert!(
        matches!(&events.last().unwrap().body, EventBody::Cancelled { reason } if reason.contains("nobody was watching"))
    );
    server.stop().await;
}

#[tokio::test]
async fn subscribing_to_someone_elses_job_is_forbidden() {
    let server = TestServer::start(&["--tokens", "alice,bob"], ScriptedAnalyzer::new(1)).await;
    let job = server.start_job(&fake_mp4(4096), Some("alice")).await;
    let mut bob = server.connect(Some("bob")).await;
    let (reply, events) = bob.subscribe(&job, 0).await;
    assert!(events.is_empty());
    assert!(
        matches!(
            reply,
            Reply::Error {
                code: ErrorCode::Forbidden,
                ..
            }
        ),
        "{reply:?}"
    );
    let status = server
        .http
        .get(server.url(&format!("/api/jobs/{job}")))
        .bearer_auth("bob")
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 403);
    let mut alice = server.connect(Some("alice")).await;
    alice
        .send(&ClientAction::Subscribe {
            job_id: job,
            after_seq: 0,
        })
        .await;
    assert!(matches!(
        alice.next_reply().await.0,
        Reply::Subscribed { .. }
    ));
    server.stop().await;
}

#[tokio::test]
async fn bad_messages_and_unknown_jobs_get_readable_errors() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let mut client = server.connect(None).await;
    use futures_util::SinkExt;
    client
        .socket
        .send(tokio_tungstenite::tungstenite::Message::text("{not json"))
        .await
        .unwrap();
    let (reply, _) = client.next_reply().await;
    assert!(
        matches!(reply, Reply::Error { code: ErrorCode::BadRequest, ref message, .. } if message.contains("not JSON")),
        "{reply:?}"
    );
    client
        .send(&ClientAction::Subscribe {
            job_id: "nosuchjob".into(),
            after_seq: 0,
        })
        .await;
    assert!(matches!(
        client.next_reply().await.0,
        Reply::Error {
            code: ErrorCode::NotFound,
            ..
        }
    ));
    client.send(&ClientAction::Ping).await;
    assert_eq!(client.next_reply().await.0, Reply::Pong);

    let unknown = server
        .http
        .get(server.url("/api/jobs/nosuchjob"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let malformed = server
        .http
        .post(server.url("/api/jobs"))
        .header("content-type", "application/json")
        .body("{\"upload\":")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let error: ApiError = malformed.json().await.unwrap();
    assert!(error.message.contains("uploadId"), "{}", error.message);
    let missing = server
        .http
        .post(server.url("/api/jobs"))
        .json(&CreateJobRequest {
            upload_id: "nosuchupload".into(),
            sensitivity: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn an_unfinished_upload_cannot_become_a_job() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let created = server.create_upload(10_000, None).await;
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    server
        .patch(&location, 0, fake_mp4(10_000)[..5000].to_vec(), None)
        .await;
    let upload_id = UploadId(location.rsplit('/').next().unwrap().to_owned());
    let response = server
        .http
        .post(server.url("/api/jobs"))
        .json(&CreateJobRequest {
            upload_id,
            sensitivity: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    server.stop().await;
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after() {
    let server = TestServer::start(
        &["--workers", "1", "--queue-limit", "1"],
        ScriptedAnalyzer::holding(),
    )
    .await;
    let first = server.start_job(&fake_mp4(4096), None).await;
    server.wait_for_state(&first, JobState::Running).await;
    let _second = server.start_job(&fake_mp4(4096), None).await; // waits in the one queue place
    let upload_id = server.upload(&fake_mp4(4096), None).await;
    let response = server
        .http
        .post(server.url("/api/jobs"))
        .json(&CreateJobRequest {
            upload_id,
            sensitivity: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    server.stop().await;
}

#[tokio::test]
async fn connect_check_says_why_a_socket_would_be_refused() {
    let server = TestServer::start(&["--tokens", "secret"], ScriptedAnalyzer::new(1)).await;
    let check = |query: &'static str, origin: &'static str| {
        server
            .http
            .get(server.url(&format!("/api/connect-check{query}")))
            .header("origin", origin)
            .send()
    };
    let own_origin: &'static str = Box::leak(format!("http://{}", server.addr).into_boxed_str());
    let ok: ConnectCheck = check("?token=secret", own_origin)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ok.verdict, ConnectVerdict::Ok);
    let bad: ConnectCheck = check("?token=nope", own_origin)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (bad.verdict, bad.status),
        (ConnectVerdict::Unauthorized, 401)
    );
    let foreign = check("?token=secret", "http://evil.example").await.unwrap();
    // A page on a refused origin must be able to read why, so the answer is open to all.
    assert_eq!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*"),
        "a page on a refused origin cannot read the verdict"
    );
    let foreign: ConnectCheck = foreign.json().await.unwrap();
    assert_eq!(
        (foreign.verdict, foreign.status),
        (ConnectVerdict::OriginNotAllowed, 403)
    );
    server.stop().await;
}

#[tokio::test]
async fn health_answers_ok_with_the_real_upload_limit() {
    let server =
        TestServer::start(&["--max-upload-bytes", "1000000"], ScriptedAnalyzer::new(1)).await;
    let health: Health = server.get_json("/api/health").await;
    assert_eq!(health.status, "ok");
    assert_eq!(health.max_upload_bytes, Some(1_000_000));
    server.stop().await;
}

#[tokio::test]
async fn an_after_seq_beyond_any_stored_number_is_a_bad_request_and_subscribes_nothing() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(2)).await;
    let job = server.start_job(&fake_mp4(4096), None).await;
    let mut client = server.connect(None).await;
    let (reply, before) = client.subscribe(&job, 1 << 63).await;
    assert!(before.is_empty(), "nothing is replayed: {before:?}");
    assert!(
        matches!(reply, Reply::Error { code: ErrorCode::BadRequest, ref message, .. } if message.contains("afterSeq")),
        "{reply:?}"
    );
    let db = rusqlite::Connection::open(server.data.path().join("vidpush.db")).unwrap();
    let subscriptions: u64 = db
        .query_row("SELECT count(*) FROM subscriptions", [], |row| row.get(0))
        .unwrap();
    assert_eq!(subscriptions, 0, "the refused subscribe recorded nothing");
    // The largest allowed value is fine, and a proper subscribe still replays from 1.
    let (reply, _) = client.subscribe(&job, i64::MAX as u64).await;
    assert!(matches!(reply, Reply::Subscribed { .. }), "{reply:?}");
    let (reply, _) = client.subscribe(&job, 0).await;
    assert!(matches!(reply, Reply::Subscribed { .. }), "{reply:?}");
    let events = client.events_until_final().await;
    assert_eq!(events[0].seq, 1, "nothing is missed");
    server.stop().await;
}

#[tokio::test]
async fn a_sensitivity_outside_its_range_is_refused_with_the_range() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let upload_id = server.upload(&fake_mp4(4096), None).await;
    for wrong in [0.25, 2.5, -1.0] {
        let response = server
            .http
            .post(server.url("/api/jobs"))
            .json(&CreateJobRequest {
                upload_id: upload_id.clone(),
                sensitivity: Some(wrong),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{wrong}");
        let error: ApiError = response.json().await.unwrap();
        assert_eq!(
            error.message,
            format!(
                "The sensitivity {wrong} is outside its range: send a number from 0.5 (fewer \
                 cuts) to 2 (more cuts), or leave it out for the default (1)."
            )
        );
    }
    // A refused request used nothing up: the same upload becomes a job with a right value.
    let response = server
        .http
        .post(server.url("/api/jobs"))
        .json(&CreateJobRequest {
            upload_id,
            sensitivity: Some(2.0),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    server.stop().await;
}

#[tokio::test]
async fn a_jobs_sensitivity_reaches_the_analyzer_and_survives_a_restart() {
    let first = ScriptedAnalyzer::holding();
    let server = TestServer::start(&["--workers", "1"], first.clone()).await;
    let chosen = server
        .start_job_with(&fake_mp4(4096), None, Some(0.75))
        .await;
    server.wait_for_state(&chosen, JobState::Running).await;
    let default = server.start_job(&fake_mp4(4096), None).await;
    let second = ScriptedAnalyzer::new(2);
    let server = server.restart(&["--workers", "1"], second.clone()).await;
    server.wait_for_state(&chosen, JobState::Completed).await;
    server.wait_for_state(&default, JobState::Completed).await;
    assert_eq!(*first.sensitivities.lock().unwrap(), [Some(0.75)]);
    // After the restart the interrupted job runs again with its setting, the other without one.
    assert_eq!(*second.sensitivities.lock().unwrap(), [Some(0.75), None]);
    server.stop().await;
}
