//! Files and limits: metadata, formats, unreadable input, cancellation and the resource limits.

mod support;

use std::time::{Duration, Instant};
use support::{Clips, analyse, analysis_error, cut};
use vidpush_analysis::complaint::Complaint;
use vidpush_analysis::synthetic::{Container, Content};
use vidpush_analysis::{AnalysisError, AnalysisEvent, AnalysisOptions, CancelFlag, analyze, probe};

#[test]
fn ntsc_clip_reports_exact_rate_and_drop_frame_timecodes() {
    let clips = Clips::new();
    let path = clips.ffmpeg(
        "ntsc.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=160x90:r=30000/1001:d=2",
            "-f",
            "lavfi",
            "-i",
            "sine=d=2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
        ],
    );
    let metadata = probe(&path, &AnalysisOptions::default()).expect("probes");
    assert_eq!(metadata.frame_rate_fraction, "30000/1001");
    assert!((metadata.frame_rate - 29.97).abs() < 0.01);
    assert_eq!((metadata.frame_width, metadata.frame_height), (160, 90));
    assert_eq!(metadata.codec, "h264");
    assert_eq!(metadata.color_range, "LIMITED");
    assert_eq!(metadata.audio_codec.as_deref(), Some("aac"));
    let result = analyse(&path);
    let span = &result.shots[0].span;
    assert!(
        span.end_timecode_smpte.contains(';'),
        "drop-frame timecode: {}",
        span.end_timecode_smpte
    );
    assert_eq!(
        result.video_metadata.frame_count,
        Some(result.summary.frames_analyzed)
    );
}

#[test]
fn audio_only_file_is_said_to_have_sound_but_no_picture() {
    let clips = Clips::new();
    let path = clips.ffmpeg(
        "tone.m4a",
        &["-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac"],
    );
    let error = analysis_error(&path);
    assert_eq!(
        error.to_string(),
        "this file has sound but no picture, so there are no shots to find; choose a video file"
    );
}

#[test]
fn text_file_gives_a_readable_sentence() {
    let clips = Clips::new();
    // No extension, as the server stores uploads: ffprobe must judge by the bytes alone.
    let path = clips.path("notes");
    std::fs::write(&path, "these are not frames\n").expect("writes");
    let error = probe(&path, &AnalysisOptions::default()).unwrap_err();
    assert_eq!(error.to_string(), Complaint::Unrecognised.to_string());
    let said = decoder_said(&error);
    assert!(said.contains("Invalid data found"), "{said}");
}

#[test]
fn a_truncated_mp4_says_it_is_damaged_without_decoder_jargon() {
    let clips = Clips::new();
    let (whole, _) = clips.render(
        "whole.mp4",
        vec![cut(Content::TestPattern, 20)],
        Container::Mp4,
    );
    let bytes = std::fs::read(&whole).expect("the clip was rendered");
    // ffmpeg writes the MP4 index (moov) at the end: the first third has none.
    let truncated = clips.path("truncated");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).expect("writes");
    let error = analysis_error(&truncated);
    let message = error.to_string();
    assert_eq!(message, Complaint::Damaged.to_string());
    assert!(
        !message.contains(" @ 0x") && !message.contains(&*truncated.to_string_lossy()),
        "no decoder prefixes or server paths in user messages: {message}"
    );
    let said = decoder_said(&error);
    assert!(said.contains("moov atom not found"), "{said}");
}

/// Three 4-second shots (test pattern, colour bars, a moving test pattern) as an H.264 MP4 with
/// its index (moov) at the front, as `-movflags +faststart` writes it for web playback; with a
/// 12-second AAC tone beside it when `with_audio`.
fn faststart_clip(clips: &Clips, name: &str, with_audio: bool) -> std::path::PathBuf {
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        "testsrc=s=320x180:r=25:d=4",
        "-f",
        "lavfi",
        "-i",
        "smptebars=s=320x180:r=25:d=4",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x180:r=25:d=4",
        "-f",
        "lavfi",
        "-i",
        "sine=d=12",
        "-filter_complex",
        "[0:v][1:v][2:v]concat=n=3:v=1:a=0,format=yuv420p[v]",
        "-map",
        "[v]",
    ];
    if with_audio {
        args.extend_from_slice(&["-map", "3:a", "-c:a", "aac"]);
    }
    args.extend_from_slice(&[
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-movflags",
        "+faststart",
    ]);
    clips.ffmpeg(name, &args)
}

#[test]
fn a_faststart_mp4_cut_short_is_damaged_and_says_how_much_could_be_read() {
    let clips = Clips::new();
    let whole = faststart_clip(&clips, "whole.mp4", false);
    let bytes = std::fs::read(&whole).expect("the clip was rendered");
    // The index at the front describes all 12 s, so the cut file opens and decodes without
    // ffmpeg failing; only the first part of the pictures is there.
    let truncated = clips.path("truncated");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 5]).expect("writes");
    let error = analysis_error(&truncated);
    let Some(Complaint::Incomplete {
        read_millis,
        declared_millis,
    }) = complaint_of(&error)
    else {
        panic!("expected an incomplete file, got: {error}");
    };
    assert_eq!(declared_millis, 12_000);
    assert!(read_millis < 10_000, "{read_millis} ms");
    let message = error.to_string();
    assert!(
        message.starts_with("the file is damaged or incomplete: only ")
            && message.contains(" s of its 12.0 s could be read")
            && message.ends_with("try again with the complete original file"),
        "{message}"
    );
    assert!(
        !message.contains(&*truncated.to_string_lossy()),
        "{message}"
    );
    let said = decoder_said(&error);
    assert!(said.contains("partial file"), "{said}");
}

