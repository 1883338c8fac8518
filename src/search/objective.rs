//! Objective values of a trained candidate, and the deterministic cost estimate.
//!
//! Every objective is turned into a *score* where larger is better (minimised objectives are
//! negated), so selection and Pareto sorting never need to know the direction.

use super::space::Objective;
use crate::expr::{Graph, Node, Op};
use crate::train::Evaluation;

/// Relative cost per element of one primitive application, as its row of the primitive table
/// states it ([`crate::expr::Primitive::cost`]): 1 for arithmetic and comparisons, 4 for one
/// transcendental function, more for compositions of them.
pub fn op_cost(op: Op) -> f64 {
    op.primitive().cost
}

/// Estimated cost per element of evaluating the nodes reachable from `roots`.
pub fn graph_cost(graph: &Graph, roots: &[crate::expr::NodeId]) -> f64 {
    graph
        .topo_order_from(roots)
        .into_iter()
        .map(|n| match graph.node(n) {
            Node::Op { op, .. } => op_cost(op),
            _ => 0.0,
        })
        .sum()
}

/// The value of `objective` for an evaluation; `None` when every seed failed. `cost` is the
/// candidate's estimated cost ([`graph_cost`] of its joint forward/backward graph).
pub fn value(objective: Objective, evaluation: &Evaluation, cost: f64) -> Option<f64> {
    if objective == Objective::Cost {
        return evaluation.summary.metrics.as_ref().map(|_| cost);
    }
    let m = evaluation.summary.metrics.as_ref()?;
    let v = match objective {
        Objective::ValidationAccuracy => m.validation_accuracy.median,
        Objective::ValidationLoss => m.validation_loss.median,
        Objective::TestAccuracy => m.test_accuracy.median,
        Objective::Sparsity => m.sparsity.median,
        Objective::Robustness => m.noisy_accuracy_0_3.median,
        Objective::Cost => unreachable!("handled above"),
    };
    v.is_finite().then_some(v)
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

    #[test]
    fn scores_negate_minimised_objectives() {
        let o = [Objective::ValidationAccuracy, Objective::Cost];
        assert_eq!(scores(&o, &[0.9, 5.0]), vec![0.9, -5.0]);
    }
}
