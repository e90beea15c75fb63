//! tus uploads against the real server: creation, resume, limits, sniffing, termination.

mod support;

use support::*;
use vidpush_protocol::ApiError;

/// Size of the upload whose PATCH is terminated mid-body: far more than is ever sent.
const STREAMED_UPLOAD_BYTES: usize = 8 * 1024 * 1024;

/// What that PATCH sends before the termination: past the server's 1 MiB write buffer, so
/// the file visibly grows while the body is still open.
const FIRST_FRAME_BYTES: usize = 2 * 1024 * 1024;

async fn error_of(response: reqwest::Response) -> (u16, ApiError) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn options_announces_tus_version_extensions_and_max_size() {
    let server =
        TestServer::start(&["--max-upload-bytes", "1000000"], ScriptedAnalyzer::new(1)).await;
    let response = server
        .http
        .request(reqwest::Method::OPTIONS, server.url("/api/uploads"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let h = response.headers();
    assert_eq!(h["tus-version"], "1.0.0");
    assert_eq!(h["tus-max-size"], "1000000");
    let extensions = h["tus-extension"].to_str().unwrap();
    for ext in ["creation", "termination", "expiration", "checksum"] {
        assert!(extensions.contains(ext), "{extensions}");
    }
    server.stop().await;
}

#[tokio::test]
async fn an_upload_streams_to_disk_and_reports_its_offset() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let bytes = fake_mp4(300_000);
    let created = server.create_upload(bytes.len() as u64, None).await;
    assert_eq!(created.status(), 201);
    assert!(created.headers().contains_key("upload-expires"));
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/api/uploads/"));

    let first = server
        .patch(&location, 0, bytes[..100_000].to_vec(), None)
        .await;
    assert_eq!(first.status(), 204);
    assert_eq!(first.headers()["upload-offset"], "100000");

    let head = server.head(&location).await;
    assert_eq!(head.headers()["upload-offset"], "100000");
    assert_eq!(head.headers()["upload-length"], "300000");

    let rest = server
        .patch(&location, 100_000, bytes[100_000..].to_vec(), None)
        .await;
    assert_eq!(rest.headers()["upload-offset"], "300000");
    let id = location.rsplit('/').next().unwrap();
    let stored = std::fs::read(
        server
            .data
            .path()
            .join("uploads")
            .join(format!("{id}.part")),
    )
    .unwrap();
    assert_eq!(stored, bytes);
    server.stop().await;
}

#[tokio::test]
async fn a_patch_at_the_wrong_offset_is_a_conflict() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let created = server.create_upload(1000, None).await;
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let (status, error) = error_of(
        server
            .patch(&location, 10, fake_mp4(1000)[10..].to_vec(), None)
            .await,
    )
    .await;
    assert_eq!(status, 409);
    assert!(error.message.contains("has 0 bytes"), "{}", error.message);
    server.stop().await;
}

#[tokio::test]
async fn a_declared_size_over_the_limit_is_refused_before_storing() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let (status, error) = error_of(server.create_upload(10_000_000_000_000, None).await).await;
    assert_eq!(status, 413);
    assert!(error.message.contains("10.0 TB"), "{}", error.message);
    assert_eq!(server.stored_uploads(), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_zero_byte_file_is_refused_with_a_reason() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let (status, error) = error_of(server.create_upload(0, None).await).await;
    assert_eq!(status, 400);
    assert!(error.message.contains("empty"), "{}", error.message);
    server.stop().await;
}

