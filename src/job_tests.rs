use super::*;
use crate::fixtures::{event, metadata, shot_event, summary};
use vidpush_protocol::EventBody;

fn queued(seq: u64) -> JobEvent {
    event(
        "j1",
        seq,
        EventBody::Queued {
            file_name: "beach.mp4".into(),
            size_bytes: 42,
        },
    )
}

#[test]
fn events_move_the_job_through_its_life() {
    let mut job = JobView::new("j1".into(), "local.mp4");
    assert!(matches!(
        job.apply(&queued(1)),
        Applied::New { announce: None }
    ));
    assert_eq!((job.file_name.as_str(), job.size_bytes), ("beach.mp4", 42));
    job.apply(&event("j1", 2, EventBody::Started));
    assert_eq!(job.state, JobState::Running);
    job.apply(&event(
        "j1",
        3,
        EventBody::Progress {
            stage: Stage::Detecting,
            fraction: 0.5,
            frames_done: 100,
        },
    ));
    assert_eq!((job.stage_label(), job.fraction), ("Finding shots", 0.5));
    job.apply(&event(
        "j1",
        4,
        EventBody::Metadata {
            metadata: metadata(),
        },
    ));
    assert_eq!(job.metadata.as_ref().map(|m| m.frame_width), Some(1280));
    let applied = job.apply(&shot_event("j1", 5, 0, 0, 75));
    assert_eq!(
        applied,
        Applied::New {
            announce: Some("Shot 1 of beach.mp4 found at 0:00".into())
        }
    );
    let applied = job.apply(&shot_event("j1", 6, 1, 75, 250));
    assert_eq!(
        applied,
        Applied::New {
            announce: Some("Shot 2 of beach.mp4 found at 0:03".into())
        }
    );
    let applied = job.apply(&event(
        "j1",
        7,
        EventBody::Completed {
            summary: summary(2),
            result_url: "/api/jobs/j1/result".into(),
        },
    ));
    assert_eq!(
        applied,
        Applied::New {
            announce: Some("Analysis of beach.mp4 completed: 2 shots".into())
        }
    );
    assert!(job.is_final());
    assert_eq!((job.last_seq, job.fraction), (7, 1.0));
    assert_eq!(job.result_url.as_deref(), Some("/api/jobs/j1/result"));
}

/// A job at seq 4: queued, started, its metadata and its first shot.
fn running_with_a_shot() -> JobView {
    let mut job = JobView::new("j1".into(), "a.mp4");
    job.apply(&queued(1));
    job.apply(&event("j1", 2, EventBody::Started));
    job.apply(&event(
        "j1",
        3,
        EventBody::Metadata {
            metadata: metadata(),
        },
    ));
    job.apply(&shot_event("j1", 4, 0, 0, 75));
    job
}

#[test]
fn a_job_queued_again_keeps_what_the_first_run_showed() {
    let mut job = running_with_a_shot();
    job.apply(&shot_event("j1", 5, 1, 75, 250));

    // The server restarted and runs the job again: it keeps what was shown.
    assert_eq!(
        job.apply(&queued(6)),
        Applied::New {
            announce: Some(
                "Analysis of beach.mp4 runs again; the 2 shots found so far stay".into()
            )
        }
    );
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.last_seq, 6);
    assert_eq!(job.shots.len(), 2);
    assert!(job.metadata.is_some());
    assert_eq!(
        job.stage_label(),
        "Waiting to run again; the shots found so far stay"
    );
    job.apply(&event("j1", 7, EventBody::Started));
    // A server that pushes the re-run's shots again does not double them.
    assert_eq!(
        job.apply(&shot_event("j1", 8, 1, 75, 250)),
        Applied::New { announce: None }
    );
    job.apply(&shot_event("j1", 9, 2, 250, 300));
    let indexes: Vec<u32> = job.shots.iter().map(|s| s.shot.index).collect();
    assert_eq!(indexes, vec![0, 1, 2]);
}

