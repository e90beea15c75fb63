//! `vidpush-analyze FILE [--json] [--thumbnails DIR] [--sensitivity S]`: prints the analysis result as JSON.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use vidpush_analysis::{AnalysisEvent, AnalysisOptions, CancelFlag, analyze};

/// Analyse a video: shots, black frames, thumbnails. Prints the result JSON on stdout.
#[derive(Parser)]
#[command(name = "vidpush-analyze", version)]
struct Args {
    /// The video file.
    file: PathBuf,
    /// Print the result as JSON (the default and only format; accepted for scripts).
    #[arg(long)]
    json: bool,
    /// Write each shot's thumbnail to DIR/<index>.jpg.
    #[arg(long, value_name = "DIR")]
    thumbnails: Option<PathBuf>,
    /// Width of the frames the detector looks at.
    #[arg(long, default_value_t = vidpush_analysis::options::DEFAULT_ANALYSIS_WIDTH)]
    analysis_width: u32,
    /// How readily hard cuts are reported, 0.5 to 2: higher finds cuts between look-alike shots
    /// but reports more false cuts on fast motion and light changes; lower the reverse.
    #[arg(long, default_value_t = vidpush_analysis::options::DEFAULT_SENSITIVITY, value_parser = sensitivity)]
    sensitivity: f32,
}

/// Parses `--sensitivity`, refusing values outside its range rather than clamping them silently.
fn sensitivity(text: &str) -> Result<f32, String> {
    use vidpush_analysis::options::{MAX_SENSITIVITY, MIN_SENSITIVITY};
    match text.parse::<f32>() {
        Ok(value) if (MIN_SENSITIVITY..=MAX_SENSITIVITY).contains(&value) => Ok(value),
        _ => Err(format!(
            "the sensitivity is a number from {MIN_SENSITIVITY} (fewer cuts) to {MAX_SENSITIVITY} (more cuts)"
        )),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let options = AnalysisOptions {
        analysis_width: args.analysis_width,
        sensitivity: args.sensitivity,
        ..AnalysisOptions::default()
    };
    if let Some(dir) = &args.thumbnails
        && let Err(error) = std::fs::create_dir_all(dir)
    {
        eprintln!(
            "vidpush-analyze: the thumbnail folder {} could not be created: {error}",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    let mut write_error = None;
    let mut on_event = |event: AnalysisEvent| {
        if let (
            AnalysisEvent::Shot {
                shot,
                thumbnail_jpeg,
            },
            Some(dir),
        ) = (event, &args.thumbnails)
        {
            let path = dir.join(format!("{}.jpg", shot.index));
            if let Err(error) = std::fs::write(&path, thumbnail_jpeg) {
                write_error
                    .get_or_insert(format!("{} could not be written: {error}", path.display()));
            }
        }
    };
    let result = analyze(&args.file, &options, &CancelFlag::new(), &mut on_event);
    if let Some(error) = write_error {
        eprintln!("vidpush-analyze: {error}");
        return ExitCode::FAILURE;
    }
    match result {
        Ok(result) => {
            let json =
                serde_json::to_string_pretty(&result).expect("an AnalysisResult always serialises");
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("vidpush-analyze: {error}");
            if let Some(said) = error.tool_output() {
                eprintln!("what the decoder said:\n{}", said.trim_end());
            }
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitivity_outside_its_range_is_refused_with_the_range() {
        assert_eq!(sensitivity("1.5"), Ok(1.5));
        for wrong in ["0.2", "3", "more", "NaN"] {
            let error = sensitivity(wrong).expect_err(wrong);
            assert!(error.contains("0.5") && error.contains('2'), "{error}");
        }
    }

    #[test]
    fn sensitivity_flag_reaches_the_options() {
        let args = Args::parse_from(["vidpush-analyze", "clip.mp4", "--sensitivity", "0.5"]);
        assert_eq!(args.sensitivity, 0.5);
        let args = Args::parse_from(["vidpush-analyze", "clip.mp4"]);
        assert_eq!(
            args.sensitivity,
            vidpush_analysis::options::DEFAULT_SENSITIVITY
        );
    }
}
