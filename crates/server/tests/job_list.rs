//! Results that outlive the tab: the caller's jobs listed a page at a time (each token sees
//! only its own), the uploaded video played back with range requests, and a job deleted with
//! everything it made.

mod support;

use support::*;
use vidpush_protocol::*;

/// `GET path` with `token` as a bearer, its status and body.
async fn get(server: &TestServer, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = server.http.get(server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// Every page of `token`'s jobs, `limit` at a time, and how many pages it took.
async fn list_all(server: &TestServer, token: &str, limit: u32) -> (Vec<JobStatus>, usize) {
    let (mut jobs, mut pages, mut cursor) = (Vec::new(), 0, None::<String>);
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/jobs?limit={limit}&cursor={cursor}"),
            None => format!("/api/jobs?limit={limit}"),
        };
        let response = get(server, &path, Some(token)).await;
        assert_eq!(response.status(), 200);
        let page: JobList = response.json().await.unwrap();
        assert!(page.jobs.len() <= limit as usize);
        pages += 1;
        jobs.extend(page.jobs);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return (jobs, pages),
        }
    }
}

async fn delete(server: &TestServer, job: &JobId, token: Option<&str>) -> reqwest::Response {
    let mut request = server.http.delete(server.url(&format!("/api/jobs/{job}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn each_token_lists_only_its_own_jobs_newest_first_a_page_at_a_time() {
    let server = TestServer::start(&["--tokens", "alice,bob"], ScriptedAnalyzer::new(1)).await;
    let mut alices = Vec::new();
    for _ in 0..5 {
        alices.push(server.start_job(&fake_mp4(4096), Some("alice")).await);
    }
    let bobs = server.start_job(&fake_mp4(4096), Some("bob")).await;

    let (listed, pages) = list_all(&server, "alice", 2).await;
    assert_eq!(pages, 3, "five jobs two at a time are three pages");
    let mut ids: Vec<JobId> = listed.iter().map(|j| j.job_id.clone()).collect();
    assert!(
        listed
            .windows(2)
            .all(|w| w[0].created_at_ms >= w[1].created_at_ms),
        "not newest first: {listed:?}"
    );
    ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    alices.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    assert_eq!(ids, alices, "alice's pages hold each of her jobs once");
    assert!(listed.iter().all(|j| j.file_name == "clip.mp4"));

    let (listed, _) = list_all(&server, "bob", 20).await;
    let ids: Vec<JobId> = listed.into_iter().map(|j| j.job_id).collect();
    assert_eq!(ids, vec![bobs], "bob sees his job and none of alice's");

    assert_eq!(get(&server, "/api/jobs", None).await.status(), 401);
    let bad = get(&server, "/api/jobs?cursor=nonsense", Some("alice")).await;
    assert_eq!(bad.status(), 400);
    let bad = get(&server, "/api/jobs?limit=0", Some("alice")).await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("between 1 and"));
    server.stop().await;
}

#[tokio::test]
async fn the_uploaded_video_plays_back_with_range_requests_for_its_owner_only() {
    let server = TestServer::start(&["--tokens", "alice,bob"], ScriptedAnalyzer::new(2)).await;
    let bytes = fake_mp4(64 * 1024);
    let job = server.start_job(&bytes, Some("alice")).await;
    let completed = async {
        let mut client = server.connect(Some("alice")).await;
        client.subscribe(&job, 0).await;
        client.events_until_final().await
    };
    assert!(matches!(
        completed.await.last().map(|e| &e.body),
        Some(EventBody::Completed { .. })
    ));

    // A `<video>` asks for ranges, with the token in the query.
    let path = format!("/api/jobs/{job}/video?token=alice");
    let ranged = server
        .http
        .get(server.url(&path))
        .header("Range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.headers()["content-type"], "video/mp4");
    assert_eq!(
        ranged.headers()["content-range"],
        format!("bytes 100-199/{}", bytes.len()).as_str()
    );
    assert_eq!(ranged.bytes().await.unwrap().as_ref(), &bytes[100..200]);
    let whole = get(&server, &format!("/api/jobs/{job}/video"), Some("alice")).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.bytes().await.unwrap().len(), bytes.len());

    let foreign = get(&server, &format!("/api/jobs/{job}/video"), Some("bob")).await;
    assert_eq!(foreign.status(), 403);
    server.stop().await;
}

#[tokio::test]
async fn deleting_a_finished_job_removes_its_record_events_thumbnails_result_and_video() {
    let server = TestServer::start(&["--tokens", "alice,bob"], ScriptedAnalyzer::new(3)).await;
    let job = server.start_job(&fake_mp4(4096), Some("alice")).await;
    let mut client = server.connect(Some("alice")).await;
    client.subscribe(&job, 0).await;
    client.events_until_final().await;
    let dir = server.data.path().join("jobs").join(job.as_str());
    assert!(
        dir.join("source").is_file(),
        "a finished job keeps its video"
    );
    assert!(dir.join("thumbnails").is_dir() && dir.join("result.json").is_file());

    assert_eq!(delete(&server, &job, Some("bob")).await.status(), 403);
    assert!(dir.is_dir(), "another token cannot delete it");
    assert_eq!(delete(&server, &job, Some("alice")).await.status(), 204);

    assert!(!dir.exists(), "the job's folder is still there");
    let status = get(&server, &format!("/api/jobs/{job}"), Some("alice")).await;
    assert_eq!(status.status(), 404);
    let thumbnail = get(
        &server,
        &format!("/api/jobs/{job}/thumbnails/0.jpg"),
        Some("alice"),
    )
    .await;
    assert_eq!(thumbnail.status(), 404);
    let (listed, _) = list_all(&server, "alice", 20).await;
    assert!(
        listed.is_empty(),
        "a deleted job is still listed: {listed:?}"
    );
    let (reply, events) = client.subscribe(&job, 0).await;
    assert!(events.is_empty(), "events of a deleted job were replayed");
    assert!(
        matches!(
            reply,
            Reply::Error {
                code: ErrorCode::NotFound,
                ..
            }
        ),
        "{reply:?}"
    );
    assert_eq!(delete(&server, &job, Some("alice")).await.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn deleting_a_running_job_stops_its_analysis_before_its_files_go() {
    let analyzer = ScriptedAnalyzer::holding();
    let server = TestServer::start(&[], analyzer.clone()).await;
    let job = server.start_job(&fake_mp4(4096), None).await;
    let mut client = server.connect(None).await;
    client.subscribe(&job, 0).await;
    while !matches!(
        client.next().await,
        ServerMessage::Event(JobEvent {
            body: EventBody::Shot { .. },
            ..
        })
    ) {}
    assert_eq!(delete(&server, &job, None).await.status(), 204);
    assert!(
        !analyzer.busy.load(std::sync::atomic::Ordering::SeqCst),
        "the analysis still runs after its job was deleted"
    );
    let dir = server.data.path().join("jobs").join(job.as_str());
    assert!(!dir.exists(), "the running job's folder is still there");
    let list: JobList = server.get_json("/api/jobs").await;
    assert!(list.jobs.is_empty());
    server.stop().await;
}
