//! What ffprobe or ffmpeg said when it refused a file, sorted into the few cases a person can
//! act on: damaged or cut short, not a video format, no video stream, a codec that cannot be
//! decoded, frames larger than we decode, a decoder out of its memory limit. Anything else keeps the decoder's first line, cleaned. A file that opened but
//! decoded only part of its declared length is cut short too ([`Complaint::Incomplete`]).
//!
//! Owns the reading of decoder stderr. The sentences it makes are for the person who sent the
//! file: they never carry a file path, a `[demuxer @ 0x…]` prefix or any other memory address.
//! The raw stderr travels beside them in [`AnalysisError::Refused`] for the operator's log.
//!
//! [`AnalysisError::Refused`]: crate::AnalysisError::Refused

use crate::options::MAX_FRAME_PIXELS;
use std::fmt;
use vidpush_protocol::limits::NAMED_FORMATS;

/// The reason given when a file has no video stream (a still cover image, subtitles).
pub const NO_VIDEO_STREAM: &str = "not a video: no video stream found";

/// The reason given when a file has sound but no picture.
pub const SOUND_ONLY: &str =
    "this file has sound but no picture, so there are no shots to find; choose a video file";

/// Longest decoder detail kept in a message, in characters: one line of complaint, not a log.
const MAX_DETAIL_CHARS: usize = 160;

/// Fragments (lower case) that mean the file has no video stream to decode.
const NO_VIDEO_SIGNS: [&str; 2] = ["matches no streams", "does not contain any stream"];

/// Fragments (lower case) that mean the video's codec has no decoder here.
const UNSUPPORTED_CODEC_SIGNS: [&str; 4] = [
    // ffmpeg 5–7: "Decoder (codec none) not found for input stream #0:0".
    "decoder (codec",
    "unsupported codec",
    "unknown codec",
    "codec not currently supported",
];

/// Fragments (lower case) that mean the file is cut short or its bytes are broken: a missing
/// MP4 index (`moov`) is what a truncated upload of a camera or editor file looks like.
const DAMAGED_SIGNS: [&str; 7] = [
    "moov atom not found",
    "ended prematurely",
    "end of file",
    "truncat",
    "partial file",
    "invalid nal unit size",
    "error splitting the input into nal units",
];

/// How the damaged-file sentences start, so a person (and a test) sees one kind of problem.
const DAMAGED_OR_INCOMPLETE: &str = "the file is damaged or incomplete";

/// What a person can do about a damaged or incomplete file.
const ASK_FOR_ORIGINAL: &str = "try again with the complete original file";

/// The fragment (lower case) ffmpeg and ffprobe give when a picture is over `-max_pixels`, after
/// `Picture size <w>x<h>` (libavutil's `av_image_check_size2`, unchanged since ffmpeg 3.3).
const FRAME_TOO_LARGE_SIGN: &str = "exceeds specified max pixel count";

/// Fragments (lower case) that mean a decoder ran out of memory: ENOMEM's text, decoders' own
/// words, the loader failing to map a library, and the frame pool failing (h264 says only
/// `get_buffer() failed`, then "Invalid data found", when its frames cannot be allocated).
const OUT_OF_MEMORY_SIGNS: [&str; 6] = [
    "cannot allocate memory",
    "could not allocate",
    "failed to allocate",
    "out of memory",
    "failed to map segment",
    "get_buffer() failed",
];

/// The fragment (lower case) that says a frame pool failed over nonsense dimensions, not memory.
const INVALID_PICTURE_SIGN: &str = "image parameters invalid";

/// The start of ffmpeg's progress reports (`frame=  40 fps=… time=…`): not a complaint.
pub(crate) const PROGRESS_REPORT: &str = "frame=";

/// The fragment (lower case) ffmpeg gives when no demuxer makes sense of the bytes at all.
const UNRECOGNISED_SIGN: &str = "invalid data found when processing input";

