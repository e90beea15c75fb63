//! The seam between the job worker and the video analysis: a small trait, so the worker can be
//! tested with a scripted analyzer and never depends on how the analysis works inside.

use std::path::Path;
use vidpush_analysis::{AnalysisEvent, AnalysisOptions, CancelFlag};
use vidpush_protocol::AnalysisResult;

/// Why an analysis produced no result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnalysisFailure {
    /// The cancel flag was raised; the analysis stopped and its child processes are gone.
    Cancelled,
    /// The analysis failed; the text is a sentence for the person who uploaded the video.
    Failed(String),
}

/// Something that analyses a video file, reporting partial results as it goes. Runs on a
/// blocking thread; must return soon after `cancel` is raised.
pub trait VideoAnalyzer: Send + Sync + 'static {
    /// Analyses `source` with the hard-cut `sensitivity` chosen for the job (`None`: the
    /// analyzer's own), calling `on_event` with each partial result as soon as it exists.
    fn analyze(
        &self,
        source: &Path,
        sensitivity: Option<f64>,
        cancel: &CancelFlag,
        on_event: &mut dyn FnMut(AnalysisEvent),
    ) -> Result<AnalysisResult, AnalysisFailure>;
}

/// The real analyzer: `vidpush-analysis` over ffmpeg.
pub struct FfmpegAnalyzer {
    /// Widths, limits and tool paths for the analysis.
    pub options: AnalysisOptions,
}

impl VideoAnalyzer for FfmpegAnalyzer {
    fn analyze(
        &self,
        source: &Path,
        sensitivity: Option<f64>,
        cancel: &CancelFlag,
        on_event: &mut dyn FnMut(AnalysisEvent),
    ) -> Result<AnalysisResult, AnalysisFailure> {
        let options = AnalysisOptions {
            sensitivity: sensitivity.map_or(self.options.sensitivity, |s| s as f32),
            ..self.options.clone()
        };
        vidpush_analysis::analyze(source, &options, cancel, on_event).map_err(|error| {
            if error.is_cancelled() {
                return AnalysisFailure::Cancelled;
            }
            // The person reads the sentence; the operator gets the decoder's own words too.
            match error.tool_output() {
                Some(said) => tracing::warn!(
                    source = %source.display(),
                    reason = %error,
                    decoder_stderr = %said,
                    "the decoder refused a file"
                ),
                None => {
                    tracing::warn!(source = %source.display(), reason = %error, "analysis failed")
                }
            }
            AnalysisFailure::Failed(error.to_string())
        })
    }
}
