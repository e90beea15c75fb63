//! The local adapters: the ports of [`crate::ports`] as one process plays them.
//!
//! - [`sqlite`]: jobs, events, subscriptions and upload records in one SQLite file.
//! - [`gateway_push`]: `@connections` pushes through the in-process gateway.
//! - [`queue`]: the job queue as a bounded in-process channel.
//!
//! The uploads' bytes, results and thumbnails live in the data folder (see `config`).

pub mod gateway_push;
pub mod queue;
pub mod sqlite;
