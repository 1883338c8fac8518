//! The variation operators: how a child genome is made from one parent (mutation) or two
//! (crossover). Each operator is a function that returns the modified forward graph (or backward
//! mode), or `None` when it cannot apply to that parent; [`vary`] draws operators with the
//! space's [`MutationWeights`], simplifies the child and keeps it only if it is viable and
//! differs from its parent.
//!
//! Graphs are never edited in place: an operator copies the parent's graph node by node,
//! replacing one node (the mutation site) by a new sub-expression. Since a graph is a DAG with
//! interned nodes, replacing a shared sub-expression changes every use of it, and a copied
//! sub-expression that equals an existing one merges with it.
//!
//! ```
//! use radact::search::{genome, mutate, SearchSpace};
//! use rand::SeedableRng;
//! let space = SearchSpace::default_space();
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
//! let parent = genome::grow(&space, &mut rng);
//! let (child, how) = mutate::vary(&parent, None, &space, &mut rng);
//! assert!(genome::viable(&child.forward, &space.limits));
//! assert!(child != parent);
//! println!("{how}: {} -> {}", parent.forward, child.forward);
//! ```

use super::genome::{
    admissible, draw_arg_count, draw_constant, draw_param, draw_params, grow_forward, grow_subtree,
    legalise, order_params, pick_weighted,
};
use super::space::{MutationWeights, SearchSpace};
use crate::activation::Activation;
use crate::expr::kernels::saturate;
use crate::expr::primitive::ParamSpec;
use crate::expr::{self, Graph, Node, NodeId, Op};
use crate::grad::BackwardMode;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// Operators drawn by [`vary`] before it gives up and grows a fresh child.
const VARY_ATTEMPTS: usize = 32;

/// Standard deviation of the log of the factor [`perturb_constant`] multiplies by.
const PERTURB_LOG_SPREAD: f64 = 0.3;

/// Standard deviation of the noise [`perturb_constant`] adds (the other half of the time).
const PERTURB_NOISE: f64 = 0.1;

/// Chance that an extra argument of an inserted binary operation is `x` rather than grown.
const EXTRA_ARG_IS_X: f64 = 0.5;

/// Which operator produced a child (recorded in the run journal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variation {
    /// `replace_op`: an operation replaced by another of the same arity.
    ReplaceOp,
    /// `insert_node`: a new operation above a node.
    InsertNode,
    /// `delete_node`: an operation replaced by one of its arguments.
    DeleteNode,
    /// `replace_subtree`: a sub-expression replaced by a freshly grown one.
    ReplaceSubtree,
    /// `perturb_constant`: a constant or parameter moved a little.
    PerturbConstant,
    /// `resample_constant`: a constant or parameter drawn anew.
    ResampleConstant,
    /// `change_backward`: another backward mode.
    ChangeBackward,
    /// `crossover`: a sub-expression replaced by one of a second parent.
    Crossover,
    /// `toggle_trainable`: a constant made trainable (`param(c)`), or a trainable constant
    /// fixed again.
    ToggleTrainable,
}

impl Variation {
    /// Every operator, in the order of [`MutationWeights`]' fields.
    pub const ALL: [Variation; 9] = [
        Variation::ReplaceOp,
        Variation::InsertNode,
        Variation::DeleteNode,
        Variation::ReplaceSubtree,
        Variation::PerturbConstant,
        Variation::ResampleConstant,
        Variation::ChangeBackward,
        Variation::Crossover,
        Variation::ToggleTrainable,
    ];

    /// The name in journals and space files (`replace_op`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Variation::ReplaceOp => "replace_op",
            Variation::InsertNode => "insert_node",
            Variation::DeleteNode => "delete_node",
            Variation::ReplaceSubtree => "replace_subtree",
            Variation::PerturbConstant => "perturb_constant",
            Variation::ResampleConstant => "resample_constant",
            Variation::ChangeBackward => "change_backward",
            Variation::Crossover => "crossover",
            Variation::ToggleTrainable => "toggle_trainable",
        }
    }

    /// This operator's weight in `weights`.
    pub fn weight(self, weights: &MutationWeights) -> f64 {
        match self {
            Variation::ReplaceOp => weights.replace_op,
            Variation::InsertNode => weights.insert_node,
            Variation::DeleteNode => weights.delete_node,
            Variation::ReplaceSubtree => weights.replace_subtree,
            Variation::PerturbConstant => weights.perturb_constant,
            Variation::ResampleConstant => weights.resample_constant,
            Variation::ChangeBackward => weights.change_backward,
            Variation::Crossover => weights.crossover,
            Variation::ToggleTrainable => weights.toggle_trainable,
        }
    }
}

