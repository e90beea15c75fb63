//! The one error type of the HTTP API. Input errors reach the user as sentences that say what
//! happened and what to do; internal errors are logged in full and answered with a generic
//! sentence, so no file path or SQL ever leaks.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use vidpush_protocol::ApiError;

/// Why an API request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiFailure {
    /// The request is malformed; the text says how.
    #[error("{0}")]
    BadRequest(String),
    /// A token is required and was missing or wrong.
    #[error("a valid token is required: send it as `Authorization: Bearer <token>`")]
    Unauthorized,
    /// Too many failed token checks from the caller's address.
    #[error(
        "too many failed token checks from this address; wait {retry_after_secs} s, then send a valid token"
    )]
    TooManyAttempts {
        /// Seconds to wait before trying again.
        retry_after_secs: u64,
    },
    /// The caller may not touch this resource.
    #[error("{0}")]
    Forbidden(String),
    /// No such upload or job.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the resource's state (tus offset mismatch, unfinished upload).
    #[error("{0}")]
    Conflict(String),
    /// Another request is writing to the same upload (tus clients retry after a HEAD).
    #[error(
        "another request is writing to this upload right now; wait a moment, ask with HEAD and continue"
    )]
    Locked,
    /// The declared or sent size is over the limit.
    #[error("{0}")]
    TooLarge(String),
    /// Not a video, or a wrong content type.
    #[error("{0}")]
    UnsupportedMedia(String),
    /// A tus client speaking a version we do not.
    #[error("this server speaks tus 1.0.0; send `Tus-Resumable: 1.0.0`")]
    TusVersion,
    /// A tus `Upload-Checksum` did not match the bytes received.
    #[error(
        "the checksum of the received bytes does not match Upload-Checksum; send the chunk again"
    )]
    ChecksumMismatch,
    /// The job queue is full.
    #[error("the server is busy with other jobs; try again in {retry_after_secs} s")]
    Busy {
        /// Seconds to wait before trying again.
        retry_after_secs: u64,
    },
    /// Every upload writer is busy; the PATCH may be sent again shortly.
    #[error(
        "the server is receiving as many uploads as it can right now; send this part again in {retry_after_secs} s"
    )]
    UploadsBusy {
        /// Seconds to wait before trying again.
        retry_after_secs: u64,
    },
    /// A PATCH body stopped arriving; what came before is kept.
    #[error(
        "no bytes of the upload arrived for {waited_secs} s, so the server stopped waiting; it kept the first {offset} bytes: ask with HEAD and continue from there"
    )]
    BodyStalled {
        /// How long the server waited for the next bytes.
        waited_secs: u64,
        /// The upload's offset recorded once the received bytes were on disk.
        offset: u64,
    },
    /// A multipart part's body stopped arriving; nothing of that part is kept.
    #[error(
        "no bytes of part {part} arrived for {waited_secs} s, so the server stopped waiting and kept nothing of it; send the part again"
    )]
    PartStalled {
        /// The part's number.
        part: u32,
        /// How long the server waited for the next bytes.
        waited_secs: u64,
    },
    /// Something failed inside the server; logged, never shown in detail.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiFailure {
    /// Wraps an internal error: logged now with its detail, answered generically.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self::Internal(error.to_string())
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::Locked => (StatusCode::LOCKED, "locked"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::UnsupportedMedia(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_a_video"),
            Self::TusVersion => (StatusCode::PRECONDITION_FAILED, "tus_version"),
            // tus checksum extension: 460 Checksum Mismatch.
            Self::ChecksumMismatch => (
                StatusCode::from_u16(460).expect("460 is a valid status code"),
                "checksum_mismatch",
            ),
            Self::Busy { .. } | Self::UploadsBusy { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "busy")
            }
            Self::BodyStalled { .. } | Self::PartStalled { .. } => {
                (StatusCode::REQUEST_TIMEOUT, "body_timeout")
            }
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            Self::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "Something went wrong inside the server. Try again; if it keeps happening, check the server log.".to_owned()
            }
            other => {
                let text = other.to_string();
                let mut chars = text.chars();
                match chars.next() {
                    Some(first) => format!(
                        "{}{}.",
                        first.to_uppercase(),
                        chars.as_str().trim_end_matches('.')
                    ),
                    None => text,
                }
            }
        };
        let body = ApiError {
            code: code.to_owned(),
            message,
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            "Tus-Resumable",
            HeaderValue::from_static(vidpush_protocol::limits::TUS_VERSION),
        );
        if let Self::Busy { retry_after_secs }
        | Self::UploadsBusy { retry_after_secs }
        | Self::TooManyAttempts { retry_after_secs } = self
        {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        if let Self::TusVersion = self {
            headers.insert(
                "Tus-Version",
                HeaderValue::from_static(vidpush_protocol::limits::TUS_VERSION),
            );
        }
        response
    }
}

/// A JSON request body, or a 400 that shows the expected shape (`example`) and what was wrong.
pub fn json_body<T>(
    body: Result<axum::Json<T>, axum::extract::rejection::JsonRejection>,
    example: &str,
) -> Result<T, ApiFailure> {
    body.map(|axum::Json(value)| value).map_err(|rejection| {
        ApiFailure::BadRequest(format!(
            "the body must be JSON like {example}: {}",
            rejection.body_text()
        ))
    })
}

impl From<crate::ports::StoreError> for ApiFailure {
    fn from(error: crate::ports::StoreError) -> Self {
        Self::internal(error)
    }
}

impl From<std::io::Error> for ApiFailure {
    fn from(error: std::io::Error) -> Self {
        Self::internal(error)
    }
}
