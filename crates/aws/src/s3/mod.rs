//! S3: each job's objects ([`objects`]), and the browser's multipart uploads straight to the
//! bucket through presigned part URLs ([`multipart`]).

pub mod multipart;
pub mod objects;

pub use multipart::S3Multipart;
pub use objects::{PRESIGNED_GET, S3Objects, upload_key};
