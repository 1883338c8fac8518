//! `radact export`: writes the best candidates of a run (or one by id) as RON that
//! `radact train --act-file` reads back, or as Rust, PyTorch, NumPy or JAX code with the same
//! forward and backward.

use super::model::save_best;
use super::{input_error, CliError};
use anyhow::anyhow;
use clap::builder::RangedU64ValueParser;
use radact::export::{ExportedActivation, Format};
use radact::run::{write_new, RunView};
use radact::search::hall_of_fame::HallOfFame;
use radact::search::record::Outcome;
use radact::search::space::MAX_HALL_OF_FAME;
use radact::train::Trainer;
use std::path::{Path, PathBuf};

/// What `radact export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// The activations, in one of the library's formats.
    Activation(Format),
    /// The best candidate retrained on the run's task, saved as a model.
    Model,
}

/// The `--format` value that retrains and saves a network.
const MODEL: &str = "model";

/// The values of `--format`: the library's export formats by name, and `model`.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = ExportFormat> {
    use clap::builder::TypedValueParser;
    let names = Format::ALL.map(Format::name).into_iter().chain([MODEL]);
    clap::builder::PossibleValuesParser::new(names).map(|name| match name.as_str() {
        MODEL => ExportFormat::Model,
        other => ExportFormat::Activation(other.parse::<Format>().expect("a listed format name")),
    })
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
    /// Output format; `model` retrains the chosen candidate on the run's task (its first
    /// seed) and saves the network for `radact predict`, `eval-model` and `export-model`
    /// (needs --output).
    #[arg(long, default_value = "ron", value_parser = format_parser())]
    pub format: ExportFormat,
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
    let format = match args.format {
        ExportFormat::Activation(format) => format,
        ExportFormat::Model => return export_model(&run, records, &args),
    };
    let text = format.render(&records);
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

/// `radact export --format model`: retrains the first of `records` on the run's task with the
/// task's first seed and saves the network to `--output`.
fn export_model(
    run: &RunView,
    records: Vec<ExportedActivation>,
    args: &ExportArgs,
) -> Result<(), CliError> {
    let Some(path) = &args.output else {
        return Err(input_error(anyhow!("--format model needs --output FILE")));
    };
    if records.len() > 1 {
        return Err(input_error(anyhow!(
            "--format model saves one network: use --top 1 or --id"
        )));
    }
    let record = records
        .into_iter()
        .next()
        .expect("select returns at least one");
    let mut task = run.config().space.task.clone();
    task.seeds.truncate(1);
    let trainer = Trainer::new(task).map_err(input_error)?;
    if trainer.data().is_none() {
        return Err(input_error(anyhow!(
            "run {} trains a GAN; only classifiers are saved as models",
            run.dir().display()
        )));
    }
    eprintln!(
        "retraining `{}` on {} (seed {}) ...",
        record.formula(),
        trainer.task().dataset.name(),
        trainer.task().seeds[0]
    );
    // The activation as found: its constants start from the values the search gave them and
    // are trained again with the network.
    let fresh = ExportedActivation::new(record.name(), record.activation().clone()).with_origin(
        record.provenance().run.clone().unwrap_or_default(),
        record.provenance().candidate,
    );
    let (evaluation, networks) = trainer
        .evaluate_keeping_networks(&record.activation().compile(), &|_| {})
        .map_err(|e| CliError::Failure(e.into()))?;
    let seed = save_best(&trainer, fresh, &evaluation, &networks, path, args.force)?;
    eprintln!("saved the network of seed {seed}");
    Ok(())
}
