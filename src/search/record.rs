//! [`Record`]: what the search learned about one candidate, one line of the run journal.

use super::mutate::Variation;
use crate::activation::Activation;
use crate::expr::{parse, Fingerprint};
use crate::grad::BackwardMode;
use crate::train::Evaluation;
use serde::{Deserialize, Serialize};

/// Where a candidate came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A baseline activation seeded into the first population.
    Baseline {
        /// Its name (relu, swish, ...).
        name: String,
    },
    /// Grown at random.
    Random,
    /// Produced by exhaustive enumeration.
    Enumerated,
    /// A child of earlier candidates.
    Child {
        /// Ids of the parents (one, or two for crossover).
        parents: Vec<u64>,
        /// The operator that made it.
        variation: Variation,
    },
}

/// What happened to a candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Trained; at least one seed completed.
    Trained {
        /// Scores per seed and their summary.
        evaluation: Evaluation,
    },
    /// Trained, but every seed diverged or failed.
    Failed {
        /// Why (the first seed's reason).
        reason: String,
        /// Scores per seed (all failed).
        evaluation: Evaluation,
    },
    /// Rejected by a pre-filter before any training.
    Rejected {
        /// Why.
        reason: String,
    },
    /// The same function and backward were already trained on this task.
    Duplicate {
        /// The id of the candidate that was trained.
        of: u64,
    },
}

impl Outcome {
    /// Short status name: trained, failed, rejected or duplicate.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Trained { .. } => "trained",
            Outcome::Failed { .. } => "failed",
            Outcome::Rejected { .. } => "rejected",
            Outcome::Duplicate { .. } => "duplicate",
        }
    }

    /// The failure or rejection reason, if any.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Failed { reason, .. } | Outcome::Rejected { reason } => Some(reason),
            _ => None,
        }
    }

    /// The evaluation, when the candidate was trained.
    pub fn evaluation(&self) -> Option<&Evaluation> {
        match self {
            Outcome::Trained { evaluation } | Outcome::Failed { evaluation, .. } => {
                Some(evaluation)
            }
            _ => None,
        }
    }
}

/// One evaluated candidate, as written to the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Sequential id within the run.
    pub id: u64,
    /// The batch (generation) that trained it at this rung.
    pub batch: u64,
    /// The rung of a multi-fidelity ladder it was trained at ([`super::fidelity`]); 0 without
    /// a ladder. A promoted candidate has one record per rung, all with its id.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rung: u32,
    /// The canonical forward formula.
    pub formula: String,
    /// The backward mode.
    pub backward: BackwardMode,
    /// The derived backward multiplier `g(x)`.
    pub backward_formula: String,
    /// Where it came from.
    pub origin: Origin,
    /// Behavioural fingerprint of the forward function.
    pub fingerprint: Fingerprint,
    /// Behavioural fingerprint of the backward multiplier.
    pub backward_fingerprint: Fingerprint,
    /// What happened.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Objective values in the space's order (`None` unless trained, or a duplicate of a trained
    /// candidate).
    pub objectives: Option<Vec<f64>>,
    /// Wall-clock seconds spent on it.
    pub seconds: f64,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Record {
    /// The candidate as an activation (the formula and mode parse back exactly).
    pub fn activation(&self) -> Result<Activation, crate::expr::ParseError> {
        Ok(Activation::new(
            parse(&self.formula)?,
            self.backward.clone(),
        ))
    }

    /// Whether the candidate was trained successfully.
    pub fn is_trained(&self) -> bool {
        matches!(self.outcome, Outcome::Trained { .. })
    }
}

/// The latest record of each candidate (its highest rung), in the order the candidates first
/// appear: what tables, exports and the hall of fame show for a journal with promotions.
pub fn latest_per_candidate(records: &[Record]) -> Vec<&Record> {
    let mut index: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    let mut out: Vec<&Record> = Vec::new();
    for r in records {
        match index.get(&r.id) {
            Some(&i) if out[i].rung <= r.rung => out[i] = r,
            Some(_) => {}
            None => {
                index.insert(r.id, out.len());
                out.push(r);
            }
        }
    }
    out
}
