//! Who is calling the HTTP API: the same token policy as the WebSocket, through the gateway.
//! The token comes as `Authorization: Bearer <token>` or, for `<img>` and `<a>` links that
//! cannot set headers, as `?token=`. Tokens are never logged.

use crate::error::ApiFailure;
use axum::http::{HeaderMap, Uri, header};
use vidpush_gateway::Gateway;

/// The caller's principal: `None` when the server requires no tokens.
pub fn caller(
    gateway: &Gateway,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Option<String>, ApiFailure> {
    let token = bearer(headers).or_else(|| query_token(uri));
    gateway
        .authorize(token.as_deref())
        .map(|principal| principal.map(|p| p.as_str().to_owned()))
        .map_err(|_| ApiFailure::Unauthorized)
}

/// True when a resource owned by `owner` belongs to someone other than `caller`. Without
/// tokens there are no owners, and everything belongs to everyone.
pub fn is_foreign(caller: &Option<String>, owner: &Option<String>) -> bool {
    matches!((caller, owner), (Some(caller), Some(owner)) if caller != owner)
}

/// Refuses when a resource owned by `owner` is touched by someone else.
pub fn ensure_owner(
    caller: &Option<String>,
    owner: &Option<String>,
    what: &str,
) -> Result<(), ApiFailure> {
    if is_foreign(caller, owner) {
        return Err(ApiFailure::Forbidden(format!(
            "this {what} belongs to another token"
        )));
    }
    Ok(())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
}

pub fn query_token(uri: &Uri) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == "token").then(|| percent_decode(value))
    })
}

/// Decodes `%XX` escapes and `+` in a query value; invalid escapes are kept as they are.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&value[i + 1..i + 3], 16) {
                Ok(byte) => {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_tokens_are_percent_decoded() {
        let uri: Uri = "/api/jobs/x/result?a=1&token=s%3Dcret%2B1".parse().unwrap();
        assert_eq!(query_token(&uri).as_deref(), Some("s=cret+1"));
        let uri: Uri = "/x?token=abc%".parse().unwrap();
        assert_eq!(query_token(&uri).as_deref(), Some("abc%"));
    }

    #[test]
    fn someone_elses_resource_is_forbidden() {
        let (a, b) = (Some("a".to_owned()), Some("b".to_owned()));
        assert!(ensure_owner(&a, &a, "job").is_ok());
        assert!(ensure_owner(&None, &a, "job").is_ok());
        assert!(matches!(
            ensure_owner(&a, &b, "job"),
            Err(ApiFailure::Forbidden(_))
        ));
    }
}
