//! The genome of the search is an [`Activation`]: a forward graph and a backward mode. This file
//! makes genomes: random ones grown within a space's [`Limits`] ([`grow`]), the baseline
//! activations that fit a space ([`baselines`]), and the checks every genome of a space passes
//! (`within_limits`, [`viable`]). The random pieces it draws (leaves, primitive parameters,
//! sub-expressions) are shared with the variation operators of [`super::mutate`].
//!
//! ```
//! use radact::search::{genome, SearchSpace};
//! use rand::SeedableRng;
//! let space = SearchSpace::default_space();
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
//! let act = genome::grow(&space, &mut rng);
//! assert!(genome::viable(&act.forward, &space.limits));
//! assert!(space.backward.modes.contains(&act.backward));
//! ```

use super::space::{Constants, Limits, SearchSpace};
use crate::activation::Activation;
use crate::expr::primitive::ParamSpec;
use crate::expr::{self, Arity, Graph, Node, NodeId, Op, Params};
use crate::grad::BackwardMode;
use crate::train::baselines::BASELINES;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Random trees drawn by [`grow`] before it falls back to a single primitive applied to `x`.
const GROW_ATTEMPTS: usize = 64;

/// Chance that a position below the root of a grown tree is a leaf while budget remains: low
/// enough that trees use their budget, high enough that small trees are common.
const LEAF_PROBABILITY: f64 = 0.3;

/// Spread of the log-normal draw of integer parameters around their default
/// (`default * e^N(0, 0.5)`, rounded).
const INTEGER_PARAM_SPREAD: f64 = 0.5;

/// A random activation grown within the space's limits, with a backward mode drawn uniformly
/// from `space.backward.modes`.
///
/// The forward graph is a random tree of at most a uniformly drawn number of operations (1 to
/// `max_ops`) and at most `max_depth` operations deep: primitives are drawn with the space's
/// weights, a leaf is a constant (uniform in the space's range) with the space's probability and
/// `x` otherwise, and parametrised primitives get random valid parameters. The tree is simplified
/// ([`expr::simplify`]) and redrawn unless the result is [`viable`]. In a space where nothing
/// viable can be grown at random the forward is the first primitive that gives a viable graph
/// applied to `x`, or `x` itself when none does (a space of only `zero` and `one`).
pub fn grow(space: &SearchSpace, rng: &mut ChaCha8Rng) -> Activation {
    let forward = grow_forward(space, rng);
    let backward = draw_mode(space, rng);
    Activation::new(forward, backward)
}

/// Whether a graph satisfies the limits: at most `max_ops` operations (shared sub-expressions
/// count once) and at most `max_depth` operations on the longest path from the output to a leaf.
pub(crate) fn within_limits(graph: &Graph, limits: &Limits) -> bool {
    graph.op_count() <= limits.max_ops && op_depth(graph) <= limits.max_depth
}

/// Whether a (simplified) graph may be a genome's forward function: within the limits and rooted
/// at an operation, so neither a constant nor the bare input `x`.
pub fn viable(graph: &Graph, limits: &Limits) -> bool {
    matches!(graph.node(graph.root()), Node::Op { .. }) && within_limits(graph, limits)
}

/// Whether a (simplified) graph may be a genome of `space`: [`viable`], and built only from the
/// space's primitives (simplification may spell `0 - a` as `-a` or `a * a` as `square(a)`; such
/// a graph is not admitted where those primitives are not allowed).
pub(crate) fn admissible(graph: &Graph, space: &SearchSpace) -> bool {
    let allowed = space.weighted_primitives();
    viable(graph, &space.limits)
        && graph
            .ops()
            .iter()
            .all(|op| allowed.iter().any(|(a, _)| a == op))
}

/// Operations on the longest path from the output to a leaf (0 for `x` or a constant).
pub(crate) fn op_depth(graph: &Graph) -> usize {
    // `Graph::depth` counts nodes, and every path ends in a leaf that is not an operation.
    graph.depth() - 1
}

/// The baseline activations ([`BASELINES`]) that fit the space: simplified, within its limits and
/// built only from primitives with positive weight. Each uses the `exact` backward mode (as the
/// baselines are defined) when the space allows it, else the space's first mode.
pub fn baselines(space: &SearchSpace) -> Vec<Activation> {
    let allowed: Vec<Op> = space
        .weighted_primitives()
        .into_iter()
        .map(|(op, _)| op)
        .collect();
    let mode = if space.backward.modes.contains(&BackwardMode::Exact) {
        BackwardMode::Exact
    } else {
        space.backward.modes[0].clone()
    };
    BASELINES
        .iter()
        .filter_map(|b| {
            let forward = expr::simplify(&expr::parse(b.formula).ok()?);
            let fits = within_limits(&forward, &space.limits)
                && forward.ops().iter().all(|op| allowed.contains(op));
            fits.then(|| Activation::new(forward, mode.clone()))
        })
        .collect()
}

