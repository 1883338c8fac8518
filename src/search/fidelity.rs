//! Multi-fidelity evaluation: asynchronous successive halving (ASHA; Li et al. 2018–2020).
//!
//! A space may declare a [`Fidelity`]: a ladder of [`Rung`]s, each a training budget (a subset
//! of the training examples, a number of epochs or steps, seeds), and a reduction factor `eta`.
//! Every candidate is trained at rung 0. Whenever a candidate is among the best `1/eta` of the
//! candidates trained so far at its rung (by the main objective, compared only among that
//! rung's results) it is promoted: trained again at the next rung. Nothing waits for a rung to
//! fill (that is the asynchronous part); the decisions depend only on the results recorded so
//! far, in order, so a run stays deterministic for its seed and resumes to the same journal.
//!
//! [`Ladder`] is that bookkeeping, rebuilt from the journal's records; the engine asks it for
//! promotions before it asks the search algorithm for new candidates.

use super::objective::scores;
use super::record::{Origin, Outcome, Record};
use super::space::{FieldError, Objective};
use crate::activation::Activation;
use crate::train::{Budget, Task};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Most rungs a ladder may have.
pub const MAX_RUNGS: usize = 8;

/// A ladder of training budgets and the share promoted from one rung to the next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fidelity {
    /// Reduction factor: the best `1/eta` of a rung are promoted (at least 2).
    #[serde(default = "default_eta")]
    pub eta: usize,
    /// The rungs, cheapest first; the last is the budget the search's results are judged at
    /// (and the final check trains at).
    pub rungs: Vec<Rung>,
}

fn default_eta() -> usize {
    3
}

/// One training budget of a ladder; what it does not set comes from the space's task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rung {
    /// Train on this many examples of the training split (drawn by the split seed), or on all
    /// of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_examples: Option<usize>,
    /// Training length per seed.
    pub budget: Budget,
    /// Seeds trained at this rung.
    pub seeds: Vec<u64>,
}

impl Fidelity {
    /// The task of each rung: the space's task with the rung's budget, seeds and subset.
    pub fn tasks(&self, base: &Task) -> Vec<Task> {
        self.rungs
            .iter()
            .map(|r| Task {
                budget: r.budget,
                seeds: r.seeds.clone(),
                train_examples: r.train_examples,
                ..base.clone()
            })
            .collect()
    }

    /// Checks the ladder: 1 to [`MAX_RUNGS`] rungs, `eta` at least 2, and each rung's task
    /// valid.
    pub fn validate(&self, base: &Task) -> Result<(), FieldError> {
        if self.eta < 2 {
            return Err(FieldError::new(
                "eta",
                format!(
                    "the reduction factor must be at least 2 (the best 1/eta are promoted), got {}",
                    self.eta
                ),
            ));
        }
        if self.rungs.is_empty() || self.rungs.len() > MAX_RUNGS {
            return Err(FieldError::new(
                "rungs",
                format!(
                    "a ladder needs 1 to {MAX_RUNGS} rungs, got {}",
                    self.rungs.len()
                ),
            ));
        }
        for (i, task) in self.tasks(base).iter().enumerate() {
            task.validate()
                .map_err(|e| FieldError::new("rungs", format!("rung {i}: {e}")))?;
        }
        Ok(())
    }
}

/// A candidate's result at one rung, as the ladder ranks it.
#[derive(Clone, Debug)]
struct RungResult {
    id: u64,
    /// The main objective as a larger-is-better score.
    score: f64,
}

/// A promotion the ladder asks for: train candidate `id` at rung `rung`.
#[derive(Clone, Debug, PartialEq)]
pub struct Promotion {
    /// The candidate.
    pub id: u64,
    /// The rung to train it at (at least 1).
    pub rung: u32,
    /// The candidate's activation.
    pub activation: Activation,
    /// Where the candidate came from (as its rung-0 record says).
    pub origin: Origin,
}

/// The state of successive halving: the results recorded at each rung and who was promoted.
#[derive(Clone, Debug)]
pub struct Ladder {
    eta: usize,
    objectives: Vec<Objective>,
    /// Per rung, the successful results in the order they were recorded.
    results: Vec<Vec<RungResult>>,
    /// Per rung, the ids already promoted from it (trained, or in flight, at the next rung).
    promoted: Vec<HashSet<u64>>,
    /// The activation and origin of every candidate with a result, for promotions.
    activations: std::collections::HashMap<u64, (Activation, Origin)>,
}

