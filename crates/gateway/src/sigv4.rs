//! Checking AWS Signature Version 4 on `@connections` calls, as API Gateway does for code that
//! uses the AWS SDK (`aws-sdk-apigatewaymanagement` signs every call and cannot send a bearer
//! key).
//!
//! The check signs the request again with the secret of the access key it names, at the time it
//! names, over exactly the headers it lists, and compares signatures. `aws-sigv4` (the signer the
//! SDK itself uses) computes the signature, so both sides agree on canonicalisation by
//! construction. This module owns the check only; which keys exist is [`AwsApi`]'s.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::date_time::{DateTime, Format};
use axum::http::{HeaderMap, Method, Uri, header};

use crate::config::AwsApi;

/// The service name API Gateway's management API is signed for.
pub const SERVICE: &str = "execute-api";

/// AWS refuses a signature whose `X-Amz-Date` is further than this from its clock ("Signature
/// expired"), which limits how long a captured request can be replayed.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// The only algorithm API Gateway accepts for IAM-authorised calls from the SDK.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Headers the signer adds itself from its parameters; given to it, it would refuse to sign.
const ADDED_BY_SIGNER: [&str; 3] = ["x-amz-date", "x-amz-content-sha256", "x-amz-security-token"];

/// Why a signed call was refused. Each is a 403 `ForbiddenException`, with AWS's own wording
/// where AWS has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Authorization` header at all.
    #[error("Missing Authentication Token")]
    Missing,
    /// An `Authorization` header that is not a SigV4 one, or lacks a part.
    #[error(
        "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters with the AWS4-HMAC-SHA256 algorithm: {0}"
    )]
    Malformed(&'static str),
    /// The access key id is not one of the configured test credentials.
    #[error("The security token included in the request is invalid.")]
    UnknownKey,
    /// The credential scope names another region or service than this API's.
    #[error("Credential should be scoped to a valid region and to the service '{SERVICE}'.")]
    WrongScope,
    /// `X-Amz-Date` is missing, unreadable, or too far from this clock.
    #[error(
        "Signature expired or not yet valid: X-Amz-Date must be within 5 minutes of the server's time."
    )]
    Expired,
    /// The signature does not match: a wrong secret, or a request changed after signing.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
    )]
    Mismatch,
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
struct Authorization<'a> {
    access_key: &'a str,
    /// `date/region/service/aws4_request`.
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, SignatureError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .ok_or(SignatureError::Malformed(
            "the algorithm is not AWS4-HMAC-SHA256",
        ))?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let credential = credential.ok_or(SignatureError::Malformed("no Credential"))?;
    let signed = signed.ok_or(SignatureError::Malformed("no SignedHeaders"))?;
    let signature = signature.ok_or(SignatureError::Malformed("no Signature"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, _date, region, service, "aws4_request"] = scope[..] else {
        return Err(SignatureError::Malformed(
            "Credential is not key/date/region/service/aws4_request",
        ));
    };
    Ok(Authorization {
        access_key,
        region,
        service,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// `20261205T185400Z` as an instant.
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &text[0..4],
        &text[4..6],
        &text[6..8],
        &text[9..11],
        &text[11..13],
        &text[13..15]
    );
    let instant = DateTime::from_str(&rfc3339, Format::DateTime).ok()?;
    SystemTime::try_from(instant).ok()
}

/// Checks that the request was signed, at most [`MAX_CLOCK_SKEW`] from `now`, by one of `api`'s
/// access keys, for this region and `execute-api`, over the bytes that arrived.
pub fn verify(
    api: &AwsApi,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<(), SignatureError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(SignatureError::Missing)?
        .to_str()
        .map_err(|_| SignatureError::Malformed("the header is not text"))?;
    let auth = parse_authorization(value)?;
    let key = api
        .credentials
        .iter()
        .find(|key| key.id == auth.access_key)
        .ok_or(SignatureError::UnknownKey)?;
    if auth.region != api.region || auth.service != SERVICE {
        return Err(SignatureError::WrongScope);
    }
    let signed_at = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_amz_date)
        .ok_or(SignatureError::Expired)?;
    // How far apart, whichever is earlier.
    let skew = now
        .duration_since(signed_at)
        .unwrap_or_else(|early| early.duration());
    if skew > MAX_CLOCK_SKEW {
        return Err(SignatureError::Expired);
    }

    // The host is signed as the client named it; the path and query as they arrived.
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .ok_or(SignatureError::Malformed("no Host header"))?;
    let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let url = format!("http://{host}{path_and_query}");
    let mut to_sign = Vec::new();
    for name in &auth.signed_headers {
        if ADDED_BY_SIGNER.contains(name) || *name == "host" {
            continue;
        }
        let value = headers
            .get(*name)
            .and_then(|v| v.to_str().ok())
            .ok_or(SignatureError::Mismatch)?;
        to_sign.push((*name, value));
    }
    let mut settings = SigningSettings::default();
    if auth.signed_headers.contains(&"x-amz-content-sha256") {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let identity: Identity = Credentials::new(&key.id, &key.secret, None, None, "gateway").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&api.region)
        .name(SERVICE)
        .time(signed_at)
        .settings(settings)
        .build()
        .map_err(|_| SignatureError::Malformed("the signing parameters are incomplete"))?
        .into();
    let request = SignableRequest::new(
        method.as_str(),
        url,
        to_sign.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|_| SignatureError::Malformed("the request cannot be signed"))?;
    let expected = sign(request, &params)
        .map_err(|_| SignatureError::Mismatch)?
        .signature()
        .to_owned();
    if constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Compares every byte, so the time taken does not reveal how much of a guess was right.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AccessKey;

    fn api() -> AwsApi {
        AwsApi {
            stage: "local".into(),
            region: "us-east-1".into(),
            credentials: vec![AccessKey {
                id: "AKIDLOCAL".into(),
                secret: "local-secret".into(),
            }],
        }
    }

    /// A request signed the way the SDK signs it.
    fn signed(secret: &str, at: SystemTime, body: &[u8]) -> (Uri, HeaderMap) {
        let identity: Identity = Credentials::new("AKIDLOCAL", secret, None, None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(SERVICE)
            .time(at)
            .settings(SigningSettings::default())
            .build()
            .expect("all parameters are set")
            .into();
        let url = "http://127.0.0.1:9000/local/@connections/abc-DEF_123";
        let request = SignableRequest::new(
            "POST",
            url,
            [("content-type", "application/json")].into_iter(),
            SignableBody::Bytes(body),
        )
        .expect("the URL is valid");
        let (instructions, _) = sign(request, &params).expect("signing works").into_parts();
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:9000".parse().expect("valid"));
        headers.insert(
            header::CONTENT_TYPE,
            "application/json".parse().expect("valid"),
        );
        for (name, value) in instructions.headers() {
            headers.insert(
                header::HeaderName::from_bytes(name.as_bytes()).expect("valid"),
                value.parse().expect("valid"),
            );
        }
        (url.parse().expect("valid"), headers)
    }

    #[test]
    fn a_request_signed_with_the_configured_key_is_accepted() {
        let now = SystemTime::now();
        let (uri, headers) = signed("local-secret", now, b"{}");
        assert_eq!(
            verify(&api(), &Method::POST, &uri, &headers, b"{}", now),
            Ok(())
        );
    }

    #[test]
    fn a_wrong_secret_or_a_changed_body_is_a_mismatch() {
        let now = SystemTime::now();
        let (uri, headers) = signed("other-secret", now, b"{}");
        assert_eq!(
            verify(&api(), &Method::POST, &uri, &headers, b"{}", now),
            Err(SignatureError::Mismatch)
        );
        let (uri, headers) = signed("local-secret", now, b"{}");
        assert_eq!(
            verify(&api(), &Method::POST, &uri, &headers, b"{\"x\":1}", now),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_older_than_five_minutes_is_expired() {
        let then = SystemTime::now() - Duration::from_secs(6 * 60);
        let (uri, headers) = signed("local-secret", then, b"");
        assert_eq!(
            verify(
                &api(),
                &Method::POST,
                &uri,
                &headers,
                b"",
                SystemTime::now()
            ),
            Err(SignatureError::Expired)
        );
    }

    #[test]
    fn no_header_is_missing_and_a_bearer_is_malformed() {
        let uri: Uri = "/local/@connections/x".parse().expect("valid");
        let mut headers = HeaderMap::new();
        assert_eq!(
            verify(&api(), &Method::GET, &uri, &headers, b"", SystemTime::now()),
            Err(SignatureError::Missing)
        );
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().expect("valid"));
        assert!(matches!(
            verify(&api(), &Method::GET, &uri, &headers, b"", SystemTime::now()),
            Err(SignatureError::Malformed(_))
        ));
    }
}