#[test]
fn complete_clips_with_audio_or_variable_frame_rate_are_not_taken_for_cut_ones() {
    let clips = Clips::new();
    let silent = faststart_clip(&clips, "silent.mp4", false);
    let with_audio = faststart_clip(&clips, "audio.mp4", true);
    for path in [&silent, &with_audio] {
        let result = analyse(path);
        assert_eq!(result.summary.frames_analyzed, 300, "{}", path.display());
        assert_eq!(result.video_metadata.duration_millis, 12_000);
        assert_eq!(result.shots.len(), 3, "{}", path.display());
    }
    // Variable frame rate: the still middle of the clip keeps one frame in five seconds, so
    // frames times the nominal rate falls far short of the length; the timestamps do not.
    let variable = webm_with_tone(
        &clips,
        "variable.webm",
        "testsrc2=s=320x180:r=25:d=3,tpad=stop_mode=clone:stop_duration=5[a];\
         testsrc2=s=320x180:r=25:d=3[b];[a][b]concat,mpdecimate[out0]",
        11,
    );
    let result = analyse(&variable);
    assert!(result.summary.frames_analyzed < 200, "{:?}", result.summary);
    assert!(result.video_metadata.duration_millis > 10_000);
    // Audio that runs on after the picture is not more video: the video's length counts.
    let long_audio = webm_with_tone(&clips, "long_audio.webm", "testsrc2=s=320x180:r=25:d=3", 8);
    let result = analyse(&long_audio);
    assert_eq!(result.summary.frames_analyzed, 75);
    assert!(
        (3_000..3_100).contains(&result.video_metadata.duration_millis),
        "{:?}",
        result.video_metadata
    );
}

/// A VP9 WebM of the lavfi graph `picture` (its timestamps kept, however irregular) with an
/// Opus tone of `tone_secs` beside it.
fn webm_with_tone(clips: &Clips, name: &str, picture: &str, tone_secs: u32) -> std::path::PathBuf {
    let tone = format!("sine=d={tone_secs}");
    clips.ffmpeg(
        name,
        &[
            "-f",
            "lavfi",
            "-i",
            picture,
            "-f",
            "lavfi",
            "-i",
            &tone,
            "-fps_mode",
            "vfr",
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-c:a",
            "libopus",
        ],
    )
}

/// The complaint a refused or incomplete file got.
fn complaint_of(error: &AnalysisError) -> Option<Complaint> {
    match error {
        AnalysisError::Refused { complaint, .. } => Some(complaint.clone()),
        _ => None,
    }
}

/// What ffprobe or ffmpeg printed, kept beside the sentence for the operator's log.
fn decoder_said(error: &AnalysisError) -> &str {
    error
        .tool_output()
        .expect("the decoder's own words are kept for the log")
}

#[test]
fn every_common_container_decodes() {
    let clips = Clips::new();
    for container in [
        Container::Mp4,
        Container::Mov,
        Container::WebM,
        Container::Mkv,
    ] {
        let segments = vec![cut(Content::TestPattern, 20), cut(Content::Bars, 20)];
        let (path, truth) = clips.render("formats", segments, container);
        let result = analyse(&path);
        assert_eq!(
            result.summary.frames_analyzed, truth.frames,
            "{container:?}"
        );
        let starts: Vec<u64> = result
            .shots
            .iter()
            .map(|s| s.span.start_frame_number)
            .collect();
        assert_eq!(starts, vec![0, 20], "{container:?}");
    }
}

#[test]
fn shots_stream_with_thumbnails_and_facts() {
    let clips = Clips::new();
    let segments = vec![
        cut(Content::Boxes("red", "white"), 30),
        cut(Content::Boxes("blue", "black"), 30),
    ];
    let (path, _) = clips.render("facts", segments, Container::Mp4);
    let mut shots = Vec::new();
    let mut progress = 0;
    let result = analyze(
        &path,
        &AnalysisOptions::default(),
        &CancelFlag::new(),
        &mut |event| match event {
            AnalysisEvent::Shot {
                shot,
                thumbnail_jpeg,
            } => shots.push((shot, thumbnail_jpeg)),
            AnalysisEvent::Progress { .. } => progress += 1,
            _ => {}
        },
    )
    .expect("analyses");
    assert_eq!(shots.len(), 2);
    assert!(
        progress <= 110,
        "at most one progress event per percent, got {progress}"
    );
    for (shot, jpeg) in &shots {
        assert_eq!(
            &jpeg[..2],
            &[0xFF, 0xD8],
            "thumbnail of shot {} is a JPEG",
            shot.index
        );
        assert!(!shot.facts.dominant_colors.is_empty());
    }
    let first = &shots[0].0.facts;
    assert!(
        first.dominant_colors[0].hex.starts_with("#f")
            || first.dominant_colors[0].hex.starts_with("#e"),
        "{first:?}"
    );
    assert!(first.motion < 0.05, "a still shot barely moves: {first:?}");
    assert_eq!(
        result.shots,
        shots.into_iter().map(|(s, _)| s).collect::<Vec<_>>()
    );
}

