//! Container facts from ffprobe. Owns running ffprobe (bounded like every child) and turning its
//! JSON into the protocol's `VideoMetadata` plus the few facts decoding needs; it never decodes.

use crate::complaint::Complaint;
use crate::error::AnalysisError;
use crate::options::{AnalysisOptions, CancelFlag, MAX_FRAME_PIXELS};
use crate::process::BoundedChild;
use crate::timecode::{FrameRate, clock_millis};
use serde::Deserialize;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::Instant;
use vidpush_protocol::result::VideoMetadata;

/// Most ffprobe JSON read (8 MiB): a real file's streams and format fit in a few KiB; a crafted
/// file with thousands of streams is refused rather than buffered.
const PROBE_OUTPUT_LIMIT: u64 = 8 * 1024 * 1024;

/// Highest frame rate believed from `r_frame_rate`: above it the field is a timebase artefact
/// (e.g. 90000/1) and the average rate is the truthful one.
const MAX_PLAUSIBLE_FPS: f64 = 240.0;

/// What probing learns: the public metadata plus what decoding needs.
#[derive(Clone, Debug)]
pub struct Probe {
    /// The facts as reported to users.
    pub metadata: VideoMetadata,
    /// The exact frame rate, for timecodes.
    pub rate: FrameRate,
    /// Frames the container expects, for progress.
    pub expected_frames: Option<u64>,
}

#[derive(Deserialize)]
struct ProbeJson {
    #[serde(default)]
    streams: Vec<StreamJson>,
    format: Option<FormatJson>,
}

#[derive(Deserialize)]
struct StreamJson {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    sample_aspect_ratio: Option<String>,
    r_frame_rate: Option<String>,
    avg_frame_rate: Option<String>,
    duration: Option<String>,
    nb_frames: Option<String>,
    color_range: Option<String>,
    pix_fmt: Option<String>,
    #[serde(default)]
    disposition: Disposition,
    #[serde(default)]
    side_data_list: Vec<SideData>,
    #[serde(default)]
    tags: Tags,
}

#[derive(Deserialize, Default)]
struct Disposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Deserialize)]
struct SideData {
    rotation: Option<f64>,
}

#[derive(Deserialize, Default)]
struct Tags {
    rotate: Option<String>,
    /// The stream's own length in Matroska and WebM (`HH:MM:SS.nnnnnnnnn`), which give no
    /// stream duration otherwise; the format's duration there is the longest stream's.
    #[serde(rename = "DURATION")]
    duration: Option<String>,
}

#[derive(Deserialize)]
struct FormatJson {
    format_name: Option<String>,
    duration: Option<String>,
}

/// Reads the container facts of `path` with ffprobe.
pub fn probe(path: &Path, options: &AnalysisOptions) -> Result<VideoMetadata, AnalysisError> {
    let deadline = Instant::now() + options.time_limit;
    probe_until(path, options, deadline, &CancelFlag::new()).map(|probe| probe.metadata)
}

/// [`probe`] with the caller's deadline and cancel flag, returning what decoding needs too.
pub(crate) fn probe_until(
    path: &Path,
    options: &AnalysisOptions,
    deadline: Instant,
    cancel: &CancelFlag,
) -> Result<Probe, AnalysisError> {
    let mut command = Command::new(&options.ffprobe);
    // ffprobe decodes a frame or two to learn the stream's facts: `-max_pixels` makes it
    // refuse an oversized picture (with a complaint naming its size) instead of allocating it.
    let max_pixels = MAX_FRAME_PIXELS.to_string();
    command
        .args([
            "-v",
            "error",
            "-max_pixels",
            &max_pixels,
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
        ])
        .arg(path);
    let mut child = BoundedChild::spawn(
        command,
        deadline,
        options.time_limit,
        options.max_decoder_memory,
        cancel,
    )?;
    let mut json = Vec::new();
    child
        .stdout()
        .take(PROBE_OUTPUT_LIMIT)
        .read_to_end(&mut json)?;
    if json.len() as u64 >= PROBE_OUTPUT_LIMIT {
        return Err(AnalysisError::Unreadable(
            "its stream list is implausibly large".into(),
        ));
    }
    let (status, stderr) = child.wait()?;
    if !status.success() {
        let input = path.to_string_lossy();
        return Err(AnalysisError::refused(stderr, &input));
    }
    let parsed: ProbeJson = serde_json::from_slice(&json).map_err(|error| {
        AnalysisError::Unreadable(format!("ffprobe's answer was not understood ({error})"))
    })?;
    interpret(parsed)
}

