//! Multipart uploads against the real server: create, signed part PUTs in parallel and out of
//! order, list to resume, complete with ETags, abort, the 413/415 checks, forged and expired
//! part URLs, and a server killed with SIGKILL mid-upload.

mod support;

use support::*;
use vidpush_protocol::multipart::*;
use vidpush_protocol::{ApiError, CreateJobRequest};
use vidpush_server::uploads::multipart::part_url::PartSigner;

/// The management key the tests start the server with, so they can sign part URLs themselves.
const KEY: &str = "multipart-test-key";

/// A file of three parts: two full 8 MiB parts and a short last one.
const THREE_PARTS: usize = 2 * MIN_PART_BYTES as usize + 123_457;

/// A small HTTP client for the multipart API of the server at `base` (`http://127.0.0.1:PORT`).
struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    fn of(server: &TestServer) -> Self {
        Self {
            base: server.url(""),
            http: server.http.clone(),
        }
    }

    async fn create(&self, size: u64) -> reqwest::Response {
        self.http
            .post(format!("{}/api/multipart", self.base))
            .json(&CreateMultipartRequest {
                file_name: "clip.mp4".into(),
                file_type: "video/mp4".into(),
                size,
            })
            .send()
            .await
            .unwrap()
    }

    async fn created(&self, size: u64) -> CreateMultipartResponse {
        let response = self.create(size).await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    async fn part_url(&self, upload: &CreateMultipartResponse, part: u32) -> String {
        let signed: SignedPart = self
            .http
            .get(format!(
                "{}/api/multipart/{}/parts/{part}/url",
                self.base, upload.upload_id
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(signed.url.starts_with("api/multipart/"), "{}", signed.url);
        format!("{}/{}", self.base, signed.url)
    }

    /// PUTs `bytes` as part `part` and returns its ETag.
    async fn put(&self, upload: &CreateMultipartResponse, part: u32, bytes: Vec<u8>) -> String {
        let url = self.part_url(upload, part).await;
        let response = self.http.put(url).body(bytes).send().await.unwrap();
        assert_eq!(response.status(), 200, "part {part}");
        response.headers()["etag"].to_str().unwrap().to_owned()
    }

    async fn list(&self, upload: &CreateMultipartResponse) -> Vec<UploadedPart> {
        let listed: ListPartsResponse = self
            .http
            .get(format!(
                "{}/api/multipart/{}/parts",
                self.base, upload.upload_id
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listed.parts
    }

    async fn start_job(&self, upload: &CreateMultipartResponse) -> reqwest::Response {
        self.http
            .post(format!("{}/api/jobs", self.base))
            .json(&CreateJobRequest {
                upload_id: upload.upload_id.clone(),
                sensitivity: None,
            })
            .send()
            .await
            .unwrap()
    }

    async fn complete(
        &self,
        upload: &CreateMultipartResponse,
        parts: Vec<CompletedPart>,
    ) -> reqwest::Response {
        self.http
            .post(format!(
                "{}/api/multipart/{}/complete",
                self.base, upload.upload_id
            ))
            .json(&CompleteMultipartRequest { parts })
            .send()
            .await
            .unwrap()
    }
}

/// Part `n` (1-based) of `file` cut into `part_size` pieces.
fn part_of(file: &[u8], part_size: u64, n: u32) -> Vec<u8> {
    let start = (n as usize - 1) * part_size as usize;
    file[start..(start + part_size as usize).min(file.len())].to_vec()
}

fn completed(etags: &[String]) -> Vec<CompletedPart> {
    etags
        .iter()
        .enumerate()
        .map(|(i, etag)| CompletedPart {
            part_number: i as u32 + 1,
            etag: etag.clone(),
        })
        .collect()
}

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: ApiError = response.json().await.unwrap();
    (status, body.message.to_lowercase())
}

fn stored_file(server: &TestServer, upload: &CreateMultipartResponse) -> Vec<u8> {
    std::fs::read(
        server
            .data
            .path()
            .join("uploads")
            .join(format!("{}.part", upload.upload_id)),
    )
    .unwrap()
}

#[tokio::test]
async fn parts_sent_in_parallel_and_out_of_order_assemble_the_file_and_start_a_job() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let api = Api::of(&server);
    let file = fake_mp4(THREE_PARTS);
    let upload = api.created(file.len() as u64).await;
    assert_eq!(upload.part_size, MIN_PART_BYTES);
    assert_eq!(upload.part_count, 3);

    let (three, one, two) = tokio::join!(
        api.put(&upload, 3, part_of(&file, upload.part_size, 3)),
        api.put(&upload, 1, part_of(&file, upload.part_size, 1)),
        api.put(&upload, 2, part_of(&file, upload.part_size, 2)),
    );
    let etags = vec![one, two, three];
    let listed = api.list(&upload).await;
    assert_eq!(listed.len(), 3);
    assert_eq!(
        listed.iter().map(|p| p.etag.clone()).collect::<Vec<_>>(),
        etags
    );
    assert_eq!(listed[2].size, 123_457);

    let done = api.complete(&upload, completed(&etags)).await;
    assert_eq!(done.status(), 200);
    let done: CompleteMultipartResponse = done.json().await.unwrap();
    assert_eq!(done.size, file.len() as u64);
    assert!(stored_file(&server, &upload) == file, "byte-identical");
    // A retried completion (its first answer lost) gets the same answer.
    assert_eq!(api.complete(&upload, completed(&etags)).await.status(), 200);

    let job = api.start_job(&upload).await;
    assert_eq!(job.status(), 201);
    server.stop().await;
}

#[tokio::test]
async fn listing_parts_resumes_an_interrupted_upload() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let api = Api::of(&server);
    let file = fake_mp4(THREE_PARTS);
    let upload = api.created(file.len() as u64).await;
    let one = api
        .put(&upload, 1, part_of(&file, upload.part_size, 1))
        .await;
    let three = api
        .put(&upload, 3, part_of(&file, upload.part_size, 3))
        .await;
    // A page reloaded here knows only the upload id: the list says what is left.
    let listed = api.list(&upload).await;
    assert_eq!(
        listed.iter().map(|p| p.part_number).collect::<Vec<_>>(),
        [1, 3]
    );
    assert_eq!(listed[0].etag, one);
    let two = api
        .put(&upload, 2, part_of(&file, upload.part_size, 2))
        .await;
    let done = api.complete(&upload, completed(&[one, two, three])).await;
    assert_eq!(done.status(), 200);
    assert!(stored_file(&server, &upload) == file);
    server.stop().await;
}

#[tokio::test]
async fn a_completion_with_a_wrong_etag_or_a_missing_part_is_refused_and_changes_nothing() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let api = Api::of(&server);
    let file = fake_mp4(THREE_PARTS);
    let upload = api.created(file.len() as u64).await;
    let mut etags = Vec::new();
    for n in 1..=2 {
        etags.push(
            api.put(&upload, n, part_of(&file, upload.part_size, n))
                .await,
        );
    }
    let (status, message) = error_of(
        api.complete(
            &upload,
            completed(&[etags[0].clone(), etags[1].clone(), "\"x\"".into()]),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(message.contains("part 3 was never stored"), "{message}");

    etags.push(
        api.put(&upload, 3, part_of(&file, upload.part_size, 3))
            .await,
    );
    let mut wrong = etags.clone();
    wrong[1] = "\"0123456789abcdef0123456789abcdef\"".into();
    let (status, message) = error_of(api.complete(&upload, completed(&wrong)).await).await;
    assert_eq!(status, 400);
    assert!(message.contains("part 2's etag"), "{message}");
    // The upload is still unfinished, so no job can start from it yet.
    let job = api.start_job(&upload).await;
    assert_eq!(job.status(), 409);
    assert_eq!(api.complete(&upload, completed(&etags)).await.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn a_forged_moved_or_expired_part_url_is_refused_with_403() {
    let server = TestServer::start(&["--management-key", KEY], ScriptedAnalyzer::new(1)).await;
    let api = Api::of(&server);
    let file = fake_mp4(THREE_PARTS);
    let upload = api.created(file.len() as u64).await;
    let part = part_of(&file, upload.part_size, 2);
    let good = api.part_url(&upload, 2).await;

    let flipped = if good.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{flipped}", &good[..good.len() - 1]);
    let moved = good.replace("/parts/2?", "/parts/3?");
    let unsigned = good.split('?').next().unwrap().to_owned();
    let past = PartSigner::new(KEY).sign(&upload.upload_id, 2, 1_000);
    let expired = format!("{unsigned}?{past}");
    for (what, url, says) in [
        ("forged", forged, "not valid"),
        ("moved", moved, "not valid"),
        ("unsigned", unsigned, "lacks a valid expiry"),
        ("expired", expired, "expired"),
    ] {
        let (status, message) =
            error_of(api.http.put(url).body(part.clone()).send().await.unwrap()).await;
        assert_eq!(status, 403, "{what}");
        assert!(message.contains(says), "{what}: {message}");
    }
    assert!(api.list(&upload).await.is_empty(), "nothing was stored");
    let ok = api.http.put(good).body(part).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn size_limits_and_sniffing_hold_as_for_tus() {
    let server = TestServer::start(
        &["--max-upload-bytes", "30000000"],
        ScriptedAnalyzer::new(1),
    )
    .await;
    let api = Api::of(&server);
    let (status, message) = error_of(api.create(30_000_001).await).await;
    assert_eq!(status, 413);
    assert!(message.contains("at most"), "{message}");
    assert_eq!(error_of(api.create(0).await).await.0, 400);
    assert_eq!(
        server.stored_uploads(),
        0,
        "nothing stored before the checks"
    );

    // A part of the wrong size is refused and not recorded.
    let file = fake_mp4(THREE_PARTS);
    let upload = api.created(file.len() as u64).await;
    let url = api.part_url(&upload, 3).await;
    let (status, message) =
        error_of(api.http.put(url).body(vec![0u8; 10]).send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(message.contains("exactly 123457 bytes"), "{message}");
    assert!(api.list(&upload).await.is_empty());

    // Part 1 that is not a video: 415, and the upload is gone.
    let url = api.part_url(&upload, 1).await;
    let mut text = b"%PDF-1.7 not a video at all ".repeat(400_000);
    text.truncate(MIN_PART_BYTES as usize);
    let (status, _) = error_of(api.http.put(url).body(text).send().await.unwrap()).await;
    assert_eq!(status, 415);
    let listed = api
        .http
        .get(format!(
            "{}/api/multipart/{}/parts",
            api.base, upload.upload_id
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 404);
    assert_eq!(server.stored_uploads(), 0);
    server.stop().await;
}

#[tokio::test]
async fn abort_deletes_the_upload_and_its_parts() {
    let server = TestServer::start(&[], ScriptedAnalyzer::new(1)).await;
    let api = Api::of(&server);
    let file = fake_mp4(THREE_PARTS);
    let upload = api.created(file.len() as u64).await;
    api.put(&upload, 1, part_of(&file, upload.part_size, 1))
        .await;
    assert_eq!(server.stored_uploads(), 1);
    let aborted = api
        .http
        .delete(format!("{}/api/multipart/{}", api.base, upload.upload_id))
        .send()
        .await
        .unwrap();
    assert_eq!(aborted.status(), 204);
    assert_eq!(server.stored_uploads(), 0);
    let url = api
        .http
        .get(format!(
            "{}/api/multipart/{}/parts/2/url",
            api.base, upload.upload_id
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(url.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn uploads_of_other_tokens_are_out_of_reach() {
    let server = TestServer::start(&["--tokens", "alice,bob"], ScriptedAnalyzer::new(1)).await;
    let file = fake_mp4(1_000_000);
    let created: CreateMultipartResponse = server
        .http
        .post(server.url("/api/multipart"))
        .bearer_auth("alice")
        .json(&CreateMultipartRequest {
            file_name: "a.mp4".into(),
            file_type: String::new(),
            size: file.len() as u64,
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("/api/multipart/{}/parts", created.upload_id);
    let anonymous = server.http.get(server.url(&path)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let bob = server
        .http
        .get(server.url(&path))
        .bearer_auth("bob")
        .send()
        .await
        .unwrap();
    assert_eq!(bob.status(), 403);
    server.stop().await;
}

#[tokio::test]
async fn a_killed_server_keeps_every_stored_part_and_the_upload_resumes_byte_identical() {
    let data = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let server = Process::start(data.path(), "127.0.0.1:0", &["--workers", "1"]);
    let listen = server.addr().to_owned();
    let api = Api {
        base: server.url.clone(),
        http: http.clone(),
    };
    let file = fake_mp4(THREE_PARTS);
    let upload = api.created(file.len() as u64).await;
    let one = api
        .put(&upload, 1, part_of(&file, upload.part_size, 1))
        .await;

    // Part 2 sends half its bytes, then stalls; the server is killed mid-body.
    let url = api.part_url(&upload, 2).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let stalled = tokio::spawn({
        let http = http.clone();
        let body = reqwest::Body::wrap_stream(futures_util::stream::poll_fn({
            let mut rx = rx;
            move |cx| rx.poll_recv(cx)
        }));
        async move { http.put(url).body(body).send().await }
    });
    let half = part_of(&file, upload.part_size, 2)[..(4 << 20)].to_vec();
    tx.send(Ok(half)).await.unwrap();
    server.kill_9();
    drop(tx);
    let _ = stalled.await;

    let server = Process::start(data.path(), &listen, &["--workers", "1"]);
    let api = Api {
        base: server.url.clone(),
        http,
    };
    let listed = api.list(&upload).await;
    assert_eq!(
        listed.iter().map(|p| p.part_number).collect::<Vec<_>>(),
        [1],
        "the stored part survives and the torn one is not listed"
    );
    assert_eq!(listed[0].etag, one);
    let two = api
        .put(&upload, 2, part_of(&file, upload.part_size, 2))
        .await;
    let three = api
        .put(&upload, 3, part_of(&file, upload.part_size, 3))
        .await;
    assert_eq!(
        api.complete(&upload, completed(&[one, two, three]))
            .await
            .status(),
        200
    );
    let stored = std::fs::read(
        data.path()
            .join("uploads")
            .join(format!("{}.part", upload.upload_id)),
    )
    .unwrap();
    assert!(stored == file, "the resumed upload is byte-identical");
}

#[tokio::test]
async fn a_part_whose_body_stops_arriving_times_out_and_is_not_recorded() {
    let server = TestServer::start(&["--body-timeout", "1"], ScriptedAnalyzer::new(1)).await;
    let api = Api::of(&server);
    let file = fake_mp4(THREE_PARTS);
    let upload = api.created(file.len() as u64).await;
    let url = api.part_url(&upload, 2).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = reqwest::Body::wrap_stream(futures_util::stream::poll_fn({
        let mut rx = rx;
        move |cx| rx.poll_recv(cx)
    }));
    let sent = tokio::spawn({
        let http = api.http.clone();
        async move { http.put(url).body(body).send().await.unwrap() }
    });
    tx.send(Ok(part_of(&file, upload.part_size, 2)[..65_536].to_vec()))
        .await
        .unwrap();
    // Silence, with the connection held open: the server gives up after its body timeout.
    let (status, message) = error_of(sent.await.unwrap()).await;
    drop(tx);
    assert_eq!(status, 408);
    assert!(message.contains("no bytes of part 2"), "{message}");
    assert!(
        api.list(&upload).await.is_empty(),
        "the torn part is not listed"
    );
    // The part can be sent again at once: nothing holds it.
    api.put(&upload, 2, part_of(&file, upload.part_size, 2))
        .await;
    server.stop().await;
}

#[tokio::test]
async fn an_abandoned_multipart_upload_expires() {
    let server = TestServer::start(&["--upload-expiry", "1"], ScriptedAnalyzer::new(1)).await;
    let api = Api::of(&server);
    let file = fake_mp4(THREE_PARTS);
    let upload = api.created(file.len() as u64).await;
    api.put(&upload, 1, part_of(&file, upload.part_size, 1))
        .await;
    assert_eq!(server.stored_uploads(), 1);
    // Nothing more arrives: the sweep (every second at this expiry) removes the upload.
    let parts = format!("{}/api/multipart/{}/parts", api.base, upload.upload_id);
    let deadline = std::time::Instant::now() + PATIENCE;
    while api.http.get(&parts).send().await.unwrap().status() != 404 {
        assert!(
            std::time::Instant::now() < deadline,
            "an abandoned multipart upload never expired"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(server.stored_uploads(), 0, "its file went with its record");
    server.stop().await;
}
