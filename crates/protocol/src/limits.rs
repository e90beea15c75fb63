//! Limits that the browser app and the server both obey. The gateway's limits are AWS API
//! Gateway's published quotas, so a page that works locally also works against AWS.

use std::time::Duration;

/// Largest WebSocket frame API Gateway accepts (AWS quota: 32 KiB per frame).
pub const MAX_FRAME_BYTES: usize = 32 * 1024;

/// Largest WebSocket message, in either direction (AWS quota: 128 KiB). Every pushed event
/// stays below it; the full result is fetched by URL instead.
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

/// A connection with no message from the client for this long is closed (AWS: 10 minutes).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// A connection is closed after this long whatever it does (AWS: 2 hours).
pub const MAX_CONNECTION_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// How often an idle page sends `ping`: well inside [`IDLE_TIMEOUT`], so one lost ping or a
/// throttled background tab still leaves a margin.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(4 * 60);

/// When a page opens a fresh connection before the old one reaches
/// [`MAX_CONNECTION_LIFETIME`]: ten minutes early, so renewal never races the forced close.
pub const RENEW_CONNECTION_AFTER: Duration = Duration::from_secs(110 * 60);

/// Default largest upload (4 GiB): a long 1080p recording fits; a mistaken disk image does not.
/// The server may be configured lower or higher; it announces its value as `Tus-Max-Size`.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// Fewest milliseconds between two `job.progress` events of one job: at most four a second,
/// enough for a smooth bar without flooding slow links or the event store.
pub const PROGRESS_MIN_INTERVAL_MS: u64 = 250;

/// Jobs in one page of `GET /api/jobs` unless the page asks for another number: a screen of
/// cards and then some, so one request fills the board after a reload.
pub const DEFAULT_JOBS_PER_PAGE: u32 = 20;

/// Most jobs one page of `GET /api/jobs` holds: one answer stays small (a few hundred bytes a
/// job) and one datastore query cheap.
pub const MAX_JOBS_PER_PAGE: u32 = 100;

/// Default hard-cut sensitivity of an analysis: the bar the accuracy suites were measured at.
pub const DEFAULT_CUT_SENSITIVITY: f64 = 1.0;

/// Lowest hard-cut sensitivity ("fewer cuts"): a cut must change the picture twice as much as
/// at the default. Lower would drop cuts between clearly different shots of similar colour.
pub const MIN_CUT_SENSITIVITY: f64 = 0.5;

/// Highest hard-cut sensitivity ("more cuts"): a cut needs half the change of the default.
/// Higher would turn ordinary camera motion into cuts.
pub const MAX_CUT_SENSITIVITY: f64 = 2.0;

/// The tus protocol version spoken by the upload endpoint.
pub const TUS_VERSION: &str = "1.0.0";

/// The containers named to people when a file is refused or asked for: the page's drop zone
/// and refusals, the server's upload check and the analysis all say the same.
pub const NAMED_FORMATS: &str = "MP4, MOV, WebM, MKV, AVI or MPEG";

/// File name extensions the page accepts before uploading (lower case, without the dot).
/// The server does not trust these: it sniffs the first bytes of every upload.
pub const VIDEO_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "ts", "mts", "m2ts", "ogv", "3gp",
    "flv", "wmv",
];