#[test]
fn a_job_that_stopped_early_exports_the_shots_it_found_and_can_run_again() {
    let mut job = running_with_a_shot();
    assert!(!job.can_retry());
    job.apply(&event(
        "j1",
        5,
        EventBody::Failed {
            reason: "the video could not be decoded to the end".into(),
        },
    ));
    assert_eq!(job.result_url.as_deref(), Some("/api/jobs/j1/result"));
    assert!(job.can_retry());
    job.apply(&queued(6));
    assert_eq!(
        job.result_url, None,
        "a job running again has no result yet"
    );
    assert!(!job.can_retry());

    let mut early = JobView::new("j1".into(), "a.mp4");
    early.apply(&queued(1));
    early.apply(&event(
        "j1",
        2,
        EventBody::Cancelled {
            reason: "cancelled by request".into(),
        },
    ));
    assert_eq!(
        early.result_url, None,
        "nothing was found, so nothing to export"
    );
}

#[test]
fn an_unfinished_job_says_so_while_the_server_cannot_be_reached() {
    let mut job = JobView::new("j1".into(), "a.mp4");
    job.apply(&queued(1));
    job.apply(&event("j1", 2, EventBody::Started));
    assert_eq!(job.status(true), "Reading the file");
    assert!(
        job.status(false)
            .starts_with("The server cannot be reached")
    );
    job.apply(&event(
        "j1",
        3,
        EventBody::Cancelled {
            reason: "cancelled by request".into(),
        },
    ));
    assert_eq!(
        job.status(false),
        "Cancelled",
        "a finished job's state stays true"
    );
}

#[test]
fn duplicates_are_ignored_by_seq() {
    let mut job = JobView::new("j1".into(), "a.mp4");
    job.apply(&queued(1));
    job.apply(&shot_event("j1", 2, 0, 0, 10));
    assert_eq!(
        job.apply(&shot_event("j1", 2, 0, 0, 10)),
        Applied::Duplicate
    );
    assert_eq!(job.apply(&queued(1)), Applied::Duplicate);
    assert_eq!(job.shots.len(), 1);
    assert_eq!(job.last_seq, 2);
}

#[test]
fn a_gap_is_reported_and_nothing_is_applied() {
    let mut job = JobView::new("j1".into(), "a.mp4");
    job.apply(&queued(1));
    assert_eq!(
        job.apply(&shot_event("j1", 3, 0, 0, 10)),
        Applied::Gap { expected: 2 }
    );
    assert!(job.shots.is_empty());
    assert_eq!(job.last_seq, 1);
}

#[test]
fn events_of_other_jobs_are_ignored() {
    let mut job = JobView::new("j1".into(), "a.mp4");
    assert_eq!(
        job.apply(&event("j2", 1, EventBody::Started)),
        Applied::OtherJob
    );
    assert_eq!(job.last_seq, 0);
}

#[test]
fn failure_and_cancellation_keep_their_reason() {
    let mut job = JobView::new("j1".into(), "a.mp4");
    job.apply(&queued(1));
    let applied = job.apply(&event(
        "j1",
        2,
        EventBody::Failed {
            reason: "not a video: no video stream found".into(),
        },
    ));
    assert_eq!(
        applied,
        Applied::New {
            announce: Some(
                "Analysis of beach.mp4 failed. Not a video: no video stream found.".into()
            )
        }
    );
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(
        job.error.as_deref(),
        Some("not a video: no video stream found")
    );

    let mut job = JobView::new("j2".into(), "b.mp4");
    let applied = job.apply(&event(
        "j2",
        1,
        EventBody::Cancelled {
            reason: "cancelled by request".into(),
        },
    ));
    assert_eq!(
        applied,
        Applied::New {
            announce: Some("Analysis of b.mp4 cancelled by request.".into())
        }
    );
    let mut job = JobView::new("j3".into(), "c.mp4");
    assert_eq!(
        job.apply(&event(
            "j3",
            1,
            EventBody::Cancelled {
                reason: "nobody was following it".into(),
            },
        )),
        Applied::New {
            announce: Some("Analysis of c.mp4 cancelled. Nobody was following it.".into())
        }
    );
    assert_eq!(
        (job.state, job.stage_label()),
        (JobState::Cancelled, "Cancelled")
    );
}
