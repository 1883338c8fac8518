//! Does a multi-fidelity ladder predict? [`study`] trains the same sample of a space's
//! candidates (its baselines, then random candidates, pre-filtered and deduplicated as a search
//! does) at every rung of its ladder, and compares each rung's ranking with the top rung's:
//! Spearman's rank correlation of the main objective, and how many of the top rung's best
//! `1/eta` the rung's best `1/eta` contain (what successive halving needs from a rung: that it
//! promotes the candidates that end up best).
//!
//! `radact ladder --space fashion --candidates 120` prints it; it is how the shipped ladders
//! were chosen.

use super::fidelity::spearman;
use super::genome::{baselines, grow};
use super::objective::{graph_cost, measurements, scores, values};
use super::prefilter::prefilter;
use super::space::SearchSpace;
use crate::activation::{Activation, CompiledActivation};
use crate::expr::fingerprint::fingerprint_program;
use crate::expr::simplify;
use crate::grad::derive_joint;
use crate::train::{evaluate_jobs, Measurements, TrainError, Trainer, Workers};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Candidates trained together (at every rung) between two progress reports.
const CHUNK: usize = 8;

/// One candidate of a study and its main score at each rung (`None` where it failed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudiedCandidate {
    /// The forward formula.
    pub formula: String,
    /// The backward mode.
    pub backward: String,
    /// The main objective's value at each rung, cheapest first.
    pub values: Vec<Option<f64>>,
    /// Median validation accuracy and loss at each rung (to compare main objectives).
    pub validation: Vec<Option<(f64, f64)>>,
}

/// How well one rung predicts the top rung.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RungAgreement {
    /// The rung.
    pub rung: usize,
    /// Candidates with a value at both this rung and the top rung.
    pub pairs: usize,
    /// Spearman's rank correlation of the main objective with the top rung's.
    pub spearman: Option<f64>,
    /// How many of the top rung's best `1/eta` are among this rung's best `1/eta` (of the
    /// paired candidates), and how many that is out of.
    pub top_overlap: (usize, usize),
    /// Seconds of training per candidate at this rung (summed over its seeds), median.
    pub seconds_per_candidate: f64,
}

/// The result of [`study`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LadderStudy {
    /// The space studied.
    pub space: String,
    /// The main objective.
    pub objective: String,
    /// The ladder's reduction factor.
    pub eta: usize,
    /// Every candidate trained.
    pub candidates: Vec<StudiedCandidate>,
    /// Each rung against the top rung (the top rung itself included, trivially 1).
    pub rungs: Vec<RungAgreement>,
}

impl LadderStudy {
    /// A plain-text report.
    pub fn table(&self) -> String {
        let mut out = format!(
            "Ladder study of {} ({} candidates, {}, eta {}):\n  rung  pairs  spearman  top-1/eta overlap  s/candidate\n",
            self.space,
            self.candidates.len(),
            self.objective,
            self.eta
        );
        for r in &self.rungs {
            out.push_str(&format!(
                "  {:>4}  {:>5}  {:>8}  {:>8}/{:<8}  {:>11.2}\n",
                r.rung,
                r.pairs,
                r.spearman.map_or("-".to_string(), |s| format!("{s:.3}")),
                r.top_overlap.0,
                r.top_overlap.1,
                r.seconds_per_candidate
            ));
        }
        out
    }
}

