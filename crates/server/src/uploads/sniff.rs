//! Recognising video containers from their first bytes, so an upload that is not a video is
//! refused before it is stored. Never trusts a file name or a declared MIME type.

/// How many leading bytes [`sniff`] wants to decide; fewer are enough for most formats.
pub const SNIFF_BYTES: usize = 192;

/// What the first bytes say about a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// A known video container.
    Video(&'static str),
    /// Not a video container we know; the text says what it looks like instead.
    NotVideo(&'static str),
    /// Too few bytes to tell.
    TooShort,
}

/// Identifies the container from a file's first bytes.
pub fn sniff(head: &[u8]) -> Sniffed {
    if head.len() < 12 {
        return Sniffed::TooShort;
    }
    let box_type = &head[4..8];
    if box_type == b"ftyp" {
        return Sniffed::Video("MP4/MOV");
    }
    // Old QuickTime files may start with another top-level atom.
    if [b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"]
        .iter()
        .any(|t| box_type == *t)
    {
        return Sniffed::Video("QuickTime");
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Sniffed::Video("WebM/Matroska");
    }
    if head.starts_with(b"RIFF") && &head[8..12] == b"AVI " {
        return Sniffed::Video("AVI");
    }
    if head.starts_with(&[0x00, 0x00, 0x01, 0xBA]) || head.starts_with(&[0x00, 0x00, 0x01, 0xB3]) {
        return Sniffed::Video("MPEG");
    }
    if head[0] == 0x47 {
        // MPEG transport stream: a sync byte every 188 bytes.
        if head.len() <= 188 {
            return Sniffed::TooShort;
        }
        if head[188] == 0x47 {
            return Sniffed::Video("MPEG-TS");
        }
    }
    if head.starts_with(b"FLV\x01") {
        return Sniffed::Video("FLV");
    }
    if head.starts_with(b"OggS") {
        return Sniffed::Video("Ogg");
    }
    if head.starts_with(&[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) {
        return Sniffed::Video("ASF/WMV");
    }
    Sniffed::NotVideo(describe(head))
}

/// A few words on what a non-video file looks like, for the refusal message.
fn describe(head: &[u8]) -> &'static str {
    let signatures: [(&[u8], &'static str); 8] = [
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"ID3", "an MP3 audio file"),
        (b"fLaC", "a FLAC audio file"),
        (b"\x7FELF", "a program"),
    ];
    if let Some((_, name)) = signatures.iter().find(|(magic, _)| head.starts_with(magic)) {
        return name;
    }
    if head.starts_with(b"RIFF") && &head[8..12] == b"WAVE" {
        return "a WAV audio file";
    }
    let printable = head
        .iter()
        .filter(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
        .count();
    if printable * 10 >= head.len() * 9 {
        "text"
    } else {
        "data of an unknown kind"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn padded(prefix: &[u8]) -> Vec<u8> {
        let mut bytes = prefix.to_vec();
        bytes.resize(SNIFF_BYTES, 0);
        bytes
    }

    #[test]
    fn known_containers_are_videos() {
        assert_eq!(
            sniff(&padded(b"\0\0\0\x20ftypisom")),
            Sniffed::Video("MP4/MOV")
        );
        assert_eq!(
            sniff(&padded(&[0x1A, 0x45, 0xDF, 0xA3, 1])),
            Sniffed::Video("WebM/Matroska")
        );
        assert_eq!(
            sniff(&padded(b"RIFF\0\0\0\0AVI LIST")),
            Sniffed::Video("AVI")
        );
        let mut ts = padded(&[0x47]);
        ts[188] = 0x47;
        assert_eq!(sniff(&ts), Sniffed::Video("MPEG-TS"));
    }

    #[test]
    fn text_and_images_are_not_videos() {
        assert_eq!(
            sniff(b"hello, this is a text file that someone renamed"),
            Sniffed::NotVideo("text")
        );
        assert_eq!(
            sniff(&padded(b"\x89PNG\r\n\x1a\n")),
            Sniffed::NotVideo("a PNG image")
        );
        assert_eq!(
            sniff(&padded(b"RIFF\0\0\0\0WAVEfmt ")),
            Sniffed::NotVideo("a WAV audio file")
        );
    }

    #[test]
    fn a_few_bytes_are_too_short_to_tell() {
        assert_eq!(sniff(b"\0\0\0"), Sniffed::TooShort);
    }
}
