//! The multipart upload API's calls, typed: create, sign a part, list the stored parts,
//! complete, abort. Each answer is sorted into what the uploader does next ([`Failure`]); the
//! part `PUT`s themselves, with their progress, are in `net::upload`. Every call is listed in
//! the upload's [`InFlight`] while it runs, so a pause or cancel never waits on one.

use crate::config::{Endpoints, resolve_url};
use crate::net::http::{call_api, ok, parse};
use crate::net::xhr::{Answer, InFlight, XhrError};
use std::rc::Rc;
use vidpush_protocol::UploadId;
use vidpush_protocol::multipart::{
    CompleteMultipartRequest, CompleteMultipartResponse, CompletedPart, CreateMultipartRequest,
    CreateMultipartResponse, ListPartsResponse, SignedPart, UploadedPart,
};
use vidpush_protocol::web::{self, FromJs};

use crate::upload_flow::Failure;

/// Sorts an answer: the decoded body of a success, or what the failure means.
fn judge<T: FromJs>(answer: Result<Answer, XhrError>, refused: &str) -> Result<T, Failure> {
    parse(&success(answer, refused)?)
        .map_err(|e| Failure::Refused(format!("The server's answer was not understood: {e}.")))
}

/// A success (2xx), or what the failure means. Kept apart from the decoding in [`judge`] so
/// that it is compiled once, not once per answer type.
fn success(answer: Result<Answer, XhrError>, refused: &str) -> Result<Answer, Failure> {
    let answer = answer.map_err(|e| match e {
        XhrError::Aborted => Failure::Stopped,
        XhrError::Network => Failure::Unreachable,
    })?;
    match answer.status {
        _ if ok(&answer) => Ok(answer),
        404 | 410 => Err(Failure::Lost),
        429 => Err(Failure::Unreachable),
        status if status >= 500 => Err(Failure::Unreachable),
        _ => Err(Failure::Refused(answer.error_message(refused))),
    }
}

/// `POST /api/multipart`: a new upload of `file_name`, `size` bytes.
pub async fn create(
    endpoints: &Endpoints,
    in_flight: &Rc<InFlight>,
    file_name: String,
    file_type: String,
    size: u64,
) -> Result<CreateMultipartResponse, Failure> {
    let body = web::encode(&CreateMultipartRequest {
        file_name,
        file_type,
        size,
    });
    let answer = call_api(endpoints, in_flight, "POST", "/api/multipart", Some(body)).await;
    match judge(answer, "The server refused the upload") {
        // A server without the multipart API answers 404: nothing is lost, it is refused.
        Err(Failure::Lost) => Err(Failure::Refused(
            "This server does not accept uploads from this page (no multipart upload API). Check the API address in config.json.".into(),
        )),
        judged => judged,
    }
}

/// `GET /api/multipart/{id}/parts/{n}/url`: the absolute URL to `PUT` part `number` to.
pub async fn sign(
    endpoints: &Endpoints,
    in_flight: &Rc<InFlight>,
    id: &UploadId,
    number: u32,
) -> Result<String, Failure> {
    let path = format!("/api/multipart/{id}/parts/{number}/url");
    let answer = call_api(endpoints, in_flight, "GET", &path, None).await;
    let signed: SignedPart = judge(answer, "The server refused to take part of the upload")?;
    // Relative part URLs are relative to the API's base, as `new URL(url, api + "/")` reads
    // them; S3's are absolute and stay as they are.
    Ok(resolve_url(&format!("{}/", endpoints.api), &signed.url))
}

/// `GET /api/multipart/{id}/parts`: the parts the server has stored.
pub async fn list(
    endpoints: &Endpoints,
    in_flight: &Rc<InFlight>,
    id: &UploadId,
) -> Result<Vec<UploadedPart>, Failure> {
    let answer = call_api(
        endpoints,
        in_flight,
        "GET",
        &format!("/api/multipart/{id}/parts"),
        None,
    )
    .await;
    let listed: ListPartsResponse = judge(answer, "The server refused to list the upload's parts")?;
    Ok(listed.parts)
}

/// `POST /api/multipart/{id}/complete` with every part's `ETag`: the upload is then whole.
pub async fn complete(
    endpoints: &Endpoints,
    in_flight: &Rc<InFlight>,
    id: &UploadId,
    parts: Vec<CompletedPart>,
) -> Result<(), Failure> {
    let body = web::encode(&CompleteMultipartRequest { parts });
    let path = format!("/api/multipart/{id}/complete");
    let answer = call_api(endpoints, in_flight, "POST", &path, Some(body)).await;
    let _: CompleteMultipartResponse =
        judge(answer, "The server could not put the upload together")?;
    Ok(())
}

/// `DELETE /api/multipart/{id}`: the server forgets the upload. Best effort: an upload it
/// cannot be told about expires on its own.
pub async fn abort(endpoints: &Endpoints, in_flight: &Rc<InFlight>, id: &UploadId) {
    let _ = call_api(
        endpoints,
        in_flight,
        "DELETE",
        &format!("/api/multipart/{id}"),
        None,
    )
    .await;
}
