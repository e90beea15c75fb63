//! Job objects on S3 against moto: adopting an upload, the source on the worker's disk,
//! thumbnails and results through presigned GETs, removal.

use aws_sdk_s3::primitives::ByteStream;
use vidpush_aws::S3Objects;
use vidpush_aws::s3::upload_key;
use vidpush_aws::sdk::s3_client;
use vidpush_aws::testing::Moto;
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
        Some(Stored::Bytes(_)) => panic!("S3 objects are served by URL"),
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
    objects.remove_source(&job).await;
    assert!(!path.exists());
}

#[tokio::test]
async fn thumbnails_and_results_are_read_through_presigned_urls_until_removed() {
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
    objects.remove_thumbnails(&job).await;
    assert!(objects.thumbnail(&job, 0).await.unwrap().is_none());
    assert!(objects.result(&job).await.unwrap().is_some());
    objects.remove_all(&job).await;
    assert!(objects.result(&job).await.unwrap().is_none());
}