/// What a decoder's refusal means for the person who sent the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Complaint {
    /// The file is cut short or its bytes are broken.
    Damaged,
    /// The file opened, but decoding ended well before the length its container declares: it
    /// was cut short after an index that describes the whole video (an MP4 written with
    /// `+faststart`, a WebM whose header gives the duration).
    Incomplete {
        /// How much of the video decoded, in milliseconds.
        read_millis: u64,
        /// The length the container declares, in milliseconds.
        declared_millis: u64,
    },
    /// No demuxer recognised the bytes: damaged beyond recognition, or not a video format.
    Unrecognised,
    /// The file has no video stream.
    NoVideoStream,
    /// The video stream is in a codec with no decoder here.
    UnsupportedCodec,
    /// Its frames have more than [`MAX_FRAME_PIXELS`] pixels; none was decoded.
    FrameTooLarge {
        /// Width of the picture in pixels, as the file declares it.
        width: u32,
        /// Height of the picture in pixels.
        height: u32,
    },
    /// The decoder needed more memory than its limit (`max_decoder_memory`) allows.
    OutOfMemory,
    /// Anything else: the decoder's first line, without paths or addresses.
    Other(String),
}

impl Complaint {
    /// Sorts `stderr` of ffprobe or ffmpeg run on `input` (the path it was given).
    pub fn from_stderr(stderr: &str, input: &str) -> Self {
        let lower = stderr.to_lowercase();
        let says = |signs: &[&str]| signs.iter().any(|sign| lower.contains(sign));
        if let Some((width, height)) = oversized_picture(&lower) {
            Self::FrameTooLarge { width, height }
        } else if says(&OUT_OF_MEMORY_SIGNS) && !lower.contains(INVALID_PICTURE_SIGN) {
            Self::OutOfMemory
        } else if says(&NO_VIDEO_SIGNS) {
            Self::NoVideoStream
        } else if says(&UNSUPPORTED_CODEC_SIGNS) {
            Self::UnsupportedCodec
        } else if says(&DAMAGED_SIGNS) {
            Self::Damaged
        } else if lower.contains(UNRECOGNISED_SIGN) {
            Self::Unrecognised
        } else {
            Self::Other(first_detail(stderr, input))
        }
    }
}

impl fmt::Display for Complaint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Damaged => write!(
                f,
                "{DAMAGED_OR_INCOMPLETE}, so it cannot be read as a video; {ASK_FOR_ORIGINAL}"
            ),
            Self::Incomplete {
                read_millis,
                declared_millis,
            } => write!(
                f,
                "{DAMAGED_OR_INCOMPLETE}: only {:.1} s of its {:.1} s could be read; {ASK_FOR_ORIGINAL}",
                *read_millis as f64 / 1000.0,
                *declared_millis as f64 / 1000.0
            ),
            Self::Unrecognised => write!(
                f,
                "the file is damaged or not in a video format that can be read; choose an {NAMED_FORMATS} file"
            ),
            Self::NoVideoStream => f.write_str(NO_VIDEO_STREAM),
            Self::UnsupportedCodec => f.write_str(
                "the video is stored in a format that cannot be decoded here; convert it to H.264 (an ordinary MP4) and try again",
            ),
            Self::FrameTooLarge { width, height } => write!(
                f,
                "the picture is {width}×{height} pixels; vidpush analyses videos of up to {:.1} \
                 million pixels per frame (8K, 8192×4320); make a copy at 8K or smaller and try again",
                MAX_FRAME_PIXELS as f64 / 1e6
            ),
            Self::OutOfMemory => f.write_str(
                "decoding the video needed more memory than one video may use here; make a copy \
                 that is smaller or in a simpler format (H.264 at 4K or less) and try again",
            ),
            Self::Other(detail) => write!(f, "the file could not be read as a video: {detail}"),
        }
    }
}

