//! S3: each job's objects ([`objects`]), and the browser's multipart uploads straight to the
//! bucket through presigned part URLs ([`multipart`], the S3 calls; [`uploads`], the
//! [`UploadSpace`](vidpush_server::ports::UploadSpace) over them).

pub mod multipart;
pub mod objects;
pub mod uploads;

use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use vidpush_server::ports::StoreError;

pub use multipart::S3Multipart;
pub use objects::{PRESIGNED_GET, S3Objects, upload_key};
pub use uploads::S3Uploads;

/// An S3 call's failure as the ports' [`StoreError`], with the service's own words.
fn failed<E: std::error::Error + 'static, R: std::fmt::Debug>(error: SdkError<E, R>) -> StoreError {
    StoreError::Unavailable(format!("S3: {}", DisplayErrorContext(error)))
}
