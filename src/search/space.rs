//! [`SearchSpace`]: what a search may build and how it is run, read from a RON file that users
//! edit (`search-spaces/*.ron`). Loading checks every name and number; errors carry the file,
//! line and column.

use super::fidelity::Fidelity;
use crate::expr::primitive::{lookup, nearest_name};
use crate::expr::Op;
use crate::grad::BackwardMode;
use crate::train::{Task, MAX_SEEDS};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The default space, embedded so that `radact search` works from any directory.
pub const DEFAULT_SPACE: &str = include_str!("../../search-spaces/default.ron");

/// The spaces shipped in `search-spaces/`, by name, embedded in the binary.
pub const SHIPPED_SPACES: &[(&str, &str)] = &[
    ("default", DEFAULT_SPACE),
    ("radical", include_str!("../../search-spaces/radical.ron")),
    (
        "swish-space",
        include_str!("../../search-spaces/swish-space.ron"),
    ),
    ("fashion", include_str!("../../search-spaces/fashion.ron")),
    ("deep", include_str!("../../search-spaces/deep.ron")),
    ("gan-ring", include_str!("../../search-spaces/gan-ring.ron")),
];

/// A primitive named in a space file; reading it checks the name against the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PrimitiveName(pub Op);

impl Serialize for PrimitiveName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for PrimitiveName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        match lookup(&name) {
            Some(p) => Ok(PrimitiveName(p.op)),
            None => Err(serde::de::Error::custom(match nearest_name(&name) {
                Some(n) => format!("unknown primitive `{name}` (did you mean `{n}`?)"),
                None => format!("unknown primitive `{name}` (`radact primitives` lists them)"),
            })),
        }
    }
}

/// Size limits of a forward graph.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Most primitive applications (operations) in the graph.
    pub max_ops: usize,
    /// Longest path from the output to `x`, counting operations.
    pub max_depth: usize,
}

/// How constants are drawn and mutated.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constants {
    /// Smallest constant drawn.
    pub min: f32,
    /// Largest constant drawn.
    pub max: f32,
    /// Chance that a new leaf is a constant rather than `x`.
    pub probability: f64,
}

/// Which backward modes candidates may use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackwardSpace {
    /// The allowed modes; new candidates draw one uniformly.
    pub modes: Vec<BackwardMode>,
    /// Whether mutation may change a candidate's mode (else each keeps the one it was born with).
    pub evolve: bool,
}

/// Relative weights of the variation operators (any non-negative numbers; they are normalised).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MutationWeights {
    /// Replace an operation by another of the same arity.
    pub replace_op: f64,
    /// Insert a new operation above a node.
    pub insert_node: f64,
    /// Delete an operation, keeping one of its arguments.
    pub delete_node: f64,
    /// Replace a sub-expression by a freshly grown one.
    pub replace_subtree: f64,
    /// Multiply a constant or parameter by a factor near 1.
    pub perturb_constant: f64,
    /// Draw a constant or parameter anew.
    pub resample_constant: f64,
    /// Change the backward mode (only when `backward.evolve`).
    pub change_backward: f64,
    /// Swap a sub-expression with one from a second parent.
    pub crossover: f64,
    /// Make a constant trainable (`param(c)`, a per-layer parameter trained with the weights),
    /// or fix a trainable one. 0 unless a space sets it, so that spaces written before it keep
    /// their searches.
    #[serde(default)]
    pub toggle_trainable: f64,
}

impl Default for MutationWeights {
    fn default() -> Self {
        MutationWeights {
            replace_op: 3.0,
            insert_node: 2.0,
            delete_node: 1.5,
            replace_subtree: 1.0,
            perturb_constant: 1.0,
            resample_constant: 0.5,
            change_backward: 1.0,
            crossover: 1.0,
            toggle_trainable: 0.0,
        }
    }
}

