//! Which picked files may be uploaded. Checked before a single byte is sent, so a mistaken pick
//! gets an instant, readable answer. The server does not trust these checks: it sniffs content.

use crate::format;
use vidpush_protocol::limits::{NAMED_FORMATS, VIDEO_EXTENSIONS};

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

/// The drop zone's line on what may be dropped, with the server's upload limit.
pub fn accepted_files(max_upload_bytes: u64) -> String {
    format!(
        "{NAMED_FORMATS} files, up to {} each.",
        format::bytes(max_upload_bytes)
    )
}

/// Extensions whose MIME type systems often misreport (`.ts` as a Qt translation file).
const MISREPORTED: &[&str] = &["ts", "mts", "m2ts"];

/// Returns `Ok` when the file may be uploaded to a server that takes up to `max_upload_bytes`,
/// or a sentence saying why not and what to do.
pub fn check(file: &FileFacts<'_>, max_upload_bytes: u64) -> Result<(), String> {
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
    if file.size > max_upload_bytes {
        return Err(format!(
            "“{name}” is {}, more than this server's limit of {}. Trim or compress it first.",
            format::bytes(file.size),
            format::bytes(max_upload_bytes)
        ));
    }
    Ok(())
}

/// The second check, once the browser has read the file's metadata: `picture` is the size it
/// found, `None` when it could not tell (then the server decides). A file whose metadata has no
/// picture size is sound without picture.
pub fn picture_check(name: &str, picture: Option<(u32, u32)>) -> Result<(), String> {
    match picture {
        Some((0, _) | (_, 0)) => Err(format!(
            "“{name}” has sound but no picture, so there are no shots to find. Choose a video file."
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vidpush_protocol::limits::DEFAULT_MAX_UPLOAD_BYTES;

    /// The check against the default limit.
    fn check(file: &FileFacts<'_>) -> Result<(), String> {
        super::check(file, DEFAULT_MAX_UPLOAD_BYTES)
    }

    #[test]
    fn sound_without_picture_is_refused_when_the_browser_can_tell() {
        let err = picture_check("talk.mp4", Some((0, 0))).unwrap_err();
        assert!(err.contains("“talk.mp4” has sound but no picture"), "{err}");
        assert_eq!(picture_check("clip.mp4", Some((320, 180))), Ok(()));
        assert_eq!(
            picture_check("clip.mkv", None),
            Ok(()),
            "the browser could not tell"
        );
    }

    #[test]
    fn the_servers_own_limit_is_the_one_checked_and_named() {
        let err = super::check(&facts("a.mp4", "video/mp4", 1_000_001), 1_000_000).unwrap_err();
        assert!(err.contains("limit of 1.0 MB"), "{err}");
        assert_eq!(
            accepted_files(4 * 1024 * 1024 * 1024),
            "MP4, MOV, WebM, MKV, AVI or MPEG files, up to 4.3 GB each."
        );
    }

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
