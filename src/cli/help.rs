//! `radact completions SHELL` and `radact man`: a shell completion script (clap_complete) and
//! a roff man page (clap_mangen), both generated from the same clap definitions as the parser,
//! so they list exactly the subcommands and flags radact accepts.
//!
//! ```text
//! radact completions bash > ~/.local/share/bash-completion/completions/radact
//! radact man > ~/.local/share/man/man1/radact.1
//! ```

use super::CliError;
use clap_complete::Shell;
use std::io::Write;

/// Arguments of `radact completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the completion script for `args.shell` to standard output.
pub fn completions(args: CompletionsArgs, command: &mut clap::Command) -> Result<(), CliError> {
    let name = command.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, command, name, &mut out);
    write_stdout(&out)
}

/// Writes the man page to standard output.
pub fn man(command: clap::Command) -> Result<(), CliError> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut out)
        .map_err(|e| CliError::Failure(e.into()))?;
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::Failure(anyhow::Error::from(e).context("cannot write the output")))
}
