//! [`ExportedActivation`]: an activation as users take it home, in readable RON: its name, the
//! forward formula, the activation itself (graph and backward mode), the derived backward
//! formula, the scores and task it was trained with, and where it came from.
//!
//! ```text
//! (
//!     name: "swish_1702",
//!     formula: "x * sigmoid(1.702 * x)",
//!     backward_formula: "sigmoid(1.702 * x) + ...",
//!     activation: (
//!         forward: (formula: "x * sigmoid(1.702 * x)", nodes: [...], root: 4),
//!         backward: "exact",
//!     ),
//!     scores: Some((seeds: 5, completed: 5, ...)),
//!     task: Some((dataset: Digits, ...)),
//!     provenance: (run: Some("runs/demo"), candidate: Some(17), seed: Some(3),
//!                  radact_version: "0.1.0", fingerprint: "3f2a..."),
//! )
//! ```
//!
//! An activation with trainable constants (`x * sigmoid(param(1) * x)`) may carry their trained
//! values, one list per hidden layer, and the training seed they come from:
//! `trained_constants: (seed: 0, layers: [[0.588], [0.814]])`. Code generators initialise each
//! layer's constants from them (the initial values of the formula when there are none).
//!
//! The sources of truth are `name`, `activation`, `scores`, `task` and the provenance's run,
//! candidate and seed. `formula`, `backward_formula` and `provenance.fingerprint` are derived
//! from `activation` for people and tools reading the file. Loading checks that they still agree
//! with it and fails naming the field otherwise, since an edit to a derived field would
//! otherwise be silently ignored: `formula` must denote the same expression as the forward
//! graph, `backward_formula` must compute the same function as the backward that this version
//! of radact derives (to 1e-5 on the fingerprint's probe points; the text itself is replaced by
//! this version's), and the fingerprint must match. Derived fields may be left out of a
//! hand-written file; they are then filled in, as is `radact_version` (with this version).
//!
//! A file may hold one record or a list of them (`[(...), (...)]`, as `radact export --top K`
//! writes); [`ExportedActivation::load_all`] reads either.

use super::error::ExportError;
use crate::activation::Activation;
use crate::expr::fingerprint::probe_points;
use crate::expr::{self, Fingerprint, Graph, Program};
use crate::train::{Summary, Task};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::path::Path;

/// This crate's version, recorded in every export.
pub const RADACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where an exported activation came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The run directory or name it was found in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// Its candidate number in that run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate: Option<u64>,
    /// The seed that reproduces it: for a run's candidate, the run's search seed
    /// ([`ExportedActivation::of_candidate`]); else the training seed of the reported network, when
    /// one seed is singled out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Version of radact that exported it.
    pub radact_version: String,
    /// Behavioural fingerprint of the forward function ([`expr::fingerprint()`]).
    pub fingerprint: Fingerprint,
}

/// An activation with everything needed to use, reproduce and trace it; see the module
/// documentation for the file format and what loading checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredActivation")]
pub struct ExportedActivation {
    name: String,
    formula: String,
    backward_formula: String,
    activation: Activation,
    #[serde(skip_serializing_if = "Option::is_none")]
    scores: Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task: Option<Task>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trained_constants: Option<TrainedConstants>,
    provenance: Provenance,
}

/// Trained constants that do not fit the activation (what does not fit, in words).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("trained constants do not fit the activation: {0}")]
pub struct ConstantsMismatch(pub String);

/// The trained values of an activation's trainable constants: one list per hidden layer, first
/// layer first, each in the order the formula names the constants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainedConstants {
    /// The training seed of the network they were trained in.
    pub seed: u64,
    /// The values, per hidden layer.
    pub layers: Vec<Vec<f32>>,
}

