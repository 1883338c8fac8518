//! [`ExportError`]: why an exported activation could not be read (with the file and position)
//! or a run's candidate could not be exported.

use std::path::PathBuf;

/// Why exported activations could not be loaded, or a candidate could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The text is not valid RON for an exported activation (or a list of them): a syntax
    /// error, a missing or unknown field, a formula or backward mode that does not parse.
    #[error("{origin}:{line}:{column}: {message}")]
    Syntax {
        /// The file name, or what the text came from.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// A field derived from the activation (`formula`, `backward_formula`,
    /// `provenance.fingerprint`) disagrees with it: one of them was edited.
    #[error("{origin}: activation {index} (`{name}`): {message}")]
    Inconsistent {
        /// The file name, or what the text came from.
        origin: String,
        /// 0-based position of the activation in the file (0 for a single record).
        index: usize,
        /// The activation's name.
        name: String,
        /// The field that disagrees, as written in the file.
        field: &'static str,
        /// What disagrees and how to fix it.
        message: String,
    },
    /// A run's candidate could not be exported: its journal formula does not parse.
    #[error("candidate {id}: {source}")]
    Candidate {
        /// The candidate's id in its run.
        id: u64,
        /// The parse error.
        source: crate::expr::ParseError,
    },
    /// One activation was asked for, and the file holds another number of them.
    #[error("{origin}: expected one activation, found a list of {count}")]
    NotOne {
        /// The file name, or what the text came from.
        origin: String,
        /// How many the list holds.
        count: usize,
    },
}
