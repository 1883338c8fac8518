//! [`Format`]: the formats an activation is exported in, each with its name, file extension and
//! the one function that renders export records in it. `radact export` and the desktop app's
//! export panel both offer exactly these.

use super::{jax, numpy, pytorch, rust, ExportedActivation};
use std::fmt;
use std::str::FromStr;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Readable RON export records (formula, graph, backward mode, derived backward, scores,
    /// task, provenance) that `radact train --act-file` reads back.
    Ron,
    /// Self-contained Rust functions for the forward and the backward multiplier.
    Rust,
    /// A `torch.autograd.Function` and an `nn.Module` per activation.
    Pytorch,
    /// Vectorised NumPy functions for the forward and the backward multiplier.
    Numpy,
    /// A `jax.custom_vjp` function per activation.
    Jax,
}

impl Format {
    /// Every format, in menu order.
    pub const ALL: [Format; 5] = [
        Format::Ron,
        Format::Rust,
        Format::Pytorch,
        Format::Numpy,
        Format::Jax,
    ];

    /// The name on the command line (`--format pytorch`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Ron => "ron",
            Format::Rust => "rust",
            Format::Pytorch => "pytorch",
            Format::Numpy => "numpy",
            Format::Jax => "jax",
        }
    }

    /// The name people write (`PyTorch`), for menus.
    pub fn label(self) -> &'static str {
        match self {
            Format::Ron => "RON",
            Format::Rust => "Rust",
            Format::Pytorch => "PyTorch",
            Format::Numpy => "NumPy",
            Format::Jax => "JAX",
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Ron => "ron",
            Format::Rust => "rs",
            Format::Pytorch | Format::Numpy | Format::Jax => "py",
        }
    }

    /// A file name for `stem` in this format: `stem.ron`, `stem.rs`, `stem.py` (PyTorch), and
    /// `stem_numpy.py`, `stem_jax.py`, so that the three Python modules can sit side by side and
    /// be imported by name.
    pub fn file_name(self, stem: &str) -> String {
        match self {
            Format::Numpy | Format::Jax => format!("{stem}_{}.py", self.name()),
            _ => format!("{stem}.{}", self.extension()),
        }
    }

    /// `records` in this format: one RON record alone, several as a list; one code module for
    /// all of them.
    pub fn render(self, records: &[ExportedActivation]) -> String {
        match (self, records) {
            (Format::Ron, [one]) => one.to_ron(),
            (Format::Ron, many) => ExportedActivation::list_to_ron(many),
            (Format::Rust, many) => rust::generate_all(many),
            (Format::Pytorch, many) => pytorch::generate_all(many),
            (Format::Numpy, many) => numpy::generate_all(many),
            (Format::Jax, many) => jax::generate_all(many),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not an export format's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown export format `{0}` (one of {names})", names = Format::names().join(", "))]
pub struct UnknownFormat(pub String);

impl Format {
    /// The formats' names, in [`Format::ALL`] order.
    pub fn names() -> Vec<&'static str> {
        Format::ALL.iter().map(|f| f.name()).collect()
    }
}

impl FromStr for Format {
    type Err = UnknownFormat;

    /// A format by its name (`pytorch`) or label (`PyTorch`), in any case.
    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s) || f.label().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;

    #[test]
    fn names_parse_back_and_every_format_renders_its_kind_of_text() {
        let record = ExportedActivation::new(
            "step",
            Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap(),
        );
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
            assert_eq!(f.label().parse::<Format>(), Ok(f));
            let text = f.render(std::slice::from_ref(&record));
            let marker = match f {
                Format::Ron => "formula:",
                Format::Rust => "pub fn step_backward(x: f32) -> f32",
                Format::Pytorch => "torch.autograd.Function",
                Format::Numpy => "def step_backward(x)",
                Format::Jax => "jax.custom_vjp",
            };
            assert!(text.contains(marker), "{f}: {text}");
        }
        let names: std::collections::HashSet<String> =
            Format::ALL.iter().map(|f| f.file_name("best")).collect();
        assert_eq!(names.len(), Format::ALL.len(), "one file name per format");
        let err = "onnx".parse::<Format>().unwrap_err().to_string();
        assert!(err.contains("onnx") && err.contains("pytorch"), "{err}");
    }
}