fn interpret(parsed: ProbeJson) -> Result<Probe, AnalysisError> {
    // A still picture attached to an audio file (cover art) is a "video stream" to ffprobe but
    // not a video to anyone else.
    let audio = parsed
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("audio"));
    let video = parsed
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("video") && s.disposition.attached_pic == 0)
        .ok_or(match audio {
            Some(_) => AnalysisError::SoundOnly,
            None => AnalysisError::NotAVideo,
        })?;
    let (width, height) = match (video.width, video.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
        _ => {
            return Err(AnalysisError::Unreadable(
                "the video stream has no frame size".into(),
            ));
        }
    };
    // The stored size is what a decoder allocates; a file that declares more than we decode is
    // refused here, before ffmpeg gets to it.
    if u64::from(width) * u64::from(height) > MAX_FRAME_PIXELS {
        return Err(AnalysisError::Refused {
            complaint: Complaint::FrameTooLarge { width, height },
            tool_output: String::new(),
        });
    }
    let (width, height) = display_size(video, width, height);
    let rate = frame_rate(video);
    // The video's own length first: audio that runs on past the picture is not more video.
    let duration_secs = parse_f64(video.duration.as_deref())
        .or_else(|| {
            let tag = video.tags.duration.as_deref()?;
            clock_millis(tag).map(|millis| millis as f64 / 1000.0)
        })
        .or_else(|| parse_f64(parsed.format.as_ref().and_then(|f| f.duration.as_deref())))
        .unwrap_or(0.0);
    let nb_frames = video
        .nb_frames
        .as_deref()
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|&n| n > 0);
    let expected_frames = nb_frames.or_else(|| {
        let estimate = (duration_secs * rate.fps()).round();
        (estimate > 0.0).then_some(estimate as u64)
    });
    let full_range = video.color_range.as_deref() == Some("pc")
        || video
            .pix_fmt
            .as_deref()
            .is_some_and(|p| p.starts_with("yuvj"));
    let metadata = VideoMetadata {
        codec: video.codec_name.clone().unwrap_or_else(|| "unknown".into()),
        format: parsed
            .format
            .and_then(|f| f.format_name)
            .unwrap_or_else(|| "unknown".into()),
        duration_millis: (duration_secs * 1000.0).round().max(0.0) as u64,
        frame_rate: rate.fps(),
        frame_rate_fraction: format!("{}/{}", rate.numerator, rate.denominator),
        frame_width: width,
        frame_height: height,
        color_range: if full_range { "FULL" } else { "LIMITED" }.to_owned(),
        frame_count: nb_frames,
        audio_codec: audio.and_then(|a| a.codec_name.clone()),
    };
    Ok(Probe {
        metadata,
        rate,
        expected_frames,
    })
}

/// The size a player shows: non-square pixels stretched, quarter turns applied (ffmpeg rotates
/// decoded frames the same way, so our frames have this shape).
fn display_size(video: &StreamJson, width: u32, height: u32) -> (u32, u32) {
    let width = match video
        .sample_aspect_ratio
        .as_deref()
        .and_then(parse_fraction)
    {
        Some((n, d)) if n > 0 && d > 0 && n != d => {
            ((u64::from(width) * n + d / 2) / d).clamp(1, u64::from(u32::MAX)) as u32
        }
        _ => width,
    };
    let rotation = video
        .side_data_list
        .iter()
        .find_map(|side| side.rotation)
        .or_else(|| parse_f64(video.tags.rotate.as_deref()))
        .unwrap_or(0.0);
    let quarter_turns = (rotation / 90.0).round() as i64;
    if quarter_turns.rem_euclid(2) == 1 {
        (height, width)
    } else {
        (width, height)
    }
}

/// The stream's frame rate: the stated rate when it is plausible, else the average.
fn frame_rate(video: &StreamJson) -> FrameRate {
    let usable = |text: Option<&str>| {
        text.and_then(parse_fraction)
            .filter(|&(n, d)| n > 0 && d > 0 && (n as f64 / d as f64) <= MAX_PLAUSIBLE_FPS)
            .map(|(numerator, denominator)| FrameRate {
                numerator,
                denominator,
            })
    };
    usable(video.r_frame_rate.as_deref())
        .or_else(|| usable(video.avg_frame_rate.as_deref()))
        .unwrap_or(FrameRate::FALLBACK)
}

