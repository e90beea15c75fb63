//! What a page sends over the WebSocket. Every message is a JSON object routed by its `action`
//! field, as API Gateway routes them (`$request.body.action`).

use crate::ids::JobId;
use serde::{Deserialize, Serialize};

/// One client message. Unknown actions never reach the backend as this type: the gateway sends
/// them to `$default`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "action",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ClientAction {
    /// Start receiving a job's events: every stored event with `seq > after_seq` is replayed
    /// first, then new ones are pushed live. A page that reconnects sends its last seen `seq`.
    Subscribe {
        /// The job to follow.
        job_id: JobId,
        /// The last `seq` the page already has; 0 for "everything".
        #[serde(default)]
        after_seq: u64,
    },
    /// Stop receiving a job's events on this connection.
    Unsubscribe {
        /// The job to stop following.
        job_id: JobId,
    },
    /// Ask the server to cancel a queued or running job.
    Cancel {
        /// The job to cancel.
        job_id: JobId,
    },
    /// Keep-alive: resets the gateway's idle timer. Answered with `pong`.
    Ping,
}

impl ClientAction {
    /// The route this action is delivered to (the `action` string on the wire).
    pub fn route(&self) -> &'static str {
        match self {
            Self::Subscribe { .. } => "subscribe",
            Self::Unsubscribe { .. } => "unsubscribe",
            Self::Cancel { .. } => "cancel",
            Self::Ping => "ping",
        }
    }

    /// The JSON text to send. Serialising these plain structs cannot fail.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a ClientAction always serialises")
    }
}