impl fmt::Display for Variation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One child of `parent` (and of `other` when crossover is drawn).
///
/// Operators are drawn with the space's mutation weights; crossover needs `other`, and
/// change_backward needs `space.backward.evolve` and a second mode. An operator that cannot
/// apply to this parent (no constant to perturb, no operation to delete) is dropped and another
/// drawn. The child's forward is simplified; a child that is not `viable` or equals the parent
/// (same forward expression, before or after simplifying the parent, and same backward mode) is
/// discarded and another operator drawn, up to 32 times. After that the child is a freshly grown
/// forward with the parent's backward mode, reported as [`Variation::ReplaceSubtree`] (of the
/// root); only in a space too small to hold any other viable graph can it equal the parent.
pub fn vary(
    parent: &Activation,
    other: Option<&Activation>,
    space: &SearchSpace,
    rng: &mut ChaCha8Rng,
) -> (Activation, Variation) {
    let simple_parent = expr::simplify(&parent.forward);
    let is_new = |child: &Activation| {
        admissible(&child.forward, space)
            && (child.backward != parent.backward
                || !(child.forward.same_expression(&parent.forward)
                    || child.forward.same_expression(&simple_parent)))
    };
    let mut weights: Vec<(Variation, f64)> = Variation::ALL
        .iter()
        .map(|&v| (v, v.weight(&space.mutation)))
        .collect();
    for _ in 0..VARY_ATTEMPTS {
        let Some(variation) = pick_weighted(&weights, rng) else {
            break;
        };
        let Some(child) = apply(variation, parent, other, space, rng) else {
            // Cannot apply to this parent: never draw it again for this child.
            weights.retain(|(v, _)| *v != variation);
            continue;
        };
        let child = Activation::new(
            unshare_params(expr::simplify(&child.forward)),
            child.backward,
        );
        if is_new(&child) {
            return (child, variation);
        }
    }
    let mut child = Activation::new(grow_forward(space, rng), parent.backward.clone());
    for _ in 1..VARY_ATTEMPTS {
        if is_new(&child) {
            break;
        }
        child.forward = grow_forward(space, rng);
    }
    (child, Variation::ReplaceSubtree)
}

/// `graph` with every trainable constant read by one node only, as its formula reads back:
/// copying a shared sub-expression or making a shared constant trainable can leave one
/// trainable constant in several places, which the formula (what a run's journal keeps) prints
/// as several. Training sees the graph a journal reads back, so the number of trained values
/// per layer always matches the recorded formula.
fn unshare_params(graph: Graph) -> Graph {
    if graph.params().is_empty() {
        return graph;
    }
    expr::parse(&graph.to_string()).unwrap_or(graph)
}

/// Applies one operator; `None` when it cannot apply to this parent.
fn apply(
    variation: Variation,
    parent: &Activation,
    other: Option<&Activation>,
    space: &SearchSpace,
    rng: &mut ChaCha8Rng,
) -> Option<Activation> {
    let f = &parent.forward;
    let forward = match variation {
        Variation::ReplaceOp => replace_op(f, space, rng),
        Variation::InsertNode => insert_node(f, space, rng),
        Variation::DeleteNode => delete_node(f, rng),
        Variation::ReplaceSubtree => replace_subtree(f, space, rng),
        Variation::PerturbConstant => perturb_constant(f, rng),
        Variation::ResampleConstant => resample_constant(f, space, rng),
        Variation::Crossover => crossover(f, &other?.forward, space, rng),
        Variation::ToggleTrainable => toggle_trainable(f, rng),
        Variation::ChangeBackward => {
            let mode = change_backward(&parent.backward, space, rng)?;
            return Some(Activation::new(f.clone(), mode));
        }
    }?;
    Some(Activation::new(forward, parent.backward.clone()))
}

/// Replaces an operation by another allowed primitive that takes the same number of arguments,
/// keeping the arguments and drawing valid parameters for the new primitive. The site is drawn
/// uniformly among the operations that have an alternative, the new primitive with the space's
/// weights. `None` when no operation has an alternative.
pub(crate) fn replace_op(
    graph: &Graph,
    space: &SearchSpace,
    rng: &mut ChaCha8Rng,
) -> Option<Graph> {
    let primitives = space.weighted_primitives();
    let alternatives = |node: NodeId| -> Vec<(Op, f64)> {
        let Node::Op { op, .. } = graph.node(node) else {
            return Vec::new();
        };
        let args = graph.args(node).len();
        primitives
            .iter()
            .copied()
            .filter(|&(p, _)| p != op && p.primitive().arity.accepts(args))
            .collect()
    };
    let sites: Vec<NodeId> = graph
        .topo_order()
        .into_iter()
        .filter(|&n| !alternatives(n).is_empty())
        .collect();
    let &site = sites.choose(rng)?;
    let op = pick_weighted(&alternatives(site), rng)?;
    let params = draw_params(op, &space.constants, rng);
    Some(substitute(graph, site, |g, copy| {
        let args = g.args(copy);
        g.apply_with(op, params, &args)
    }))
}