#[tokio::test]
async fn a_text_file_renamed_mp4_is_refused_as_not_a_video_and_deleted() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let text = b"This is a shopping list, not a video. Eggs, milk, bread, and more lines of plain text here to fill the first bytes of the file that the server looks at.......................................................".to_vec();
    let created = server.create_upload(text.len() as u64, None).await;
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let (status, error) = error_of(server.patch(&location, 0, text, None).await).await;
    assert_eq!(status, 415);
    assert!(
        error.message.contains("not a video") && error.message.contains("text"),
        "{}",
        error.message
    );
    let head = server.head(&location).await;
    assert_eq!(
        head.status(),
        404,
        "an upload refused as not a video can never be used, so it is deleted"
    );
    assert_eq!(server.stored_uploads(), 0, "its .part file is gone");
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_checksum_is_460_and_stores_nothing() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let bytes = fake_mp4(5000);
    let created = server.create_upload(5000, None).await;
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let patch = |checksum: &'static str| {
        server
            .http
            .patch(server.url(&location))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", "0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Checksum", checksum)
            .body(bytes.clone())
            .send()
    };
    assert_eq!(
        patch("sha1 AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
            .await
            .unwrap()
            .status(),
        460
    );
    let head = server.head(&location).await;
    assert_eq!(head.headers()["upload-offset"], "0");
    use base64::Engine;
    use sha1::Digest;
    let digest = base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(&bytes));
    let good: &'static str = Box::leak(format!("sha1 {digest}").into_boxed_str());
    let ok = patch(good).await.unwrap();
    assert_eq!(ok.status(), 204);
    assert_eq!(ok.headers()["upload-offset"], "5000");
    server.stop().await;
}

#[tokio::test]
async fn terminating_an_upload_removes_it() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let created = server.create_upload(1000, None).await;
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let deleted = server.terminate(&location).await;
    assert_eq!(deleted.status(), 204);
    let head = server.head(&location).await;
    assert_eq!(head.status(), 404);
    assert_eq!(server.stored_uploads(), 0);
    server.stop().await;
}

#[tokio::test]
async fn terminating_an_upload_stops_a_patch_still_in_flight_and_removes_it() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let bytes = fake_mp4(STREAMED_UPLOAD_BYTES);
    let created = server.create_upload(bytes.len() as u64, None).await;
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let id = location.rsplit('/').next().unwrap().to_owned();
    let part = server
        .data
        .path()
        .join("uploads")
        .join(format!("{id}.part"));

    // A PATCH whose body keeps streaming: the sender stays open until the end of the test,
    // as a browser's aborted XHR looks to the server until its connection is noticed closed.
    let (body, mut frames) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let frames = futures_util::stream::poll_fn(move |cx| {
        frames
            .poll_recv(cx)
            .map(|frame| frame.map(Ok::<_, std::io::Error>))
    });
    let patch = server
        .http
        .patch(server.url(&location))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(reqwest::Body::wrap_stream(frames))
        .send();
    let patch = tokio::spawn(patch);
    body.send(bytes[..FIRST_FRAME_BYTES].to_vec())
        .await
        .unwrap();
    // The writer buffers 1 MiB before the file grows: once it has, the PATCH holds the upload.
    wait_until("the PATCH to write to the upload's file", || {
        std::fs::metadata(&part).is_ok_and(|m| m.len() > 0)
    })
    .await;

    let deleted = server.terminate(&location).await;
    assert_eq!(deleted.status(), 204, "{}", deleted.text().await.unwrap());
    assert_eq!(server.head(&location).await.status(), 404);
    assert!(!part.exists(), "the .part file is deleted");

    let patched = tokio::time::timeout(PATIENCE, patch)
        .await
        .expect("the stopped PATCH ends although its body is still open")
        .unwrap();
    if let Ok(answer) = patched {
        // Or the connection closed under the unsent body: either way the PATCH is over.
        assert_eq!(
            answer.status(),
            404,
            "the stopped PATCH says the upload is gone"
        );
    }
    assert_eq!(
        server.head(&location).await.status(),
        404,
        "the stopped PATCH recorded nothing"
    );
    assert_eq!(server.stored_uploads(), 0);
    drop(body);
    server.stop().await;
}

#[tokio::test]
async fn uploads_need_the_token_when_tokens_are_on() {
    let server = TestServer::start(&["--tokens", "secret"], ScriptedAnalyzer::new(1)).await;
    let (status, error) = error_of(server.create_upload(1000, None).await).await;
    assert_eq!(status, 401);
    assert!(error.message.contains("token"));
    assert_eq!(
        server.create_upload(1000, Some("wrong")).await.status(),
        401
    );
    assert_eq!(
        server.create_upload(1000, Some("secret")).await.status(),
        201
    );
    server.stop().await;
}