/// Trains `candidates` candidates of `space` (its baselines first when it seeds them, then
/// random ones drawn with `seed`) at every rung of its ladder (or its one task) on `workers`,
/// calling `progress(done, total)` after each few candidates.
pub fn study(
    space: &SearchSpace,
    candidates: usize,
    seed: u64,
    workers: &Workers,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<LadderStudy, TrainError> {
    let tasks = space.rung_tasks();
    // What the objectives need, and the validation split (to compare main objectives).
    let needed = measurements(&space.objectives).union(Measurements {
        validation: true,
        ..Measurements::TEST
    });
    let first = Trainer::new(tasks[0].clone())?.measuring(needed);
    let mut trainers = vec![first];
    for task in &tasks[1..] {
        trainers.push(trainers[0].for_task(task.clone())?);
    }
    let sample = sample(space, candidates, seed);
    let objectives = &space.objectives;
    let mut studied = Vec::with_capacity(sample.len());
    let mut seconds: Vec<Vec<f64>> = vec![Vec::new(); trainers.len()];
    progress(0, sample.len());
    for chunk in sample.chunks(CHUNK) {
        let jobs: Vec<(&Trainer, &CompiledActivation)> = chunk
            .iter()
            .flat_map(|(_, compiled, _)| trainers.iter().map(move |t| (t, compiled)))
            .collect();
        let results = evaluate_jobs(workers, &jobs)?;
        for ((activation, _, cost), per_rung) in chunk.iter().zip(results.chunks(trainers.len())) {
            let mut vals = Vec::with_capacity(trainers.len());
            let mut validation = Vec::with_capacity(trainers.len());
            for (rung, (evaluation, times)) in per_rung.iter().enumerate() {
                seconds[rung].push(times.seconds);
                vals.push(values(objectives, evaluation, *cost).map(|v| v[0]));
                validation.push(evaluation.summary.metrics.as_ref().and_then(|m| {
                    Some((m.validation_accuracy?.median, m.validation_loss?.median))
                }));
            }
            studied.push(StudiedCandidate {
                formula: activation.forward.to_string(),
                backward: activation.backward.to_string(),
                values: vals,
                validation,
            });
        }
        progress(studied.len(), sample.len());
    }
    let eta = space.fidelity.as_ref().map_or(3, |f| f.eta);
    let main = space.main_objective();
    let top = trainers.len() - 1;
    let rungs = (0..trainers.len())
        .map(|rung| {
            // Larger-is-better scores of the candidates with a value at both rungs.
            let pairs: Vec<(f64, f64)> = studied
                .iter()
                .filter_map(|c| Some((c.values[rung]?, c.values[top]?)))
                .map(|(a, b)| {
                    let s = |v: f64| scores(&[main], &[v])[0];
                    (s(a), s(b))
                })
                .collect();
            RungAgreement {
                rung,
                pairs: pairs.len(),
                spearman: spearman(&pairs),
                top_overlap: top_overlap(&pairs, eta),
                seconds_per_candidate: crate::train::median(&seconds[rung]).unwrap_or(0.0),
            }
        })
        .collect();
    Ok(LadderStudy {
        space: space.name.clone(),
        objective: main.to_string(),
        eta,
        candidates: studied,
        rungs,
    })
}

/// How many of the best `n / eta` by the second value are among the best `n / eta` by the
/// first (at least one of each when there are pairs), and that count.
fn top_overlap(pairs: &[(f64, f64)], eta: usize) -> (usize, usize) {
    let k = (pairs.len() / eta.max(1)).max(1).min(pairs.len());
    let best = |key: fn(&(f64, f64)) -> f64| -> HashSet<usize> {
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        order.sort_by(|&i, &j| key(&pairs[j]).total_cmp(&key(&pairs[i])).then(i.cmp(&j)));
        order.into_iter().take(k).collect()
    };
    let (a, b) = (best(|p| p.0), best(|p| p.1));
    (a.intersection(&b).count(), k)
}

/// The candidates a study trains: the space's baselines (when it seeds them) and random
/// candidates, canonical, pre-filtered and distinct by forward and backward fingerprints, each
/// with its compiled programs and cost.
fn sample(
    space: &SearchSpace,
    count: usize,
    seed: u64,
) -> Vec<(Activation, CompiledActivation, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(count);
    let mut from_baselines = if space.seed_baselines {
        baselines(space)
    } else {
        Vec::new()
    }
    .into_iter();
    // Random candidates are mostly new; the bound only stops a space that has run dry.
    let mut attempts = 0usize;
    while out.len() < count && attempts < count * 100 {
        attempts += 1;
        let genome = from_baselines
            .next()
            .unwrap_or_else(|| grow(space, &mut rng));
        let genome = Activation::new(simplify(&genome.forward), genome.backward);
        let compiled = genome.compile();
        if prefilter(&compiled).is_err() {
            continue;
        }
        let key = (
            fingerprint_program(&compiled.forward),
            fingerprint_program(&compiled.backward),
        );
        if !seen.insert(key) {
            continue;
        }
        let (joint, y, g) = derive_joint(&genome.forward, &genome.backward);
        let cost = graph_cost(&joint, &[y, g]);
        out.push((genome, compiled, cost));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_overlap_counts_the_shared_best() {
        // Same order: all of the best third shared.
        let same: Vec<(f64, f64)> = (0..9).map(|i| (i as f64, i as f64)).collect();
        assert_eq!(top_overlap(&same, 3), (3, 3));
        // Reversed: none.
        let rev: Vec<(f64, f64)> = (0..9).map(|i| (i as f64, -(i as f64))).collect();
        assert_eq!(top_overlap(&rev, 3), (0, 3));
        assert_eq!(top_overlap(&[], 3), (0, 0));
    }

    #[test]
    fn a_study_of_a_small_ladder_trains_every_candidate_at_every_rung() {
        let mut space = SearchSpace::from_ron(
            include_str!("../../tests/fixtures/tiny-ladder-space.ron"),
            "tiny-ladder-space.ron",
        )
        .unwrap();
        space.seed_baselines = true;
        let workers = Workers::new(2).unwrap();
        let mut reports = Vec::new();
        let s = study(&space, 10, 3, &workers, &mut |d, t| reports.push((d, t))).unwrap();
        assert_eq!(s.candidates.len(), 10);
        assert!(s.candidates.iter().all(|c| c.values.len() == 3));
        assert_eq!(reports.first(), Some(&(0, 10)));
        assert_eq!(reports.last(), Some(&(10, 10)));
        assert_eq!(s.rungs.len(), 3);
        // The top rung agrees with itself; cheaper rungs cost less.
        let top = &s.rungs[2];
        assert!((top.spearman.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(top.top_overlap.0, top.top_overlap.1);
        assert!(s.rungs[0].seconds_per_candidate < top.seconds_per_candidate);
        assert!(s.table().contains("spearman"));
    }
}
