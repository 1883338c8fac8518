//! Backward multipliers: `g(x)` with `dL/dx = g(x) * dL/dy`, derived automatically from a forward
//! graph in one of several [`BackwardMode`]s.
//!
//! Derivation is forward-mode symbolic differentiation over the graph: the tangent of each node
//! is the sum over its arguments of the primitive's partial derivative (a template from the
//! catalogue, instantiated into the graph) times the argument's tangent. The result is a graph
//! that shares sub-expressions with the forward function, so `derive_joint` compiles both into
//! one program.
//!
//! ```
//! use radact::expr::parse;
//! use radact::grad::{derive, BackwardMode};
//! let f = parse("heaviside(x)").unwrap();
//! assert_eq!(derive(&f, &BackwardMode::Exact).to_string(), "0");
//! assert_eq!(derive(&f, &BackwardMode::Surrogate).to_string(), "bump(x)");
//! let rect: BackwardMode = "rect(-1, 1)".parse().unwrap();
//! assert_eq!(derive(&f, &rect).eval_scalar(0.9), 1.0);
//! ```

pub(crate) mod mode;
pub mod rules;

pub use mode::{BackwardMode, NamedRule, RuleError};

use crate::expr::canon::simplify_roots;
use crate::expr::parse::parse_into;
use crate::expr::{Arity, Graph, Node, NodeId, Op};

/// The backward multiplier of `forward` in `mode`, as a simplified graph in `x`.
pub fn derive(forward: &Graph, mode: &BackwardMode) -> Graph {
    let (joint, _, g) = derive_joint(forward, mode);
    let mut out = joint;
    out.set_root(g);
    out.compact()
}

/// One simplified graph holding both the forward function and its backward multiplier, with
/// the nodes of each: `(graph, y, g)`. Shared sub-expressions are computed once when compiled
/// with [`crate::expr::Program::compile_outputs`].
pub(crate) fn derive_joint(forward: &Graph, mode: &BackwardMode) -> (Graph, NodeId, NodeId) {
    let joint = derive_all(forward, mode);
    (joint.graph, joint.y, joint.g)
}

/// The forward function, its backward multiplier and its derivatives with respect to its
/// trainable constants, in one simplified graph.
#[derive(Clone, Debug)]
pub(crate) struct Joint {
    /// The graph holding every node below.
    pub graph: Graph,
    /// `f(x)`.
    pub y: NodeId,
    /// The backward multiplier `g(x)`.
    pub g: NodeId,
    /// The trainable constants of `f`, in the order of the forward graph's
    /// [`Graph::params`].
    pub params: Vec<NodeId>,
    /// `df/dc_k` for each trainable constant `c_k` of `params`, in the same order.
    pub param_grads: Vec<NodeId>,
}

/// Derives everything training needs from `forward` in `mode` (see [`Joint`]).
///
/// The derivative with respect to a trainable constant is the forward-mode chain rule seeded at
/// that constant: exact in [`BackwardMode::Exact`]; in every other mode it uses each flat or
/// non-differentiable primitive's surrogate (so `heaviside(x - param(0.5))` gets `-bump(x - c)`,
/// not 0), since those modes exist to pass gradients through flat functions. Rules and backward
/// formulas replace `g(x)` only: they say nothing about the constants.
pub(crate) fn derive_all(forward: &Graph, mode: &BackwardMode) -> Joint {
    let mut g = forward.compact();
    let y = g.root();
    let x = g.input();
    let params = g.params();
    let multiplier = match mode {
        BackwardMode::Exact => chain_rule(&mut g, y, x, false),
        BackwardMode::Surrogate => chain_rule(&mut g, y, x, true),
        BackwardMode::Direction => {
            let s = chain_rule(&mut g, y, x, true);
            g.apply(Op::Sign, &[s])
        }
        BackwardMode::Rule(rule) => rule.instantiate(&mut g, x),
        BackwardMode::Expr(expr) => g.import(expr, expr.root(), x),
    };
    let surrogate = *mode != BackwardMode::Exact;
    let param_grads: Vec<NodeId> = params
        .iter()
        .map(|&c| chain_rule(&mut g, y, c, surrogate))
        .collect();
    let mut roots = vec![y, multiplier];
    roots.extend(&params);
    roots.extend(&param_grads);
    let (graph, roots) = simplify_roots(&g, &roots);
    let n = params.len();
    Joint {
        graph,
        y: roots[0],
        g: roots[1],
        params: roots[2..2 + n].to_vec(),
        param_grads: roots[2 + n..].to_vec(),
    }
}

