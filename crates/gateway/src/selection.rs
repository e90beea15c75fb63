//! Route selection: which route a text message goes to. A pure function, so it is unit-tested
//! and fuzzed without a socket.
//!
//! AWS's route selection expression here is `$request.body.action`: a message that is a JSON
//! object with a string `action` goes to the route of that name; anything else, or a name with no
//! route, goes to `$default`; with no `$default` either, the sender is told `Forbidden`.

use std::fmt;

use serde::de::{Deserializer as _, IgnoredAny, MapAccess, Visitor};

/// Route key of the route that runs when a connection is being opened.
pub const CONNECT: &str = "$connect";
/// Route key of the route that runs after a connection closed, whatever closed it.
pub const DISCONNECT: &str = "$disconnect";
/// Route key of the route for messages no other route takes.
pub const DEFAULT: &str = "$default";

/// Where one message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The route with this key.
    Route(String),
    /// The `$default` route.
    Default,
    /// No route takes it: the sender gets AWS's `Forbidden` reply.
    Forbidden,
}

/// Chooses the route for `message`. `has_route` says whether a (non-`$`) route key is registered;
/// `has_default` whether `$default` is.
pub fn select_route(
    message: &str,
    has_route: impl Fn(&str) -> bool,
    has_default: bool,
) -> Selection {
    // `$connect` and `$disconnect` are lifecycle routes; a client cannot invoke them by name.
    let named = action_of(message).filter(|a| a != CONNECT && a != DISCONNECT && a != DEFAULT);
    match named {
        Some(action) if has_route(&action) => Selection::Route(action),
        _ if has_default => Selection::Default,
        _ => Selection::Forbidden,
    }
}

/// The string `action` of a message that is a JSON object, if it has one. Other members are
/// skipped without being built, so a large message costs one pass and no allocations per member.
/// If `action` appears twice the last one wins, as in `JSON.parse`.
pub fn action_of(message: &str) -> Option<String> {
    let mut de = serde_json::Deserializer::from_str(message);
    let action = de.deserialize_map(ActionVisitor).ok()?;
    // Trailing text after the object means the message is not one JSON value.
    de.end().ok()?;
    action
}

/// Reads a JSON object, keeping only a string `action`; rejects anything that is not an object.
struct ActionVisitor;

impl<'de> Visitor<'de> for ActionVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut action = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "action" {
                action = match map.next_value::<serde_json::Value>()? {
                    serde_json::Value::String(name) => Some(name),
                    _ => None,
                };
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select(message: &str, has_default: bool) -> Selection {
        select_route(message, |r| r == "subscribe", has_default)
    }

    #[test]
    fn action_names_the_route() {
        assert_eq!(
            select(r#"{"action":"subscribe","job":1}"#, true),
            Selection::Route("subscribe".into())
        );
        assert_eq!(
            select(r#"{"job":[1,{"a":2}],"action":"subscribe"}"#, false),
            Selection::Route("subscribe".into())
        );
    }

    #[test]
    fn unknown_or_missing_action_goes_to_default() {
        for message in [
            r#"{"action":"nope"}"#,
            r#"{"action":5}"#,
            "{}",
            "[\"subscribe\"]",
            "hello",
            "",
            r#"{"action":"subscribe"} x"#,
        ] {
            assert_eq!(select(message, true), Selection::Default, "{message}");
            assert_eq!(select(message, false), Selection::Forbidden, "{message}");
        }
    }

    #[test]
    fn lifecycle_routes_cannot_be_invoked_by_name() {
        let all = |_: &str| true;
        assert_eq!(
            select_route(r#"{"action":"$connect"}"#, all, true),
            Selection::Default
        );
        assert_eq!(
            select_route(r#"{"action":"$disconnect"}"#, all, false),
            Selection::Forbidden
        );
    }

    /// The fuzz target's property on random JSON-ish text, so it runs on stable with the tests.
    #[test]
    fn random_text_never_selects_an_unnamed_or_lifecycle_route() {
        use rand::Rng;
        let pieces = [
            "{",
            "}",
            "[",
            "]",
            "\"action\"",
            ":",
            ",",
            "\"subscribe\"",
            "\"$connect\"",
            "1",
            " ",
            "\\u0061",
            "\"",
            "null",
            "x",
        ];
        let mut rng = rand::rng();
        for _ in 0..20_000 {
            let text: String = (0..rng.random_range(0..12))
                .map(|_| pieces[rng.random_range(0..pieces.len())])
                .collect();
            let has_default = rng.random_bool(0.5);
            match select_route(&text, |k| k == "subscribe", has_default) {
                Selection::Route(key) => {
                    assert_eq!(action_of(&text).as_deref(), Some(key.as_str()))
                }
                Selection::Default => assert!(has_default),
                Selection::Forbidden => assert!(!has_default),
            }
        }
    }

    #[test]
    fn escaped_action_is_decoded_and_last_wins() {
        assert_eq!(
            action_of(r#"{"action":"a","action":"sub\u0073cribe"}"#).as_deref(),
            Some("subscribe")
        );
    }
}
