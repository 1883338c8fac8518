//! `radact inspect`: shows a run (configuration, progress, hall of fame, final check), an
//! exported activation file, or a search space file.

use super::{input_error, CliError};
use anyhow::anyhow;
use radact::run::{RunView, CONFIG};
use radact::search::record::latest_per_candidate;
use radact::search::SearchSpace;
use std::path::PathBuf;

/// Arguments of `radact inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// A run directory, an exported activation (.ron) or a search space (.ron).
    pub target: PathBuf,
}

/// Runs `radact inspect`.
pub fn run(args: InspectArgs) -> Result<(), CliError> {
    let target = &args.target;
    if target.is_dir() {
        if !target.join(CONFIG).exists() {
            return Err(input_error(anyhow!(
                "{} is not a radact run (no {CONFIG})",
                target.display()
            )));
        }
        return inspect_run(&RunView::open(target).map_err(input_error)?);
    }
    if !target.exists() {
        return Err(input_error(anyhow!("{} does not exist", target.display())));
    }
    let text = std::fs::read_to_string(target).map_err(input_error)?;
    if text.contains("primitives:") && text.contains("algorithm:") {
        let space =
            SearchSpace::from_ron(&text, &target.display().to_string()).map_err(input_error)?;
        print_space(&space);
        return Ok(());
    }
    super::export::inspect_file(target)
}

fn print_space(space: &SearchSpace) {
    println!("search space `{}`: {}", space.name, space.description);
    let prims: Vec<String> = space
        .weighted_primitives()
        .iter()
        .map(|(op, w)| format!("{}:{w}", op.name()))
        .collect();
    println!("  primitives   {}", prims.join(" "));
    println!(
        "  limits       {} operations, depth {}",
        space.limits.max_ops, space.limits.max_depth
    );
    let modes: Vec<String> = space.backward.modes.iter().map(|m| m.to_string()).collect();
    println!(
        "  backward     {} (evolve: {})",
        modes.join(", "),
        space.backward.evolve
    );
    let objectives: Vec<String> = space.objectives.iter().map(|o| o.to_string()).collect();
    println!("  objectives   {}", objectives.join(", "));
    println!("  algorithm    {:?}", space.algorithm);
    println!(
        "  budget       {} candidates in batches of {}",
        space.evaluations, space.batch
    );
    println!(
        "  task         {:?}, hidden {:?}, {:?}, seeds {:?}",
        space.task.dataset, space.task.network.hidden, space.task.budget, space.task.seeds
    );
}

fn inspect_run(run: &RunView) -> Result<(), CliError> {
    let fail = |e: radact::run::RunError| CliError::Failure(e.into());
    let config = run.config();
    println!("run {} ({})", config.name, run.dir().display());
    println!(
        "  created      {} with radact {}",
        config.created, config.radact_version
    );
    println!(
        "  space        {} ({}), seed {}",
        config.space.name, config.space.description, config.seed
    );
    if let Some(writer) = run.writer() {
        println!("  writer       {writer}");
    }
    let state = run.checkpoint().map_err(fail)?;
    let journal = run.records().map_err(fail)?;
    // One line per candidate: its highest rung.
    let records = latest_per_candidate(&journal);
    let count = |s: &str| records.iter().filter(|r| r.outcome.status() == s).count();
    match &state {
        Some(s) => println!(
            "  progress     {}/{} trained, {} proposed ({} failed, {} rejected, {} duplicates), {}",
            s.trained,
            config.evaluations,
            records.len(),
            count("failed"),
            count("rejected"),
            count("duplicate"),
            match s.finished {
                Some(r) => format!(
                    "finished ({})",
                    serde_json::to_string(&r)
                        .unwrap_or_default()
                        .trim_matches('"')
                ),
                None => format!(
                    "stopped: continue with `radact resume {}`",
                    run.dir().display()
                ),
            }
        ),
        None => println!(
            "  progress     no checkpoint yet ({} records)",
            journal.len()
        ),
    }
    if let Some(ladder) = &config.space.fidelity {
        let mut per_rung = vec![0usize; ladder.rungs.len()];
        for r in &journal {
            if r.outcome.evaluation().is_some() {
                if let Some(n) = per_rung.get_mut(r.rung as usize) {
                    *n += 1;
                }
            }
        }
        let counts: Vec<String> = per_rung
            .iter()
            .enumerate()
            .map(|(i, n)| format!("rung {i}: {n}"))
            .collect();
        println!(
            "  ladder       eta {}, trained per rung: {}",
            ladder.eta,
            counts.join(", ")
        );
    }
    if let Some(d) = run.dispatch_status().map_err(fail)? {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_millis() as u64);
        let age = now.saturating_sub(d.at_ms) / 1000;
        println!(
            "  workers      {} (after the last batch, {age} s ago)",
            d.summary()
        );
        for line in d.worker_lines() {
            println!("               {line}");
        }
    }
    if let Some(hall) = run.hall_of_fame().map_err(fail)? {
        print!("{}", hall.table());
    }
    if let Some(report) = run.final_report().map_err(fail)? {
        print!("{}", report.table());
    }
    Ok(())
}
