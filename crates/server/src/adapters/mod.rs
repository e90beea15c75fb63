//! The local adapters: the ports of [`crate::ports`] as one process plays them.
//!
//! - [`sqlite`]: jobs, events, subscriptions and upload records in one SQLite file.
//! - [`data_folder`]: each job's source, thumbnails and result in the data folder.
//! - [`gateway_push`]: `@connections` pushes through the in-process gateway.
//! - [`queue`]: the job queue as a bounded in-process channel.
//!
//! Uploads are written into the data folder by the upload handlers themselves: they are the
//! local stand-in for S3's multipart upload, which on AWS the page talks to directly.

pub mod data_folder;
pub mod gateway_push;
pub mod queue;
pub mod sqlite;