/// Forward-mode chain rule: the node holding `d root / d wrt`, built into `g`, where `wrt` is a
/// leaf (the input `x` or a trainable constant).
fn chain_rule(g: &mut Graph, root: NodeId, wrt: NodeId, surrogate: bool) -> NodeId {
    let order = g.topo_order_from(&[root]);
    // `None` is a zero tangent, kept symbolic so that flat regions build no nodes.
    let mut tangent: Vec<Option<NodeId>> =
        vec![None; order.iter().map(|n| n.index() + 1).max().unwrap_or(0)];
    for &n in &order {
        tangent[n.index()] = match g.node(n) {
            Node::Input | Node::Param(_) if n == wrt => Some(g.constant(1.0)),
            Node::Input | Node::Param(_) | Node::Const(_) => None,
            Node::Op { op, params } => {
                let args = g.args(n);
                let templates = op.primitive().derivative(surrogate);
                let mut terms = Vec::new();
                for (i, &a) in args.iter().enumerate() {
                    let Some(da) = tangent[a.index()] else {
                        continue;
                    };
                    let template = templates[i.min(templates.len() - 1)];
                    let partial = instantiate(g, op, &params, &args, i, n, template);
                    if is_zero(g, partial) {
                        continue;
                    }
                    terms.push(if is_one(g, da) {
                        partial
                    } else {
                        g.apply(Op::Mul, &[partial, da])
                    });
                }
                match terms.len() {
                    0 => None,
                    1 => Some(terms[0]),
                    2 => Some(g.apply(Op::Add, &terms)),
                    _ => Some(g.apply(Op::SumN, &terms)),
                }
            }
        };
    }
    tangent[root.index()].unwrap_or_else(|| g.constant(0.0))
}

/// Builds the partial derivative of node `n` (= `op(args)`) with respect to argument `i`.
fn instantiate(
    g: &mut Graph,
    op: Op,
    params: &[f32; 2],
    args: &[NodeId],
    i: usize,
    n: NodeId,
    template: &str,
) -> NodeId {
    let prim = op.primitive();
    // Unary and binary templates name their arguments `a` and `b`; an n-ary template is
    // written once for every argument, which it calls `a`.
    let a = if prim.arity == Arity::Nary {
        args[i]
    } else {
        args[0]
    };
    let mut vars: Vec<(&str, NodeId)> = vec![("a", a), ("y", n)];
    if prim.arity == Arity::Binary {
        vars.push(("b", args[1]));
    }
    for (spec, &v) in prim.params.iter().zip(params) {
        let c = g.constant(v);
        vars.push((spec.name, c));
    }
    if template.contains("rest") {
        let others: Vec<NodeId> = args
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, &a)| a)
            .collect();
        let rest = if others.len() == 1 {
            others[0]
        } else {
            g.apply(Op::ProdN, &others)
        };
        vars.push(("rest", rest));
    }
    parse_into(template, &vars, g)
        .unwrap_or_else(|e| panic!("derivative template of {} is invalid: {e}", prim.name))
}

fn is_zero(g: &Graph, n: NodeId) -> bool {
    matches!(g.node(n), Node::Const(v) if v == 0.0)
}

