//! Connection ids and request ids: random, opaque, shaped like AWS's.
//!
//! AWS ids look like `L0SM9cOFvHcCIhw=`: 16 characters of base64. Ours are 16 characters of the
//! URL-safe base64 alphabet (96 random bits), so they never need escaping in an `@connections`
//! path. With 96 bits, two equal ids are not expected before about 2^48 connections; the registry
//! additionally refuses an id that is already live.

use std::fmt;

use rand::Rng;

/// Characters of an id: the URL-safe base64 alphabet, so an id is safe in a URL path.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Length of an id, as AWS's.
pub const ID_LEN: usize = 16;

/// Sixteen random characters from [`ALPHABET`].
fn random_id() -> String {
    let mut rng = rand::rng();
    (0..ID_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// The opaque name of one WebSocket connection, new for each connection.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(Box<str>);

impl ConnectionId {
    /// A fresh random id.
    pub fn new_random() -> Self {
        ConnectionId(random_id().into_boxed_str())
    }

    /// The id as text, as it appears in `@connections/{id}`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnectionId({})", self.0)
    }
}

impl From<&str> for ConnectionId {
    fn from(text: &str) -> Self {
        ConnectionId(text.into())
    }
}

impl AsRef<str> for ConnectionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for ConnectionId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// A fresh request id, as AWS gives every route invocation.
pub fn new_request_id() -> String {
    random_id()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sixteen_url_safe_characters() {
        let id = ConnectionId::new_random();
        assert_eq!(id.as_str().len(), ID_LEN);
        assert!(id.as_str().bytes().all(|b| ALPHABET.contains(&b)));
    }

    #[test]
    fn ids_differ() {
        let ids: std::collections::HashSet<_> =
            (0..1000).map(|_| ConnectionId::new_random()).collect();
        assert_eq!(ids.len(), 1000);
    }
}
