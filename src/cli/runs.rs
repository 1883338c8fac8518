//! `radact runs`: lists the runs in a directory with their progress and best candidate.

use super::{input_error, CliError};
use radact::run::{list_runs, RunState};
use std::path::PathBuf;

/// Arguments of `radact runs`.
#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    /// Directory holding the runs.
    #[arg(long, default_value = "runs")]
    pub dir: PathBuf,
    /// Print one JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `radact runs`.
pub fn run(args: RunsArgs) -> Result<(), CliError> {
    let runs = list_runs(&args.dir).map_err(input_error)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&runs).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    if runs.is_empty() {
        println!(
            "no runs in {} (start one with `radact search`)",
            args.dir.display()
        );
        return Ok(());
    }
    println!(
        "{:<32} {:<12} {:>11} {:<9} best",
        "run", "space", "trained", "state"
    );
    for r in runs {
        let best = match (&r.state, r.best) {
            (RunState::Damaged(reason), _) => format!("cannot be read: {reason}"),
            (_, Some((objective, value, formula, backward))) => {
                format!("{objective} {value:.4}  {formula} [{backward}]")
            }
            (_, None) => "-".to_string(),
        };
        let state = match &r.writer {
            Some(_) => "live".to_string(),
            None => r.state.to_string(),
        };
        println!(
            "{:<32} {:<12} {:>11} {:<9} {}",
            r.name,
            r.space,
            format!("{}/{}", r.trained, r.evaluations),
            state,
            best
        );
        // A search trained by remote workers: its queue as of the last batch.
        if let (Some(_), Some(d)) = (&r.writer, &r.dispatch) {
            println!("{:<32} {}", "", d.summary());
        }
    }
    Ok(())
}
