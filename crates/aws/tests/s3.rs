//! Job objects on S3 against moto: adopting an upload, the source on the worker's disk,
//! thumbnails and results through presigned GETs, removal.

use aws_sdk_s3::primitives::ByteStream;
use vidpush_aws::s3::multipart::MIN_PART_BYTES;
use vidpush_aws::s3::upload_key;
use vidpush_aws::sdk::s3_client;
use vidpush_aws::testing::Moto;
use vidpush_aws::{S3Multipart, S3Objects};
use vidpush_protocol::{JobId, UploadId};
use vidpush_server::ports::{JobObjects, Stored};

const BUCKET: &str = "vidpush-test";

async fn objects(moto: &Moto, scratch: &std::path::Path) -> (S3Objects, aws_sdk_s3::Client) {
    let client = s3_client(&moto.config().await, &moto.endpoint());
    client.create_bucket().bucket(BUCKET).send().await.unwrap();
    (S3Objects::new(client.clone(), BUCKET, scratch), client)
}

async fn fetch(stored: Option<Stored>) -> Vec<u8> {
    match stored {
        Some(Stored::At(url)) => {
            let response = reqwest::get(&url).await.unwrap();
            assert!(
                response.status().is_success(),
                "{url}: {}",
                response.status()
            );
            response.bytes().await.unwrap().to_vec()
        }
        Some(Stored::Bytes(_) | Stored::File(_)) => panic!("S3 objects are served by URL"),
        None => panic!("the object is missing"),
    }
}

#[tokio::test]
async fn an_adopted_upload_becomes_the_source_on_the_workers_disk() {
    let moto = Moto::start();
    let scratch = tempfile::tempdir().unwrap();
    let (objects, client) = objects(&moto, scratch.path()).await;
    let video: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let upload = UploadId("u1".into());
    client
        .put_object()
        .bucket(BUCKET)
        .key(upload_key(&upload))
        .body(ByteStream::from(video.clone()))
        .send()
        .await
        .unwrap();
    let job = JobId("j1".into());
    objects.adopt_upload(&upload, &job).await.unwrap();
    let gone = client
        .head_object()
        .bucket(BUCKET)
        .key(upload_key(&upload))
        .send()
        .await;
    assert!(gone.is_err(), "the upload's object was moved, not copied");
    let path = objects.source_file(&job).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), video);
    // The page plays the source from S3 for as long as the job exists.
    assert_eq!(fetch(objects.source(&job).await.unwrap()).await, video);
    objects.forget_local(&job).await;
    assert!(!path.exists(), "the worker's copy goes when it is done");
    assert!(objects.source(&job).await.unwrap().is_some());
}

#[tokio::test]
async fn thumbnails_and_results_are_read_through_presigned_urls_until_the_job_is_deleted() {
    let moto = Moto::start();
    let scratch = tempfile::tempdir().unwrap();
    let (objects, _) = objects(&moto, scratch.path()).await;
    let job = JobId("j2".into());
    assert!(objects.result(&job).await.unwrap().is_none());
    assert!(objects.thumbnail(&job, 0).await.unwrap().is_none());
    objects
        .put_thumbnail(&job, 0, b"jpeg0".to_vec())
        .await
        .unwrap();
    objects
        .put_thumbnail(&job, 1, b"jpeg1".to_vec())
        .await
        .unwrap();
    objects
        .put_result(&job, b"{\"shots\":[]}".to_vec())
        .await
        .unwrap();
    assert_eq!(
        fetch(objects.thumbnail(&job, 1).await.unwrap()).await,
        b"jpeg1"
    );
    assert_eq!(
        fetch(objects.result(&job).await.unwrap()).await,
        b"{\"shots\":[]}"
    );
    objects.remove_all(&job).await;
    assert!(objects.result(&job).await.unwrap().is_none());
}

/// PUTs `bytes` to a presigned part URL as the page does (no content type), returning the ETag.
async fn put_part(url: &str, bytes: Vec<u8>) -> String {
    let response = reqwest::Client::new()
        .put(url)
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.headers()["etag"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_multipart_upload_resumes_from_its_listed_parts_and_completes_whole() {
    let moto = Moto::start();
    let scratch = tempfile::tempdir().unwrap();
    let (_, client) = objects(&moto, scratch.path()).await;
    let uploads = S3Multipart::new(client.clone(), BUCKET);
    let key = upload_key(&UploadId("big".into()));
    let part_size = MIN_PART_BYTES as usize;
    let video: Vec<u8> = (0..part_size * 2 + 1234).map(|i| (i % 253) as u8).collect();
    let upload = uploads.create(&key, "video/mp4").await.unwrap();
    let first = uploads.part_url(&key, &upload, 1).await.unwrap();
    let etag1 = put_part(&first, video[..part_size].to_vec()).await;
    // The page reloads here: it asks which parts S3 already holds and sends only the rest.
    let held = uploads.parts(&key, &upload).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(
        (held[0].part_number, held[0].etag.as_str()),
        (1, etag1.as_str())
    );
    assert_eq!(held[0].size, part_size as u64);
    for (number, range) in [
        (2, part_size..part_size * 2),
        (3, part_size * 2..video.len()),
    ] {
        let url = uploads.part_url(&key, &upload, number).await.unwrap();
        put_part(&url, video[range].to_vec()).await;
    }
    let parts = uploads.parts(&key, &upload).await.unwrap();
    assert_eq!(
        parts.iter().map(|p| p.part_number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    uploads.complete(&key, &upload, &parts).await.unwrap();
    let stored = client
        .get_object()
        .bucket(BUCKET)
        .key(&key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert!(
        stored == video.as_slice(),
        "the object is the file, byte for byte"
    );
}

#[tokio::test]
async fn an_aborted_upload_keeps_no_parts() {
    let moto = Moto::start();
    let scratch = tempfile::tempdir().unwrap();
    let (_, client) = objects(&moto, scratch.path()).await;
    let uploads = S3Multipart::new(client, BUCKET);
    let key = upload_key(&UploadId("dropped".into()));
    let upload = uploads.create(&key, "").await.unwrap();
    let url = uploads.part_url(&key, &upload, 1).await.unwrap();
    put_part(&url, vec![7; 1000]).await;
    uploads.abort(&key, &upload).await.unwrap();
    assert!(
        uploads.parts(&key, &upload).await.is_err(),
        "S3 forgets an aborted upload"
    );
}
