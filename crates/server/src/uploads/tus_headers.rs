//! The tus request headers read into checked values, and the one helper that writes header
//! values back.
//!
//! Owns the wording of every refusal of a malformed tus header. It never touches the store or
//! the disk, and a client's file name only ever becomes a name to display, never a path.

use crate::error::ApiFailure;
use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use vidpush_protocol::limits::TUS_VERSION;

/// Longest file name kept for display.
const MAX_FILE_NAME_CHARS: usize = 200;

/// Largest `Upload-Metadata` header, in bytes as sent (base64 values included). Uppy and
/// tus-js-client send a name, a type and a few short fields, a few hundred bytes; every pair is
/// kept in memory while the upload is created and its name and type are stored per row, so a
/// client must not choose their size.
pub(crate) const MAX_METADATA_HEADER_BYTES: usize = 4 * 1024;

/// Largest value of one metadata pair, in bytes after base64 decoding: room for a file name of
/// the 255 bytes file systems allow, a MIME type, or a relative path, with margin.
pub(crate) const MAX_METADATA_VALUE_BYTES: usize = 1024;

/// Refuses a request that does not speak the tus version this server does (412).
pub(crate) fn require_tus(headers: &HeaderMap) -> Result<(), ApiFailure> {
    match headers.get("Tus-Resumable").and_then(|v| v.to_str().ok()) {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(ApiFailure::TusVersion),
    }
}

/// A header that must hold a byte count, if present.
pub(crate) fn number_header(headers: &HeaderMap, name: &str) -> Result<Option<u64>, ApiFailure> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ApiFailure::BadRequest(format!("{name} must be a whole number of bytes"))
                })
        })
        .transpose()
}

/// Parses `Upload-Metadata`: comma-separated `key base64value` pairs.
pub(crate) fn parse_metadata(
    value: Option<&HeaderValue>,
) -> Result<std::collections::HashMap<String, String>, ApiFailure> {
    let mut pairs = std::collections::HashMap::new();
    let Some(value) = value else { return Ok(pairs) };
    if value.len() > MAX_METADATA_HEADER_BYTES {
        return Err(ApiFailure::BadRequest(format!(
            "Upload-Metadata is {} bytes but this server takes at most {MAX_METADATA_HEADER_BYTES}: send only the file's name and type",
            value.len()
        )));
    }
    let bad = || {
        ApiFailure::BadRequest(
            "Upload-Metadata must be comma-separated `key base64value` pairs".into(),
        )
    };
    for pair in value
        .to_str()
        .map_err(|_| bad())?
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (key, encoded) = pair.split_once(' ').unwrap_or((pair, ""));
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| bad())?;
        if decoded.len() > MAX_METADATA_VALUE_BYTES {
            return Err(ApiFailure::BadRequest(format!(
                "the Upload-Metadata value of {key:?} is {} bytes but this server takes at most {MAX_METADATA_VALUE_BYTES} per value: send a shorter one",
                decoded.len()
            )));
        }
        pairs.insert(
            key.to_owned(),
            String::from_utf8_lossy(&decoded).into_owned(),
        );
    }
    Ok(pairs)
}

/// Parses `Upload-Checksum: sha1 <base64>`; other algorithms are refused by name.
pub(crate) fn parse_checksum(value: Option<&HeaderValue>) -> Result<Option<Vec<u8>>, ApiFailure> {
    let Some(value) = value else { return Ok(None) };
    let text = value.to_str().unwrap_or("");
    let (algorithm, encoded) = text.split_once(' ').unwrap_or((text, ""));
    if algorithm != "sha1" {
        return Err(ApiFailure::BadRequest(format!(
            "checksum algorithm {algorithm:?} is not supported; use sha1"
        )));
    }
    base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map(Some)
        .map_err(|_| {
            ApiFailure::BadRequest("Upload-Checksum must be `sha1 <base64 digest>`".into())
        })
}

/// A client's file name made safe to display: no control characters, bounded length.
pub(crate) fn display_name(name: Option<&String>) -> String {
    let cleaned: String = name
        .map(|n| {
            n.chars()
                .filter(|c| !c.is_control())
                .take(MAX_FILE_NAME_CHARS)
                .collect()
        })
        .unwrap_or_default();
    if cleaned.trim().is_empty() {
        "video".to_owned()
    } else {
        cleaned
    }
}

/// A header value from text this server made itself.
pub(crate) fn header_value(text: String) -> HeaderValue {
    HeaderValue::from_str(&text).expect("ids and HTTP dates are plain ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_pairs_are_decoded() {
        let value = HeaderValue::from_static(
            "filename bXkgdmlkZW8ubXA0,filetype dmlkZW8vbXA0,is_confidential",
        );
        let pairs = parse_metadata(Some(&value)).unwrap();
        assert_eq!(pairs["filename"], "my video.mp4");
        assert_eq!(pairs["filetype"], "video/mp4");
        assert_eq!(pairs["is_confidential"], "");
        assert!(parse_metadata(Some(&HeaderValue::from_static("filename !!!"))).is_err());
    }

    #[test]
    fn metadata_values_and_the_whole_header_are_capped() {
        let encode =
            |bytes: usize| base64::engine::general_purpose::STANDARD.encode("v".repeat(bytes));
        let at_limit = format!("filetype {}", encode(MAX_METADATA_VALUE_BYTES));
        assert!(parse_metadata(Some(&HeaderValue::from_str(&at_limit).unwrap())).is_ok());
        let long_value = format!("filetype {}", encode(MAX_METADATA_VALUE_BYTES + 1));
        let refused = parse_metadata(Some(&HeaderValue::from_str(&long_value).unwrap()));
        assert!(
            matches!(refused, Err(ApiFailure::BadRequest(ref m)) if m.contains("\"filetype\"")),
            "{refused:?}"
        );
        // Many values each under the per-value cap still cannot make the header large.
        let many: Vec<String> = (0..10)
            .map(|i| format!("k{i} {}", encode(MAX_METADATA_VALUE_BYTES / 2)))
            .collect();
        let refused = parse_metadata(Some(&HeaderValue::from_str(&many.join(",")).unwrap()));
        assert!(
            matches!(refused, Err(ApiFailure::BadRequest(ref m)) if m.contains("Upload-Metadata is")),
            "{refused:?}"
        );
    }

    #[test]
    fn display_names_lose_control_characters() {
        assert_eq!(
            display_name(Some(&"../../etc/\u{7}passwd\n".to_owned())),
            "../../etc/passwd"
        );
        assert_eq!(display_name(None), "video");
    }
}
