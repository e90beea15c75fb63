//! Which parts are being written right now, and which uploads are being completed: the
//! in-memory rule that lets parts of one upload arrive in parallel while a completion never
//! judges a part that is still changing on disk.
//!
//! Owns the table only; it never touches files or rows. A guard is held for as long as a part's
//! body is written (or a completion runs) and leaves the table when dropped.

use crate::error::ApiFailure;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use vidpush_protocol::UploadId;

/// The table, shared by every handler; cheap to clone.
#[derive(Clone, Default)]
pub struct PartsInFlight {
    /// Per upload with any activity: the parts being written and whether it is completing.
    uploads: Arc<Mutex<HashMap<UploadId, Activity>>>,
}

/// What is happening to one upload right now.
#[derive(Default)]
struct Activity {
    /// Part numbers whose bodies are being written.
    parts: HashSet<u32>,
    /// A completion is checking and finishing the upload.
    completing: bool,
}

/// Held while something happens to an upload; leaves the table when dropped.
pub struct InFlightGuard {
    /// The table to leave.
    table: PartsInFlight,
    /// The upload.
    id: UploadId,
    /// The part being written, or `None` for a completion.
    part: Option<u32>,
}

impl PartsInFlight {
    /// Starts writing part `part`; refused while the same part is being written or the upload
    /// is completing.
    pub fn start_part(&self, id: &UploadId, part: u32) -> Result<InFlightGuard, ApiFailure> {
        let mut uploads = self.lock();
        let activity = uploads.entry(id.clone()).or_default();
        if activity.completing {
            return Err(ApiFailure::Conflict(
                "this upload is being completed; it takes no more parts".into(),
            ));
        }
        if !activity.parts.insert(part) {
            return Err(ApiFailure::Conflict(format!(
                "part {part} is being sent by another request right now; wait for it, then list \
                 the parts to see whether it is stored"
            )));
        }
        Ok(self.guard(id, Some(part)))
    }

    /// Starts completing the upload; refused while any part is being written.
    pub fn start_completing(&self, id: &UploadId) -> Result<InFlightGuard, ApiFailure> {
        let mut uploads = self.lock();
        let activity = uploads.entry(id.clone()).or_default();
        if activity.completing || !activity.parts.is_empty() {
            let mut busy: Vec<u32> = activity.parts.iter().copied().collect();
            busy.sort_unstable();
            let parts: Vec<String> = busy.iter().map(u32::to_string).collect();
            let what = if activity.completing {
                "another request is completing this upload".to_owned()
            } else {
                format!("parts {} are still being sent", parts.join(", "))
            };
            return Err(ApiFailure::Conflict(format!(
                "{what}; complete once every part's PUT has answered"
            )));
        }
        activity.completing = true;
        Ok(self.guard(id, None))
    }

    fn guard(&self, id: &UploadId, part: Option<u32>) -> InFlightGuard {
        InFlightGuard {
            table: self.clone(),
            id: id.clone(),
            part,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UploadId, Activity>> {
        // Nothing panics while holding the lock, and the table stays consistent even if it did.
        self.uploads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let mut uploads = self.table.lock();
        if let Some(activity) = uploads.get_mut(&self.id) {
            match self.part {
                Some(part) => {
                    activity.parts.remove(&part);
                }
                None => activity.completing = false,
            }
            if activity.parts.is_empty() && !activity.completing {
                uploads.remove(&self.id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> UploadId {
        UploadId("0123456789abcdefghjkmnpqrs".into())
    }

    #[test]
    fn different_parts_go_in_parallel_but_one_part_only_once() {
        let table = PartsInFlight::default();
        let _one = table.start_part(&id(), 1).unwrap();
        let _two = table.start_part(&id(), 2).unwrap();
        assert!(table.start_part(&id(), 1).is_err());
    }

    #[test]
    fn completion_waits_for_every_part_and_then_shuts_parts_out() {
        let table = PartsInFlight::default();
        let part = table.start_part(&id(), 1).unwrap();
        assert!(table.start_completing(&id()).is_err());
        drop(part);
        let completing = table.start_completing(&id()).unwrap();
        assert!(table.start_part(&id(), 2).is_err());
        drop(completing);
        assert!(table.start_part(&id(), 2).is_ok());
        assert!(
            table.lock().get(&id()).is_none(),
            "a dropped guard leaves no trace"
        );
    }
}