impl ExportedActivation {
    /// Exports `activation` under `name` (free-form; code generators derive identifiers from
    /// it), deriving the formulas and the fingerprint. Add scores, task and origin with the
    /// `with_` methods.
    pub fn new(name: impl Into<String>, activation: Activation) -> ExportedActivation {
        let formula = activation.forward.to_string();
        let backward_formula = activation.backward_graph().to_string();
        let fingerprint = expr::fingerprint(&activation.forward);
        ExportedActivation {
            name: name.into(),
            formula,
            backward_formula,
            activation,
            scores: None,
            task: None,
            trained_constants: None,
            provenance: Provenance {
                run: None,
                candidate: None,
                seed: None,
                radact_version: RADACT_VERSION.to_string(),
                fingerprint,
            },
        }
    }

    /// Attaches the scores the activation reached.
    pub fn with_scores(mut self, scores: Summary) -> Self {
        self.scores = Some(scores);
        self
    }

    /// Attaches the task it was trained and scored on.
    pub fn with_task(mut self, task: Task) -> Self {
        self.task = Some(task);
        self
    }

    /// Records the run it was found in and its candidate number there.
    pub fn with_origin(mut self, run: impl Into<String>, candidate: Option<u64>) -> Self {
        self.provenance.run = Some(run.into());
        self.provenance.candidate = candidate;
        self
    }

    /// Attaches the trained values of the trainable constants (see [`TrainedConstants`]);
    /// refused when a layer does not hold one finite value per trainable constant of the
    /// activation, or the activation has none.
    pub fn with_trained_constants(
        mut self,
        trained: TrainedConstants,
    ) -> Result<Self, ConstantsMismatch> {
        check_trained(&self.activation, &trained).map_err(ConstantsMismatch)?;
        self.trained_constants = Some(trained);
        Ok(self)
    }

    /// The trained values of the trainable constants, if attached.
    pub fn trained_constants(&self) -> Option<&TrainedConstants> {
        self.trained_constants.as_ref()
    }

    /// The values of the trainable constants per hidden layer that generated code starts
    /// from: the trained ones when attached, else one layer of the formula's initial values
    /// (empty when the activation has no trainable constants).
    pub fn constant_layers(&self) -> Vec<Vec<f32>> {
        match &self.trained_constants {
            Some(t) => t.layers.clone(),
            None if self.activation.forward.params().is_empty() => Vec::new(),
            None => vec![self.activation.constants()],
        }
    }