/// The size in `Picture size <w>x<h> exceeds specified max pixel count`, from lower-case
/// stderr.
fn oversized_picture(lower: &str) -> Option<(u32, u32)> {
    let line = lower
        .lines()
        .find(|line| line.contains(FRAME_TOO_LARGE_SIGN))?;
    let size = line.split("picture size ").nth(1)?.split(' ').next()?;
    let (width, height) = size.split_once('x')?;
    Some((width.parse().ok()?, height.parse().ok()?))
}

/// The first line of a tool's stderr that says something, as a short detail for people: no
/// input path, no `[name @ 0x…]` prefix, no progress report, bounded length. ffmpeg ends a
/// progress report with a carriage return, so a complaint can follow it on the same line.
fn first_detail(stderr: &str, input: &str) -> String {
    let detail = stderr
        .split(['\r', '\n'])
        .map(|line| clean_line(line, input))
        .find(|line| {
            !line.is_empty()
                && !line.starts_with("Last message repeated")
                && !line.starts_with(PROGRESS_REPORT)
        })
        .unwrap_or_default();
    if detail.is_empty() {
        return "the decoder gave no reason".to_owned();
    }
    match detail.char_indices().nth(MAX_DETAIL_CHARS) {
        Some((cut, _)) => format!("{}…", detail[..cut].trim_end()),
        None => detail,
    }
}

/// One stderr line without the `[name @ 0x…]` prefixes ffmpeg puts on its log lines and
/// without the input path (which names the server's folders).
fn clean_line(line: &str, input: &str) -> String {
    let mut rest = line.trim();
    while let Some(after) = strip_context_prefix(rest) {
        rest = after;
    }
    let rest = rest
        .strip_prefix(input)
        .and_then(|after| after.strip_prefix(": "))
        .unwrap_or(rest);
    let rest = if input.is_empty() {
        rest.to_owned()
    } else {
        rest.replace(input, "the file")
    };
    rest.trim().to_owned()
}