impl Ladder {
    /// An empty ladder of `rungs` rungs promoting the best `1/eta`, ranking by the first of
    /// `objectives`.
    pub fn new(eta: usize, rungs: usize, objectives: &[Objective]) -> Ladder {
        Ladder {
            eta: eta.max(2),
            objectives: objectives.to_vec(),
            results: vec![Vec::new(); rungs.max(1)],
            promoted: vec![HashSet::new(); rungs.max(1)],
            activations: Default::default(),
        }
    }

    /// Number of rungs.
    pub fn rungs(&self) -> usize {
        self.results.len()
    }

    /// Takes a journal record into account: a trained candidate's result joins its rung; a
    /// record at rung `k > 0` (trained or not) marks the candidate as promoted from `k - 1`.
    /// Rejected and duplicate records, and rungs beyond the ladder, change nothing.
    pub fn add(&mut self, r: &Record) {
        let rung = r.rung as usize;
        if rung >= self.rungs() {
            return;
        }
        if !matches!(r.outcome, Outcome::Trained { .. } | Outcome::Failed { .. }) {
            return;
        }
        if rung > 0 {
            self.promoted[rung - 1].insert(r.id);
        }
        let score = r
            .objectives
            .as_ref()
            .filter(|v| v.len() == self.objectives.len() && r.is_trained())
            .map(|v| scores(&self.objectives, v)[0])
            .filter(|s| !s.is_nan());
        if let Some(score) = score {
            if let Ok(a) = r.activation() {
                self.activations.insert(r.id, (a, r.origin.clone()));
                self.results[rung].push(RungResult { id: r.id, score });
            }
        }
    }

    /// Up to `limit` promotions, highest rung first and best first within a rung (ASHA's
    /// rule: a candidate not yet promoted from rung `k` is promoted when it ranks among the
    /// best `floor(n_k / eta)` of the `n_k` results at rung `k`). The promotions returned are
    /// marked as done: asking again does not repeat them.
    pub fn promote(&mut self, limit: usize) -> Vec<Promotion> {
        let mut out = Vec::new();
        for rung in (0..self.rungs().saturating_sub(1)).rev() {
            if out.len() >= limit {
                break;
            }
            let results = &self.results[rung];
            let k = results.len() / self.eta;
            if k == 0 {
                continue;
            }
            let mut ranked: Vec<&RungResult> = results.iter().collect();
            // Best first; ties go to the earlier candidate.
            ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
            let chosen: Vec<u64> = ranked[..k]
                .iter()
                .map(|r| r.id)
                .filter(|id| !self.promoted[rung].contains(id))
                .take(limit - out.len())
                .collect();
            for id in chosen {
                self.promoted[rung].insert(id);
                let (activation, origin) = self.activations[&id].clone();
                out.push(Promotion {
                    id,
                    rung: rung as u32 + 1,
                    activation,
                    origin,
                });
            }
        }
        out
    }

    /// How many candidates have a result at each rung.
    pub fn counts(&self) -> Vec<usize> {
        self.results.iter().map(Vec::len).collect()
    }
}