/// A score a search can optimise. The first objective of a space is the main one (hall of fame,
/// tournaments, the final check).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Median validation accuracy over seeds (maximise).
    ValidationAccuracy,
    /// Median validation loss (minimise).
    ValidationLoss,
    /// Median test accuracy: reported (tables, plots, the final check), never searched on. A
    /// space that lists it among its objectives is refused ([`SearchSpace::check_searchable`]):
    /// selecting on the test split would make the final check's test accuracies a biased
    /// estimate. The variant stays so that runs made before the refusal can still be read.
    TestAccuracy,
    /// Median share of exact zeros in the hidden activations (maximise).
    Sparsity,
    /// Median test accuracy under input noise of standard deviation 0.3 (maximise).
    Robustness,
    /// Estimated cost of the forward and backward programs per element, from a fixed per-primitive
    /// table (minimise; deterministic, unlike the measured time that is also recorded).
    Cost,
    /// GAN tasks: median number of the ring's modes the generator covers (maximise).
    Modes,
    /// GAN tasks: median share of generated samples near a mode's centre (maximise).
    HighQuality,
    /// GAN tasks: median reverse KL divergence between the generated samples' mode histogram
    /// and the uniform distribution (minimise).
    ReverseKl,
}

impl Objective {
    /// Every objective, in the order menus and tables list them.
    pub const ALL: [Objective; 9] = [
        Objective::ValidationAccuracy,
        Objective::ValidationLoss,
        Objective::TestAccuracy,
        Objective::Sparsity,
        Objective::Robustness,
        Objective::Cost,
        Objective::Modes,
        Objective::HighQuality,
        Objective::ReverseKl,
    ];

    /// Whether it is measured on a task of this kind: the accuracy, loss and robustness
    /// objectives on classification tasks, modes, high quality and reverse KL on GAN tasks
    /// (`gan`), sparsity and cost on both.
    pub fn measured_on(self, gan: bool) -> bool {
        match self {
            Objective::Sparsity | Objective::Cost => true,
            Objective::Modes | Objective::HighQuality | Objective::ReverseKl => gan,
            _ => !gan,
        }
    }

    /// Whether a search may select on it: every objective but `test_accuracy`.
    pub fn searchable(self) -> bool {
        self != Objective::TestAccuracy
    }

    /// Whether larger is better.
    pub fn maximise(self) -> bool {
        !matches!(
            self,
            Objective::ValidationLoss | Objective::Cost | Objective::ReverseKl
        )
    }

    /// Name as written in space files.
    pub fn name(self) -> &'static str {
        match self {
            Objective::ValidationAccuracy => "validation_accuracy",
            Objective::ValidationLoss => "validation_loss",
            Objective::TestAccuracy => "test_accuracy",
            Objective::Sparsity => "sparsity",
            Objective::Robustness => "robustness",
            Objective::Cost => "cost",
            Objective::Modes => "modes",
            Objective::HighQuality => "high_quality",
            Objective::ReverseKl => "reverse_kl",
        }
    }

    /// Name for people: table headers, plot axes (`validation accuracy`,
    /// `robustness (noise 0.3)`).
    pub fn label(self) -> &'static str {
        match self {
            Objective::ValidationAccuracy => "validation accuracy",
            Objective::ValidationLoss => "validation loss",
            Objective::TestAccuracy => "test accuracy",
            Objective::Sparsity => "sparsity",
            Objective::Robustness => "robustness (noise 0.3)",
            Objective::Cost => "cost",
            Objective::Modes => "modes covered",
            Objective::HighQuality => "high-quality share",
            Objective::ReverseKl => "reverse KL",
        }
    }
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The search algorithm and its settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlgorithmConfig {
    /// Regularized (aging) evolution (Real et al. 2019): tournament selection of a parent, the
    /// oldest member dies. The default.
    RegularizedEvolution {
        /// Members kept alive.
        population: usize,
        /// Members drawn for each tournament.
        tournament: usize,
    },
    /// NSGA-II (Deb et al. 2002) over all objectives: non-dominated sorting and crowding.
    Nsga2 {
        /// Members kept each generation (also the number of children per generation).
        population: usize,
    },
    /// Independent random candidates: the baseline every other algorithm must beat.
    Random,
    /// Every graph of up to `max_ops` operations, smallest first, with every allowed backward mode.
    Exhaustive {
        /// Most operations per enumerated graph.
        max_ops: usize,
    },
}