/// Inserts a new operation (an allowed primitive, drawn with the space's weights) above a node:
/// the node becomes one of its arguments (at a random position); further arguments are `x` or
/// grown fresh within the limits left. The site is drawn uniformly among the nodes (leaves
/// included) where one more operation keeps the graph within the limits. `None` when there is no
/// such node.
pub(crate) fn insert_node(
    graph: &Graph,
    space: &SearchSpace,
    rng: &mut ChaCha8Rng,
) -> Option<Graph> {
    let limits = &space.limits;
    let ops = graph.op_count();
    if ops >= limits.max_ops {
        return None;
    }
    let shape = Shape::of(graph);
    let sites: Vec<NodeId> = shape
        .order
        .iter()
        .copied()
        .filter(|&n| shape.level(n) + shape.height(n) < limits.max_depth)
        .collect();
    let &site = sites.choose(rng)?;
    let primitives = space.weighted_primitives();
    let op = pick_weighted(&primitives, rng)?;
    let params = draw_params(op, &space.constants, rng);
    let arity = draw_arg_count(op, rng);
    let mut spare_ops = limits.max_ops - ops - 1;
    let spare_depth = limits.max_depth - shape.level(site) - 1;
    Some(substitute(graph, site, |g, copy| {
        let mut args = vec![copy];
        for _ in 1..arity {
            let extra = if rng.gen_bool(EXTRA_ARG_IS_X) {
                g.input()
            } else {
                let c = &space.constants;
                grow_subtree(g, &primitives, c, rng, &mut spare_ops, spare_depth)
            };
            args.push(extra);
        }
        let at = rng.gen_range(0..arity);
        args.swap(0, at);
        g.apply_with(op, params, &args)
    }))
}

/// Deletes an operation: a uniformly drawn operation is replaced by one of its arguments (drawn
/// uniformly), so the graph has fewer operations. `None` when the graph has no operation.
pub(crate) fn delete_node(graph: &Graph, rng: &mut ChaCha8Rng) -> Option<Graph> {
    let sites = op_nodes(graph);
    let &site = sites.choose(rng)?;
    let keep = rng.gen_range(0..graph.args(site).len());
    Some(substitute(graph, site, |g, copy| g.args(copy)[keep]))
}

/// Replaces the sub-expression at a uniformly drawn node (leaves included) by a freshly grown
/// one (see [`super::genome::grow`]) that fits the depth left at that node and the operations
/// left once the old sub-expression is gone. Always applies.
pub(crate) fn replace_subtree(
    graph: &Graph,
    space: &SearchSpace,
    rng: &mut ChaCha8Rng,
) -> Option<Graph> {
    let shape = Shape::of(graph);
    let &site = shape.order.choose(rng)?;
    let freed = op_nodes_from(graph, site).len();
    let mut spare_ops = (space.limits.max_ops + freed).saturating_sub(graph.op_count());
    let spare_depth = space.limits.max_depth.saturating_sub(shape.level(site));
    let primitives = space.weighted_primitives();
    Some(substitute(graph, site, |g, _| {
        grow_subtree(
            g,
            &primitives,
            &space.constants,
            rng,
            &mut spare_ops,
            spare_depth,
        )
    }))
}

/// Moves a constant or a primitive parameter (drawn uniformly among them) a little: half the
/// time multiplied by `e^N(0, 0.3)`, otherwise shifted by `N(0, 0.1)`. Parameters stay valid
/// (rounded when integer, within their bounds, `clamp`'s `lo <= hi`) and an integer parameter
/// moves by at least one step where its bounds allow. `None` when there is nothing to tune.
pub(crate) fn perturb_constant(graph: &Graph, rng: &mut ChaCha8Rng) -> Option<Graph> {
    retune(graph, rng, |tunable, old, rng| {
        let z: f64 = rng.sample(StandardNormal);
        let moved = if rng.gen_bool(0.5) {
            old * (PERTURB_LOG_SPREAD * z).exp() as f32
        } else {
            old + (PERTURB_NOISE * z) as f32
        };
        match tunable {
            Tunable::Constant(_) | Tunable::Trainable(_) => saturate(moved),
            Tunable::Param { spec, .. } => {
                let new = legalise(spec, moved);
                if spec.integer && new == old {
                    // One step in the drawn direction, or the other way at a bound.
                    let step = if z < 0.0 { -1.0 } else { 1.0 };
                    [old + step, old - step]
                        .into_iter()
                        .map(|v| legalise(spec, v))
                        .find(|&v| v != old)
                        .unwrap_or(old)
                } else {
                    new
                }
            }
        }
    })
}

/// Draws a constant or a primitive parameter (drawn uniformly among them) anew, as when growing:
/// a constant from the space's range, a parameter from its valid range. `None` when there is
/// nothing to tune.
pub(crate) fn resample_constant(
    graph: &Graph,
    space: &SearchSpace,
    rng: &mut ChaCha8Rng,
) -> Option<Graph> {
    let constants = &space.constants;
    retune(graph, rng, |tunable, _, rng| match tunable {
        Tunable::Constant(_) | Tunable::Trainable(_) => draw_constant(constants, rng),
        Tunable::Param { spec, .. } => draw_param(spec, constants, rng),
    })
}

