//! Signed, expiring part URLs: the local stand-in for S3's presigned `UploadPart` URLs.
//!
//! A part URL carries its upload, its part number and its expiry, signed with HMAC-SHA256 under
//! a key derived from the server's management key, so only this server could have made it and
//! it cannot be moved to another part or kept past its time. Like a presigned S3 URL it is the
//! whole authorisation of the `PUT`: a browser cannot add a bearer header to a URL it was given
//! by someone else's API, and does not need to.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;
use vidpush_protocol::UploadId;

/// How long a part URL is accepted (15 minutes, S3's usual presign time): a page asks for a URL
/// just before each part, so this only needs to cover one part's transfer on a slow link.
pub const PART_URL_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// What the derived key is for, so the management key is never used raw for another purpose.
const KEY_PURPOSE: &[u8] = b"vidpush multipart part URLs v1";

/// Makes and checks part URLs; cheap to clone.
#[derive(Clone)]
pub struct PartSigner {
    /// HMAC-SHA256 key for part URLs, derived from the management key.
    key: [u8; 32],
}

/// Why a part URL was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum PartUrlError {
    /// `expires` or `signature` is missing or malformed.
    Malformed,
    /// The signature is not ours for this upload, part and expiry.
    Forged,
    /// The URL was ours, but its time is up.
    Expired,
}

impl PartSigner {
    /// A signer whose key is derived from the server's management key (a secret that never
    /// reaches a browser, and that survives restarts, so URLs stay valid across one).
    pub fn new(management_key: &str) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(management_key.as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(KEY_PURPOSE);
        Self {
            key: mac.finalize().into_bytes().into(),
        }
    }

    /// The query string (`expires=…&signature=…`) for part `part` of `upload`, valid until
    /// `expires_at_ms`.
    pub fn sign(&self, upload: &UploadId, part: u32, expires_at_ms: u64) -> String {
        let signature = hex(&self
            .mac(upload, part, expires_at_ms)
            .finalize()
            .into_bytes());
        format!("expires={expires_at_ms}&signature={signature}")
    }

    /// Checks a part URL's query at `now_ms`.
    pub fn verify(
        &self,
        upload: &UploadId,
        part: u32,
        query: Option<&str>,
        now_ms: u64,
    ) -> Result<(), PartUrlError> {
        let mut expires = None;
        let mut signature = None;
        for pair in query.unwrap_or_default().split('&') {
            match pair.split_once('=') {
                Some(("expires", value)) if expires.is_none() => expires = Some(value),
                Some(("signature", value)) if signature.is_none() => signature = Some(value),
                Some(("expires" | "signature", _)) => return Err(PartUrlError::Malformed),
                _ => {}
            }
        }
        let expires_at_ms: u64 = expires
            .and_then(|v| v.parse().ok())
            .ok_or(PartUrlError::Malformed)?;
        let signature = signature.and_then(unhex).ok_or(PartUrlError::Malformed)?;
        self.mac(upload, part, expires_at_ms)
            .verify_slice(&signature)
            .map_err(|_| PartUrlError::Forged)?;
        if now_ms > expires_at_ms {
            return Err(PartUrlError::Expired);
        }
        Ok(())
    }

    /// The MAC over everything a URL must not be moved away from.
    fn mac(&self, upload: &UploadId, part: u32, expires_at_ms: u64) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(format!("PUT\n{upload}\n{part}\n{expires_at_ms}").as_bytes());
        mac
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from lower- or upper-case hex; `None` unless every pair is valid.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload() -> UploadId {
        UploadId("0123456789abcdefghjkmnpqrs".into())
    }

    #[test]
    fn a_signed_url_is_accepted_until_it_expires() {
        let signer = PartSigner::new("key");
        let query = signer.sign(&upload(), 3, 1_000);
        assert_eq!(signer.verify(&upload(), 3, Some(&query), 999), Ok(()));
        assert_eq!(signer.verify(&upload(), 3, Some(&query), 1_000), Ok(()));
        assert_eq!(
            signer.verify(&upload(), 3, Some(&query), 1_001),
            Err(PartUrlError::Expired)
        );
    }

    #[test]
    fn a_url_cannot_be_moved_to_another_part_upload_or_expiry_or_key() {
        let signer = PartSigner::new("key");
        let query = signer.sign(&upload(), 3, 1_000);
        assert_eq!(
            signer.verify(&upload(), 4, Some(&query), 0),
            Err(PartUrlError::Forged)
        );
        let other = UploadId("zzzzzzzzzzzzzzzzzzzzzzzzzz".into());
        assert_eq!(
            signer.verify(&other, 3, Some(&query), 0),
            Err(PartUrlError::Forged)
        );
        let later = query.replace("expires=1000", "expires=9000");
        assert_eq!(
            signer.verify(&upload(), 3, Some(&later), 0),
            Err(PartUrlError::Forged)
        );
        assert_eq!(
            PartSigner::new("another key").verify(&upload(), 3, Some(&query), 0),
            Err(PartUrlError::Forged)
        );
    }

    #[test]
    fn missing_doubled_or_garbled_parameters_are_malformed() {
        let signer = PartSigner::new("key");
        let query = signer.sign(&upload(), 1, 1_000);
        for bad in [
            None,
            Some("expires=1000"),
            Some("signature=00"),
            Some("expires=x&signature=00"),
            Some("expires=1000&signature=zz"),
        ] {
            assert_eq!(
                signer.verify(&upload(), 1, bad, 0),
                Err(PartUrlError::Malformed),
                "{bad:?}"
            );
        }
        let doubled = format!("{query}&expires=1000");
        assert_eq!(
            signer.verify(&upload(), 1, Some(&doubled), 0),
            Err(PartUrlError::Malformed)
        );
    }
}