/// A random viable forward graph (the forward half of [`grow`]).
pub(crate) fn grow_forward(space: &SearchSpace, rng: &mut ChaCha8Rng) -> Graph {
    let primitives = space.weighted_primitives();
    for _ in 0..GROW_ATTEMPTS {
        let mut g = Graph::new();
        let mut budget = rng.gen_range(1..=space.limits.max_ops);
        let root = grow_subtree(
            &mut g,
            &primitives,
            &space.constants,
            rng,
            &mut budget,
            space.limits.max_depth,
        );
        g.set_root(root);
        let simple = expr::simplify(&g);
        if admissible(&simple, space) {
            return simple;
        }
    }
    fallback_forward(space)
}

/// The first weighted primitive applied to `x` (with default parameters) that simplifies to a
/// viable graph, else `x`.
fn fallback_forward(space: &SearchSpace) -> Graph {
    for (op, _) in space.weighted_primitives() {
        let mut g = Graph::new();
        let x = g.input();
        let arity = if op.primitive().arity == Arity::Unary {
            1
        } else {
            2
        };
        let args = vec![x; arity];
        let root = g.apply(op, &args);
        g.set_root(root);
        let simple = expr::simplify(&g);
        if admissible(&simple, space) {
            return simple;
        }
    }
    Graph::new()
}

/// Grows a random tree into `g` and returns its root. The root is an operation whenever `ops`
/// and `depth` allow one; below it, positions become leaves with [`LEAF_PROBABILITY`] or when the
/// budget is spent. `ops` is the number of operations still allowed (decremented as they are
/// placed) and `depth` the number of operations allowed on any path from the root down.
pub(crate) fn grow_subtree(
    g: &mut Graph,
    primitives: &[(Op, f64)],
    constants: &Constants,
    rng: &mut ChaCha8Rng,
    ops: &mut usize,
    depth: usize,
) -> NodeId {
    grow_node(g, primitives, constants, rng, ops, depth, true)
}

fn grow_node(
    g: &mut Graph,
    primitives: &[(Op, f64)],
    constants: &Constants,
    rng: &mut ChaCha8Rng,
    ops: &mut usize,
    depth: usize,
    root: bool,
) -> NodeId {
    if *ops == 0 || depth == 0 || (!root && rng.gen_bool(LEAF_PROBABILITY)) {
        return draw_leaf(g, constants, rng);
    }
    let Some(op) = pick_weighted(primitives, rng) else {
        return draw_leaf(g, constants, rng);
    };
    *ops -= 1;
    let args: Vec<NodeId> = (0..draw_arg_count(op, rng))
        .map(|_| grow_node(g, primitives, constants, rng, ops, depth - 1, false))
        .collect();
    let params = draw_params(op, constants, rng);
    g.apply_with(op, params, &args)
}

/// A leaf: a constant drawn from the space's range with the space's probability, else `x`.
pub(crate) fn draw_leaf(g: &mut Graph, constants: &Constants, rng: &mut ChaCha8Rng) -> NodeId {
    if rng.gen_bool(constants.probability) {
        let c = draw_constant(constants, rng);
        g.constant(c)
    } else {
        g.input()
    }
}

/// A constant drawn uniformly from `[min, max]`.
pub(crate) fn draw_constant(constants: &Constants, rng: &mut ChaCha8Rng) -> f32 {
    uniform(constants.min, constants.max, rng)
}

/// A value drawn uniformly from `[lo, hi]`; finite for any finite bounds, even when `hi - lo`
/// overflows (where `Rng::gen_range` would panic).
fn uniform(lo: f32, hi: f32, rng: &mut ChaCha8Rng) -> f32 {
    let t: f32 = rng.gen();
    (lo * (1.0 - t) + hi * t).clamp(lo, hi)
}

/// How many arguments a new application of `op` gets: its arity, and 2 or 3 for n-ary ones.
pub(crate) fn draw_arg_count(op: Op, rng: &mut ChaCha8Rng) -> usize {
    match op.primitive().arity {
        Arity::Unary => 1,
        Arity::Binary => 2,
        Arity::Nary => rng.gen_range(2..=3),
    }
}

/// Random valid parameters for `op` (see [`draw_param`]), in a valid combination.
pub(crate) fn draw_params(op: Op, constants: &Constants, rng: &mut ChaCha8Rng) -> Params {
    let mut params = op.primitive().default_params();
    for (slot, spec) in params.iter_mut().zip(op.primitive().params) {
        *slot = draw_param(spec, constants, rng);
    }
    order_params(op, &mut params);
    params
}

