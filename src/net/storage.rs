//! `localStorage`: the upload id and part size of each unfinished upload (so a reload
//! continues it) and the
//! jobs the page follows (so a reload resubscribes to them). Failures to store are ignored:
//! private modes may refuse storage, and the page works without it.

use vidpush_protocol::JobId;

/// Key of the followed jobs: one `id\tfile name` per line.
const JOBS_KEY: &str = "vidpush.jobs";

fn store() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The value stored at `key`.
pub fn get(key: &str) -> Option<String> {
    store()?.get_item(key).ok().flatten()
}

/// Stores `value` at `key`.
pub fn set(key: &str, value: &str) {
    if let Some(s) = store() {
        let _ = s.set_item(key, value);
    }
}

/// Forgets `key`.
pub fn remove(key: &str) {
    if let Some(s) = store() {
        let _ = s.remove_item(key);
    }
}

/// An unfinished upload remembered for resuming after a reload.
pub struct RememberedUpload {
    /// Its `localStorage` key, a [`crate::multipart::fingerprint`].
    pub key: String,
    /// The file's name.
    pub file_name: String,
    /// The file's size in bytes.
    pub size: u64,
}

/// The unfinished uploads remembered for resuming.
pub fn unfinished_uploads() -> Vec<RememberedUpload> {
    let Some(s) = store() else { return Vec::new() };
    let len = s.length().unwrap_or(0);
    (0..len)
        .filter_map(|i| s.key(i).ok().flatten())
        .filter_map(|key| {
            let (file_name, size) = crate::multipart::fingerprinted_file(&key)?;
            Some(RememberedUpload {
                file_name: file_name.to_owned(),
                size,
                key,
            })
        })
        .collect()
}

/// The jobs followed before the page was reloaded.
pub fn followed_jobs() -> Vec<(JobId, String)> {
    get(JOBS_KEY)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .filter(|(id, _)| vidpush_protocol::ids::is_well_formed(id))
        .map(|(id, name)| (JobId::from(id), name.to_owned()))
        .collect()
}

/// Remembers the jobs the page follows now.
pub fn save_followed_jobs<'a>(jobs: impl Iterator<Item = (&'a JobId, &'a str)>) {
    let text: Vec<String> = jobs
        .map(|(id, name)| format!("{id}\t{}", name.replace(['\t', '\n'], " ")))
        .collect();
    set(JOBS_KEY, &text.join("\n"));
}
