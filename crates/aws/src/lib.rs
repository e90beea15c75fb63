//! `vidpush-aws`: vidpush's AWS home. The ports of `vidpush-server` on AWS services, so the same
//! backend functions and job runner that run in one process locally run on Lambda and a worker
//! with DynamoDB, S3, SQS and API Gateway's `@connections`.
//!
//! Modules, in the order a job meets them:
//! - [`settings`]: the environment variables the template sets and the code reads.
//! - [`sdk`]: the SDK configuration, with a local endpoint (moto, the local gateway) for tests
//!   and the simulated stack.
//! - [`dynamodb`]: jobs and events (gap-free `seq` by conditional transaction), subscriptions
//!   with a TTL, upload records.
//! - [`sqs`]: the job queue, with a visibility heartbeat and a dead-letter queue behind it.
//! - [`s3`]: each job's objects (source, thumbnails, result), read through presigned URLs, and
//!   the page's multipart uploads straight to the bucket.
//! - [`push`]: `@connections` through `aws-sdk-apigatewaymanagement`; Gone drops a subscription.
//! - [`wiring`]: these adapters and the publisher over them, built in one place for the worker
//!   and every function.
//! - [`worker`]: the local job runner over these adapters, as a long-lived worker process.
//! - [`control`]: the job controls of a function: new and retried jobs on the queue; cancel and
//!   delete by storing, for the worker to notice.
//! - `testing` (feature `testing`): the simulated stack for tests — moto and the local gateway
//!   in AWS mode.
//!
//! The SDK crates are heavy to build (minutes on two cores), which is why they live here and
//! not in the server's default build.

pub mod control;
pub mod dynamodb;
pub mod push;
pub mod s3;
pub mod sdk;
pub mod settings;
pub mod sqs;
#[cfg(feature = "testing")]
pub mod testing;
pub mod wiring;
pub mod worker;

pub use dynamodb::{ConnectionRecord, DynamoStore, TableNames};
pub use push::ApiGatewayPush;
pub use s3::{S3Multipart, S3Objects};
pub use sqs::SqsQueue;