/// The retraining of the best candidates at the end of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinalCheckConfig {
    /// How many of the best candidates to train again.
    pub top: usize,
    /// The seeds to train them (and the baselines) with; distinct from the search seeds.
    pub seeds: Vec<u64>,
    /// Baseline formulas (exact backward) trained on the same seeds for comparison. Omitted:
    /// [`STANDARD_CHECK_BASELINES`]. A candidate is called better only when it beats every one
    /// of them (paired sign test, Holm-corrected over the baselines).
    #[serde(default = "standard_check_baselines")]
    pub baselines: Vec<String>,
}

/// The baselines a final check compares with when its space names none: the activations
/// practitioners use (sigmoid, a poor hidden activation, is left out). They do not depend on
/// the space's primitives: the question the check answers is whether a candidate beats what
/// one would use instead, whatever the search could build.
pub const STANDARD_CHECK_BASELINES: [&str; 8] = [
    "relu", "swish", "gelu", "elu", "selu", "tanh", "mish", "softplus",
];

/// The formulas of [`STANDARD_CHECK_BASELINES`].
pub fn standard_check_baselines() -> Vec<String> {
    STANDARD_CHECK_BASELINES
        .iter()
        .filter_map(|name| crate::train::baselines::baseline(name))
        .map(|b| b.formula.to_string())
        .collect()
}

impl FinalCheckConfig {
    /// Why this check's verdict would be weak, if it would: too few seeds for its number of
    /// baselines ([`super::final_check::seeds_warning`]). Not an error, so that quick checks
    /// (tests, tries) and runs made before the rule stay usable; the shipped spaces meet it
    /// (tested), and the CLI prints the warning when a search starts, reports when they show.
    pub fn seeds_warning(&self) -> Option<String> {
        if self.top == 0 {
            return None;
        }
        super::final_check::seeds_warning(self.seeds.len(), self.baselines.len())
    }
}

/// A wall-clock limit on a search, written as humantime text in space files and run configs
/// (`"90s"`, `"1h 30m"`, `"2h"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeLimit(pub std::time::Duration);

impl TimeLimit {
    /// Parses humantime text (`1h`, `30min`, `1h 30m`, `90s`); the limit must be positive.
    pub fn parse(text: &str) -> Result<TimeLimit, String> {
        let d = humantime::parse_duration(text.trim()).map_err(|e| {
            format!("time limit `{text}`: {e} (write it like `90s`, `30min`, `1h`)")
        })?;
        if d.is_zero() {
            return Err(format!("time limit `{text}` must be positive"));
        }
        Ok(TimeLimit(d))
    }

    /// The limit in seconds.
    pub fn seconds(self) -> f64 {
        self.0.as_secs_f64()
    }
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl Serialize for TimeLimit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for TimeLimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        TimeLimit::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A search space: the building blocks, the task that scores candidates and the algorithm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSpace {
    /// Short name, used in default run names.
    pub name: String,
    /// What the space is for.
    #[serde(default)]
    pub description: String,
    /// Allowed primitives and their sampling weights.
    pub primitives: BTreeMap<PrimitiveName, f64>,
    /// Graph size limits.
    pub limits: Limits,
    /// Constant range.
    pub constants: Constants,
    /// Allowed backward modes.
    pub backward: BackwardSpace,
    /// How every candidate is trained and scored (without a ladder), or what the rungs of the
    /// ladder share (dataset, network, optimiser, batch size).
    pub task: Task,
    /// A multi-fidelity ladder (successive halving): cheap rungs first, the best `1/eta` of
    /// each promoted to the next ([`Fidelity`]). Without one, every candidate trains on `task`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fidelity: Option<Fidelity>,
    /// What to optimise; the first is the main objective.
    pub objectives: Vec<Objective>,
    /// The search algorithm.
    pub algorithm: AlgorithmConfig,
    /// Weights of the variation operators.
    #[serde(default)]
    pub mutation: MutationWeights,
    /// Start the population with the baseline activations (relu, swish, gelu, ...).
    #[serde(default)]
    pub seed_baselines: bool,
    /// Candidates to train (rejected and duplicate candidates do not count).
    pub evaluations: usize,
    /// Wall-clock limit of the search (`Some("1h")`; `radact search --max-time` sets it): no
    /// batch is proposed after it, the batch in flight finishes, then the final check runs
    /// (its time is not counted). A resumed run counts the time its earlier sessions spent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_time: Option<TimeLimit>,
    /// Candidates proposed and trained together (in parallel); part of what makes a run
    /// reproducible whatever the number of threads.
    pub batch: usize,
    /// Size of the hall of fame.
    pub hall_of_fame: usize,
    /// Retraining of the best candidates at the end.
    pub final_check: FinalCheckConfig,
}

/// Most candidates a search may train (`evaluations`, `--budget`).
pub const MAX_EVALUATIONS: usize = 10_000_000;
/// Largest population of the evolutionary algorithms.
pub(crate) const MAX_POPULATION: usize = 100_000;
/// Largest hall of fame.
pub const MAX_HALL_OF_FAME: usize = 10_000;
/// Most candidates the final check trains again, and most baselines it compares them with.
pub(crate) const MAX_FINAL_CHECK: usize = 100;

/// A space file that could not be loaded: where and why.
#[derive(Debug, thiserror::Error)]
pub enum SpaceError {
    /// The file could not be read.
    #[error("cannot read search space {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid RON for a space, or a value is out of range.
    #[error("{origin}:{line}:{column}: {message}")]
    Invalid {
        /// The file (or `<embedded NAME>`).
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong.
        message: String,
    },
}

/// A value that failed its check: the field to point at (its first occurrence in the file
/// gives the line and column of the error) and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's name as it is written in the RON file.
    pub field: &'static str,
    /// What was wrong, in words for the user.
    pub message: String,
}

