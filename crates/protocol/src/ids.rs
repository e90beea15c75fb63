//! Opaque identifiers. Each is its own type so a job id can never be passed where an upload id
//! is expected; on the wire each is a plain string.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as it appears on the wire and in URLs.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }
    };
}

opaque_id!(
    /// Names one analysis job. Chosen by the server; URL-safe.
    JobId
);
opaque_id!(
    /// Names one tus upload. Chosen by the server; URL-safe; never derived from a file name.
    UploadId
);

/// True when `id` is a plausible server-made id: 1 to 64 URL-safe characters. Servers check
/// ids from the wire with this before using them anywhere, so no id can smuggle a path.
pub fn is_well_formed(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_with_path_characters_are_not_well_formed() {
        assert!(is_well_formed("01J8ZK3V9Q-abc_D"));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("../etc/passwd"));
        assert!(!is_well_formed("a/b"));
        assert!(!is_well_formed(&"a".repeat(65)));
    }
}