/// A clip long enough that decoding it takes a while.
fn long_clip(clips: &Clips) -> std::path::PathBuf {
    clips.ffmpeg(
        "long.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=320x180:r=25:d=60",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ],
    )
}

#[test]
fn cancel_stops_ffmpeg_promptly() {
    let clips = Clips::new();
    let path = long_clip(&clips);
    let cancel = CancelFlag::new();
    let canceller = cancel.clone();
    let mut cancelled_at = None;
    let error = analyze(&path, &AnalysisOptions::default(), &cancel, &mut |event| {
        if matches!(event, AnalysisEvent::Progress { frames_done, .. } if frames_done > 50)
            && cancelled_at.is_none()
        {
            canceller.cancel();
            cancelled_at = Some(Instant::now());
        }
    })
    .unwrap_err();
    let took = cancelled_at.expect("progress arrived").elapsed();
    assert!(error.is_cancelled(), "{error}");
    assert!(took < Duration::from_secs(1), "cancel took {took:?}");
}

#[test]
fn time_limit_stops_the_analysis() {
    let clips = Clips::new();
    let path = long_clip(&clips);
    let options = AnalysisOptions {
        time_limit: Duration::from_millis(300),
        ..AnalysisOptions::default()
    };
    let started = Instant::now();
    let error = analyze(&path, &options, &CancelFlag::new(), &mut |_| {}).unwrap_err();
    assert!(matches!(error, AnalysisError::TimedOut(_)), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Time within which an oversized picture is refused: it takes ffprobe's start-up, not a decode.
const REFUSAL_TIME: Duration = Duration::from_secs(3);

#[test]
fn a_16000_by_16000_h264_is_refused_before_any_frame_is_decoded() {
    let clips = Clips::new();
    // The tester's memory bomb: one grey 16000×16000 frame, about 750 KiB as H.264, that made
    // ffmpeg take 0.9 GiB of memory on two cores (2.6 GiB on more) to decode.
    let path = clips.ffmpeg(
        "bomb.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "color=c=gray:s=16000x16000:r=25",
            "-frames:v",
            "1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    let started = Instant::now();
    let error = analysis_error(&path);
    let took = started.elapsed();
    assert_eq!(
        complaint_of(&error),
        Some(Complaint::FrameTooLarge {
            width: 16000,
            height: 16000
        }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .starts_with("the picture is 16000×16000 pixels; vidpush analyses videos of up to"),
        "{error}"
    );
    assert!(took < REFUSAL_TIME, "refusing took {took:?}");
    let probed = probe(&path, &AnalysisOptions::default()).unwrap_err();
    assert_eq!(probed.to_string(), error.to_string());
}

#[test]
fn an_8k_video_is_analysed_within_the_decoder_limits() {
    let clips = Clips::new();
    let path = clips.ffmpeg(
        "uhd8k.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=7680x4320:r=25",
            "-frames:v",
            "5",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    let result = analyse(&path);
    let metadata = &result.video_metadata;
    assert_eq!((metadata.frame_width, metadata.frame_height), (7680, 4320));
    assert_eq!(result.summary.frames_analyzed, 5);
}

#[test]
fn a_decoder_over_its_memory_limit_stops_with_a_sentence() {
    let clips = Clips::new();
    let path = clips.ffmpeg(
        "uhd4k.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=3840x2160:r=25",
            "-frames:v",
            "3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    // Debian's ffmpeg needs about 270 MiB of address space for its libraries and 400 MiB or
    // more to decode 4K; 300 MiB leaves it no room for the frames.
    let options = AnalysisOptions {
        max_decoder_memory: 300 * 1024 * 1024,
        ..AnalysisOptions::default()
    };
    let error = analyze(&path, &options, &CancelFlag::new(), &mut |_| {}).unwrap_err();
    assert_eq!(
        complaint_of(&error),
        Some(Complaint::OutOfMemory),
        "{error}"
    );
    assert_eq!(error.to_string(), Complaint::OutOfMemory.to_string());
}

#[test]
fn output_size_limit_stops_the_analysis() {
    let clips = Clips::new();
    let path = long_clip(&clips);
    let options = AnalysisOptions {
        max_decoded_bytes: 2 * 1024 * 1024,
        ..AnalysisOptions::default()
    };
    let error = analyze(&path, &options, &CancelFlag::new(), &mut |_| {}).unwrap_err();
    assert!(matches!(error, AnalysisError::TooLarge(_)), "{error}");
    assert!(error.to_string().contains("MiB"), "{error}");
}