    /// Records the seed that reproduces it (see [`Provenance::seed`]).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.provenance.seed = Some(seed);
        self
    }

    /// The free-form name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The forward formula, `f(x)`.
    pub fn formula(&self) -> &str {
        &self.formula
    }

    /// The backward multiplier `g(x)` (`dL/dx = g(x) * dL/dy`) as derived by this version.
    pub fn backward_formula(&self) -> &str {
        &self.backward_formula
    }

    /// The activation: forward graph and backward mode.
    pub fn activation(&self) -> &Activation {
        &self.activation
    }

    /// The scores, if attached.
    pub fn scores(&self) -> Option<&Summary> {
        self.scores.as_ref()
    }

    /// The training task, if attached.
    pub fn task(&self) -> Option<&Task> {
        self.task.as_ref()
    }

    /// Where it came from.
    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// Pretty RON of this record.
    pub fn to_ron(&self) -> String {
        pretty(self, NODE_DEPTH)
    }

    /// Pretty RON of a list of records, as [`ExportedActivation::load_all`] reads it.
    pub fn list_to_ron(records: &[ExportedActivation]) -> String {
        pretty(&records, NODE_DEPTH + 1)
    }

    /// Reads one record from RON text; `origin` names the text in errors (a file name). A list
    /// holding exactly one record is accepted too.
    pub fn from_ron_str(text: &str, origin: &str) -> Result<ExportedActivation, ExportError> {
        let mut all = ExportedActivation::all_from_ron_str(text, origin)?;
        match all.len() {
            1 => Ok(all.remove(0)),
            count => Err(ExportError::NotOne {
                origin: origin.to_string(),
                count,
            }),
        }
    }

    /// Reads one record or a list of records from RON text.
    pub fn all_from_ron_str(
        text: &str,
        origin: &str,
    ) -> Result<Vec<ExportedActivation>, ExportError> {
        let syntax = |e: ron::error::SpannedError| ExportError::Syntax {
            origin: origin.to_string(),
            line: e.position.line,
            column: e.position.col,
            message: e.code.to_string(),
        };
        let stored: Vec<StoredActivation> = if starts_with_list(text) {
            ron::from_str(text).map_err(syntax)?
        } else {
            vec![ron::from_str(text).map_err(syntax)?]
        };
        stored
            .into_iter()
            .enumerate()
            .map(|(index, s)| {
                let name = s.name.clone();
                ExportedActivation::try_from(s).map_err(|e| ExportError::Inconsistent {
                    origin: origin.to_string(),
                    index,
                    name,
                    field: e.field,
                    message: e.message,
                })
            })
            .collect()
    }

    /// Reads the one record of a file (see [`ExportedActivation::from_ron_str`]).
    pub fn load(path: &Path) -> Result<ExportedActivation, ExportError> {
        ExportedActivation::from_ron_str(&read(path)?, &path.display().to_string())
    }

    /// Reads every record of a file holding one record or a list.
    pub fn load_all(path: &Path) -> Result<Vec<ExportedActivation>, ExportError> {
        ExportedActivation::all_from_ron_str(&read(path)?, &path.display().to_string())
    }

    /// A few lines describing the activation for the header of generated code: name, formulas,
    /// backward mode, origin, fingerprint, scores and task. Control characters in free-form
    /// text are replaced by spaces, so each line stays one line.
    pub fn describe(&self) -> Vec<String> {
        let p = &self.provenance;
        let mut lines = vec![
            format!(
                "radact activation `{}`, exported by radact {}",
                self.name, p.radact_version
            ),
            String::new(),
            format!("forward   f(x) = {}", self.formula),
            format!("backward  {}", self.activation.backward),
            format!("          g(x) = {}", self.backward_formula),
            "          dL/dx = g(x) * dL/dy".to_string(),
        ];
        let mut origin = Vec::new();
        if let Some(run) = &p.run {
            origin.push(format!("run `{run}`"));
        }
        if let Some(c) = p.candidate {
            origin.push(format!("candidate {c}"));
        }
        if let Some(s) = p.seed {
            origin.push(format!("seed {s}"));
        }
        if !origin.is_empty() {
            lines.push(format!("origin    {}", origin.join(", ")));
        }
        lines.push(format!("fingerprint {}", p.fingerprint));
        if let Some(t) = &self.trained_constants {
            let layers: Vec<String> = t
                .layers
                .iter()
                .map(|l| {
                    let values: Vec<String> = l.iter().map(|v| format!("{v}")).collect();
                    format!("[{}]", values.join(", "))
                })
                .collect();
            lines.push(format!(
                "constants trained per hidden layer (seed {}): {}",
                t.seed,
                layers.join(", ")
            ));
        }
        if let Some(s) = &self.scores {
            let accuracy = s
                .median_test_accuracy()
                .map_or("none".to_string(), |a| format!("{a:.4}"));
            lines.push(format!(
                "scores    median test accuracy {accuracy} over {} seeds ({} completed)",
                s.seeds, s.completed
            ));
        }
        if let Some(t) = &self.task {
            lines.push(format!(
                "task      {}, {:?}, batch {}, {} seeds",
                t.dataset.name(),
                t.budget,
                t.batch_size,
                t.seeds.len()
            ));
        }
        lines
            .into_iter()
            .map(|l| {
                l.chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect()
            })
            .collect()
    }
}

/// Nesting depth of a record's graph nodes (record, activation, forward graph, node list):
/// deeper values are written on one line, so each node and each metric takes one line.
const NODE_DEPTH: usize = 4;

