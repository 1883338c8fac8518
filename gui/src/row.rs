//! [`Row`]: one candidate as the app shows it, its record plus the numbers derived from it once
//! (metrics, estimated cost), and [`Metric`], the numeric columns that tables and plots use.
//!
//! Rows are built off the UI thread (by the search worker and the journal follower), so the UI
//! thread never parses formulas or derives backward graphs for a whole journal.

use radact::grad::derive_joint;
use radact::search::objective::graph_cost;
use radact::search::record::{Outcome, Record};
use radact::search::Objective;
use std::fmt;

/// A numeric property of a candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Median validation accuracy over the training seeds.
    ValidationAccuracy,
    /// Median validation loss.
    ValidationLoss,
    /// Median test accuracy.
    TestAccuracy,
    /// Median share of exact zeros in the hidden activations.
    Sparsity,
    /// Median test accuracy under input noise of standard deviation 0.3.
    Robustness,
    /// Estimated cost per element of the forward and backward programs.
    Cost,
    /// Measured forward time per element, in nanoseconds.
    ForwardNs,
}

impl Metric {
    /// Every metric, in menu order.
    pub const ALL: [Metric; 7] = [
        Metric::ValidationAccuracy,
        Metric::ValidationLoss,
        Metric::TestAccuracy,
        Metric::Sparsity,
        Metric::Robustness,
        Metric::Cost,
        Metric::ForwardNs,
    ];

    /// Short name for headers and axes.
    pub fn label(self) -> &'static str {
        match self {
            Metric::ValidationAccuracy => "validation accuracy",
            Metric::ValidationLoss => "validation loss",
            Metric::TestAccuracy => "test accuracy",
            Metric::Sparsity => "sparsity",
            Metric::Robustness => "robustness (noise 0.3)",
            Metric::Cost => "cost",
            Metric::ForwardNs => "forward ns/element",
        }
    }

    /// Whether larger values are better.
    pub fn maximise(self) -> bool {
        !matches!(
            self,
            Metric::ValidationLoss | Metric::Cost | Metric::ForwardNs
        )
    }

    /// The metric that shows a search objective.
    pub fn of_objective(objective: Objective) -> Metric {
        match objective {
            Objective::ValidationAccuracy => Metric::ValidationAccuracy,
            Objective::ValidationLoss => Metric::ValidationLoss,
            Objective::TestAccuracy => Metric::TestAccuracy,
            Objective::Sparsity => Metric::Sparsity,
            Objective::Robustness => Metric::Robustness,
            Objective::Cost => Metric::Cost,
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One candidate of a run, ready to show.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The journal record.
    pub record: Record,
    /// The backward mode as text.
    pub backward: String,
    /// Median validation accuracy (trained candidates; duplicates take their original's value
    /// when it is among the objectives).
    pub validation_accuracy: Option<f64>,
    /// Median validation loss.
    pub validation_loss: Option<f64>,
    /// Median test accuracy.
    pub test_accuracy: Option<f64>,
    /// Median sparsity.
    pub sparsity: Option<f64>,
    /// Median accuracy under input noise 0.3.
    pub robustness: Option<f64>,
    /// Estimated cost per element of the joint forward and backward programs (every candidate
    /// whose formula parses, trained or not).
    pub cost: Option<f64>,
    /// Measured forward nanoseconds per element.
    pub forward_ns: Option<f64>,
    /// The value of the run's main objective, when the candidate has objective values.
    pub main: Option<f64>,
}

impl Row {
    /// Derives the columns of `record`; `objectives` are the run's, in the order of
    /// [`Record::objectives`].
    pub fn new(record: Record, objectives: &[Objective]) -> Row {
        let objective = |metric: Metric| {
            let i = objectives
                .iter()
                .position(|&o| Metric::of_objective(o) == metric)?;
            record.objectives.as_ref()?.get(i).copied()
        };
        let metrics = record
            .outcome
            .evaluation()
            .and_then(|e| e.summary.metrics.as_ref());
        let finite = |v: f64| v.is_finite().then_some(v);
        let from_metrics = |metric: Metric| -> Option<f64> {
            let m = metrics?;
            let spread = match metric {
                Metric::ValidationAccuracy => &m.validation_accuracy,
                Metric::ValidationLoss => &m.validation_loss,
                Metric::TestAccuracy => &m.test_accuracy,
                Metric::Sparsity => &m.sparsity,
                Metric::Robustness => &m.noisy_accuracy_0_3,
                Metric::Cost | Metric::ForwardNs => return None,
            };
            finite(spread.median)
        };
        let value = |metric: Metric| from_metrics(metric).or_else(|| objective(metric));
        let cost = objective(Metric::Cost).or_else(|| {
            let activation = record.activation().ok()?;
            let (joint, y, g) = derive_joint(&activation.forward, &activation.backward);
            Some(graph_cost(&joint, &[y, g]))
        });
        let forward_ns = record
            .outcome
            .evaluation()
            .map(|e| e.summary.forward_ns_per_element)
            .and_then(finite);
        Row {
            backward: record.backward.to_string(),
            validation_accuracy: value(Metric::ValidationAccuracy),
            validation_loss: value(Metric::ValidationLoss),
            test_accuracy: value(Metric::TestAccuracy),
            sparsity: value(Metric::Sparsity),
            robustness: value(Metric::Robustness),
            cost,
            forward_ns,
            main: record
                .objectives
                .as_ref()
                .and_then(|o| o.first().copied())
                .and_then(finite),
            record,
        }
    }

    /// The candidate's id in the run.
    pub fn id(&self) -> u64 {
        self.record.id
    }

    /// The forward formula.
    pub fn formula(&self) -> &str {
        &self.record.formula
    }

    /// The generation (batch) that proposed it.
    pub fn generation(&self) -> u64 {
        self.record.batch
    }

    /// The value of `metric`, if known.
    pub fn metric(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::ValidationAccuracy => self.validation_accuracy,
            Metric::ValidationLoss => self.validation_loss,
            Metric::TestAccuracy => self.test_accuracy,
            Metric::Sparsity => self.sparsity,
            Metric::Robustness => self.robustness,
            Metric::Cost => self.cost,
            Metric::ForwardNs => self.forward_ns,
        }
    }

    /// Short status: trained, failed, rejected or duplicate.
    pub fn status(&self) -> &'static str {
        self.record.outcome.status()
    }

    /// The status with its reason: `failed: seed 0: diverged`, `duplicate of #3`.
    pub fn status_text(&self) -> String {
        match &self.record.outcome {
            Outcome::Duplicate { of } => format!("duplicate of #{of}"),
            outcome => match outcome.reason() {
                Some(reason) => format!("{}: {reason}", outcome.status()),
                None => outcome.status().to_string(),
            },
        }
    }

    /// Whether the candidate was trained and scored (counts towards the budget and the plots).
    pub fn is_trained(&self) -> bool {
        self.record.is_trained()
    }
}