impl FieldError {
    /// An error at `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            field,
            message: message.into(),
        }
    }
}

impl SearchSpace {
    /// Reads and validates a space file.
    pub fn load(path: &Path) -> Result<SearchSpace, SpaceError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpaceError::Io {
            path: path.display().to_string(),
            source,
        })?;
        SearchSpace::from_ron(&text, &path.display().to_string())
    }

    /// A shipped space by name (`default`, `radical`, `swish-space`, `fashion`, `deep`,
    /// `gan-ring`).
    pub fn shipped(name: &str) -> Option<SearchSpace> {
        SHIPPED_SPACES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| {
                SearchSpace::from_ron(text, &format!("<embedded {n}.ron>"))
                    .expect("shipped spaces are valid (tested)")
            })
    }

    /// The embedded default space.
    pub fn default_space() -> SearchSpace {
        SearchSpace::shipped("default").expect("default space is shipped")
    }

    /// Parses and validates RON text; `origin` names it in errors.
    pub fn from_ron(text: &str, origin: &str) -> Result<SearchSpace, SpaceError> {
        let space: SearchSpace = ron::from_str(text).map_err(|e| SpaceError::Invalid {
            origin: origin.to_string(),
            line: e.position.line,
            column: e.position.col,
            message: e.code.to_string(),
        })?;
        space.validate().map_err(|FieldError { field, message }| {
            let (line, column) = locate(text, field);
            SpaceError::Invalid {
                origin: origin.to_string(),
                line,
                column,
                message,
            }
        })?;
        Ok(space)
    }

    /// The allowed primitives with positive weight, in catalogue-name order.
    pub fn weighted_primitives(&self) -> Vec<(Op, f64)> {
        self.primitives
            .iter()
            .filter(|(_, &w)| w > 0.0)
            .map(|(p, &w)| (p.0, w))
            .collect()
    }

    /// The main objective.
    pub fn main_objective(&self) -> Objective {
        self.objectives[0]
    }

    /// The task of each rung, cheapest first: the ladder's rungs, or the space's task alone.
    pub fn rung_tasks(&self) -> Vec<Task> {
        match &self.fidelity {
            Some(f) => f.tasks(&self.task),
            None => vec![self.task.clone()],
        }
    }

    /// The task results are judged at: the top rung's (seeds aside, what the final check trains).
    pub fn top_task(&self) -> Task {
        self.rung_tasks().pop().unwrap_or_else(|| self.task.clone())
    }

    /// Checks a space that is to be searched: [`SearchSpace::validate_settings`] and
    /// [`SearchSpace::check_searchable`]. On error returns the field to point at and the message.
    pub fn validate(&self) -> Result<(), FieldError> {
        self.validate_settings()?;
        self.check_searchable()
    }

    /// Refuses objectives a search must not select on (`test_accuracy`); what a space read from
    /// an old run may still hold, but no search may start or resume with.
    pub fn check_searchable(&self) -> Result<(), FieldError> {
        match self.objectives.iter().find(|o| !o.searchable()) {
            Some(o) => Err(FieldError::new(
                "objectives",
                format!(
                    "`{o}` cannot be a search objective: selecting on the test split makes the \
                     final check's test accuracy a biased estimate; use `validation_accuracy` or \
                     `validation_loss` (test accuracy is still reported in the hall of fame and \
                     the final check)"
                ),
            )),
            None => Ok(()),
        }
    }

    /// Checks ranges and consistency, as for a space read from a run: everything but
    /// [`SearchSpace::check_searchable`]. On error returns the field to point at and the message.
    pub fn validate_settings(&self) -> Result<(), FieldError> {
        let fail = |field: &'static str, msg: String| Err(FieldError::new(field, msg));
        if self.primitives.values().any(|w| !w.is_finite() || *w < 0.0) {
            return fail(
                "primitives",
                "primitive weights must be finite and >= 0".into(),
            );
        }
        if self.weighted_primitives().is_empty() {
            return fail(
                "primitives",
                "at least one primitive needs a positive weight".into(),
            );
        }
        if self.limits.max_ops == 0 || self.limits.max_ops > 64 {
            return fail(
                "max_ops",
                format!("max_ops must be in 1..=64, got {}", self.limits.max_ops),
            );
        }
        if self.limits.max_depth == 0 || self.limits.max_depth > 32 {
            return fail(
                "max_depth",
                format!("max_depth must be in 1..=32, got {}", self.limits.max_depth),
            );
        }
        let c = &self.constants;
        if !(c.min.is_finite() && c.max.is_finite() && c.min <= c.max) {
            return fail(
                "constants",
                format!(
                    "constants need finite min <= max, got {} and {}",
                    c.min, c.max
                ),
            );
        }
        if !(0.0..=1.0).contains(&c.probability) {
            return fail(
                "probability",
                format!(
                    "constant probability must be in [0, 1], got {}",
                    c.probability
                ),
            );
        }
        if self.backward.modes.is_empty() {
            return fail("modes", "at least one backward mode is needed".into());
        }
        self.task
            .validate()
            .or_else(|e| fail("task", e.to_string()))?;
        if let Some(f) = &self.fidelity {
            f.validate(&self.task)?;
        }
        if self.objectives.is_empty() {
            return fail("objectives", "at least one objective is needed".into());
        }
        for (i, o) in self.objectives.iter().enumerate() {
            if self.objectives[..i].contains(o) {
                return fail("objectives", format!("objective `{o}` is listed twice"));
            }
            let gan = self.task.dataset.is_gan();
            if !o.measured_on(gan) {
                return fail(
                    "objectives",
                    format!(
                        "objective `{o}` is not measured on {} tasks (dataset `{}`)",
                        if gan { "GAN" } else { "classification" },
                        self.task.dataset.name()
                    ),
                );
            }
        }
        match self.algorithm {
            AlgorithmConfig::RegularizedEvolution {
                population,
                tournament,
            } => {
                if !(2..=MAX_POPULATION).contains(&population) {
                    return fail(
                        "population",
                        format!("population must be in 2..={MAX_POPULATION}, got {population}"),
                    );
                }
                if tournament == 0 || tournament > population {
                    return fail(
                        "tournament",
                        format!(
                            "tournament must be in 1..=population ({population}), got {tournament}"
                        ),
                    );
                }
            }
            AlgorithmConfig::Nsga2 { population }
                if !(2..=MAX_POPULATION).contains(&population) =>
            {
                return fail(
                    "population",
                    format!("population must be in 2..={MAX_POPULATION}, got {population}"),
                );
            }
            AlgorithmConfig::Exhaustive { max_ops } if max_ops == 0 || max_ops > 3 => {
                return fail(
                    "max_ops",
                    format!("exhaustive max_ops must be in 1..=3, got {max_ops}"),
                );
            }
            _ => {}
        }
        let m = &self.mutation;
        let weights = [
            m.replace_op,
            m.insert_node,
            m.delete_node,
            m.replace_subtree,
            m.perturb_constant,
            m.resample_constant,
            m.change_backward,
            m.crossover,
        ];
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || weights.iter().sum::<f64>() <= 0.0
        {
            return fail(
                "mutation",
                "mutation weights must be >= 0 with a positive sum".into(),
            );
        }
        if !(1..=MAX_EVALUATIONS).contains(&self.evaluations) {
            return fail(
                "evaluations",
                format!(
                    "evaluations must be in 1..={MAX_EVALUATIONS}, got {}",
                    self.evaluations
                ),
            );
        }
        if self.max_time.is_some_and(|t| t.0.is_zero()) {
            return fail("max_time", "max_time must be positive".into());
        }
        if self.batch == 0 || self.batch > 1024 {
            return fail(
                "batch",
                format!("batch must be in 1..=1024, got {}", self.batch),
            );
        }
        if !(1..=MAX_HALL_OF_FAME).contains(&self.hall_of_fame) {
            return fail(
                "hall_of_fame",
                format!(
                    "hall_of_fame must be in 1..={MAX_HALL_OF_FAME}, got {}",
                    self.hall_of_fame
                ),
            );
        }
        let check = &self.final_check;
        if check.top > 0 && check.seeds.is_empty() {
            return fail("final_check", "final_check needs seeds when top > 0".into());
        }
        if check.top > MAX_FINAL_CHECK || check.baselines.len() > MAX_FINAL_CHECK {
            return fail(
                "final_check",
                format!(
                    "final_check: at most {MAX_FINAL_CHECK} candidates (top) and baselines, got {} and {}",
                    check.top,
                    check.baselines.len()
                ),
            );
        }
        if check.seeds.len() > MAX_SEEDS {
            return fail(
                "final_check",
                format!(
                    "final_check: at most {MAX_SEEDS} seeds, got {}",
                    check.seeds.len()
                ),
            );
        }
        for b in &self.final_check.baselines {
            if let Err(e) = crate::expr::parse(b) {
                return fail("baselines", format!("baseline `{b}`: {e}"));
            }
        }
        Ok(())
    }
}

