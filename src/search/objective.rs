//! Objective values of a trained candidate (from its evaluation, or from its journal record),
//! and the deterministic cost estimate.
//!
//! Every objective is turned into a *score* where larger is better (minimised objectives are
//! negated), so selection and Pareto sorting never need to know the direction.

use super::record::Record;
use super::space::Objective;
use crate::activation::Activation;
use crate::expr::{Graph, Node, Op};
use crate::grad::derive_joint;
use crate::train::{Evaluation, Measurements, Metrics};

/// Relative cost per element of one primitive application, as its row of the primitive table
/// states it ([`crate::expr::Primitive::cost`]): 1 for arithmetic and comparisons, 4 for one
/// transcendental function, more for compositions of them.
pub(crate) fn op_cost(op: Op) -> f64 {
    op.primitive().cost
}

/// Estimated cost per element of evaluating the nodes reachable from `roots`.
pub(crate) fn graph_cost(graph: &Graph, roots: &[crate::expr::NodeId]) -> f64 {
    graph
        .topo_order_from(roots)
        .into_iter()
        .map(|n| match graph.node(n) {
            Node::Op { op, .. } => op_cost(op),
            _ => 0.0,
        })
        .sum()
}

/// Estimated cost per element of an activation: [`graph_cost`] of its joint forward and
/// backward graph, the value of the `cost` objective.
pub(crate) fn activation_cost(activation: &Activation) -> f64 {
    let (joint, y, g) = derive_joint(&activation.forward, &activation.backward);
    graph_cost(&joint, &[y, g])
}

/// What a search with `objectives` measures of every trained seed: the validation split for the
/// validation objectives, the noise robustness for `robustness`, never the training split (no
/// objective reads it); the test split always (the hall of fame and the front ends show its
/// accuracy, and `sparsity` comes from it).
pub fn measurements(objectives: &[Objective]) -> Measurements {
    let mut needed = Measurements::TEST;
    for objective in objectives {
        match objective {
            Objective::ValidationAccuracy | Objective::ValidationLoss => needed.validation = true,
            Objective::Robustness => needed.robustness = true,
            // A GAN task always scores its generated samples.
            Objective::TestAccuracy
            | Objective::Sparsity
            | Objective::Cost
            | Objective::Modes
            | Objective::HighQuality
            | Objective::ReverseKl => {}
        }
    }
    needed
}

/// The value of `objective` for an evaluation; `None` when every seed failed. `cost` is the
/// candidate's estimated cost (`activation_cost`).
pub fn value(objective: Objective, evaluation: &Evaluation, cost: f64) -> Option<f64> {
    match objective {
        Objective::Cost => evaluation.summary.metrics.as_ref().map(|_| cost),
        _ => measured(objective, evaluation),
    }
}

/// The median over seeds of a measured objective (not the cost), if it was measured and is
/// finite.
fn measured(objective: Objective, evaluation: &Evaluation) -> Option<f64> {
    let v = metric(objective, evaluation.summary.metrics.as_ref()?)?.median;
    v.is_finite().then_some(v)
}

/// The metric a measured objective reads (not the cost), for one seed (`Metrics<f64>`) or over
/// seeds (`Metrics<Spread>`); `None` if it was not measured.
pub fn metric<T: Copy>(objective: Objective, m: &Metrics<T>) -> Option<T> {
    match objective {
        Objective::ValidationAccuracy => m.validation_accuracy,
        Objective::ValidationLoss => m.validation_loss,
        Objective::TestAccuracy => m.test_accuracy,
        Objective::Sparsity => Some(m.sparsity),
        Objective::Robustness => m.noisy_accuracy_0_3,
        Objective::Modes => m.modes,
        Objective::HighQuality => m.high_quality,
        Objective::ReverseKl => m.reverse_kl,
        Objective::Cost => None,
    }
}