/// Spearman's rank correlation of paired values (average ranks for ties); `None` with fewer
/// than 3 pairs or when either side is constant.
pub fn spearman(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 3 {
        return None;
    }
    let a = ranks(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
    let b = ranks(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(&b) {
        cov += (x - ma) * (y - mb);
        va += (x - ma).powi(2);
        vb += (y - mb).powi(2);
    }
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

/// 1-based ranks of `values`, ties sharing their average rank (NaN ranks last).
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut out = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = rank;
        }
        i = j + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Fingerprint;
    use crate::train::{Evaluation, Summary};

    /// A trained record of candidate `id` at `rung` with validation accuracy `accuracy`.
    fn record(id: u64, rung: u32, accuracy: f64) -> Record {
        Record {
            id,
            batch: 0,
            rung,
            formula: "relu(x)".into(),
            backward: crate::grad::BackwardMode::Exact,
            backward_formula: "heaviside(x)".into(),
            origin: Origin::Random,
            fingerprint: Fingerprint(0),
            backward_fingerprint: Fingerprint(0),
            outcome: Outcome::Trained {
                evaluation: Evaluation {
                    seeds: vec![],
                    summary: Summary::of(&[], 0.0),
                },
            },
            objectives: Some(vec![accuracy]),
            seconds: 0.0,
        }
    }

    fn ladder(eta: usize, rungs: usize) -> Ladder {
        Ladder::new(eta, rungs, &[Objective::ValidationAccuracy])
    }

    fn ids(p: &[Promotion]) -> Vec<(u64, u32)> {
        p.iter().map(|p| (p.id, p.rung)).collect()
    }

    #[test]
    fn the_best_third_of_a_rung_is_promoted_as_soon_as_it_is_known() {
        let mut l = ladder(3, 3);
        // Two results: floor(2/3) = 0, nobody yet.
        l.add(&record(0, 0, 0.5));
        l.add(&record(1, 0, 0.9));
        assert!(l.promote(10).is_empty());
        // A third: the best of three goes up, without waiting for more.
        l.add(&record(2, 0, 0.7));
        assert_eq!(ids(&l.promote(10)), vec![(1, 1)]);
        assert!(l.promote(10).is_empty(), "a promotion is not repeated");
        // Three more; the top two of six are 1 (already promoted) and 4.
        for (id, acc) in [(3, 0.6), (4, 0.95), (5, 0.1)] {
            l.add(&record(id, 0, acc));
        }
        assert_eq!(ids(&l.promote(10)), vec![(4, 1)]);
    }

    #[test]
    fn promotions_go_highest_rung_first_and_respect_the_limit() {
        let mut l = ladder(2, 3);
        for (id, acc) in [(0, 0.1), (1, 0.2), (2, 0.3), (3, 0.4)] {
            l.add(&record(id, 0, acc));
        }
        // Top half of rung 0: 3 then 2; only one slot.
        assert_eq!(ids(&l.promote(1)), vec![(3, 1)]);
        l.add(&record(3, 1, 0.8));
        assert_eq!(ids(&l.promote(1)), vec![(2, 1)]);
        l.add(&record(2, 1, 0.7));
        // Rung 1 has two results: its best (3) is promoted to rung 2 before anything else.
        for (id, acc) in [(4, 0.9), (5, 0.05)] {
            l.add(&record(id, 0, acc));
        }
        assert_eq!(ids(&l.promote(2)), vec![(3, 2), (4, 1)]);
        assert_eq!(l.counts(), vec![6, 2, 0]);
    }

    #[test]
    fn a_minimised_main_objective_promotes_the_lowest() {
        let mut l = Ladder::new(3, 2, &[Objective::ValidationLoss]);
        for (id, loss) in [(0, 0.9), (1, 0.3), (2, 0.6)] {
            l.add(&record(id, 0, loss));
        }
        assert_eq!(ids(&l.promote(5)), vec![(1, 1)]);
    }

    #[test]
    fn a_ladder_rebuilt_from_the_journal_does_not_repeat_promotions() {
        let mut journal = vec![];
        for (id, acc) in [(0, 0.1), (1, 0.9), (2, 0.5)] {
            journal.push(record(id, 0, acc));
        }
        journal.push(record(1, 1, 0.4));
        let mut l = ladder(3, 2);
        journal.iter().for_each(|r| l.add(r));
        assert!(l.promote(5).is_empty());
        // A failed or unranked result at rung 1 still counts as promoted.
        let mut failed = record(2, 1, 0.0);
        failed.objectives = None;
        let mut l = ladder(3, 2);
        journal[..3].iter().for_each(|r| l.add(r));
        l.add(&failed);
        assert_eq!(ids(&l.promote(5)), vec![(1, 1)]);
    }

    #[test]
    fn spearman_matches_hand_computed_values() {
        let same: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 2.0 * i as f64 + 1.0)).collect();
        assert!((spearman(&same).unwrap() - 1.0).abs() < 1e-12);
        let reversed: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, -(i as f64))).collect();
        assert!((spearman(&reversed).unwrap() + 1.0).abs() < 1e-12);
        // Ranks (1,2,3,4,5) against (2,1,4,3,5): d² = 1+1+1+1+0 = 4, rho = 1 - 6*4/(5*24) = 0.8.
        let p = [(1.0, 2.0), (2.0, 1.0), (3.0, 4.0), (4.0, 3.0), (5.0, 5.0)];
        assert!((spearman(&p).unwrap() - 0.8).abs() < 1e-12);
        // Ties share ranks; constant sides have no correlation.
        assert_eq!(ranks(&[3.0, 1.0, 3.0]), vec![2.5, 1.0, 2.5]);
        assert_eq!(spearman(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]), None);
        assert_eq!(spearman(&[(1.0, 1.0), (2.0, 2.0)]), None);
    }
}
