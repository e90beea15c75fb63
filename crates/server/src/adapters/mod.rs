//! The local adapters: the ports of [`crate::ports`] as one process plays them.
//!
//! - [`sqlite`]: jobs, events, subscriptions and upload records in one SQLite file.
//! - [`data_folder`]: each job's source, thumbnails and result in the data folder.
//! - [`gateway_push`]: `@connections` pushes through the in-process gateway.
//! - [`queue`]: the job queue as a bounded in-process channel.
//! - [`upload_folder`]: multipart uploads' bytes as files in the data folder, written by the
//!   local `PUT` of each part (the stand-in for S3's `UploadPart`, which on AWS the page calls
//!   directly).

pub mod data_folder;
pub mod gateway_push;
pub mod queue;
pub mod sqlite;
pub mod upload_folder;
