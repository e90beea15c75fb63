//! The job pipeline with the real ffmpeg analyzer: a generated clip completes with its shots,
//! and a truncated MP4 fails with a sentence a person can read instead of crashing anything.

mod support;

use std::process::Command;
use std::sync::Arc;
use support::*;
use vidpush_protocol::*;
use vidpush_server::analyzer::FfmpegAnalyzer;

/// An H.264 MP4 of three 1-second shots of different test patterns.
fn three_shot_clip(dir: &std::path::Path) -> Vec<u8> {
    let path = dir.join("three.mp4");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args([
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x180:rate=25:duration=1",
        ])
        .args([
            "-f",
            "lavfi",
            "-i",
            "smptebars=size=320x180:rate=25:duration=1",
        ])
        .args([
            "-f",
            "lavfi",
            "-i",
            "color=c=0x3060c0:size=320x180:rate=25:duration=1",
        ])
        .args([
            "-filter_complex",
            "[0:v][1:v][2:v]concat=n=3:v=1:a=0,format=yuv420p[out]",
            "-map",
            "[out]",
        ])
        .args(["-c:v", "libx264", "-preset", "ultrafast"])
        .arg(&path)
        .status()
        .expect("ffmpeg is installed");
    assert!(status.success());
    std::fs::read(path).unwrap()
}

fn real_analyzer() -> Arc<FfmpegAnalyzer> {
    Arc::new(FfmpegAnalyzer {
        options: Default::default(),
    })
}

#[tokio::test]
async fn a_real_clip_completes_with_its_shots_pushed_one_by_one() {
    let server = TestServer::start(&[], real_analyzer()).await;
    let clip = three_shot_clip(server.data.path());
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
    // The source goes right after `job.completed` is stored (a crash before would re-run it).
    let source = server
        .data
        .path()
        .join("jobs")
        .join(job.as_str())
        .join("source");
    wait_until("the source is removed once done", || !source.exists()).await;
    server.stop().await;
}

#[tokio::test]
async fn a_truncated_mp4_fails_with_a_readable_reason() {
    let server = TestServer::start(&[], real_analyzer()).await;
    let clip = three_shot_clip(server.data.path());
    // ffmpeg writes the index (moov) at the end: cutting the file loses it.
    let truncated = clip[..clip.len() / 3].to_vec();
    let job = server.start_job(&truncated, None).await;
    let mut client = server.connect(None).await;
    client.subscribe(&job, 0).await;
    let events = client.events_until_final().await;
    let EventBody::Failed { reason } = &events.last().unwrap().body else {
        panic!("expected job.failed, got {:?}", events.last());
    };
    assert_eq!(
        reason,
        &vidpush_analysis::complaint::Complaint::Damaged.to_string(),
        "a truncated MP4 is reported as damaged, in plain words"
    );
    assert!(
        !reason.contains(server.data.path().to_str().unwrap()) && !reason.contains(" @ 0x"),
        "{reason}"
    );
    server.stop().await;
}
