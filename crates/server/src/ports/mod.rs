//! The ports: what the backend functions need from the world, as a few narrow traits, so the
//! same handlers, job runner and publisher run on one machine and on AWS.
//!
//! - [`records`]: the upload and job records every port speaks in, and [`StoreError`].
//! - [`jobs`]: [`JobStore`], jobs and their event streams (gap-free `seq`, replay after a seq).
//! - [`subscriptions`]: [`Subscriptions`], which connection follows which job.
//! - [`uploads`]: [`UploadStore`], upload records and their multipart parts.
//! - [`upload_space`]: [`UploadSpace`], the bytes of multipart uploads (files, or S3's own
//!   multipart upload).
//! - [`push`]: [`Push`], `@connections` post with "Gone".
//! - [`objects`]: [`JobObjects`], each job's source video, thumbnails and result.
//! - [`queue`]: [`JobQueue`], where created jobs wait for a worker (at least once).
//!
//! The contracts carry no SQLite transaction and no in-process lock: each call is one atomic
//! step a DynamoDB conditional write, an S3 call, or an `@connections` request can make.
//! The local adapters are in [`crate::adapters`].

pub mod jobs;
pub mod objects;
pub mod push;
pub mod queue;
pub mod records;
pub mod subscriptions;
pub mod upload_space;
pub mod uploads;

pub use jobs::JobStore;
pub use objects::{JobObjects, Stored};
pub use push::{Push, PushError};
pub use queue::{JobQueue, QueueFull, QueuePlace};
pub use records::{JobCursor, JobPage, JobRecord, StoreError, UploadRecord};
pub use subscriptions::Subscriptions;
pub use upload_space::UploadSpace;
pub use uploads::UploadStore;