/// A random valid value of one parameter. Real parameters are uniform over the space's constant
/// range widened to include the default and cut to the parameter's bounds (so `deadzone`'s
/// threshold is drawn from `[0, max]`); integer ones (`quantize`'s levels) are log-normal around
/// the default, rounded and cut to the bounds.
pub(crate) fn draw_param(spec: &ParamSpec, constants: &Constants, rng: &mut ChaCha8Rng) -> f32 {
    if spec.integer {
        let z: f64 = rng.sample(StandardNormal);
        return legalise(spec, spec.default * (INTEGER_PARAM_SPREAD * z).exp() as f32);
    }
    let lo = constants.min.min(spec.default).max(spec.min);
    let hi = constants.max.max(spec.default).min(spec.max);
    uniform(lo, hi, rng)
}

/// The nearest valid value of a parameter: rounded when it must be an integer, cut to its bounds.
pub(crate) fn legalise(spec: &ParamSpec, value: f32) -> f32 {
    let v = if spec.integer { value.round() } else { value };
    v.clamp(spec.min, spec.max)
}

/// Restores the one constraint between parameters of the catalogue: `clamp` needs `lo <= hi`
/// (the parser rejects the other order).
pub(crate) fn order_params(op: Op, params: &mut Params) {
    if op == Op::Clamp && params[0] > params[1] {
        params.swap(0, 1);
    }
}

/// A backward mode drawn uniformly from the space's modes.
pub(crate) fn draw_mode(space: &SearchSpace, rng: &mut ChaCha8Rng) -> BackwardMode {
    let modes = &space.backward.modes;
    modes[rng.gen_range(0..modes.len())].clone()
}