fn pretty<T: Serialize + ?Sized>(value: &T, depth_limit: usize) -> String {
    let config = ron::ser::PrettyConfig::default().depth_limit(depth_limit);
    // Records hold strings, numbers, options, sequences and structs only, which RON always
    // serialises; a failure would be a bug in a `Serialize` impl.
    ron::ser::to_string_pretty(value, config).expect("exported activations serialise to RON")
}

fn read(path: &Path) -> Result<String, ExportError> {
    std::fs::read_to_string(path).map_err(|source| ExportError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Whether RON text holds a list: its first token, after comments and `#![...]` attributes,
/// is `[`.
fn starts_with_list(text: &str) -> bool {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, after)| after);
        } else if let Some(r) = rest.strip_prefix("#!") {
            rest = r.split_once(']').map_or("", |(_, after)| after);
        } else {
            return rest.starts_with('[');
        }
    }
}

/// A record as read, before the derived fields are checked and filled in.
#[derive(Deserialize)]
#[serde(rename = "ExportedActivation", deny_unknown_fields)]
struct StoredActivation {
    name: String,
    #[serde(default, deserialize_with = "present")]
    formula: Option<String>,
    #[serde(default, deserialize_with = "present")]
    backward_formula: Option<String>,
    activation: Activation,
    #[serde(default)]
    scores: Option<Summary>,
    #[serde(default)]
    task: Option<Task>,
    #[serde(default)]
    trained_constants: Option<TrainedConstants>,
    #[serde(default)]
    provenance: StoredProvenance,
}

/// [`Provenance`] as read.
#[derive(Default, Deserialize)]
#[serde(rename = "Provenance", deny_unknown_fields)]
struct StoredProvenance {
    #[serde(default)]
    run: Option<String>,
    #[serde(default)]
    candidate: Option<u64>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    radact_version: Option<String>,
    #[serde(default, deserialize_with = "present")]
    fingerprint: Option<Fingerprint>,
}

/// Reads a field that may be left out (then `None`, by `default`) but is written plainly
/// when present (`formula: "..."`, not `Some("...")`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A derived field that disagrees with the activation.
#[derive(Debug)]
struct Inconsistency {
    field: &'static str,
    message: String,
}

impl fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl TryFrom<StoredActivation> for ExportedActivation {
    type Error = Inconsistency;

    fn try_from(s: StoredActivation) -> Result<Self, Inconsistency> {
        let mut record = ExportedActivation::new(s.name, s.activation);
        let forward = &record.activation.forward;
        if let Some(text) = s.formula {
            let agrees = expr::parse(&text).is_ok_and(|g| g.same_expression(forward));
            if !agrees {
                return Err(Inconsistency {
                    field: "formula",
                    message: format!(
                        "`formula` reads `{text}` but the forward graph (`activation.forward`) is \
                         `{forward}`; `formula` is derived from the graph: to change the \
                         activation, edit `activation.forward` (its `formula`, deleting its \
                         `nodes`) and delete this field"
                    ),
                });
            }
        }
        if let Some(text) = s.backward_formula {
            let derived = record.activation.backward_graph();
            let agrees = expr::parse(&text).is_ok_and(|g| same_function(&g, &derived));
            if !agrees {
                return Err(Inconsistency {
                    field: "backward_formula",
                    message: format!(
                        "`backward_formula` reads `{text}` but the backward multiplier derived \
                         from the activation (backward mode `{}`) is `{derived}`; \
                         `backward_formula` is derived: to change the backward, set \
                         `activation.backward` (for example to `expr(<formula in x>)`) and \
                         delete this field",
                        record.activation.backward
                    ),
                });
            }
        }
        let p = s.provenance;
        if let Some(stored) = p.fingerprint {
            let actual = record.provenance.fingerprint;
            if stored != actual {
                return Err(Inconsistency {
                    field: "provenance.fingerprint",
                    message: format!(
                        "`provenance.fingerprint` is {stored} but the forward function's is \
                         {actual}: the activation was changed after export; delete the \
                         fingerprint to keep the change"
                    ),
                });
            }
        }
        if let Some(trained) = &s.trained_constants {
            check_trained(&record.activation, trained).map_err(|message| Inconsistency {
                field: "trained_constants",
                message,
            })?;
        }
        record.trained_constants = s.trained_constants;
        record.scores = s.scores;
        record.task = s.task;
        record.provenance.run = p.run;
        record.provenance.candidate = p.candidate;
        record.provenance.seed = p.seed;
        if let Some(version) = p.radact_version {
            record.provenance.radact_version = version;
        }
        Ok(record)
    }
}

