//! The job pipeline with the real ffmpeg analyzer: a generated clip completes with its shots,
//! and a truncated MP4 (index at the end or at the front) fails with a sentence a person can
//! read instead of crashing anything or passing for the whole video.

mod support;

use std::process::Command;
use std::sync::Arc;
use support::*;
use vidpush_protocol::*;
use vidpush_server::jobs::analyzer::FfmpegAnalyzer;

/// An H.264 MP4 of 1-second shots, one per lavfi source (320×180, 25 fps), named `name` in
/// `dir`; with its index (moov) at the front, as `-movflags +faststart` writes it for web
/// playback, when `faststart`.
fn concatenated_clip(
    dir: &std::path::Path,
    name: &str,
    sources: &[&str],
    faststart: bool,
) -> Vec<u8> {
    let path = dir.join(name);
    let mut command = Command::new("ffmpeg");
    command.args(["-v", "error", "-y"]);
    let mut labels = String::new();
    for (i, source) in sources.iter().enumerate() {
        // `source` is a lavfi source with its options, then maybe `,filters`.
        let (filter, after) = source
            .split_once(',')
            .map_or((*source, String::new()), |(f, a)| (f, format!(",{a}")));
        let joint = if filter.contains('=') { ':' } else { '=' };
        command.args([
            "-f".into(),
            "lavfi".into(),
            "-i".into(),
            format!("{filter}{joint}size=320x180:rate=25:duration=1{after}"),
        ]);
        labels.push_str(&format!("[{i}:v]"));
    }
    command
        .args([
            "-filter_complex".into(),
            format!(
                "{labels}concat=n={}:v=1:a=0,format=yuv420p[out]",
                sources.len()
            ),
            "-map".into(),
            "[out]".into(),
        ])
        .args(["-c:v", "libx264", "-preset", "ultrafast"]);
    if faststart {
        command.args(["-movflags", "+faststart"]);
    }
    let status = command.arg(&path).status().expect("ffmpeg is installed");
    assert!(status.success());
    std::fs::read(path).unwrap()
}

/// Three 1-second shots of different test patterns.
fn three_shot_clip(dir: &std::path::Path, faststart: bool) -> Vec<u8> {
    let sources = ["testsrc2", "smptebars", "color=c=0x3060c0"];
    concatenated_clip(dir, "three.mp4", &sources, faststart)
}

/// Two 1-second shots of one test pattern, the second with its hues turned by 40°: a cut
/// between look-alike shots, found at the default sensitivity and above, not at the lowest.
fn look_alike_cut(dir: &std::path::Path) -> Vec<u8> {
    concatenated_clip(
        dir,
        "look-alike.mp4",
        &["testsrc2", "testsrc2,hue=h=40"],
        false,
    )
}

fn real_analyzer() -> Arc<FfmpegAnalyzer> {
    Arc::new(FfmpegAnalyzer {
        options: Default::default(),
    })
}

#[tokio::test]
async fn a_real_clip_completes_with_its_shots_pushed_one_by_one() {
    let server = TestServer::start(&[], real_analyzer()).await;
    let clip = three_shot_clip(server.data.path(), false);
    let job = server.start_job(&clip, None).await;
    let mut client = server.connect(None).await;
    client.subscribe(&job, 0).await;
    let events = client.events_until_final().await;
    let shots: Vec<&Shot> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Shot { shot, .. } => Some(shot),
            _ => None,
        })
        .collect();
    assert_eq!(shots.len(), 3, "{events:#?}");
    assert_eq!(
        shots.iter().map(|s| s.index).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert!(events.iter().any(
        |e| matches!(&e.body, EventBody::Metadata { metadata } if metadata.frame_width == 320)
    ));
    assert!(
        matches!(events.last().unwrap().body, EventBody::Completed { ref summary, .. } if summary.shot_count == 3)
    );
    let result: AnalysisResult = server.get_json(&format!("/api/jobs/{job}/result")).await;
    assert_eq!(result.shots, shots.into_iter().cloned().collect::<Vec<_>>());
    // The video stays with the finished job: the page plays it after a reload.
    let source = server
        .data
        .path()
        .join("jobs")
        .join(job.as_str())
        .join("source");
    assert!(source.is_file(), "the finished job's video is gone");
    server.stop().await;
}

/// Why a job on `upload` failed, after checking the reason carries no server path or decoder
/// address; the test fails if the job does not fail.
async fn failure_reason(server: &TestServer, upload: &[u8]) -> String {
    let job = server.start_job(upload, None).await;
    let mut client = server.connect(None).await;
    client.subscribe(&job, 0).await;
    let events = client.events_until_final().await;
    let EventBody::Failed { reason } = &events.last().unwrap().body else {
        panic!("expected job.failed, got {:?}", events.last());
    };
    assert!(
        !reason.contains(server.data.path().to_str().unwrap()) && !reason.contains(" @ 0x"),
        "{reason}"
    );
    reason.clone()
}

#[tokio::test]
async fn a_truncated_mp4_fails_with_a_readable_reason() {
    let server = TestServer::start(&[], real_analyzer()).await;
    let clip = three_shot_clip(server.data.path(), false);
    // ffmpeg writes the index (moov) at the end: cutting the file loses it.
    let reason = failure_reason(&server, &clip[..clip.len() / 3]).await;
    assert_eq!(
        reason,
        vidpush_analysis::complaint::Complaint::Damaged.to_string(),
        "a truncated MP4 is reported as damaged, in plain words"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_truncated_faststart_mp4_fails_as_incomplete_instead_of_completing() {
    let server = TestServer::start(&[], real_analyzer()).await;
    let clip = three_shot_clip(server.data.path(), true);
    // The index at the front describes all 3 s, so the cut file opens and decodes part-way
    // without ffmpeg failing: only the comparison with the declared length shows the loss.
    let reason = failure_reason(&server, &clip[..clip.len() / 3]).await;
    assert!(
        reason.starts_with("the file is damaged or incomplete: only ")
            && reason.contains(" s of its 3.0 s could be read"),
        "{reason}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_jobs_sensitivity_changes_the_cuts_the_real_analysis_finds() {
    let server = TestServer::start(&[], real_analyzer()).await;
    let clip = look_alike_cut(server.data.path());
    let mut client = server.connect(None).await;
    let mut shots = Vec::new();
    for sensitivity in [Some(0.5), None, Some(2.0)] {
        let job = server.start_job_with(&clip, None, sensitivity).await;
        client.subscribe(&job, 0).await;
        let events = client.events_until_final().await;
        let summary = events
            .iter()
            .find_map(|e| match &e.body {
                EventBody::Completed { summary, .. } => Some(summary.shot_count),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{events:#?}"));
        shots.push(summary);
    }
    // Fewer cuts: the look-alike cut is not one; the default and more cuts find it.
    assert_eq!(shots, [1, 2, 2]);
    server.stop().await;
}
