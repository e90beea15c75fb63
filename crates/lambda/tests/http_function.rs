//! The HTTP API function's router over the AWS adapters, against moto: the page's multipart
//! upload goes to S3 through presigned part URLs, a job is created from it and queued on SQS,
//! and its media is served by redirect; a file that is not a video is refused once joined.
//! The router is served on a loopback port as `lambda_http` would run it (no request context:
//! every caller shares one failed-token budget).

use reqwest::Method;
use serde_json::{Value, json};
use std::net::SocketAddr;
use vidpush_aws::dynamodb::{DynamoStore, TableNames};
use vidpush_aws::s3::upload_key;
use vidpush_aws::sdk::s3_client;
use vidpush_aws::settings::Resources;
use vidpush_aws::testing::Moto;
use vidpush_lambda::functions::AccessPolicy;
use vidpush_protocol::UploadId;

const BUCKET: &str = "media";
const TOKEN: &str = "alice-token";
const ORIGIN: &str = "https://page.example";
const MIB: usize = 1024 * 1024;

struct Api {
    moto: Moto,
    url: String,
    queue_url: String,
    http: reqwest::Client,
}

async fn api() -> Api {
    let moto = Moto::start();
    let config = moto.config().await;
    let tables = TableNames::prefixed("h-");
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), tables.clone())
        .create_tables()
        .await
        .unwrap();
    s3_client(&config, &moto.endpoint())
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let queue_url = aws_sdk_sqs::Client::new(&config)
        .create_queue()
        .queue_name("jobs")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let resources = Resources {
        tables,
        bucket: BUCKET.into(),
        queue_url: queue_url.clone(),
        // Nobody subscribes in these tests: nothing is pushed.
        management_endpoint: "http://127.0.0.1:9/local".into(),
    };
    let policy = AccessPolicy {
        tokens: vec![TOKEN.into()],
        allowed_origins: vec![ORIGIN.into()],
    };
    let router = vidpush_lambda::http::router(&moto.endpoint(), resources, policy)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Api {
        moto,
        url: format!("http://{addr}"),
        queue_url,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

impl Api {
    fn call(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(TOKEN)
    }

    /// The answer to `method path` with a JSON `body`, if any.
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request = self.call(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// The JSON answer to `method path`.
    async fn read(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        self.send(method, path, body).await.json().await.unwrap()
    }

    /// Uploads `bytes` the page's way and completes it; the completion's answer.
    async fn upload(&self, bytes: &[u8]) -> (UploadId, reqwest::Response) {
        let created = self
            .read(
                Method::POST,
                "/api/multipart",
                Some(json!({"fileName": "clip.mp4", "fileType": "video/mp4", "size": bytes.len()})),
            )
            .await;
        let id = created["uploadId"].as_str().unwrap().to_owned();
        let part_size = created["partSize"].as_u64().unwrap() as usize;
        let mut parts = Vec::new();
        for (index, chunk) in bytes.chunks(part_size).enumerate() {
            let number = index + 1;
            let signed = self
                .read(
                    Method::GET,
                    &format!("/api/multipart/{id}/parts/{number}/url"),
                    None,
                )
                .await;
            let url = signed["url"].as_str().unwrap();
            assert!(
                url.starts_with(&self.moto.url),
                "a part goes straight to S3: {url}"
            );
            let put = self
                .http
                .put(url)
                .body(chunk.to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
            let etag = put.headers()["etag"].to_str().unwrap().to_owned();
            parts.push(json!({"partNumber": number, "etag": etag}));
        }
        // The resume: S3's own list of what it holds.
        let listed = self
            .read(Method::GET, &format!("/api/multipart/{id}/parts"), None)
            .await;
        assert_eq!(listed["parts"].as_array().unwrap().len(), parts.len());
        let completed = self
            .send(
                Method::POST,
                &format!("/api/multipart/{id}/complete"),
                Some(json!({ "parts": parts })),
            )
            .await;
        (UploadId(id), completed)
    }

    async fn object_exists(&self, key: &str) -> bool {
        let config = self.moto.config().await;
        s3_client(&config, &self.moto.endpoint())
            .head_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .is_ok()
    }
}

/// `len` bytes that open like an MP4 (an `ftyp` box), the rest zeros.
fn mp4_like(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    bytes[..24].copy_from_slice(b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2");
    bytes
}

#[tokio::test]
async fn an_upload_to_s3_becomes_a_queued_job_whose_media_is_served_by_redirect() {
    let api = api().await;
    let video = mp4_like(9 * MIB);
    let (upload, completed) = api.upload(&video).await;
    assert_eq!(
        completed.status(),
        200,
        "{}",
        completed.text().await.unwrap()
    );
    assert!(api.object_exists(&upload_key(&upload)).await);

    let created = api
        .send(
            Method::POST,
            "/api/jobs",
            Some(json!({"uploadId": upload.as_str()})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let job = created.json::<Value>().await.unwrap()["jobId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !api.object_exists(&upload_key(&upload)).await,
        "the job adopted the upload's object"
    );

    // The job waits on SQS for a worker.
    let config = api.moto.config().await;
    let received = aws_sdk_sqs::Client::new(&config)
        .receive_message()
        .queue_url(&api.queue_url)
        .send()
        .await
        .unwrap();
    let bodies: Vec<_> = received
        .messages()
        .iter()
        .filter_map(|m| m.body())
        .collect();
    assert_eq!(bodies, [job.as_str()]);

    let listed = api.read(Method::GET, "/api/jobs", None).await;
    assert_eq!(listed["jobs"][0]["jobId"], job.as_str());
    assert_eq!(listed["jobs"][0]["state"], "queued");

    let video_url = format!("/api/jobs/{job}/video");
    let redirect = api.send(Method::GET, &video_url, None).await;
    assert_eq!(redirect.status(), 307);
    let location = redirect.headers()["location"].to_str().unwrap().to_owned();
    let served = api.http.get(&location).send().await.unwrap();
    assert_eq!(served.bytes().await.unwrap().len(), video.len());

    // Another token's job is not this token's business; a wrong token is a 401.
    let wrong = api
        .http
        .get(format!("{}/api/jobs", api.url))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let deleted = api
        .send(Method::DELETE, &format!("/api/jobs/{job}"), None)
        .await;
    assert_eq!(deleted.status(), 204);
    let gone = api
        .send(Method::GET, &format!("/api/jobs/{job}"), None)
        .await;
    assert_eq!(gone.status(), 404);
    assert!(!api.object_exists(&format!("jobs/{job}/source")).await);
}

#[tokio::test]
async fn a_joined_upload_that_is_not_a_video_is_refused_and_removed() {
    let api = api().await;
    let mut text = b"%PDF-1.7\n".to_vec();
    text.resize(MIB, b' ');
    let (upload, completed) = api.upload(&text).await;
    assert_eq!(completed.status(), 415);
    let message = completed.json::<Value>().await.unwrap();
    assert!(message.to_string().contains("not a video"), "{message}");
    assert!(!api.object_exists(&upload_key(&upload)).await);
    let job = api
        .send(
            Method::POST,
            "/api/jobs",
            Some(json!({"uploadId": upload.as_str()})),
        )
        .await;
    assert_eq!(job.status(), 404);
}

#[tokio::test]
async fn the_api_answers_cors_for_the_page_origin_only_and_has_no_local_upload_endpoints() {
    let api = api().await;
    let preflight = |origin: &'static str| {
        api.http
            .request(Method::OPTIONS, format!("{}/api/jobs", api.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight(ORIGIN).await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        ORIGIN,
        "the page's origin may call the API"
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
    for path in ["/api/uploads", "/api/multipart/x/parts/1"] {
        let answer = api
            .call(Method::PUT, path)
            .body("bytes")
            .send()
            .await
            .unwrap();
        assert!(
            matches!(answer.status().as_u16(), 404 | 405),
            "{path}: {}",
            answer.status()
        );
    }
}
