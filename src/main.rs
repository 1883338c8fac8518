//! The `radact` command-line tool. Its front end ([`cli`]) lives in the binary, not in the
//! library: clap, indicatif and ctrlc are not part of the library's API, and the desktop app
//! builds without them.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