fn is_one(g: &Graph, n: NodeId) -> bool {
    matches!(g.node(n), Node::Const(v) if v == 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;
    use crate::expr::primitive::CATALOGUE;

    fn g_at(f: &str, mode: &str, x: f32) -> f32 {
        derive(&parse(f).unwrap(), &mode.parse().unwrap()).eval_scalar(x)
    }

    #[test]
    fn every_template_instantiates() {
        for p in CATALOGUE {
            let args = match p.arity {
                Arity::Unary => "x",
                Arity::Binary => "x, sin(x)",
                Arity::Nary => "x, sin(x), 2 * x",
            };
            let f = parse(&format!("{}({args})", p.name)).unwrap();
            for mode in [
                BackwardMode::Exact,
                BackwardMode::Surrogate,
                BackwardMode::Direction,
            ] {
                let g = derive(&f, &mode);
                assert!(g.eval_scalar(0.3).is_finite(), "{} {mode}", p.name);
            }
        }
    }

    #[test]
    fn exact_flat_is_zero_and_surrogate_is_not() {
        for f in [
            "heaviside(x)",
            "sign(x)",
            "round(3 * x)",
            "quantize(x)",
            "floor(x) + ceil(x)",
        ] {
            let exact = derive(&parse(f).unwrap(), &BackwardMode::Exact);
            assert_eq!(exact.to_string(), "0", "{f}");
            assert!(g_at(f, "surrogate", 0.1) > 0.0, "{f}");
        }
    }

    #[test]
    fn chain_rule_through_compositions() {
        // d/dx tanh(2x) = 2 (1 - tanh(2x)^2)
        let want = 2.0 * (1.0 - (1.0f32).tanh().powi(2));
        assert!((g_at("tanh(2 * x)", "exact", 0.5) - want).abs() < 1e-6);
        // product rule
        let want = 0.5f32.cos() * 0.5 + 0.5f32.sin();
        assert!((g_at("x * sin(x)", "exact", 0.5) - want).abs() < 1e-6);
        // n-ary product uses the product of the other arguments
        assert!((g_at("prod_n(x, x, x)", "exact", 2.0) - 12.0).abs() < 1e-5);
        // surrogate of a flat function inside a smooth one: d/dx tanh(step(x)) ~ (1 - tanh(1)^2) * bump
        let want = 1.0 - 1.0f32.tanh().powi(2);
        assert!((g_at("tanh(step(x))", "surrogate", 0.2) - want).abs() < 1e-6);
    }

    #[test]
    fn direction_is_the_sign_of_the_surrogate() {
        assert_eq!(g_at("-heaviside(x)", "direction", 0.2), -1.0);
        assert_eq!(g_at("0.001 * tanh(x)", "direction", 3.0), 1.0);
        assert_eq!(g_at("heaviside(x)", "direction", 3.0), 0.0);
    }

    #[test]
    fn named_rules_and_expressions_replace_the_backward() {
        assert_eq!(g_at("sign(x)", "ste", 10.0), 1.0);
        assert_eq!(g_at("heaviside(x)", "rect", 0.5), 1.0);
        assert_eq!(g_at("heaviside(x)", "rect", 0.6), 0.0);
        assert_eq!(g_at("heaviside(x)", "rect(-1, 1)", -1.0), 1.0);
        assert!((g_at("heaviside(x)", "tri(2)", 1.0) - 0.5).abs() < 1e-6);
        assert!((g_at("heaviside(x)", "atan", 0.0) - 1.0).abs() < 1e-6);
        assert!((g_at("heaviside(x)", "atan(alpha=3)", 0.0) - 1.5).abs() < 1e-6);
        assert!((g_at("heaviside(x)", "fast_sigmoid", 0.0) - 1.0).abs() < 1e-6);
        assert!((g_at("heaviside(x)", "sigmoid", 0.0) - 1.0).abs() < 1e-6);
        assert!(
            (g_at("heaviside(x)", "erf", 0.0) - 2.0 / std::f32::consts::PI.sqrt()).abs() < 1e-6
        );
        assert!((g_at("heaviside(x)", "piecewise_quadratic(2)", 0.25) - 1.0).abs() < 1e-6);
        assert_eq!(g_at("heaviside(x)", "piecewise_quadratic(2)", 0.6), 0.0);
        assert_eq!(g_at("sign(x)", "ste_sign", 1.0), 1.0);
        assert_eq!(g_at("sign(x)", "ste_sign", 1.01), 0.0);
        assert!((g_at("sign(x)", "approx_sign", 0.5) - 1.0).abs() < 1e-6);
        assert!((g_at("sign(x)", "swish_sign", 0.0) - 5.0).abs() < 1e-5);
        assert!((g_at("x", "expr(1 - tanh(x)^2)", 0.0) - 1.0).abs() < 1e-6);
    }

    /// `y`, `g` and `df/dc_k` of `f` at `x` with the trainable constants at `c`, through the
    /// compiled joint program.
    fn joint_at(f: &str, mode: &str, x: f32, c: &[f32]) -> Vec<f32> {
        let act = crate::Activation::parse(f, mode).unwrap().compile();
        let mut outs = vec![[0.0f32]; 2 + c.len()];
        let mut views: Vec<&mut [f32]> = outs.iter_mut().map(|o| &mut o[..]).collect();
        act.joint.eval_many_with(&[x], c, &mut views);
        outs.into_iter().map(|[v]| v).collect()
    }

    #[test]
    fn constant_gradients_match_finite_differences() {
        let cases: [(&str, &[f32]); 6] = [
            ("x * sigmoid(param(1) * x)", &[1.3]),
            ("tanh(param(0.5) * x + param(-0.2))", &[0.7, 0.3]),
            ("param(2) * x^2 - exp(param(0.1) * x)", &[1.5, -0.4]),
            ("softplus(x - param(1)) * param(0.5)", &[0.2, 2.0]),
            (
                "max(x, param(0.1) * x) + sin(param(1) * x) * x",
                &[0.25, 0.8],
            ),
            ("x / (1 + abs(x)^param(2))", &[1.7]),
        ];
        for (f, c) in cases {
            let graph = crate::expr::parse(f).unwrap();
            for x in [-1.7f32, -0.6, 0.35, 1.2, 2.4] {
                let got = joint_at(f, "exact", x, c);
                assert_eq!(got[0], graph.eval_scalar_with(x, c), "{f} at {x}");
                for k in 0..c.len() {
                    let h = 1e-3f64;
                    let at = |d: f64| {
                        let mut moved: Vec<f32> = c.to_vec();
                        moved[k] = (f64::from(c[k]) + d) as f32;
                        f64::from(graph.eval_scalar_with(x, &moved))
                    };
                    let numeric = (at(h) - at(-h)) / (2.0 * h);
                    let analytic = f64::from(got[2 + k]);
                    assert!(
                        (numeric - analytic).abs() < 2e-3 * (1.0 + numeric.abs()),
                        "{f}: d/dc{k} at x = {x}: derived {analytic}, numeric {numeric}"
                    );
                }
            }
        }
    }

    #[test]
    fn constants_of_flat_functions_get_the_surrogate() {
        // heaviside(x - c): exactly 0 with respect to c, -bump(x - c) with the surrogate.
        let f = "heaviside(x - param(0.5))";
        let exact = joint_at(f, "exact", 0.6, &[0.5]);
        assert_eq!(exact[2], 0.0);
        let bump = derive(
            &crate::expr::parse("heaviside(x)").unwrap(),
            &BackwardMode::Surrogate,
        );
        for mode in ["surrogate", "direction", "rect", "expr(1)"] {
            for (x, c) in [(0.6f32, 0.5f32), (0.5, 0.5), (-0.3, 0.1)] {
                let got = joint_at(f, mode, x, &[c]);
                assert_eq!(got[0], if x >= c { 1.0 } else { 0.0 });
                assert!(got[2] < 0.0, "{mode} at {x}: {got:?}");
                assert!(
                    (got[2] + bump.eval_scalar(x - c)).abs() < 1e-6,
                    "{mode} at {x}"
                );
            }
        }
        // The multiplier with respect to x is unchanged by a trainable threshold.
        assert!((joint_at(f, "surrogate", 0.6, &[0.5])[1] - bump.eval_scalar(0.1)).abs() < 1e-6);
    }

    #[test]
    fn backward_formulas_cannot_hold_trainable_constants() {
        let e = "expr(param(1) * x)".parse::<BackwardMode>().unwrap_err();
        assert!(e.message.contains("trainable"), "{e}");
        assert_eq!(e.column, 6);
    }

    #[test]
    fn joint_graph_shares_the_forward() {
        let f = parse("x * sigmoid(x)").unwrap();
        let (g, y, d) = derive_joint(&f, &BackwardMode::Exact);
        assert!((g.eval_scalar(0.0) - 0.0).abs() < 1e-7 || y != g.root());
        let p = crate::expr::Program::compile_outputs(&g, &[y, d]);
        let (mut ys, mut ds) = ([0.0f32; 1], [0.0f32; 1]);
        p.eval_many(&[0.0], &mut [&mut ys, &mut ds]);
        assert_eq!(ys[0], 0.0);
        assert!((ds[0] - 0.5).abs() < 1e-6);
        // sigmoid(x) is computed once for both outputs
        assert_eq!(
            g.topo_order_from(&[y, d])
                .iter()
                .filter(|&&n| matches!(
                    g.node(n),
                    Node::Op {
                        op: Op::Sigmoid,
                        ..
                    }
                ))
                .count(),
            1
        );
    }
}
