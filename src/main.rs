//! The `radact` command-line tool: a thin front end over the library's [`radact::cli`] module.

use std::process::ExitCode;

fn main() -> ExitCode {
    radact::cli::main()
}