/// Another backward mode of the space, drawn uniformly among those that differ from `mode`.
/// `None` when the space does not evolve modes or has no other.
pub(crate) fn change_backward(
    mode: &BackwardMode,
    space: &SearchSpace,
    rng: &mut ChaCha8Rng,
) -> Option<BackwardMode> {
    if !space.backward.evolve {
        return None;
    }
    let others: Vec<&BackwardMode> = space.backward.modes.iter().filter(|m| *m != mode).collect();
    others.choose(rng).map(|m| (*m).clone())
}

/// Replaces the sub-expression at a uniformly drawn node of `a` by a sub-expression of `b`: an
/// operation of `b` drawn uniformly among those whose depth fits at that node (a leaf of `b` only
/// when none fits). Always applies.
pub(crate) fn crossover(
    a: &Graph,
    b: &Graph,
    space: &SearchSpace,
    rng: &mut ChaCha8Rng,
) -> Option<Graph> {
    let shape_a = Shape::of(a);
    let &site = shape_a.order.choose(rng)?;
    let room = space.limits.max_depth.saturating_sub(shape_a.level(site));
    let shape_b = Shape::of(b);
    let fits: Vec<NodeId> = shape_b
        .order
        .iter()
        .copied()
        .filter(|&n| shape_b.height(n) <= room)
        .collect();
    let fitting_ops: Vec<NodeId> = fits
        .iter()
        .copied()
        .filter(|&n| matches!(b.node(n), Node::Op { .. }))
        .collect();
    let pool = if fitting_ops.is_empty() {
        &fits
    } else {
        &fitting_ops
    };
    let &donor = pool.choose(rng)?;
    Some(substitute(a, site, |g, _| {
        let x = g.input();
        g.import(b, donor, x)
    }))
}

/// Makes one uniformly drawn constant trainable (`c` becomes `param(c)`, starting at its value),
/// or fixes one trainable constant at its initial value; `None` when the graph has neither.
/// A constant used in several places becomes one trainable constant shared by all of them.
pub(crate) fn toggle_trainable(graph: &Graph, rng: &mut ChaCha8Rng) -> Option<Graph> {
    let sites: Vec<NodeId> = graph
        .topo_order()
        .into_iter()
        .filter(|&n| matches!(graph.node(n), Node::Const(_) | Node::Param(_)))
        .collect();
    let &site = sites.choose(rng)?;
    Some(substitute(graph, site, |g, _| match graph.node(site) {
        Node::Const(c) => g.param(c),
        Node::Param(c) => g.constant(c),
        _ => unreachable!("sites are constants"),
    }))
}

/// A constant node (its value, or a trainable constant's initial value), or one parameter of an
/// operation.
#[derive(Clone, Copy)]
enum Tunable {
    Constant(NodeId),
    Trainable(NodeId),
    Param {
        node: NodeId,
        index: usize,
        spec: &'static ParamSpec,
    },
}

/// Every constant and primitive parameter of the graph with its value, in topological order.
fn tunables(graph: &Graph) -> Vec<(Tunable, f32)> {
    let mut out = Vec::new();
    for n in graph.topo_order() {
        match graph.node(n) {
            Node::Const(c) => out.push((Tunable::Constant(n), c)),
            Node::Param(c) => out.push((Tunable::Trainable(n), c)),
            Node::Op { op, params } => {
                for (index, spec) in op.primitive().params.iter().enumerate() {
                    let param = Tunable::Param {
                        node: n,
                        index,
                        spec,
                    };
                    out.push((param, params[index]));
                }
            }
            Node::Input => {}
        }
    }
    out
}

/// Replaces one uniformly drawn constant or parameter by `value(tunable, old, rng)`.
fn retune(
    graph: &Graph,
    rng: &mut ChaCha8Rng,
    value: impl FnOnce(Tunable, f32, &mut ChaCha8Rng) -> f32,
) -> Option<Graph> {
    let all = tunables(graph);
    let &(tunable, old) = all.choose(rng)?;
    let new = value(tunable, old, rng);
    Some(match tunable {
        Tunable::Constant(site) => substitute(graph, site, |g, _| g.constant(new)),
        Tunable::Trainable(site) => substitute(graph, site, |g, _| g.param(new)),
        Tunable::Param {
            node: site, index, ..
        } => {
            let Node::Op { op, mut params } = graph.node(site) else {
                unreachable!("parameters belong to operations");
            };
            params[index] = new;
            order_params(op, &mut params);
            substitute(graph, site, |g, copy| {
                let args = g.args(copy);
                g.apply_with(op, params, &args)
            })
        }
    })
}

