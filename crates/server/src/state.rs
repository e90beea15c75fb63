//! [`AppState`]: what every HTTP handler can reach, in one place.

use crate::adapters::upload_folder::upload_path;
use crate::auth::Door;
use crate::backend::JobControl;
use crate::config::ServerConfig;
use crate::error::ApiFailure;
use crate::ports::{JobObjects, JobStore, UploadSpace, UploadStore};
use crate::publisher::Publisher;
use crate::uploads::claims::{UploadClaim, UploadClaims};
use crate::uploads::multipart::in_flight::PartsInFlight;
use crate::uploads::multipart::part_url::PartSigner;
use crate::uploads::writer::UploadWriters;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};
use vidpush_gateway::rate::ConnectLimiter;
use vidpush_protocol::UploadId;

/// What every HTTP handler can reach; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The settings the server runs with.
    pub config: Arc<ServerConfig>,
    /// Upload records and multipart parts.
    pub uploads: Arc<dyn UploadStore>,
    /// Multipart uploads' bytes.
    pub upload_space: Arc<dyn UploadSpace>,
    /// Jobs and their events.
    pub job_store: Arc<dyn JobStore>,
    /// Each job's source, thumbnails and result.
    pub job_objects: Arc<dyn JobObjects>,
    /// Tokens and allowed origins (the gateway locally).
    pub door: Arc<dyn Door>,
    /// Stores and pushes job events.
    pub publisher: Publisher,
    /// Whoever runs jobs (the in-process pipeline locally, the queue and store on AWS).
    pub jobs: Arc<dyn JobControl>,
    /// Uploads a request is writing to right now: one writer per upload at a time.
    pub upload_claims: UploadClaims,
    /// Checks the part URLs of the local multipart `PUT` (the [`UploadSpace`] signs them).
    pub part_signer: PartSigner,
    /// Multipart parts being written and uploads being completed right now.
    pub parts_in_flight: PartsInFlight,
    /// The cap on upload bodies (tus PATCHes and multipart parts) written at once.
    pub upload_writers: UploadWriters,
    /// Failed token checks per IP, on the API and `connect-check`, with the budget of
    /// WebSocket handshakes (`--connect-rate`): a guess costs the same everywhere.
    pub failed_auth: Arc<ConnectLimiter>,
}

impl AppState {
    /// The file holding an unfinished upload's bytes: named by its id, never by the client.
    pub fn upload_path(&self, id: &UploadId) -> PathBuf {
        upload_path(&self.config.uploads_dir(), id)
    }

    /// Claims an upload for writing; refused while another request writes to it.
    pub fn claim_upload(&self, id: &UploadId) -> Result<UploadClaim, ApiFailure> {
        self.upload_claims.claim(id)
    }

    /// `Upload-Expires` for an upload last touched at `updated_at_ms`.
    pub(crate) fn expires_at(&self, updated_at_ms: u64) -> String {
        let at = UNIX_EPOCH
            + Duration::from_millis(updated_at_ms)
            + Duration::from_secs(self.config.upload_expiry_secs);
        httpdate::fmt_http_date(at)
    }
}
