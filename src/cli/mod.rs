//! Command-line front end: argument parsing, table and JSON output, exit codes.
//!
//! Each subcommand lives in its own file with a clap `Args` struct and a `run` function. Logic
//! that the GUI would need too belongs in the library modules, not here.

pub mod eval;
pub mod export;
pub mod help;
pub mod inspect;
pub mod ladder;
pub mod model;
pub mod primitives;
pub mod runs;
pub mod search;
pub mod train;
pub mod worker;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// Search for neural-network activation functions, including flat and non-differentiable ones.
#[derive(Debug, Parser)]
#[command(name = "radact", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Evaluate an activation and its backward multiplier at points.
    Eval(eval::EvalArgs),
    /// List the primitive catalogue with formulas and flags.
    Primitives(primitives::PrimitivesArgs),
    /// Train networks with an activation on a dataset and score it.
    Train(train::TrainArgs),
    /// Search for activations in a search space (default: the embedded DIGITS space).
    Search(search::SearchArgs),
    /// Check a space's multi-fidelity ladder: train candidates at every rung and report how
    /// well each rung predicts the top one (Spearman, overlap of the best 1/eta).
    Ladder(ladder::LadderArgs),
    /// Continue a stopped or killed search run.
    Resume(search::ResumeArgs),
    /// List search runs and their best candidates.
    Runs(runs::RunsArgs),
    /// Show a run, an exported activation or a search space file.
    Inspect(inspect::InspectArgs),
    /// Train candidates for searches run with --dispatch redis://... on other machines: take
    /// jobs from the Redis queue, train them, post the results.
    Worker(worker::WorkerArgs),
    /// Export the best candidates of a run as RON, Rust, PyTorch, NumPy or JAX code, or
    /// retrain the best one and save the network (`--format model`).
    Export(export::ExportArgs),
    /// Classify raw inputs (CSV or IDX) with a saved model (`radact train --save`).
    Predict(model::PredictArgs),
    /// Measure a saved model's accuracy on its test split again.
    EvalModel(model::EvalModelArgs),
    /// Export a saved model as a C99 header, a no_std Rust module or an ONNX file.
    ExportModel(model::ExportModelArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    Completions(help::CompletionsArgs),
    /// Print the man page (roff) to standard output.
    Man,
}

/// An error of a subcommand, classified by who must act on it.
#[derive(Debug)]
pub enum CliError {
    /// The user's input was wrong (bad formula, bad flag value, missing file): exit code 2.
    Input(anyhow::Error),
    /// Something failed while doing the work: exit code 1.
    Failure(anyhow::Error),
    /// The user stopped the work (Ctrl-C); it can be resumed: exit code 130.
    Interrupted,
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Failure(_) => 1,
            CliError::Interrupted => 130,
        }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Failure(e)
    }
}

/// Wraps any displayable error as a user-input error (exit code 2).
pub fn input_error(e: impl Into<anyhow::Error>) -> CliError {
    CliError::Input(e.into())
}

/// Parses the process arguments, runs the subcommand and maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Eval(args) => eval::run(args),
        Command::Primitives(args) => primitives::run(args),
        Command::Train(args) => train::run(args),
        Command::Search(args) => search::run(args),
        Command::Resume(args) => search::resume(args),
        Command::Ladder(args) => ladder::run(args),
        Command::Runs(args) => runs::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Export(args) => export::run(args),
        Command::Worker(args) => worker::run(args),
        Command::Predict(args) => model::predict(args),
        Command::EvalModel(args) => model::eval_model(args),
        Command::ExportModel(args) => model::export_model(args),
        Command::Completions(args) => help::completions(args, &mut Cli::command()),
        Command::Man => help::man(Cli::command()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let CliError::Input(err) | CliError::Failure(err) = &e {
                eprintln!("error: {}", message(err));
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// An error and its causes on one line, each cause once: a cause whose text the message
/// already quotes (a `thiserror` variant written `"in the formula: {0}"` around its source) is
/// not repeated.
pub fn message(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use radact::activation::Activation;

    #[test]
    fn an_error_position_is_printed_once() {
        let err = anyhow::Error::from(Activation::parse("tanhh(x)", "exact").unwrap_err());
        let text = message(&err);
        assert_eq!(text.matches("line 1, column 1").count(), 1, "{text}");
        assert!(text.contains("did you mean `tanh`"), "{text}");
        let wrapped = err.context("in --act");
        let text = message(&wrapped);
        assert!(
            text.starts_with("in --act: in the activation formula: line 1"),
            "{text}"
        );
        assert_eq!(text.matches("line 1, column 1").count(), 1, "{text}");
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let chained = anyhow::Error::from(io).context("cannot open the run");
        assert_eq!(message(&chained), "cannot open the run: no such file");
    }
}