/// A copy of `graph` (what its root reaches) in which `site` is replaced by what `build` returns.
/// `build` gets the new graph and the copy of `site` (whose arguments are already copied).
fn substitute(
    graph: &Graph,
    site: NodeId,
    build: impl FnOnce(&mut Graph, NodeId) -> NodeId,
) -> Graph {
    let mut out = Graph::new();
    let mut map: HashMap<NodeId, NodeId> = HashMap::new();
    let mut build = Some(build);
    for n in graph.topo_order() {
        let copy = match graph.node(n) {
            Node::Input => out.input(),
            Node::Const(c) => out.constant(c),
            Node::Param(c) => out.param(c),
            Node::Op { op, params } => {
                let args: Vec<NodeId> = graph.args(n).iter().map(|a| map[a]).collect();
                out.apply_with(op, params, &args)
            }
        };
        let new = match build.take_if(|_| n == site) {
            Some(build) => build(&mut out, copy),
            None => copy,
        };
        map.insert(n, new);
    }
    out.set_root(map[&graph.root()]);
    out.compact()
}

/// The operation nodes the root reaches, in topological order.
fn op_nodes(graph: &Graph) -> Vec<NodeId> {
    op_nodes_from(graph, graph.root())
}

/// The operation nodes `node` reaches (itself included), in topological order.
fn op_nodes_from(graph: &Graph, node: NodeId) -> Vec<NodeId> {
    graph
        .topo_order_from(&[node])
        .into_iter()
        .filter(|&n| matches!(graph.node(n), Node::Op { .. }))
        .collect()
}

/// Where each node sits: how many operations lie above it and below it.
struct Shape {
    /// The nodes the root reaches, arguments first.
    order: Vec<NodeId>,
    /// By node index: most operations on a path from the root down to the node, the node
    /// excluded (0 for the root).
    level: Vec<usize>,
    /// By node index: most operations on a path from the node down to a leaf, the node included.
    height: Vec<usize>,
}

impl Shape {
    fn of(graph: &Graph) -> Shape {
        let order = graph.topo_order();
        let len = order.iter().map(|n| n.index() + 1).max().unwrap_or(0);
        let mut height = vec![0; len];
        for &n in &order {
            if matches!(graph.node(n), Node::Op { .. }) {
                let below = graph.args(n).iter().map(|a| height[a.index()]).max();
                height[n.index()] = 1 + below.unwrap_or(0);
            }
        }
        let mut level = vec![0; len];
        for &n in order.iter().rev() {
            for a in graph.args(n) {
                level[a.index()] = level[a.index()].max(level[n.index()] + 1);
            }
        }
        Shape {
            order,
            level,
            height,
        }
    }

    fn level(&self, n: NodeId) -> usize {
        self.level[n.index()]
    }