/// The value of `objective` for a journal record of a run searching `objectives`, as a viewer
/// shows it: the value recorded when `objective` is one of the run's (a duplicate carries its
/// original's), else the one the record's evaluation gives. Unlike [`value`], the cost is known
/// for every candidate whose formula parses, trained or not.
pub fn record_value(
    record: &Record,
    objectives: &[Objective],
    objective: Objective,
) -> Option<f64> {
    let recorded = objectives
        .iter()
        .position(|&o| o == objective)
        .and_then(|i| record.objectives.as_ref()?.get(i).copied());
    if recorded.is_some() {
        return recorded;
    }
    match objective {
        Objective::Cost => record.activation().ok().map(|a| activation_cost(&a)),
        _ => measured(objective, record.outcome.evaluation()?),
    }
}

/// All objective values in order, or `None` if any is missing.
pub fn values(objectives: &[Objective], evaluation: &Evaluation, cost: f64) -> Option<Vec<f64>> {
    objectives
        .iter()
        .map(|&o| value(o, evaluation, cost))
        .collect()
}

/// Values as larger-is-better scores.
pub fn scores(objectives: &[Objective], values: &[f64]) -> Vec<f64> {
    objectives
        .iter()
        .zip(values)
        .map(|(o, &v)| if o.maximise() { v } else { -v })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    #[test]
    fn cost_counts_shared_nodes_once() {
        let g = parse("x * sigmoid(x) + sigmoid(x)").unwrap();
        assert_eq!(graph_cost(&g, &[g.root()]), 4.0 + 1.0 + 1.0);
        let r = parse("relu(x)").unwrap();
        assert!(graph_cost(&r, &[r.root()]) < graph_cost(&g, &[g.root()]));
    }

    /// A record of `formula` (exact backward) with one seed scoring `accuracy` (or none), and
    /// the recorded objective values `recorded`.
    fn record(formula: &str, accuracy: Option<f64>, recorded: Option<Vec<f64>>) -> Record {
        use crate::expr::Fingerprint;
        use crate::search::record::{Origin, Outcome};
        use crate::train::{Metrics, Score, Status, Summary};
        let metrics = accuracy.map(|a| Metrics {
            train_accuracy: Some(a),
            train_loss: Some(0.5),
            validation_accuracy: Some(a),
            validation_loss: Some(0.25),
            test_accuracy: Some(a),
            test_loss: Some(0.5),
            sparsity: 0.125,
            distinct_values: 3.0,
            noisy_accuracy_0_1: Some(a),
            noisy_accuracy_0_3: Some(a - 0.25),
            modes: None,
            high_quality: None,
            reverse_kl: None,
        });
        let score = Score {
            seed: 0,
            status: Status::Completed,
            steps: 1,
            wall_time_s: 0.0,
            metrics,
            constants: Vec::new(),
            generated: Vec::new(),
        };
        let evaluation = Evaluation {
            summary: Summary::of(std::slice::from_ref(&score), 1.0),
            seeds: vec![score],
        };
        Record {
            id: 1,
            batch: 0,
            rung: 0,
            formula: formula.to_string(),
            backward: crate::grad::BackwardMode::Exact,
            backward_formula: String::new(),
            origin: Origin::Random,
            fingerprint: Fingerprint(0),
            backward_fingerprint: Fingerprint(0),
            outcome: Outcome::Trained { evaluation },
            objectives: recorded,
            seconds: 0.0,
        }
    }

    #[test]
    fn activation_cost_prices_forward_and_backward_together() {
        let a = Activation::parse("tanh(x)", "exact").unwrap();
        // tanh(x), and its derivative 1 - y*y reusing y: one transcendental, two arithmetic.
        assert_eq!(activation_cost(&a), 4.0 + 1.0 + 1.0);
        let ste = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap();
        let (joint, y, g) = derive_joint(&ste.forward, &ste.backward);
        assert_eq!(activation_cost(&ste), graph_cost(&joint, &[y, g]));
    }

    #[test]
    fn record_values_prefer_the_recorded_ones_and_fall_back_on_the_evaluation() {
        let objectives = [Objective::ValidationAccuracy, Objective::Cost];
        let r = record("tanh(x)", Some(0.75), Some(vec![0.75, 6.0]));
        assert_eq!(
            record_value(&r, &objectives, Objective::ValidationAccuracy),
            Some(0.75)
        );
        assert_eq!(record_value(&r, &objectives, Objective::Cost), Some(6.0));
        // Not among the run's objectives: from the evaluation.
        assert_eq!(
            record_value(&r, &objectives, Objective::ValidationLoss),
            Some(0.25)
        );
        assert_eq!(
            record_value(&r, &objectives, Objective::Robustness),
            Some(0.5)
        );
        // A duplicate has no evaluation but carries its original's values.
        let mut dup = r.clone();
        dup.outcome = crate::search::record::Outcome::Duplicate { of: 0 };
        assert_eq!(
            record_value(&dup, &objectives, Objective::ValidationAccuracy),
            Some(0.75)
        );
        assert_eq!(record_value(&dup, &objectives, Objective::Sparsity), None);
        // Every seed failed: no values, but the cost of the formula is known.
        let failed = record("tanh(x)", None, None);
        assert_eq!(
            record_value(&failed, &objectives, Objective::ValidationAccuracy),
            None
        );
        let cost = activation_cost(&failed.activation().unwrap());
        assert_eq!(
            record_value(&failed, &objectives, Objective::Cost),
            Some(cost)
        );
        assert_eq!(
            record_value(&record("tanh(", None, None), &[], Objective::Cost),
            None
        );
    }

    #[test]
    fn every_objective_is_listed_once_with_a_label() {
        for (i, o) in Objective::ALL.iter().enumerate() {
            assert!(!Objective::ALL[..i].contains(o));
            assert!(!o.label().is_empty() && !o.label().contains('_'));
        }
    }

    #[test]
    fn each_objective_measures_what_its_value_reads() {
        use crate::search::record::Outcome;
        use crate::train::Summary;
        // An evaluation measuring only what `objectives` need has every one of their values.
        let only = |objectives: &[Objective]| {
            let mut r = record("tanh(x)", Some(0.75), None);
            let Outcome::Trained { evaluation } = &mut r.outcome else {
                unreachable!("a trained record")
            };
            let m = evaluation.seeds[0].metrics.as_mut().unwrap();
            let needed = measurements(objectives);
            if !needed.training {
                (m.train_accuracy, m.train_loss) = (None, None);
            }
            if !needed.validation {
                (m.validation_accuracy, m.validation_loss) = (None, None);
            }
            if !needed.robustness {
                (m.noisy_accuracy_0_1, m.noisy_accuracy_0_3) = (None, None);
            }
            evaluation.summary = Summary::of(&evaluation.seeds, 1.0);
            values(objectives, evaluation, 1.0)
        };
        for o in Objective::ALL.into_iter().filter(|o| o.measured_on(false)) {
            assert!(only(&[o]).is_some(), "{o}");
        }
        // A GAN's scores are always measured, and read by their objectives.
        let mut r = record("tanh(x)", Some(0.75), None);
        let Outcome::Trained { evaluation } = &mut r.outcome else {
            unreachable!("a trained record")
        };
        let m = evaluation.seeds[0].metrics.as_mut().unwrap();
        (m.modes, m.high_quality, m.reverse_kl) = (Some(7.0), Some(0.875), Some(0.25));
        evaluation.summary = Summary::of(&evaluation.seeds, 1.0);
        let gan = [
            Objective::ReverseKl,
            Objective::Modes,
            Objective::HighQuality,
        ];
        assert_eq!(values(&gan, evaluation, 1.0), Some(vec![0.25, 7.0, 0.875]));
        assert_eq!(measurements(&gan), Measurements::TEST);
        assert_eq!(scores(&gan, &[0.25, 7.0, 0.875]), vec![-0.25, 7.0, 0.875]);
        assert_eq!(
            only(&[Objective::ValidationAccuracy, Objective::Cost]),
            Some(vec![0.75, 1.0])
        );
        assert_eq!(measurements(&[Objective::Cost]), Measurements::TEST);
        assert!(measurements(&[Objective::Sparsity, Objective::Robustness]).robustness);
        assert!(!measurements(&Objective::ALL).training);
    }

    #[test]
    fn scores_negate_minimised_objectives() {
        let o = [Objective::ValidationAccuracy, Objective::Cost];
        assert_eq!(scores(&o, &[0.9, 5.0]), vec![0.9, -5.0]);
    }
}
