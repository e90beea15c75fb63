//! `vidpush-analyze FILE [--json] [--thumbnails DIR]`: prints the analysis result as JSON.

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
}

fn main() -> ExitCode {
    let args = Args::parse();
    let options = AnalysisOptions {
        analysis_width: args.analysis_width,
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
