//! The local adapters: the ports of [`crate::ports`] as one process plays them.
//!
//! - [`sqlite`]: jobs, events, subscriptions and upload records in one SQLite file.
//! - [`gateway_push`]: `@connections` pushes through the in-process gateway.
//!
//! The uploads' bytes, results and thumbnails live in the data folder (see `config`), and the
//! job queue is the in-process one of [`crate::jobs`].

pub mod gateway_push;
pub mod sqlite;