/// Line and column (1-based) of the first occurrence of `field:` in `text`, else 1:1.
pub(crate) fn locate(text: &str, field: &str) -> (usize, usize) {
    let pattern = format!("{field}:");
    let mut in_comment = false;
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if code.trim_start().starts_with("/*") {
            in_comment = true;
        }
        if in_comment {
            in_comment = !code.contains("*/");
            continue;
        }
        if let Some(col) = code.find(&pattern) {
            return (i + 1, code[..col].chars().count() + 1);
        }
    }
    (1, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_spaces_load() {
        for (name, text) in SHIPPED_SPACES {
            let s = SearchSpace::from_ron(text, name).unwrap_or_else(|e| panic!("{e}"));
            assert!(!s.weighted_primitives().is_empty());
        }
    }

    #[test]
    fn fashion_and_deep_have_a_three_rung_ladder_and_bad_ladders_are_refused() {
        for name in ["fashion", "deep"] {
            let s = SearchSpace::shipped(name).unwrap();
            let ladder = s.fidelity.as_ref().expect("a ladder");
            assert_eq!((ladder.eta, ladder.rungs.len()), (3, 3), "{name}");
            let tasks = s.rung_tasks();
            assert_eq!(tasks[0].train_examples, Some(10_000));
            assert_eq!(tasks[2].seeds.len(), 3);
            // The final check trains at the top rung's budget.
            assert_eq!(s.top_task().budget, tasks[2].budget);
            assert_eq!(s.main_objective(), Objective::ValidationAccuracy);
            assert!(
                s.mutation.toggle_trainable > 0.0,
                "{name}: constants can become trainable"
            );
        }
        assert_eq!(
            SearchSpace::shipped("deep").unwrap().task.network.hidden,
            vec![64; 6]
        );
        assert_eq!(
            SearchSpace::default_space().main_objective(),
            Objective::ValidationLoss
        );
        let text = include_str!("../../search-spaces/fashion.ron");
        let bad = |from: &str, to: &str| {
            let edited = text.replacen(from, to, 1);
            assert_ne!(edited, text);
            SearchSpace::from_ron(&edited, "fashion.ron")
                .unwrap_err()
                .to_string()
        };
        let e = bad("eta: 3", "eta: 1");
        assert!(
            e.contains("reduction factor") && e.starts_with("fashion.ron:"),
            "{e}"
        );
        let e = bad("train_examples: Some(10000)", "train_examples: Some(0)");
        assert!(e.contains("rung 0") && e.contains("train_examples"), "{e}");
        let e = bad(
            "(budget: epochs(3), seeds: [0]),",
            "(budget: epochs(0), seeds: [0]),",
        );
        assert!(e.contains("rung 1") && e.contains("epochs"), "{e}");
        let e = bad(
            "budget: epochs(1), seeds: [0]",
            "budget: epochs(1), sedes: [0]",
        );
        assert!(e.contains("sedes"), "{e}");
    }

    #[test]
    fn shipped_final_checks_compare_with_the_standard_baselines_on_enough_seeds() {
        for (name, _) in SHIPPED_SPACES {
            let check = SearchSpace::shipped(name).unwrap().final_check;
            assert!(check.seeds.len() >= 8, "{name}");
            assert_eq!(check.seeds_warning(), None, "{name}");
            if *name == "gan-ring" {
                // A GAN is compared with the discriminator activations GANs use.
                let want = ["max(x, 0.2 * x)", "relu(x)", "tanh(x)"];
                assert_eq!(check.baselines, want);
                continue;
            }
            assert_eq!(check.baselines, standard_check_baselines(), "{name}");
            assert_eq!(check.baselines.len(), STANDARD_CHECK_BASELINES.len());
        }
        let mut few = SearchSpace::default_space().final_check;
        few.seeds.truncate(5);
        let warning = few.seeds_warning().unwrap();
        assert!(
            warning.contains("with 5 check seeds") && warning.contains("at least 9"),
            "{warning}"
        );
    }

    #[test]
    fn the_gan_space_searches_gan_scores_and_a_space_cannot_mix_task_kinds() {
        let s = SearchSpace::shipped("gan-ring").unwrap();
        assert!(s.task.dataset.is_gan());
        assert_eq!(
            s.task,
            Task {
                seeds: vec![0, 1, 2],
                ..Task::gan_ring()
            }
        );
        assert_eq!(s.objectives, [Objective::ReverseKl, Objective::Modes]);
        assert_eq!(s.max_time.unwrap().to_string(), "1h");
        let text = include_str!("../../search-spaces/gan-ring.ron");
        let bad = |from: &str, to: &str| {
            let edited = text.replacen(from, to, 1);
            assert_ne!(edited, text);
            SearchSpace::from_ron(&edited, "gan-ring.ron")
                .unwrap_err()
                .to_string()
        };
        let e = bad("objectives: [reverse_kl,", "objectives: [validation_loss,");
        assert!(
            e.contains("`validation_loss` is not measured on GAN tasks"),
            "{e}"
        );
        let e = bad("budget: steps(3000)", "budget: epochs(3)");
        assert!(e.contains("steps"), "{e}");
        let e = DEFAULT_SPACE.replacen("objectives: [validation_loss,", "objectives: [modes,", 1);
        let e = SearchSpace::from_ron(&e, "default.ron")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`modes` is not measured on classification tasks"),
            "{e}"
        );
    }

    #[test]
    fn a_space_can_set_a_time_limit() {
        let text = DEFAULT_SPACE.replacen(
            "evaluations:",
            "max_time: Some(\"1h 30m\"),\n    evaluations:",
            1,
        );
        let s = SearchSpace::from_ron(&text, "space.ron").unwrap_or_else(|e| panic!("{e}"));
        let limit = s.max_time.unwrap();
        assert_eq!(limit.seconds(), 5400.0);
        assert_eq!(limit.to_string(), "1h 30m");
        // Written back as text, read back the same; a space without a limit writes none.
        let back: SearchSpace = ron::from_str(&ron::to_string(&s).unwrap()).unwrap();
        assert_eq!(back.max_time, Some(limit));
        assert!(!ron::to_string(&SearchSpace::default_space())
            .unwrap()
            .contains("max_time"));
        assert!(TimeLimit::parse("0s").is_err());
    }

    #[test]
    fn radical_space_has_only_flat_or_non_differentiable_primitives() {
        let s = SearchSpace::shipped("radical").unwrap();
        for (op, _) in s.weighted_primitives() {
            let f = op.primitive().flags;
            assert!(f.flat || f.non_differentiable, "{} is smooth", op.name());
        }
    }

    #[test]
    fn a_space_can_ask_for_pytorch_initialisation() {
        let text = DEFAULT_SPACE.replacen("init: he", "init: torch", 1);
        assert_ne!(text, DEFAULT_SPACE);
        let s = SearchSpace::from_ron(&text, "space.ron").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.task.network.init, crate::train::Init::Torch);
        let e = error_of(|t| t.replacen("init: he", "init: pytorch", 1));
        assert!(e.contains("pytorch"), "{e}");
    }

    /// The 1-based line of the default space holding `needle`.
    fn line_of(needle: &str) -> usize {
        DEFAULT_SPACE
            .lines()
            .position(|l| l.contains(needle))
            .unwrap()
            + 1
    }

    fn error_of(edit: impl Fn(&str) -> String) -> String {
        let text = edit(DEFAULT_SPACE);
        assert_ne!(text, DEFAULT_SPACE, "the edit changed nothing");
        SearchSpace::from_ron(&text, "space.ron")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_point_at_file_line_and_column() {
        let e = error_of(|t| t.replacen("\"tanh\"", "\"tanhh\"", 1));
        assert!(e.starts_with("space.ron:"), "{e}");
        assert!(
            e.contains("unknown primitive `tanhh` (did you mean `tanh`?)"),
            "{e}"
        );
        let line = line_of("\"tanh\"");
        assert!(
            e.starts_with(&format!("space.ron:{line}:")),
            "{e} (expected line {line})"
        );

        let e = error_of(|t| t.replacen("\"surrogate\"", "\"surogate\"", 1));
        assert!(e.contains("did you mean `surrogate`"), "{e}");
        let e = error_of(|t| t.replacen("evaluations:", "evaluationz:", 1));
        assert!(e.contains("evaluationz"), "{e}");
        let e = error_of(|t| t.replacen("batch: 8", "batch: 0", 1));
        let line = line_of("batch: 8");
        assert!(
            e.starts_with(&format!("space.ron:{line}:")) && e.contains("batch must be"),
            "{e}"
        );
        let e = error_of(|t| t.replacen("objectives: [", "objectives: [cost, ", 1));
        assert!(e.contains("listed twice"), "{e}");
        let e = error_of(|t| t.replacen("batch: 8", "batch: 100000", 1));
        assert!(e.contains("batch must be in 1..=1024, got 100000"), "{e}");
        let e =
            error_of(|t| t.replacen("evaluations: 200", "evaluations: 18446744073709551615", 1));
        assert!(e.contains("evaluations must be in 1..=10000000"), "{e}");
        let e = error_of(|t| t.replacen("hall_of_fame: ", "hall_of_fame: 9999999", 1));
        assert!(e.contains("hall_of_fame must be in 1..=10000"), "{e}");
        let e = error_of(|t| t.replacen("epochs(", "epochs(1000000", 1));
        assert!(e.contains("epochs must be in 1..=100000"), "{e}");
        let e = error_of(|t| t.replacen("hidden: [", "hidden: [100000, ", 1));
        assert!(
            e.contains("hidden layer width must be in 1..=4096, got 100000"),
            "{e}"
        );
        let e = error_of(|t| t.replacen("population: ", "population: 1000000", 1));
        assert!(e.contains("population must be in 2..=100000"), "{e}");
        let e = error_of(|t| {
            t.replacen(
                "objectives: [validation_loss",
                "objectives: [test_accuracy",
                1,
            )
        });
        let line = line_of("objectives: [");
        assert!(
            e.starts_with(&format!("space.ron:{line}:"))
                && e.contains("`test_accuracy` cannot be a search objective")
                && e.contains("`validation_accuracy` or `validation_loss`"),
            "{e}"
        );
        let e = error_of(|t| {
            t.replacen(
                "evaluations:",
                "max_time: Some(\"soon\"),\n    evaluations:",
                1,
            )
        });
        assert!(e.contains("time limit `soon`") && e.contains("1h"), "{e}");
        let e = error_of(|t| format!("{t} trailing"));
        assert!(e.contains("space.ron:"), "{e}");
    }
}
