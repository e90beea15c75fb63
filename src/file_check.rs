//! Which picked files may be uploaded. Checked before a single byte is sent, so a mistaken pick
//! gets an instant, readable answer. The server does not trust these checks: it sniffs content.

use crate::format;
use vidpush_protocol::limits::{DEFAULT_MAX_UPLOAD_BYTES, NAMED_FORMATS, VIDEO_EXTENSIONS};

/// What the page knows about a picked file before reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFacts<'a> {
    /// The file name as the person's system reports it.
    pub name: &'a str,
    /// The browser's MIME guess; often empty for less common containers.
    pub mime: &'a str,
    /// Size in bytes.
    pub size: u64,
}

/// The drop zone's line on what may be dropped.
pub fn accepted_files() -> String {
    format!(
        "{NAMED_FORMATS} files, up to {} each.",
        format::bytes(DEFAULT_MAX_UPLOAD_BYTES)
    )
}

/// Extensions whose MIME type systems often misreport (`.ts` as a Qt translation file).
const MISREPORTED: &[&str] = &["ts", "mts", "m2ts"];

/// Returns `Ok` when the file may be uploaded, or a sentence saying why not and what to do.
pub fn check(file: &FileFacts<'_>) -> Result<(), String> {
    let name = file.name;
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    if !VIDEO_EXTENSIONS.contains(&extension.as_str()) {
        return Err(format!(
            "“{name}” is not a video file this page can analyse. Choose an {NAMED_FORMATS} file."
        ));
    }
    let mime_ok = file.mime.is_empty()
        || file.mime.starts_with("video/")
        || file.mime == "application/octet-stream"
        || MISREPORTED.contains(&extension.as_str());
    if !mime_ok {
        return Err(format!(
            "“{name}” looks like {} rather than a video. Choose a video file.",
            file.mime
        ));
    }
    if file.size == 0 {
        return Err(format!(
            "“{name}” is empty (0 bytes). Choose a file that contains a recording."
        ));
    }
    if file.size > DEFAULT_MAX_UPLOAD_BYTES {
        return Err(format!(
            "“{name}” is {}, more than the {} limit. Trim or compress it first.",
            format::bytes(file.size),
            format::bytes(DEFAULT_MAX_UPLOAD_BYTES)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(name: &'a str, mime: &'a str, size: u64) -> FileFacts<'a> {
        FileFacts { name, mime, size }
    }

    #[test]
    fn common_videos_pass() {
        assert_eq!(check(&facts("clip.mp4", "video/mp4", 10)), Ok(()));
        assert_eq!(check(&facts("CLIP.MOV", "video/quicktime", 10)), Ok(()));
        assert_eq!(check(&facts("a.mkv", "", 10)), Ok(()));
        assert_eq!(
            check(&facts("a.ts", "text/vnd.trolltech.linguist", 10)),
            Ok(())
        );
    }

    #[test]
    fn wrong_extension_is_refused_with_the_file_name() {
        let err = check(&facts("notes.txt", "text/plain", 10)).unwrap_err();
        assert!(
            err.contains("notes.txt") && err.contains("not a video"),
            "{err}"
        );
        assert!(check(&facts("noextension", "", 10)).is_err());
    }

    #[test]
    fn non_video_mime_is_refused() {
        let err = check(&facts("photo.mp4", "image/jpeg", 10)).unwrap_err();
        assert!(err.contains("image/jpeg"), "{err}");
    }

    #[test]
    fn empty_and_oversized_files_are_refused() {
        assert!(
            check(&facts("a.mp4", "video/mp4", 0))
                .unwrap_err()
                .contains("empty")
        );
        let err = check(&facts("a.mp4", "video/mp4", DEFAULT_MAX_UPLOAD_BYTES + 1)).unwrap_err();
        assert!(err.contains("limit"), "{err}");
        assert_eq!(
            check(&facts("a.mp4", "video/mp4", DEFAULT_MAX_UPLOAD_BYTES)),
            Ok(())
        );
    }
}
