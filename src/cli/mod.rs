//! Command-line front end: argument parsing, table and JSON output, exit codes.
//!
//! Each subcommand lives in its own file with a clap `Args` struct and a `run` function. Logic
//! that the GUI would need too belongs in the library modules, not here.

pub mod eval;
pub mod export;
pub mod inspect;
pub mod primitives;
pub mod runs;
pub mod search;
pub mod train;

use clap::{Parser, Subcommand};
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
    /// Continue a stopped or killed search run.
    Resume(search::ResumeArgs),
    /// List search runs and their best candidates.
    Runs(runs::RunsArgs),
    /// Show a run, an exported activation or a search space file.
    Inspect(inspect::InspectArgs),
    /// Export the best candidates of a run as RON, Rust or PyTorch code.
    Export(export::ExportArgs),
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
        Command::Runs(args) => runs::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Export(args) => export::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let CliError::Input(err) | CliError::Failure(err) = &e {
                eprintln!("error: {err:#}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}
