//! [`AwsPorts`]: the ports on AWS, wired in one place for the worker and every function (each
//! builds them once per process or execution environment).

use crate::dynamodb::DynamoStore;
use crate::push::ApiGatewayPush;
use crate::s3::S3Objects;
use crate::sdk::{self, Endpoint};
use crate::settings::Resources;
use aws_config::SdkConfig;
use std::path::PathBuf;
use std::sync::Arc;
use vidpush_server::ports::{JobStore, Push, Subscriptions};
use vidpush_server::publisher::{self, Publisher};

/// The AWS adapters behind the ports, and the publisher over them.
pub struct AwsPorts {
    /// The SDK's settings (region, credentials, endpoint).
    pub config: SdkConfig,
    /// Jobs, events, subscriptions, uploads and connections.
    pub store: DynamoStore,
    /// The store as the [`JobStore`] port.
    pub job_store: Arc<dyn JobStore>,
    /// The store as the [`Subscriptions`] port.
    pub subscriptions: Arc<dyn Subscriptions>,
    /// `@connections`.
    pub push: Arc<dyn Push>,
    /// Stores, then pushes, job events. Jobs run to the end with nobody watching on AWS: its
    /// notices of unwatched jobs go nowhere (it drops them when nobody reads).
    pub publisher: Publisher,
    /// Each job's objects in the bucket.
    pub objects: Arc<S3Objects>,
    /// The S3 client (path-style against a local endpoint).
    pub s3: aws_sdk_s3::Client,
}

impl AwsPorts {
    /// Everything at `endpoint`, in `resources`; job sources are downloaded into `scratch`.
    pub async fn connect(endpoint: &Endpoint, resources: &Resources, scratch: PathBuf) -> Self {
        let config = sdk::config(endpoint).await;
        let store = DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&config),
            resources.tables.clone(),
        );
        let job_store: Arc<dyn JobStore> = Arc::new(store.clone());
        let subscriptions: Arc<dyn Subscriptions> = Arc::new(store.clone());
        let push: Arc<dyn Push> =
            Arc::new(ApiGatewayPush::new(&config, &resources.management_endpoint));
        let publisher = publisher_over(&job_store, &subscriptions, &push);
        let s3 = sdk::s3_client(&config, endpoint);
        let objects = Arc::new(S3Objects::new(
            s3.clone(),
            resources.bucket.clone(),
            scratch,
        ));
        Self {
            config,
            store,
            job_store,
            subscriptions,
            push,
            publisher,
            objects,
            s3,
        }
    }

    /// The same ports pushing through `push` instead (a test's unruly delivery).
    pub fn with_push(mut self, push: Arc<dyn Push>) -> Self {
        self.publisher = publisher_over(&self.job_store, &self.subscriptions, &push);
        self.push = push;
        self
    }

    /// The job queue, as the functions use it (they only send).
    pub fn queue(&self, resources: &Resources) -> crate::sqs::SqsQueue {
        crate::sqs::SqsQueue::new(
            aws_sdk_sqs::Client::new(&self.config),
            resources.queue_url.clone(),
        )
    }
}

fn publisher_over(
    job_store: &Arc<dyn JobStore>,
    subscriptions: &Arc<dyn Subscriptions>,
    push: &Arc<dyn Push>,
) -> Publisher {
    let (notices, _unread) = tokio::sync::mpsc::channel(publisher::ORPHAN_NOTICES_QUEUED);
    Publisher::new(
        job_store.clone(),
        subscriptions.clone(),
        push.clone(),
        notices,
    )
}
