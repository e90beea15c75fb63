//! What a person sees of the page while working in another tab: the tab's title, and the
//! notification when a job ends.

use crate::job::JobView;
use vidpush_protocol::JobState;

/// The title and body of the notification for a job that just ended; `None` for a
/// cancellation, which the person asked for.
pub fn end_notice(job: &JobView) -> Option<(String, String)> {
    match job.state {
        JobState::Completed => Some((
            "Analysis done".to_owned(),
            format!(
                "{}: {}",
                job.file_name,
                crate::format::count(job.shots.len() as u64, "shot")
            ),
        )),
        JobState::Failed => Some((
            "Analysis failed".to_owned(),
            format!(
                "{}: {}",
                job.file_name,
                crate::format::sentence(job.error.as_deref().unwrap_or("it stopped"))
            ),
        )),
        _ => None,
    }
}

/// The app's name, the whole title when nothing is going on.
pub const APP_NAME: &str = "vidpush";

/// The title for jobs in these states with these fractions done. `just_finished`: the last
/// unfinished job ended while the page watched, which the title says until something changes.
pub fn tab_title(jobs: &[(JobState, f64)], just_finished: bool) -> String {
    let running: Vec<f64> = jobs
        .iter()
        .filter(|(state, _)| !state.is_final())
        .map(|(_, fraction)| fraction.clamp(0.0, 1.0))
        .collect();
    match running.len() {
        0 if just_finished => {
            let failed = jobs.iter().any(|(s, _)| *s == JobState::Failed);
            if failed {
                format!("Analysis ended · {APP_NAME}")
            } else {
                format!("✓ Analysis done · {APP_NAME}")
            }
        }
        0 => APP_NAME.to_owned(),
        1 => format!("{} · {APP_NAME}", crate::format::percent(running[0])),
        n => {
            let mean = running.iter().sum::<f64>() / n as f64;
            format!("{n} analyses {} · {APP_NAME}", crate::format::percent(mean))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::event;
    use vidpush_protocol::EventBody;

    #[test]
    fn a_job_that_ends_is_told_in_a_notification_unless_it_was_cancelled() {
        let mut job = JobView::new("j1".into(), "beach.mp4");
        assert_eq!(end_notice(&job), None);
        job.apply(&event(
            "j1",
            1,
            EventBody::Failed {
                reason: "the file is damaged".into(),
            },
        ));
        assert_eq!(
            end_notice(&job),
            Some((
                "Analysis failed".into(),
                "beach.mp4: The file is damaged.".into()
            ))
        );
        let mut cancelled = JobView::new("j1".into(), "beach.mp4");
        cancelled.apply(&event(
            "j1",
            1,
            EventBody::Cancelled {
                reason: "cancelled by request".into(),
            },
        ));
        assert_eq!(end_notice(&cancelled), None);
    }

    #[test]
    fn the_title_shows_progress_then_completion() {
        assert_eq!(tab_title(&[], false), "vidpush");
        assert_eq!(
            tab_title(
                &[(JobState::Running, 0.45), (JobState::Completed, 1.0)],
                false
            ),
            "45% · vidpush"
        );
        assert_eq!(
            tab_title(&[(JobState::Running, 0.2), (JobState::Queued, 0.0)], false),
            "2 analyses 10% · vidpush"
        );
        assert_eq!(
            tab_title(&[(JobState::Completed, 1.0)], true),
            "✓ Analysis done · vidpush"
        );
        assert_eq!(
            tab_title(&[(JobState::Failed, 0.3)], true),
            "Analysis ended · vidpush"
        );
        assert_eq!(tab_title(&[(JobState::Completed, 1.0)], false), "vidpush");
    }
}