    fn height(&self, n: NodeId) -> usize {
        self.height[n.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::genome::viable;
    use crate::search::genome::{grow, within_limits};
    use crate::search::space::{PrimitiveName, SHIPPED_SPACES};
    use rand::SeedableRng;

    fn rng(seed: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(seed)
    }

    fn parse(text: &str) -> Graph {
        expr::parse(text).unwrap()
    }

    /// The default space with roomy limits, so that operators are not cut short by them.
    fn roomy() -> SearchSpace {
        let mut space = SearchSpace::default_space();
        space.limits.max_ops = 12;
        space.limits.max_depth = 8;
        space
    }

    /// The sub-expression at `node` as a graph of its own.
    fn subtree(graph: &Graph, node: NodeId) -> Graph {
        let mut g = graph.clone();
        g.set_root(node);
        g.compact()
    }

    fn contains(graph: &Graph, part: &Graph) -> bool {
        graph
            .topo_order()
            .into_iter()
            .any(|n| subtree(graph, n).same_expression(part))
    }

    /// The expression with every operation written `op`: its argument structure.
    fn skeleton(graph: &Graph) -> String {
        fn walk(g: &Graph, n: NodeId) -> String {
            match g.node(n) {
                Node::Input => "x".into(),
                Node::Const(c) => c.to_string(),
                Node::Param(c) => format!("param({c})"),
                Node::Op { .. } => {
                    let args: Vec<String> = g.args(n).iter().map(|&a| walk(g, a)).collect();
                    format!("op({})", args.join(", "))
                }
            }
        }
        walk(graph, graph.root())
    }

    #[test]
    fn replace_op_keeps_arity_and_arguments() {
        let space = roomy();
        let allowed = space.weighted_primitives();
        let parent = parse("max(tanh(x), 0.5 * x)");
        for seed in 0..100 {
            let child = replace_op(&parent, &space, &mut rng(seed)).unwrap();
            assert_eq!(skeleton(&child), skeleton(&parent), "{child}");
            assert_eq!(child.op_count(), parent.op_count());
            let changed: Vec<(Op, Op)> = parent
                .ops()
                .into_iter()
                .zip(child.ops())
                .filter(|(a, b)| a != b)
                .collect();
            assert_eq!(changed.len(), 1, "{parent} -> {child}");
            assert!(allowed.iter().any(|(op, _)| *op == changed[0].1));
        }
    }

    #[test]
    fn replace_op_draws_valid_parameters() {
        let mut space = roomy();
        space.primitives = [(Op::Tanh, 1.0), (Op::Clamp, 1.0), (Op::Quantize, 1.0)]
            .into_iter()
            .map(|(op, w)| (PrimitiveName(op), w))
            .collect();
        let parent = parse("tanh(x)");
        for seed in 0..50 {
            let child = replace_op(&parent, &space, &mut rng(seed)).unwrap();
            let Node::Op { op, params } = child.node(child.root()) else {
                panic!("{child}");
            };
            assert!(matches!(op, Op::Clamp | Op::Quantize), "{child}");
            for (spec, v) in op.primitive().params.iter().zip(params) {
                spec.check(v).unwrap();
            }
            assert!(op != Op::Clamp || params[0] <= params[1], "{child}");
        }
        // Nothing else of arity 2 is allowed: no site.
        assert!(replace_op(&parse("x + x"), &space, &mut rng(0)).is_none());
    }

    #[test]
    fn insert_node_adds_one_operation_above_a_node() {
        let space = roomy();
        let parent = parse("tanh(x) + sin(x)");
        let mut extra = 0;
        for seed in 0..100 {
            let child = insert_node(&parent, &space, &mut rng(seed)).unwrap();
            assert!(child.op_count() > parent.op_count(), "{child}");
            assert!(within_limits(&child, &space.limits), "{child}");
            // Every operation of the parent survives (the site is below the new node).
            let ops = child.ops();
            assert!(parent.ops().iter().all(|op| ops.contains(op)), "{child}");
            extra += usize::from(child.op_count() > parent.op_count() + 1);
        }
        assert!(extra > 0, "extra arguments are sometimes grown");
        // No room left: cannot apply.
        let mut tight = roomy();
        tight.limits.max_ops = 3;
        assert!(insert_node(&parent, &tight, &mut rng(0)).is_none());
        tight.limits.max_ops = 4;
        tight.limits.max_depth = 1;
        assert!(insert_node(&parse("x + x"), &tight, &mut rng(0)).is_none());
    }

    #[test]
    fn delete_node_removes_operations() {
        let parent = parse("max(tanh(x), sin(x * 2))");
        for seed in 0..100 {
            let child = delete_node(&parent, &mut rng(seed)).unwrap();
            assert!(child.op_count() < parent.op_count(), "{child}");
        }
        assert!(delete_node(&parse("x"), &mut rng(0)).is_none());
        let only = delete_node(&parse("tanh(x)"), &mut rng(0)).unwrap();
        assert_eq!(only.to_string(), "x");
    }

    #[test]
    fn replace_subtree_stays_within_limits() {
        let space = SearchSpace::default_space();
        let parent = parse("max(tanh(x), sin(x)) * relu(x)");
        let mut changed = 0;
        for seed in 0..200 {
            let child = replace_subtree(&parent, &space, &mut rng(seed)).unwrap();
            assert!(within_limits(&child, &space.limits), "{child}");
            changed += usize::from(!child.same_expression(&parent));
        }
        assert!(changed > 150, "{changed}");
    }

    #[test]
    fn perturbation_moves_one_value_a_little() {
        let parent = parse("0.5 * x + deadzone(x, 0.3) + quantize(x, 4)");
        let before = tunables(&parent);
        for seed in 0..200 {
            let child = perturb_constant(&parent, &mut rng(seed)).unwrap();
            let after = tunables(&child);
            assert_eq!(before.len(), after.len(), "{child}");
            let mut moved = 0;
            for ((_, a), (t, b)) in before.iter().zip(&after) {
                if a != b {
                    moved += 1;
                    assert!((a - b).abs() <= 1.0 + a.abs(), "{a} -> {b}");
                    if let Tunable::Param { spec, .. } = t {
                        spec.check(*b).unwrap();
                    }
                }
            }
            assert!(moved <= 1, "{parent} -> {child}");
        }
        // Integers always step; clamp keeps lo <= hi.
        let q = parse("quantize(x, 2)");
        let c = parse("clamp(x, -0.1, 0.1)");
        for seed in 0..50 {
            let child = perturb_constant(&q, &mut rng(seed)).unwrap();
            assert!(!child.same_expression(&q), "{child}");
            let child = perturb_constant(&c, &mut rng(seed)).unwrap();
            let Node::Op { params, .. } = child.node(child.root()) else {
                panic!("{child}");
            };
            assert!(params[0] <= params[1], "{child}");
        }
        assert!(perturb_constant(&parse("tanh(x)"), &mut rng(0)).is_none());
    }

    #[test]
    fn resampling_draws_from_the_space() {
        let space = SearchSpace::default_space();
        let parent = parse("x * 7.5");
        for seed in 0..50 {
            let child = resample_constant(&parent, &space, &mut rng(seed)).unwrap();
            let c = tunables(&child)[0].1;
            let range = space.constants.min..=space.constants.max;
            assert!(range.contains(&c), "{c}");
        }
        assert!(resample_constant(&parse("x"), &space, &mut rng(0)).is_none());
    }

    #[test]
    fn change_backward_picks_another_allowed_mode() {
        let space = SearchSpace::default_space();
        let mut seen = std::collections::HashSet::new();
        for seed in 0..100 {
            let m = change_backward(&BackwardMode::Exact, &space, &mut rng(seed)).unwrap();
            assert_ne!(m, BackwardMode::Exact);
            assert!(space.backward.modes.contains(&m));
            seen.insert(m.to_string());
        }
        assert_eq!(seen.len(), space.backward.modes.len() - 1);
        let mut frozen = space.clone();
        frozen.backward.evolve = false;
        assert!(change_backward(&BackwardMode::Exact, &frozen, &mut rng(0)).is_none());
        let swish = SearchSpace::shipped("swish-space").unwrap();
        assert!(change_backward(&BackwardMode::Exact, &swish, &mut rng(0)).is_none());
    }

    #[test]
    fn crossover_child_contains_a_subtree_of_the_other_parent() {
        let space = roomy();
        let a = parse("tanh(x) + sin(x)");
        let b = parse("cos(exp(x)) * erf(x)");
        let b_parts: Vec<Graph> = op_nodes(&b).iter().map(|&n| subtree(&b, n)).collect();
        for seed in 0..100 {
            let child = crossover(&a, &b, &space, &mut rng(seed)).unwrap();
            assert!(
                b_parts.iter().any(|part| contains(&child, part)),
                "{child} holds nothing of {b}"
            );
        }
    }

    #[test]
    fn crossover_respects_the_depth_left() {
        let space = SearchSpace::default_space(); // depth 4
        let a = parse("tanh(sin(cos(x)))");
        let b = parse("erf(exp(abs(relu(x))))");
        for seed in 0..100 {
            let child = crossover(&a, &b, &space, &mut rng(seed)).unwrap();
            assert!(within_limits(&child, &space.limits), "{child}");
        }
    }

    #[test]
    fn vary_gives_valid_distinct_children_in_every_shipped_space() {
        // Each shipped space as shipped (toggle_trainable weighs 0) and with it weighted.
        let spaces = SHIPPED_SPACES.iter().flat_map(|(name, _)| {
            let space = SearchSpace::shipped(name).unwrap();
            let mut trainable = space.clone();
            trainable.mutation.toggle_trainable = 1.0;
            [(*name, space), (*name, trainable)]
        });
        for (name, space) in spaces {
            let allowed: Vec<Op> = space.weighted_primitives().iter().map(|p| p.0).collect();
            let mut r = rng(11);
            let mut used = std::collections::HashSet::new();
            let mut constant_parents = 0;
            let mut population: Vec<Activation> = (0..20).map(|_| grow(&space, &mut r)).collect();
            population.extend(crate::search::genome::baselines(&space));
            let n = population.len();
            for i in 0..400 {
                let parent = population[i % n].clone();
                let other = population[(i * 7 + 3) % n].clone();
                let leaves = parent.forward.topo_order();
                if leaves
                    .iter()
                    .any(|&n| matches!(parent.forward.node(n), Node::Const(_) | Node::Param(_)))
                {
                    constant_parents += 1;
                }
                let (child, how) = vary(&parent, Some(&other), &space, &mut r);
                let f = &child.forward;
                assert!(viable(f, &space.limits), "{name}: {f}");
                assert!(child != parent, "{name}: {how} kept {}", parent.forward);
                assert!(space.backward.modes.contains(&child.backward));
                assert!(
                    f.ops().iter().all(|op| allowed.contains(op)),
                    "{name}: {how} made {f}"
                );
                if how == Variation::ChangeBackward {
                    assert!(space.backward.evolve);
                    assert!(f.same_expression(&expr::simplify(&parent.forward)));
                }
                used.insert(how);
                population[i % n] = child;
            }
            // Every operator gets used, except those the space rules out: change_backward
            // without evolving modes, constant tuning without constants or parameters.
            let mut expected = Variation::ALL.to_vec();
            expected.retain(|v| v.weight(&space.mutation) > 0.0);
            if !space.backward.evolve || space.backward.modes.len() < 2 {
                expected.retain(|v| *v != Variation::ChangeBackward);
            }
            let tunable = space.constants.probability > 0.0
                || allowed.iter().any(|op| !op.primitive().params.is_empty());
            if !tunable {
                expected.retain(|v| {
                    !matches!(v, Variation::PerturbConstant | Variation::ResampleConstant)
                });
            }
            // toggle_trainable needs a parent with a constant: expected once dozens were drawn
            // (the radical space grows almost none).
            if constant_parents < 40 {
                expected.retain(|v| *v != Variation::ToggleTrainable);
            }
            for v in expected {
                assert!(used.contains(&v), "{name}: {v} never used ({used:?})");
            }
        }
    }

    #[test]
    fn vary_without_other_never_crosses_over() {
        let space = SearchSpace::default_space();
        let mut r = rng(2);
        let mut parent = grow(&space, &mut r);
        for _ in 0..300 {
            let (child, how) = vary(&parent, None, &space, &mut r);
            assert_ne!(how, Variation::Crossover);
            parent = child;
        }
    }

    #[test]
    fn vary_is_deterministic_per_seed() {
        let space = SearchSpace::default_space();
        let run = |seed| {
            let mut r = rng(seed);
            let mut parent = grow(&space, &mut r);
            let other = grow(&space, &mut r);
            let mut out = Vec::new();
            for _ in 0..50 {
                let (child, how) = vary(&parent, Some(&other), &space, &mut r);
                out.push(format!("{how} {} {}", child.forward, child.backward));
                parent = child;
            }
            out
        };
        assert_eq!(run(9), run(9));
        assert_ne!(run(9), run(10));
    }

    #[test]
    fn toggle_trainable_makes_a_constant_trainable_and_back() {
        let parent = parse("x * sigmoid(1.702 * x)");
        let child = toggle_trainable(&parent, &mut rng(0)).unwrap();
        assert_eq!(child.to_string(), "x * sigmoid(param(1.702) * x)");
        assert_eq!(child.param_values(), vec![1.702]);
        let back = toggle_trainable(&child, &mut rng(0)).unwrap();
        assert_eq!(back.to_string(), parent.to_string());
        assert!(back.params().is_empty());
        assert!(toggle_trainable(&parse("tanh(x)"), &mut rng(0)).is_none());
        // A constant used twice becomes one shared trainable constant; the child vary keeps is
        // the one its formula reads back as, with one trainable constant per place.
        let shared = toggle_trainable(&parse("2 * x + tanh(2 * x)"), &mut rng(0)).unwrap();
        assert_eq!(shared.params().len(), 1);
        assert_eq!(unshare_params(shared.clone()).params().len(), 2);
        assert_eq!(
            unshare_params(shared.clone()).to_string(),
            shared.to_string()
        );
        // With only this operator weighted, vary makes exactly this change; perturbing a
        // trainable constant moves its initial value and keeps it trainable.
        let mut space = SearchSpace::default_space();
        space.mutation = MutationWeights {
            replace_op: 0.0,
            insert_node: 0.0,
            delete_node: 0.0,
            replace_subtree: 0.0,
            perturb_constant: 0.0,
            resample_constant: 0.0,
            change_backward: 0.0,
            crossover: 0.0,
            toggle_trainable: 1.0,
        };
        let parent = Activation::new(parse("x * sigmoid(2 * x) + 0.5"), BackwardMode::Exact);
        for seed in 0..8 {
            let (child, how) = vary(&parent, None, &space, &mut rng(seed));
            assert_eq!(how, Variation::ToggleTrainable);
            assert_eq!(child.constants().len(), 1, "{}", child.forward);
            let moved = perturb_constant(&child.forward, &mut rng(seed)).unwrap();
            assert_eq!(moved.params().len(), 1, "{moved}");
        }
        let ron = "(replace_op: 1, insert_node: 1, delete_node: 1, replace_subtree: 1, \
                   perturb_constant: 1, resample_constant: 1, change_backward: 1, crossover: 1)";
        let old: MutationWeights = ron::from_str(ron).unwrap();
        assert_eq!(
            old.toggle_trainable, 0.0,
            "spaces written before it do not draw it"
        );
    }

    #[test]
    fn vary_falls_back_to_a_grown_child_when_nothing_else_applies() {
        // Only perturb_constant has weight, and tanh(x) has nothing to perturb.
        let mut space = SearchSpace::default_space();
        space.mutation = MutationWeights {
            replace_op: 0.0,
            insert_node: 0.0,
            delete_node: 0.0,
            replace_subtree: 0.0,
            perturb_constant: 1.0,
            resample_constant: 0.0,
            change_backward: 0.0,
            crossover: 0.0,
            toggle_trainable: 0.0,
        };
        let parent = Activation::new(parse("tanh(x)"), BackwardMode::Exact);
        let (child, how) = vary(&parent, None, &space, &mut rng(0));
        assert_eq!(how, Variation::ReplaceSubtree);
        assert!(viable(&child.forward, &space.limits));
        assert!(child != parent);
        assert_eq!(child.backward, BackwardMode::Exact);
    }

    #[test]
    fn variation_names_are_snake_case_in_journals() {
        for v in Variation::ALL {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{v}\""));
            assert_eq!(serde_json::from_str::<Variation>(&json).unwrap(), v);
        }
        let w = MutationWeights::default();
        assert_eq!(Variation::ChangeBackward.weight(&w), w.change_backward);
    }
}