/// One item drawn with probability proportional to its weight; `None` when no weight is positive.
pub(crate) fn pick_weighted<T: Copy>(items: &[(T, f64)], rng: &mut ChaCha8Rng) -> Option<T> {
    let total: f64 = items.iter().map(|(_, w)| w.max(0.0)).sum();
    if total <= 0.0 {
        return None;
    }
    let mut r = rng.gen::<f64>() * total;
    let mut last = None;
    for &(item, w) in items {
        if w <= 0.0 {
            continue;
        }
        if r < w {
            return Some(item);
        }
        r -= w;
        last = Some(item);
    }
    // Rounding left `r` at the very top of the range.
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::space::{PrimitiveName, SHIPPED_SPACES};
    use rand::SeedableRng;

    fn shipped() -> Vec<SearchSpace> {
        SHIPPED_SPACES
            .iter()
            .map(|(name, _)| SearchSpace::shipped(name).unwrap())
            .collect()
    }

    /// The primitives a graph may introduce in `space`.
    fn allowed(space: &SearchSpace) -> Vec<Op> {
        space
            .weighted_primitives()
            .into_iter()
            .map(|(op, _)| op)
            .collect()
    }

    fn params_valid(graph: &Graph) -> bool {
        graph.topo_order().into_iter().all(|n| match graph.node(n) {
            Node::Op { op, params } => {
                let specs = op.primitive().params;
                specs
                    .iter()
                    .zip(params)
                    .all(|(spec, v)| spec.check(v).is_ok())
                    && (op != Op::Clamp || params[0] <= params[1])
            }
            Node::Const(c) | Node::Param(c) => c.is_finite(),
            Node::Input => true,
        })
    }

    #[test]
    fn grown_genomes_fit_their_space() {
        for space in shipped() {
            let ops = allowed(&space);
            let mut sizes = std::collections::BTreeSet::new();
            let mut modes = std::collections::HashSet::new();
            for seed in 0..300 {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let act = grow(&space, &mut rng);
                let f = &act.forward;
                assert!(viable(f, &space.limits), "{}: {f}", space.name);
                assert!(
                    f.ops().iter().all(|op| ops.contains(op)),
                    "{}: {f}",
                    space.name
                );
                assert!(params_valid(f), "{}: {f}", space.name);
                assert!(space.backward.modes.contains(&act.backward));
                assert!(f.same_expression(&expr::simplify(f)), "not simplified: {f}");
                sizes.insert(f.op_count());
                modes.insert(act.backward.to_string());
            }
            // Sizes and modes vary.
            assert!(
                sizes.len() >= space.limits.max_ops.min(3),
                "{}: {sizes:?}",
                space.name
            );
            assert_eq!(modes.len(), space.backward.modes.len(), "{}", space.name);
        }
    }

    #[test]
    fn growing_is_deterministic_per_seed() {
        let space = SearchSpace::default_space();
        let run = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..20)
                .map(|_| {
                    let a = grow(&space, &mut rng);
                    format!("{} | {}", a.forward, a.backward)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }

    #[test]
    fn parameters_are_drawn_valid_and_varied() {
        let space = SearchSpace::default_space();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut levels = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let p = draw_params(Op::Clamp, &space.constants, &mut rng);
            assert!(p[0] <= p[1], "{p:?}");
            let t = draw_params(Op::Deadzone, &space.constants, &mut rng)[0];
            assert!((0.0..=2.0).contains(&t), "{t}");
            let q = draw_params(Op::Quantize, &space.constants, &mut rng)[0];
            assert_eq!(q, q.round());
            assert!(q >= 2.0);
            levels.insert(q as i64);
        }
        assert!(levels.len() >= 4, "{levels:?}");
    }

    #[test]
    fn spaces_without_viable_random_trees_fall_back() {
        let mut space = SearchSpace::default_space();
        space.primitives = [(Op::Zero, 1.0), (Op::Identity, 1.0), (Op::Tanh, 0.0)]
            .into_iter()
            .map(|(op, w)| (PrimitiveName(op), w))
            .collect();
        space.validate().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let act = grow(&space, &mut rng);
        assert_eq!(act.forward.to_string(), "x");
        // One usable primitive among useless ones: the fallback finds it.
        space
            .primitives
            .insert(PrimitiveName(Op::Sin), f64::MIN_POSITIVE);
        assert_eq!(grow(&space, &mut rng).forward.to_string(), "sin(x)");
    }

    #[test]
    fn extreme_constant_ranges_stay_finite() {
        let mut space = SearchSpace::default_space();
        space.constants = Constants {
            min: -f32::MAX,
            max: f32::MAX,
            probability: 1.0,
        };
        space.validate().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..100 {
            let act = grow(&space, &mut rng);
            assert!(params_valid(&act.forward), "{}", act.forward);
        }
        let fixed = Constants {
            min: 0.25,
            max: 0.25,
            probability: 1.0,
        };
        assert_eq!(draw_constant(&fixed, &mut rng), 0.25);
    }

    #[test]
    fn limits_count_operations() {
        let limits = Limits {
            max_ops: 3,
            max_depth: 2,
        };
        let g = expr::parse("max(tanh(x), sin(x))").unwrap();
        assert_eq!(op_depth(&g), 2);
        assert!(within_limits(&g, &limits));
        let deep = expr::parse("tanh(sin(cos(x)))").unwrap();
        assert!(!within_limits(&deep, &limits));
        let big = expr::parse("x + sin(x) + cos(x) + 1").unwrap();
        assert!(!within_limits(&big, &limits));
        // Shared sub-expressions count once: 2 operations, not 3.
        let shared = expr::parse("tanh(x) * tanh(x)").unwrap();
        let two = Limits {
            max_ops: 2,
            max_depth: 2,
        };
        assert!(within_limits(&shared, &two));
        assert!(within_limits(&Graph::new(), &limits));
        assert!(!viable(&Graph::new(), &limits));
        assert!(!viable(&expr::parse("2").unwrap(), &limits));
    }

    #[test]
    fn baselines_fit_the_space() {
        let names = |space: &SearchSpace| -> Vec<String> {
            baselines(space)
                .iter()
                .map(|a| format!("{} {}", a.forward, a.backward))
                .collect()
        };
        let default = SearchSpace::default_space();
        assert_eq!(
            names(&default),
            [
                "relu(x) exact",
                "swish(x) exact",
                "gelu(x) exact",
                "elu(x) exact",
                "softplus(x) exact",
                "tanh(x) exact",
                "sigmoid(x) exact"
            ]
        );
        assert_eq!(
            names(&SearchSpace::shipped("swish-space").unwrap()),
            ["tanh(x) exact", "sigmoid(x) exact"]
        );
        // No exact mode in the radical space: the first mode, and only relu is allowed there.
        assert_eq!(
            names(&SearchSpace::shipped("radical").unwrap()),
            ["relu(x) surrogate"]
        );
    }

    #[test]
    fn weighted_picks_follow_the_weights() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let items = [('a', 1.0), ('b', 0.0), ('c', 3.0)];
        let mut counts = [0usize; 3];
        for _ in 0..4000 {
            match pick_weighted(&items, &mut rng).unwrap() {
                'a' => counts[0] += 1,
                'b' => counts[1] += 1,
                _ => counts[2] += 1,
            }
        }
        assert_eq!(counts[1], 0);
        assert!((2700..3300).contains(&counts[2]), "{counts:?}");
        assert_eq!(pick_weighted(&[('a', 0.0)], &mut rng), None);
    }
}
