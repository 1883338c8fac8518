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
    let mut g = forward.compact();
    let y = g.root();
    let x = g.input();
    let multiplier = match mode {
        BackwardMode::Exact => chain_rule(&mut g, y, false),
        BackwardMode::Surrogate => chain_rule(&mut g, y, true),
        BackwardMode::Direction => {
            let s = chain_rule(&mut g, y, true);
            g.apply(Op::Sign, &[s])
        }
        BackwardMode::Rule(rule) => rule.instantiate(&mut g, x),
        BackwardMode::Expr(expr) => g.import(expr, expr.root(), x),
    };
    let (g, roots) = simplify_roots(&g, &[y, multiplier]);
    (g, roots[0], roots[1])
}

/// Forward-mode chain rule: the node holding `d root / dx`, built into `g`.
fn chain_rule(g: &mut Graph, root: NodeId, surrogate: bool) -> NodeId {
    let order = g.topo_order_from(&[root]);
    // `None` is a zero tangent, kept symbolic so that flat regions build no nodes.
    let mut tangent: Vec<Option<NodeId>> =
        vec![None; order.iter().map(|n| n.index() + 1).max().unwrap_or(0)];
    for &n in &order {
        tangent[n.index()] = match g.node(n) {
            Node::Input => Some(g.constant(1.0)),
            Node::Const(_) => None,
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