fn parse_fraction(text: &str) -> Option<(u64, u64)> {
    let (n, d) = text.split_once([':', '/'])?;
    Some((n.trim().parse().ok()?, d.trim().parse().ok()?))
}

fn parse_f64(text: Option<&str>) -> Option<f64> {
    text?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Probe, AnalysisError> {
        interpret(serde_json::from_str(json).expect("test JSON is valid"))
    }

    #[test]
    fn an_audio_only_file_is_said_to_have_sound_but_no_picture() {
        let error =
            parse(r#"{"streams":[{"codec_type":"audio","codec_name":"mp3"}]}"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "this file has sound but no picture, so there are no shots to find; choose a video file"
        );
        let error = parse(r#"{"streams":[{"codec_type":"data"}]}"#).unwrap_err();
        assert_eq!(error.to_string(), "not a video: no video stream found");
    }

    #[test]
    fn cover_art_is_not_a_video() {
        let json = r#"{"streams":[{"codec_type":"audio","codec_name":"mp3"},
            {"codec_type":"video","codec_name":"mjpeg","width":500,"height":500,
             "disposition":{"attached_pic":1}}]}"#;
        assert!(matches!(parse(json), Err(AnalysisError::SoundOnly)));
    }

    #[test]
    fn rotated_phone_video_reports_upright_size() {
        let json = r#"{"streams":[{"codec_type":"video","codec_name":"h264","width":1920,
            "height":1080,"r_frame_rate":"30/1","side_data_list":[{"rotation":-90}]}],
            "format":{"format_name":"mov","duration":"2.0"}}"#;
        let probe = parse(json).expect("valid video");
        assert_eq!(
            (probe.metadata.frame_width, probe.metadata.frame_height),
            (1080, 1920)
        );
        assert_eq!(probe.expected_frames, Some(60));
    }

    #[test]
    fn a_webm_reports_the_length_of_its_video_not_of_its_audio() {
        let json = r#"{"streams":[{"codec_type":"video","codec_name":"vp9","width":320,
            "height":180,"r_frame_rate":"25/1","tags":{"DURATION":"00:00:04.007000000"}},
            {"codec_type":"audio","codec_name":"opus","tags":{"DURATION":"00:00:10.008000000"}}],
            "format":{"format_name":"matroska,webm","duration":"10.008000"}}"#;
        let probe = parse(json).expect("valid video");
        assert_eq!(probe.metadata.duration_millis, 4_007);
        assert_eq!(probe.expected_frames, Some(100));
    }

    fn sized(width: u32, height: u32) -> String {
        format!(
            r#"{{"streams":[{{"codec_type":"video","codec_name":"h264","width":{width},
            "height":{height},"r_frame_rate":"25/1"}}]}}"#
        )
    }

    #[test]
    fn a_frame_over_the_pixel_limit_is_refused_with_its_size() {
        let error = parse(&sized(16000, 16000)).unwrap_err();
        assert!(matches!(
            error,
            AnalysisError::Refused {
                complaint: Complaint::FrameTooLarge {
                    width: 16000,
                    height: 16000
                },
                ..
            }
        ));
        assert!(
            error.to_string().starts_with("the picture is 16000×16000"),
            "{error}"
        );
        assert_eq!(error.tool_output(), None, "ffprobe said nothing");
    }

    #[test]
    fn every_8k_size_is_within_the_pixel_limit() {
        for (width, height) in [(7680, 4320), (8192, 4320), (4320, 7680), (8192, 4096)] {
            let probe = parse(&sized(width, height)).expect("an 8K video is analysed");
            assert_eq!(probe.metadata.frame_width, width);
        }
        assert!(parse(&sized(8192, 4321)).is_err());
    }

    #[test]
    fn timebase_rate_falls_back_to_average_rate() {
        let json = r#"{"streams":[{"codec_type":"video","width":2,"height":2,
            "r_frame_rate":"90000/1","avg_frame_rate":"25/1"}]}"#;
        assert_eq!(
            parse(json).expect("valid video").rate,
            FrameRate {
                numerator: 25,
                denominator: 1
            }
        );
    }
}