/// Why trained constants do not fit an activation: a layer without one finite value per
/// trainable constant (or an activation without any).
fn check_trained(activation: &Activation, trained: &TrainedConstants) -> Result<(), String> {
    let want = activation.forward.params().len();
    if want == 0 {
        return Err("the activation has no trainable constants (`param(c)`)".to_string());
    }
    if trained.layers.is_empty() {
        return Err("`trained_constants` lists no layer".to_string());
    }
    for (layer, values) in trained.layers.iter().enumerate() {
        if values.len() != want {
            return Err(format!(
                "layer {layer} has {} trained constant(s), the formula has {want}",
                values.len()
            ));
        }
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(format!("layer {layer}: trained constant {v} is not finite"));
        }
    }
    Ok(())
}

/// Whether two graphs compute the same function to 1e-5 (relative to magnitudes above 1) on
/// the fingerprint's probe points and a few points outside them; NaN agrees with NaN.
fn same_function(a: &Graph, b: &Graph) -> bool {
    if a.same_expression(b) {
        return true;
    }
    let mut x = probe_points().to_vec();
    x.extend([0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 10.0, -10.0, 1e6, -1e6]);
    let (mut ya, mut yb) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    Program::compile(a).eval(&x, &mut ya);
    Program::compile(b).eval(&x, &mut yb);
    ya.iter().zip(&yb).all(|(&u, &v)| {
        (u.is_nan() && v.is_nan()) || (u - v).abs() <= 1e-5 * u.abs().max(v.abs()).max(1.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_told_from_single_records() {
        assert!(starts_with_list("[(name: \"a\")]"));
        assert!(starts_with_list(
            "  // top 2\n/* b */ #![enable(implicit_some)]\n [ ]"
        ));
        assert!(!starts_with_list("(name: \"a\")"));
        assert!(!starts_with_list("// [\n(name: \"a\")"));
        assert!(!starts_with_list(""));
    }

    #[test]
    fn the_task_keeps_pytorch_initialisation() {
        let mut task = Task::default();
        task.network.init = crate::train::Init::Torch;
        let act = Activation::parse("relu", "exact").unwrap();
        let record = ExportedActivation::new("relu", act).with_task(task.clone());
        let text = record.to_ron();
        assert!(text.contains("init: torch"), "{text}");
        let back = ExportedActivation::from_ron_str(&text, "relu.ron").unwrap();
        assert_eq!(back.task(), Some(&task));
    }

    #[test]
    fn same_function_tolerates_rewriting_only() {
        let p = |t: &str| expr::parse(t).unwrap();
        assert!(same_function(&p("2 * x"), &p("x + x")));
        assert!(same_function(
            &p("heaviside(x)"),
            &p("(sign(x) + 1) / 2 + 0.5 * bump(x) * (1 - abs(sign(x)))")
        ));
        assert!(!same_function(&p("heaviside(x)"), &p("bump(x)")));
        assert!(!same_function(&p("x"), &p("x + 1e-3")));
    }

    #[test]
    fn describe_keeps_each_line_on_one_line() {
        let act = Activation::parse("tanh(x)", "exact").unwrap();
        let r = ExportedActivation::new("two\nlines", act).with_origin("runs/a\tb", Some(3));
        let lines = r.describe();
        assert!(lines.iter().all(|l| !l.contains(['\n', '\t'])));
        assert!(lines[0].contains("`two lines`"), "{lines:?}");
        assert!(lines
            .iter()
            .any(|l| l == "origin    run `runs/a b`, candidate 3"));
    }
}
