//! The records the ports speak in, and the one error a datastore call can end with.

use vidpush_protocol::{JobId, JobState, UploadId};

/// A datastore call failed. Never shown to users as is: the API logs it and answers with a
/// generic sentence.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The datastore refused or could not run the call (SQLite, DynamoDB, the disk).
    #[error("the datastore failed: {0}")]
    Unavailable(String),
    /// A stored record could not be decoded (edited by hand, or from a newer version).
    #[error("a stored record is not valid: {0}")]
    Corrupt(String),
}

/// One upload as stored, whichever protocol fills it.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadRecord {
    /// The upload's id (also the name of its object).
    pub id: UploadId,
    /// The size the client declared at creation.
    pub length: u64,
    /// Bytes received and flushed (tus), or `length` once a multipart upload is complete.
    pub offset: u64,
    /// The client's file name, for display only; never used as a path.
    pub file_name: String,
    /// The client's MIME type, for display only.
    pub file_type: String,
    /// The principal that created it, when tokens are on.
    pub owner: Option<String>,
    /// Last time bytes arrived, for expiry.
    pub updated_at_ms: u64,
}

/// One job as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct JobRecord {
    /// The job's id.
    pub id: JobId,
    /// The principal that created it, when tokens are on.
    pub owner: Option<String>,
    /// The uploaded file's name, for display only.
    pub file_name: String,
    /// The uploaded file's size.
    pub size_bytes: u64,
    /// Where the job stands.
    pub state: JobState,
    /// The newest event's `seq` (0 before the first).
    pub last_seq: u64,
    /// Creation time.
    pub created_at_ms: u64,
    /// The hard-cut sensitivity the person chose when creating the job (`None`: the default).
    /// Kept with the job so a run after a restart analyses with the same setting.
    pub sensitivity: Option<f64>,
}

/// Where a page of an owner's jobs ends: the last job listed, by creation time then id (two
/// jobs may share a millisecond). On DynamoDB, the `ExclusiveStartKey` of a query on an
/// owner/creation-time index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobCursor {
    /// The last listed job's creation time.
    pub created_at_ms: u64,
    /// The last listed job's id.
    pub id: JobId,
}

/// One page of an owner's jobs, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct JobPage {
    /// At most the asked-for number of jobs.
    pub jobs: Vec<JobRecord>,
    /// Where the next page starts; `None` when no older job is left.
    pub next: Option<JobCursor>,
}
