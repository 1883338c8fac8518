//! The saved-model commands: `radact predict` (classify raw inputs from a CSV or IDX file),
//! `radact eval-model` (accuracy on the model's test split, measured again) and
//! `radact export-model` (C99 header, `no_std` Rust module, ONNX file), and the saving that
//! `radact train --save` and `radact export --format model` share.
//!
//! ```text
//! radact train --act "heaviside(x)" --grad "rect(-0.5, 0.5)" --save step.ron
//! radact predict step.ron --input digits.csv
//! radact eval-model step.ron
//! radact export-model step.ron --format c -o step.h
//! ```

use super::{input_error, CliError};
use anyhow::anyhow;
use clap::{Args, ValueEnum};
use radact::export::ExportedActivation;
use radact::model::c::{COptions, Weights};
use radact::model::input::read_inputs;
use radact::model::{c, no_std, onnx, ModelError, SavedModel};
use radact::run::write_new;
use radact::train::{Evaluation, Mlp, Trainer};
use std::path::{Path, PathBuf};

/// Arguments of `radact predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The saved model (`radact train --save`).
    pub model: PathBuf,
    /// Raw inputs: a CSV file (one example a line) or an IDX file of bytes (Fashion-MNIST's
    /// image files), with the values as in the dataset's own files.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Print a JSON array of the classes instead of one class a line.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `radact eval-model`.
#[derive(Debug, Args)]
pub struct EvalModelArgs {
    /// The saved model.
    pub model: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `radact export-model --format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelFormat {
    /// One self-contained C99 header with `int predict(const float *x)`.
    C,
    /// A module for a `#![no_std]` Rust crate with `pub fn predict(x: &[f32; INPUTS]) -> usize`.
    RustNoStd,
    /// An ONNX file (opset 13, standard operators; outputs `logits` and `class`); needs --output.
    Onnx,
}

/// Arguments of `radact export-model`.
#[derive(Debug, Args)]
pub struct ExportModelArgs {
    /// The saved model.
    pub model: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: ModelFormat,
    /// Output file (default: standard output). An existing file is kept unless `--force`.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Replace an existing output file.
    #[arg(long, requires = "output")]
    pub force: bool,
    /// C: store the weights as int8 with a float scale per output unit.
    #[arg(long)]
    pub int8: bool,
    /// C: do not bit-pack the outputs of two-valued layers (every layer multiplies).
    #[arg(long)]
    pub no_pack: bool,
}

/// A model error as the CLI reports it: the user's file or data (exit 2) unless writing failed.
fn classify(e: ModelError) -> CliError {
    match e {
        ModelError::Write { .. } => CliError::Failure(e.into()),
        _ => input_error(e),
    }
}

/// Runs `radact predict`.
pub fn predict(args: PredictArgs) -> Result<(), CliError> {
    let model = SavedModel::load(&args.model).map_err(classify)?;
    let raw = read_inputs(&args.input, model.n_inputs()).map_err(classify)?;
    let classes = model.predict_raw(raw).map_err(classify)?;
    if args.json {
        let text = serde_json::to_string(&classes).map_err(|e| CliError::Failure(e.into()))?;
        println!("{text}");
    } else {
        let lines: Vec<String> = classes.iter().map(u8::to_string).collect();
        println!("{}", lines.join("\n"));
    }
    Ok(())
}

/// Runs `radact eval-model`.
pub fn eval_model(args: EvalModelArgs) -> Result<(), CliError> {
    let model = SavedModel::load(&args.model).map_err(classify)?;
    let evaluation = model.evaluate().map_err(classify)?;
    if args.json {
        let text =
            serde_json::to_string_pretty(&evaluation).map_err(|e| CliError::Failure(e.into()))?;
        println!("{text}");
    } else {
        println!(
            "{}: {} on the {} test split (split seed {}): {}/{} correct, accuracy {:.4} \
             (recorded when saved: {:.4})",
            args.model.display(),
            model.activation.formula(),
            model.data.spec.name(),
            model.data.split_seed,
            evaluation.correct,
            evaluation.examples,
            evaluation.accuracy,
            evaluation.recorded_accuracy
        );
    }
    Ok(())
}

/// Runs `radact export-model`.
pub fn export_model(args: ExportModelArgs) -> Result<(), CliError> {
    let model = SavedModel::load(&args.model).map_err(classify)?;
    if args.format != ModelFormat::C && (args.int8 || args.no_pack) {
        return Err(input_error(anyhow!(
            "--int8 and --no-pack apply to --format c only"
        )));
    }
    if args.format == ModelFormat::Onnx {
        let Some(path) = &args.output else {
            return Err(input_error(anyhow!(
                "--format onnx writes a binary file: give --output"
            )));
        };
        let bytes = onnx::generate(&model).map_err(classify)?;
        return write_bytes(path, &bytes, args.force);
    }
    let text = match args.format {
        ModelFormat::C => {
            let options = COptions {
                weights: if args.int8 {
                    Weights::Int8
                } else {
                    Weights::F32
                },
                pack_binary: !args.no_pack,
            };
            let (text, footprint) = c::generate(&model, options).map_err(classify)?;
            eprintln!(
                "C header: {} bytes of parameters, {} bytes of activations on the stack, {} \
                 bit-packed layer(s)",
                footprint.parameter_bytes, footprint.activation_bytes, footprint.packed_layers
            );
            text
        }
        ModelFormat::RustNoStd => no_std::generate(&model).map_err(classify)?,
        ModelFormat::Onnx => unreachable!("written above"),
    };
    write_output(args.output.as_deref(), &text, args.force)
}

/// Writes `text` to `path` (refusing to replace a file unless `force`), or prints it.
pub fn write_output(path: Option<&Path>, text: &str, force: bool) -> Result<(), CliError> {
    match path {
        Some(path) => write_bytes(path, text.as_bytes(), force),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// Writes `bytes` to `path` atomically, refusing to replace a file unless `force`.
fn write_bytes(path: &Path, bytes: &[u8], force: bool) -> Result<(), CliError> {
    write_new(path, bytes, force).map_err(|e| {
        let message = anyhow!("cannot write {}: {e}", path.display());
        match e.kind() {
            std::io::ErrorKind::AlreadyExists => input_error(message),
            _ => CliError::Failure(message),
        }
    })?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Saves the network of the seed with the best validation accuracy among `evaluation`'s
/// completed seeds (the test split plays no part in the choice) to `path`, refusing to replace
/// a file unless `force`. Returns the seed saved.
pub fn save_best(
    trainer: &Trainer,
    record: ExportedActivation,
    evaluation: &Evaluation,
    networks: &[Option<Mlp>],
    path: &Path,
    force: bool,
) -> Result<u64, CliError> {
    let validation = |i: usize| {
        evaluation.seeds[i]
            .metrics
            .as_ref()
            .and_then(|m| m.validation_accuracy)
            .unwrap_or(f64::NEG_INFINITY)
    };
    let best = (0..networks.len())
        .filter(|&i| networks[i].is_some())
        .fold(None, |best: Option<usize>, i| match best {
            Some(b) if validation(b) >= validation(i) => Some(b),
            _ => Some(i),
        })
        .ok_or_else(|| {
            CliError::Failure(anyhow!(
                "no seed completed training: there is no network to save"
            ))
        })?;
    let net = networks[best].as_ref().expect("filtered on Some");
    let score = &evaluation.seeds[best];
    let model = SavedModel::new(trainer, record, net, score).map_err(classify)?;
    write_output(Some(path), &model.to_ron(), force)?;
    Ok(score.seed)
}
