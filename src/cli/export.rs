//! `radact export`: writes the best candidates of a run (or one by id) as RON that
//! `radact train --act-file` reads back, or as Rust, PyTorch, NumPy or JAX code with the same
//! forward and backward.

use super::{input_error, CliError};
use anyhow::anyhow;
use clap::builder::RangedU64ValueParser;
use radact::export::{ExportedActivation, Format};
use radact::run::{write_new, RunView};
use radact::search::hall_of_fame::HallOfFame;
use radact::search::record::Outcome;
use radact::search::space::MAX_HALL_OF_FAME;
use std::path::{Path, PathBuf};

/// The values of `--format`: the library's export formats by name.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Format::ALL.map(Format::name))
        .map(|name| name.parse::<Format>().expect("a listed format name"))
}

/// Arguments of `radact export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The run directory.
    pub run: PathBuf,
    /// Export the best K candidates by the main objective.
    #[arg(long, conflicts_with = "id",
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_HALL_OF_FAME as u64))]
    pub top: Option<usize>,
    /// Export the candidate with this id.
    #[arg(long)]
    pub id: Option<u64>,
    /// Output format.
    #[arg(long, default_value = "ron", value_parser = format_parser())]
    pub format: Format,
    /// Output file (default: standard output). Written atomically; an existing file is kept
    /// unless `--force`.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Replace an existing output file.
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// The selected candidates of a run as export records.
pub fn select(
    run: &RunView,
    top: Option<usize>,
    id: Option<u64>,
) -> Result<Vec<ExportedActivation>, CliError> {
    let config = run.config();
    let records = run.records().map_err(|e| CliError::Failure(e.into()))?;
    let chosen: Vec<_> = match id {
        Some(id) => {
            // A promoted candidate's latest record (its highest rung).
            let r = records.iter().rfind(|r| r.id == id).ok_or_else(|| {
                input_error(anyhow!("run {} has no candidate {id}", run.dir().display()))
            })?;
            if !matches!(r.outcome, Outcome::Trained { .. }) {
                return Err(input_error(anyhow!(
                    "candidate {id} was not trained successfully ({}{}); export a trained one",
                    r.outcome.status(),
                    r.outcome
                        .reason()
                        .map(|s| format!(": {s}"))
                        .unwrap_or_default()
                )));
            }
            vec![r.clone()]
        }
        None => {
            let k = top.unwrap_or(1);
            if k == 0 {
                return Err(input_error(anyhow!("--top must be at least 1")));
            }
            let hall = HallOfFame::build(&config.space.objectives, k, &records);
            hall.top
                .iter()
                .filter_map(|e| records.iter().rfind(|r| r.id == e.id).cloned())
                .collect()
        }
    };
    if chosen.is_empty() {
        return Err(input_error(anyhow!(
            "run {} has no trained candidate yet",
            run.dir().display()
        )));
    }
    chosen
        .iter()
        .map(|r| {
            ExportedActivation::of_candidate(config, r).map_err(|e| CliError::Failure(e.into()))
        })
        .collect()
}

/// Runs `radact export`.
pub fn run(args: ExportArgs) -> Result<(), CliError> {
    let run = RunView::open(&args.run).map_err(input_error)?;
    let records = select(&run, args.top, args.id)?;
    let text = args.format.render(&records);
    match &args.output {
        Some(path) => {
            write_new(path, text.as_bytes(), args.force).map_err(|e| {
                let message = anyhow!("cannot write {}: {e}", path.display());
                match e.kind() {
                    std::io::ErrorKind::AlreadyExists => input_error(message),
                    _ => CliError::Failure(message),
                }
            })?;
            eprintln!(
                "wrote {} activation(s) to {}",
                records.len(),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// Shows an exported activation file (for `radact inspect`).
pub fn inspect_file(path: &Path) -> Result<(), CliError> {
    let records = ExportedActivation::load_all(path).map_err(input_error)?;
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            println!();
        }
        for line in r.describe() {
            println!("{line}");
        }
    }
    Ok(())
}