#[tokio::test]
async fn a_request_without_tus_resumable_is_412() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let response = server
        .http
        .post(server.url("/api/uploads"))
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 412);
    assert_eq!(response.headers()["tus-version"], "1.0.0");
    server.stop().await;
}

#[tokio::test]
async fn abandoned_uploads_expire() {
    let server = TestServer::start(&["--upload-expiry", "0"], ScriptedAnalyzer::new(1)).await;
    let created = server.create_upload(1000, None).await;
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    // The sweep runs at start-up and then every ten minutes; the first tick already ran, so
    // wait for the next by asking the server's state through HEAD until it is gone.
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let head = server.head(&location).await;
        if head.status() == 404 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "upload never expired");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn an_oversized_metadata_value_is_refused_before_anything_is_stored() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let huge_type = "dmlk".repeat(50_000 / 4); // "vid" repeated: 37,500 bytes decoded
    let response = server
        .http
        .post(server.url("/api/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "1000")
        .header(
            "Upload-Metadata",
            format!("filename Y2xpcC5tcDQ=,filetype {huge_type}"),
        )
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 400);
    assert!(
        error.message.contains("Upload-Metadata"),
        "{}",
        error.message
    );
    assert_eq!(server.stored_uploads(), 0);
    server.stop().await;
}

#[tokio::test]
async fn finished_uploads_no_job_used_expire_but_a_jobs_video_stays() {
    // Two seconds of expiry: time enough to turn one finished upload into a job first.
    let server = TestServer::start(&["--upload-expiry", "2"], ScriptedAnalyzer::holding()).await;
    let job = server.start_job(&fake_mp4(4096), None).await;
    let unused = server.upload(&fake_mp4(4096), None).await;
    let location = format!("/api/uploads/{unused}");
    assert_eq!(server.head(&location).await.status(), 200);
    let deadline = std::time::Instant::now() + PATIENCE;
    while server.head(&location).await.status() != 404 {
        assert!(
            std::time::Instant::now() < deadline,
            "a finished upload no job used never expired"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(server.stored_uploads(), 0, "its file went with its row");
    let source = server
        .data
        .path()
        .join("jobs")
        .join(job.as_str())
        .join("source");
    server
        .wait_for_state(&job, vidpush_protocol::JobState::Running)
        .await;
    assert!(
        source.is_file(),
        "the running job's video is kept past the upload expiry"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_patch_whose_body_stops_arriving_times_out_keeps_its_bytes_and_frees_the_upload() {
    let server = TestServer::start(&["--body-timeout", "1"], ScriptedAnalyzer::new(1)).await;
    let bytes = fake_mp4(1024 * 1024);
    let created = server.create_upload(bytes.len() as u64, None).await;
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    // Headers and 64 KiB, then silence, with the socket left open: a client that vanished.
    let sent = 64 * 1024;
    let mut vanished = raw_patch(server.addr, &location, bytes.len(), &bytes[..sent]).await;
    let answer = tokio::time::timeout(PATIENCE, read_response_head(&mut vanished))
        .await
        .expect("the server stops waiting for the silent body")
        .expect("and says so before closing");
    assert!(answer.starts_with("http/1.1 408"), "{answer}");

    let head = server.head(&location).await;
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["upload-offset"], sent.to_string());
    let rest = server
        .patch(&location, sent as u64, bytes[sent..].to_vec(), None)
        .await;
    assert_eq!(rest.status(), 204, "the real client is not locked out");
    let id = location.rsplit('/').next().unwrap();
    let stored = std::fs::read(
        server
            .data
            .path()
            .join("uploads")
            .join(format!("{id}.part")),
    );
    assert_eq!(stored.unwrap(), bytes);
    drop(vanished);
    server.stop().await;
}