/// `rest` after a leading `[anything @ 0x<hex>]`, if it starts with one.
fn strip_context_prefix(line: &str) -> Option<&str> {
    let inside = line.strip_prefix('[')?;
    let end = inside.find(']')?;
    let (_, address) = inside[..end].rsplit_once(" @ 0x")?;
    if address.is_empty() || !address.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some(inside[end + 1..].trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the server keeps a job's source: the path ffmpeg echoes back.
    const INPUT: &str = "/var/lib/vidpush/jobs/k3x9/source";

    /// Real stderr of Debian's ffprobe 5.1 (`-v error`) on a file of `head -c 30000 clip.mp4`.
    const TRUNCATED_MP4: &str = "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5618c8a5a1c0] moov atom not found\n\
        /var/lib/vidpush/jobs/k3x9/source: Invalid data found when processing input\n";

    /// Real stderr of ffprobe 5.1 on a WebM cut after 3000 bytes.
    const TRUNCATED_WEBM: &str = "[matroska,webm @ 0x560b726411c0] File ended prematurely\n";

    /// Real stderr of ffprobe 5.1 on a text file, an empty file, random bytes, or an AVI cut
    /// after 3000 bytes: no demuxer recognises any of them.
    const UNRECOGNISED: &str =
        "/var/lib/vidpush/jobs/k3x9/source: Invalid data found when processing input\n";

    /// Real stderr of ffmpeg 5.1 decoding an M4A with only an audio stream.
    const AUDIO_ONLY: &str = "Stream map '0:v:0' matches no streams.\n\
        To ignore this, add a trailing '?' to the map.\n";

    /// Real stderr of ffmpeg 5.1 decoding an MP4 whose codec tag was overwritten.
    const UNKNOWN_CODEC: &str = "Decoder (codec none) not found for input stream #0:0\n";

    /// Real stderr of ffmpeg 5.1 decoding an MP4 whose H.264 data was overwritten.
    const BROKEN_H264: &str = "[h264 @ 0x56500cc36e80] Invalid NAL unit size (-847561879 > 3894).\n\
        [h264 @ 0x56500cc36e80] missing picture in access unit with size 4588\n\
        [h264 @ 0x56500cc36e80] Error splitting the input into NAL units.\n";

    /// Real stderr of ffprobe 5.1 with `-max_pixels 35389440` on a 16000×16000 H.264 MP4.
    const OVERSIZED: &str = "[h264 @ 0x559b6aff8780] [IMGUTILS @ 0x7ffee8b34910] Picture size 16000x16000 exceeds specified max pixel count 35389440, see the documentation if you wish to increase it\n\
        [h264 @ 0x559b6aff8780] video_get_buffer: image parameters invalid\n\
        [h264 @ 0x559b6aff8780] get_buffer() failed\n\
        [h264 @ 0x559b6aff8780] decode_slice_header error\n\
        [h264 @ 0x559b6aff8780] no frame!\n";

    /// Real stderr of ffmpeg 5.1 decoding a 4K H.264 under a 300 MiB address-space limit.
    const NO_MEMORY: &str = "[h264 @ 0x56022fbe8040] Could not allocate memory\n\
        [h264 @ 0x56022fbe8040] h264_slice_header_init() failedError while decoding stream #0:0: Cannot allocate memory\n";

    /// Real stderr of ffmpeg 5.1 on the same file under 350 MiB: its frame pool fails, and
    /// ffmpeg reports it as invalid data.
    const NO_FRAME_POOL: &str = "[h264 @ 0x5642caa0f040] thread_get_buffer() failed\n\
        [h264 @ 0x5642caa0f040] get_buffer() failed\n\
        [h264 @ 0x5642caa0f040] decode_slice_header error\n\
        [h264 @ 0x5642caa0f040] no frame!\n\
        Error while decoding stream #0:0: Invalid data found when processing input\n";

    /// Real stderr of ffmpeg 5.1 started under a 200 MiB address-space limit.
    const NO_ROOM_TO_LOAD: &str = "ffmpeg: error while loading shared libraries: libgomp.so.1: failed to map segment from shared object\n";

    #[test]
    fn a_picture_over_the_pixel_limit_says_its_size_and_the_limit() {
        let complaint = Complaint::from_stderr(OVERSIZED, INPUT);
        assert_eq!(
            complaint,
            Complaint::FrameTooLarge {
                width: 16000,
                height: 16000
            }
        );
        assert_eq!(
            complaint.to_string(),
            "the picture is 16000×16000 pixels; vidpush analyses videos of up to 35.4 million \
             pixels per frame (8K, 8192×4320); make a copy at 8K or smaller and try again"
        );
    }

    #[test]
    fn a_decoder_out_of_memory_says_so_whatever_words_ffmpeg_found() {
        for stderr in [NO_MEMORY, NO_FRAME_POOL, NO_ROOM_TO_LOAD] {
            assert_eq!(
                Complaint::from_stderr(stderr, INPUT),
                Complaint::OutOfMemory,
                "{stderr}"
            );
        }
        assert!(Complaint::OutOfMemory.to_string().contains("more memory"));
    }

    #[test]
    fn a_truncated_mp4_is_damaged_or_incomplete() {
        let complaint = Complaint::from_stderr(TRUNCATED_MP4, INPUT);
        assert_eq!(complaint, Complaint::Damaged);
        assert!(
            complaint
                .to_string()
                .starts_with("the file is damaged or incomplete")
        );
    }

    #[test]
    fn a_webm_that_ends_early_or_broken_frames_are_damaged() {
        assert_eq!(
            Complaint::from_stderr(TRUNCATED_WEBM, INPUT),
            Complaint::Damaged
        );
        assert_eq!(
            Complaint::from_stderr(BROKEN_H264, INPUT),
            Complaint::Damaged
        );
    }

    #[test]
    fn bytes_no_demuxer_knows_are_unrecognised() {
        let complaint = Complaint::from_stderr(UNRECOGNISED, INPUT);
        assert_eq!(complaint, Complaint::Unrecognised);
        assert!(complaint.to_string().contains("MP4"));
    }

    #[test]
    fn a_file_without_a_video_stream_is_not_a_video() {
        let complaint = Complaint::from_stderr(AUDIO_ONLY, INPUT);
        assert_eq!(complaint, Complaint::NoVideoStream);
        assert_eq!(complaint.to_string(), NO_VIDEO_STREAM);
    }

    #[test]
    fn a_codec_without_a_decoder_is_unsupported() {
        let complaint = Complaint::from_stderr(UNKNOWN_CODEC, INPUT);
        assert_eq!(complaint, Complaint::UnsupportedCodec);
        assert!(complaint.to_string().contains("H.264"));
    }

    #[test]
    fn other_complaints_keep_a_detail_without_addresses_or_paths() {
        let stderr = "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55fca6a7b940] stream 0, offset 0x30: partial rewrite\n\
            second line";
        let complaint = Complaint::from_stderr(stderr, INPUT);
        assert_eq!(
            complaint,
            Complaint::Other("stream 0, offset 0x30: partial rewrite".into())
        );
        // ffmpeg 7 names the input inside its sentence, after an `[in#0 @ 0x…]` prefix.
        let stderr = format!("[in#0 @ 0x5581c0b0c600] Error opening input file {INPUT}.\n");
        let message = Complaint::from_stderr(&stderr, INPUT).to_string();
        assert_eq!(
            message,
            "the file could not be read as a video: Error opening input file the file."
        );
    }

    #[test]
    fn every_sentence_is_free_of_addresses_and_paths() {
        for stderr in [
            TRUNCATED_MP4,
            TRUNCATED_WEBM,
            UNRECOGNISED,
            AUDIO_ONLY,
            UNKNOWN_CODEC,
            BROKEN_H264,
            OVERSIZED,
            NO_MEMORY,
            NO_FRAME_POOL,
            NO_ROOM_TO_LOAD,
            "[matroska,webm @ 0x5556352f0940] [vist @ 0xabc] something new\n",
        ] {
            let message = Complaint::from_stderr(stderr, INPUT).to_string();
            assert!(!message.contains(" @ 0x"), "{message}");
            assert!(!message.contains(INPUT), "{message}");
        }
    }

    #[test]
    fn a_silent_decoder_and_a_long_line_still_read_as_sentences() {
        assert_eq!(
            Complaint::from_stderr("\n  \n", INPUT).to_string(),
            "the file could not be read as a video: the decoder gave no reason"
        );
        let long = "x".repeat(1000);
        let Complaint::Other(detail) = Complaint::from_stderr(&long, INPUT) else {
            panic!("a line with no known sign is kept as a detail");
        };
        assert_eq!(detail.chars().count(), MAX_DETAIL_CHARS + 1);
    }

    #[test]
    fn a_file_cut_short_after_its_index_says_how_much_could_be_read() {
        let complaint = Complaint::Incomplete {
            read_millis: 6_720,
            declared_millis: 10_000,
        };
        assert_eq!(
            complaint.to_string(),
            "the file is damaged or incomplete: only 6.7 s of its 10.0 s could be read; \
             try again with the complete original file"
        );
    }

    #[test]
    fn progress_reports_are_not_taken_for_complaints() {
        // Real stderr of ffmpeg 5.1 with `-stats`: a report, then a complaint on the same line.
        let stderr = "frame=    1 fps=0.0 q=-0.0 size=      10kB time=00:00:00.04 bitrate=2090.4kbits/s speed=8.73x    \r\
            [out#0 @ 0x55e6110b0e80] something new\n";
        assert_eq!(
            Complaint::from_stderr(stderr, INPUT),
            Complaint::Other("something new".into())
        );
    }

    #[test]
    fn a_bracket_without_an_address_is_kept() {
        assert_eq!(clean_line("[1/2] step failed", INPUT), "[1/2] step failed");
    }
}
