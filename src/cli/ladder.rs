//! `radact ladder`: trains a sample of a space's candidates at every rung of its
//! multi-fidelity ladder and reports how well each rung predicts the top rung (Spearman's rank
//! correlation, overlap of the best `1/eta`), the check a ladder should pass before a long
//! search relies on it.

use super::search::{load_space, MAX_THREADS};
use super::{input_error, CliError};
use anyhow::anyhow;
use clap::builder::RangedU64ValueParser;
use indicatif::{ProgressBar, ProgressStyle};
use radact::search::ladder_study::study;
use radact::train::Workers;
use std::io::IsTerminal;

/// Arguments of `radact ladder`.
#[derive(Debug, clap::Args)]
pub struct LadderArgs {
    /// Search space: a RON file or a shipped space's name (default: the embedded default).
    #[arg(long)]
    pub space: Option<String>,
    /// Candidates to train at every rung (the space's baselines first, then random ones).
    #[arg(long, default_value_t = 100,
          value_parser = RangedU64ValueParser::<usize>::new().range(3..=100_000))]
    pub candidates: usize,
    /// Seed of the random candidates.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_THREADS as u64))]
    pub threads: Option<usize>,
    /// Print the study as one JSON object (every candidate's values per rung, the agreement of
    /// each rung) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `radact ladder`.
pub fn run(args: LadderArgs) -> Result<(), CliError> {
    let space = load_space(args.space.as_deref())?;
    if space.fidelity.is_none() {
        eprintln!(
            "space {} has no ladder (`fidelity`): its one task is the only rung",
            space.name
        );
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let workers = Workers::new(threads).map_err(|e| CliError::Failure(e.into()))?;
    let bar = (!args.json && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(args.candidates as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {pos}/{len} candidates at every rung, {elapsed}",
            )
            .expect("a valid template"),
        );
        bar
    });
    let result = study(
        &space,
        args.candidates,
        args.seed,
        &workers,
        &mut |done, total| {
            if let Some(b) = &bar {
                b.set_length(total as u64);
                b.set_position(done as u64);
            }
        },
    )
    .map_err(|e| match e {
        radact::train::TrainError::Dataset(_) | radact::train::TrainError::InvalidTask(_) => {
            input_error(e)
        }
        e => CliError::Failure(e.into()),
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if result.candidates.len() < args.candidates {
        eprintln!(
            "only {} distinct candidates passed the pre-filters (asked for {})",
            result.candidates.len(),
            args.candidates
        );
    }
    if args.json {
        let text = serde_json::to_string(&result).map_err(|e| CliError::Failure(anyhow!(e)))?;
        println!("{text}");
    } else {
        print!("{}", result.table());
    }
    Ok(())
}
