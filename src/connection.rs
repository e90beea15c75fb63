//! The state of the page's one WebSocket, as the header pill shows it.

use crate::format;
use vidpush_protocol::{ConnectCheck, ConnectVerdict};

/// Where the connection stands. The pill shows [`ConnectionState::label`] verbatim.
#[derive(Clone, Debug, PartialEq)]
pub enum ConnectionState {
    /// The first connection is being opened.
    Connecting,
    /// Open: pushed events arrive.
    Live,
    /// Lost; the next attempt is scheduled.
    Reconnecting {
        /// Failed attempts in a row.
        attempt: u32,
        /// When the next attempt starts, in `Date.now()` milliseconds.
        retry_at_ms: f64,
        /// Why the last attempt failed.
        reason: String,
    },
    /// Not trying: the browser is offline, or the server refuses this page for a reason a
    /// retry cannot fix (bad token, origin). Retried when the browser comes back online.
    Offline {
        /// What happened and what to do.
        reason: String,
    },
}

impl ConnectionState {
    /// The exact text of `data-testid="connection-state"`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Live => "live",
            Self::Reconnecting { .. } => "reconnecting",
            Self::Offline { .. } => "offline",
        }
    }

    /// Whether the page waits out a backoff before its next attempt, so trying now makes
    /// sense. Not when offline: a refused token or origin is not fixed by retrying, and the
    /// browser coming back online retries by itself.
    pub fn is_reconnecting(&self) -> bool {
        matches!(self, Self::Reconnecting { .. })
    }

    /// The line beside the pill: the reason and, while waiting, the countdown.
    pub fn detail(&self, now_ms: f64) -> String {
        match self {
            Self::Connecting => "Opening the live connection…".into(),
            Self::Live => "Results arrive as soon as they exist.".into(),
            Self::Reconnecting {
                retry_at_ms,
                reason,
                ..
            } => {
                let secs = ((retry_at_ms - now_ms) / 1000.0).ceil().max(0.0);
                if secs > 0.0 {
                    format!("{reason} Retrying in {} s.", format::fixed(secs, 0))
                } else {
                    format!("{reason} Retrying now…")
                }
            }
            Self::Offline { reason } => reason.clone(),
        }
    }
}

/// What a refused access token means, wherever the page meets one (the socket, an upload, a
/// request). A token is fixed where the page is deployed, not by the visitor.
pub const TOKEN_REFUSED: &str = "The server refused this page's access token. Whoever runs \
     this site must put a valid \"token\" in its config.json; then reload the page.";

/// What a failed connection attempt means, from `connect-check` (or its absence).
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnosis {
    /// A sentence for the detail line.
    pub reason: String,
    /// False when retrying cannot help until something changes (token, origin).
    pub retry: bool,
}

/// Explains a failed handshake. `check` is `None` when `connect-check` itself could not be
/// reached, which means the server is down or unreachable.
pub fn diagnose(check: Option<&ConnectCheck>) -> Diagnosis {
    let Some(check) = check else {
        return Diagnosis {
            reason: "The server cannot be reached.".into(),
            retry: true,
        };
    };
    let retry = !matches!(
        check.verdict,
        ConnectVerdict::Unauthorized | ConnectVerdict::OriginNotAllowed
    );
    // A token or origin refusal is fixed where the page is deployed, so the page says how; the
    // server's own words for these address API clients ("reconnect with a valid ?token=").
    let reason = match check.verdict {
        ConnectVerdict::Ok => "The connection dropped.".to_owned(),
        ConnectVerdict::Unauthorized => TOKEN_REFUSED.into(),
        ConnectVerdict::OriginNotAllowed => "The server does not accept connections from this \
             page's address. Whoever runs the server must add it to the server's allowed \
             origins (--allowed-origins)."
            .into(),
        _ if !check.message.is_empty() => crate::format::sentence(&check.message),
        ConnectVerdict::Throttled => {
            "Too many connection attempts; waiting before the next.".into()
        }
        ConnectVerdict::AtCapacity => "The server is at its connection limit.".into(),
    };
    Diagnosis { reason, retry }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(verdict: ConnectVerdict, message: &str) -> ConnectCheck {
        ConnectCheck {
            verdict,
            status: 0,
            message: message.into(),
        }
    }

    #[test]
    fn labels_are_the_four_words() {
        let labels: Vec<&str> = [
            ConnectionState::Connecting,
            ConnectionState::Live,
            ConnectionState::Reconnecting {
                attempt: 1,
                retry_at_ms: 0.0,
                reason: String::new(),
            },
            ConnectionState::Offline {
                reason: String::new(),
            },
        ]
        .iter()
        .map(ConnectionState::label)
        .collect();
        assert_eq!(labels, ["connecting", "live", "reconnecting", "offline"]);
    }

    #[test]
    fn reconnecting_detail_counts_down() {
        let state = ConnectionState::Reconnecting {
            attempt: 2,
            retry_at_ms: 10_500.0,
            reason: "The server cannot be reached.".into(),
        };
        assert_eq!(
            state.detail(7_000.0),
            "The server cannot be reached. Retrying in 4 s."
        );
        assert_eq!(
            state.detail(11_000.0),
            "The server cannot be reached. Retrying now…"
        );
    }

    #[test]
    fn refusals_that_a_retry_cannot_fix_stop_retrying() {
        assert!(!diagnose(Some(&check(ConnectVerdict::Unauthorized, ""))).retry);
        assert!(!diagnose(Some(&check(ConnectVerdict::OriginNotAllowed, "x"))).retry);
        assert!(diagnose(Some(&check(ConnectVerdict::AtCapacity, ""))).retry);
        assert!(diagnose(None).retry);
        assert_eq!(
            diagnose(Some(&check(ConnectVerdict::Throttled, "Slow down."))).reason,
            "Slow down."
        );
        assert!(diagnose(None).reason.contains("cannot be reached"));
    }

    #[test]
    fn a_refused_token_says_where_to_fix_it_not_the_servers_api_advice() {
        let reason = diagnose(Some(&check(
            ConnectVerdict::Unauthorized,
            "the token is missing or not valid; reconnect with a valid ?token=",
        )))
        .reason;
        assert!(reason.contains("config.json"), "{reason}");
        assert!(!reason.contains("?token="), "{reason}");
    }

    #[test]
    fn server_messages_read_as_sentences() {
        let reason = diagnose(Some(&check(
            ConnectVerdict::AtCapacity,
            "the gateway is at its connection limit; retry later",
        )))
        .reason;
        assert_eq!(
            reason,
            "The gateway is at its connection limit; retry later."
        );
    }
}
