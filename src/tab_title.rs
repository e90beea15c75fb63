//! The browser tab's title: what a person sees of the page while working in another tab.

use vidpush_protocol::JobState;

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
