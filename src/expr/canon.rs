//! Canonical form: constant folding, identity elimination, ordering of commutative operands and
//! maximal sharing. Two spellings of one expression (`1 * (x + 0)`, `x`) simplify to the same
//! graph; the behavioural [`super::fingerprint`] catches the equivalences rules cannot see.
//!
//! Every rule preserves the function on all inputs except that `0 * e` becomes `0` even where
//! `e` is NaN. Trainable constants (`param(v)`) are leaves like `x`: never folded, never merged
//! with another trainable constant of the same value.

use super::graph::{Graph, Node, NodeId, Params};
use super::primitive::{Arity, Op};
use super::print::print_node;
use std::collections::HashMap;

/// Most rounds of rewriting; each round applies every rule bottom-up once.
const MAX_ROUNDS: usize = 8;

/// The canonical form of a graph.
pub fn simplify(graph: &Graph) -> Graph {
    let (mut g, roots) = simplify_roots(graph, &[graph.root()]);
    g.set_root(roots[0]);
    g
}

/// Simplifies the sub-expressions at `roots` together into a new graph, returning it with the
/// nodes the roots became. The new graph's root is the first of them.
pub(crate) fn simplify_roots(graph: &Graph, roots: &[NodeId]) -> (Graph, Vec<NodeId>) {
    let (mut g, mut now) = rewrite(graph, roots);
    for _ in 1..MAX_ROUNDS {
        let (next, next_roots) = rewrite(&g, &now);
        let same = next_roots
            .iter()
            .zip(&now)
            .all(|(&a, &b)| print_node(&next, a) == print_node(&g, b));
        g = next;
        now = next_roots;
        if same {
            break;
        }
    }
    g.set_root(now[0]);
    (g, now)
}

/// One bottom-up pass of every rule.
fn rewrite(graph: &Graph, roots: &[NodeId]) -> (Graph, Vec<NodeId>) {
    let mut out = Graph::new();
    let mut map: HashMap<NodeId, NodeId> = HashMap::new();
    let mut text: HashMap<NodeId, String> = HashMap::new();
    for n in graph.topo_order_from(roots) {
        let new = match graph.node(n) {
            Node::Input => out.input(),
            Node::Const(v) => out.constant(v),
            // A trainable constant is a leaf no rule folds: its value changes in training.
            Node::Param(v) => out.param(v),
            Node::Op { op, params } => {
                let args: Vec<NodeId> = graph.args(n).iter().map(|a| map[a]).collect();
                Rewriter {
                    g: &mut out,
                    text: &mut text,
                }
                .build(op, params, args)
            }
        };
        map.insert(n, new);
    }
    let new_roots = roots.iter().map(|r| map[r]).collect();
    (out, new_roots)
}

struct Rewriter<'a> {
    g: &'a mut Graph,
    text: &'a mut HashMap<NodeId, String>,
}

impl Rewriter<'_> {
    fn constant_of(&self, n: NodeId) -> Option<f32> {
        match self.g.node(n) {
            Node::Const(v) => Some(v),
            _ => None,
        }
    }

    fn is(&self, n: NodeId, value: f32) -> bool {
        self.constant_of(n) == Some(value)
    }

    /// Sort key: constants first, then `x` and trainable constants, then by printed text.
    fn key(&mut self, n: NodeId) -> (u8, String) {
        let rank = match self.g.node(n) {
            Node::Const(_) => 0,
            Node::Input | Node::Param(_) => 1,
            Node::Op { .. } => 2,
        };
        let g = &*self.g;
        let t = self
            .text
            .entry(n)
            .or_insert_with(|| print_node(g, n))
            .clone();
        (rank, t)
    }

    fn build(&mut self, op: Op, params: Params, mut args: Vec<NodeId>) -> NodeId {
        let prim = op.primitive();
        // Constant folding.
        let consts: Option<Vec<f32>> = args.iter().map(|&a| self.constant_of(a)).collect();
        if let Some(values) = consts {
            let v = op.eval(&params, &values);
            if !v.is_nan() {
                return self.g.constant(v);
            }
        }
        if matches!(op, Op::Zero | Op::One) {
            return self.g.constant(if op == Op::One { 1.0 } else { 0.0 });
        }
        if prim.commutative {
            let mut keyed: Vec<((u8, String), NodeId)> =
                args.iter().map(|&a| (self.key(a), a)).collect();
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            args = keyed.into_iter().map(|(_, a)| a).collect();
        }
        if let Some(n) = self.identity(op, &params, &args) {
            return n;
        }
        if prim.arity == Arity::Nary && matches!(op, Op::MaxN | Op::MinN) {
            args.dedup();
            if args.len() == 1 {
                return args[0];
            }
        }
        self.g.apply_with(op, params, &args)
    }

    /// Identity elimination: the node an application reduces to, if it does.
    fn identity(&mut self, op: Op, params: &Params, args: &[NodeId]) -> Option<NodeId> {
        let a = args[0];
        let b = args.get(1).copied();
        let is_neg = |g: &Graph, n: NodeId| match g.node(n) {
            Node::Op {
                op: Op::Negative, ..
            } => Some(g.args(n)[0]),
            _ => None,
        };
        let zero = || 0.0f32;
        match op {
            Op::Identity => Some(a),
            Op::Negative => is_neg(self.g, a),
            Op::Add if self.is(a, 0.0) => b,
            Op::Sub if b.is_some_and(|b| self.is(b, 0.0)) => Some(a),
            Op::Sub if self.is(a, 0.0) => Some(self.g.apply(Op::Negative, &[b?])),
            Op::Sub if Some(a) == b => Some(self.g.constant(zero())),
            Op::Sub => match self.constant_of(b?) {
                // `a - -c` reads better as `c + a`.
                Some(c) if c < 0.0 => {
                    let c = self.g.constant(-c);
                    Some(self.build(Op::Add, [0.0; 2], vec![a, c]))
                }
                _ => None,
            },
            Op::Mul if self.is(a, 1.0) => b,
            Op::Mul if self.is(a, 0.0) => Some(self.g.constant(zero())),
            Op::Mul if self.is(a, -1.0) => Some(self.g.apply(Op::Negative, &[b?])),
            Op::Div if b.is_some_and(|b| self.is(b, 1.0)) => Some(a),
            Op::Div if self.is(a, 0.0) => Some(self.g.constant(zero())),
            Op::Pow => match self.constant_of(b?) {
                Some(1.0) => Some(a),
                Some(0.0) => Some(self.g.constant(1.0)),
                Some(2.0) => Some(self.g.apply(Op::Square, &[a])),
                Some(3.0) => Some(self.g.apply(Op::Cube, &[a])),
                _ => None,
            },
            Op::Max | Op::Min if Some(a) == b => Some(a),
            Op::Scale if params[0] == 1.0 => Some(a),
            Op::Scale if params[0] == 0.0 => Some(self.g.constant(zero())),
            Op::Shift if params[0] == 0.0 => Some(a),
            Op::Lerp if params[0] == 1.0 || Some(a) == b => Some(a),
            Op::Lerp if params[0] == 0.0 => b,
            Op::Abs | Op::Relu | Op::Heaviside | Op::Sign | Op::Floor | Op::Ceil | Op::Round => {
                // Idempotent primitives: f(f(x)) = f(x).
                match self.g.node(a) {
                    Node::Op { op: inner, .. } if inner == op => Some(a),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn canon(text: &str) -> String {
        simplify(&parse(text).unwrap()).to_string()
    }

    #[test]
    fn folds_constants_and_removes_identities() {
        assert_eq!(canon("1 * (x + 0)"), "x");
        assert_eq!(canon("identity(x) - 0"), "x");
        assert_eq!(canon("x * (2 + 3)"), "5 * x");
        assert_eq!(canon("exp(0) * tanh(x)"), "tanh(x)");
        assert_eq!(canon("0 * sin(x) + cos(x)"), "cos(x)");
        assert_eq!(canon("--x"), "x");
        assert_eq!(canon("x - x"), "0");
        assert_eq!(canon("x - -0.5"), "0.5 + x");
        assert_eq!(canon("pow(x, 2)"), "x^2");
        assert_eq!(canon("x^1"), "x");
        assert_eq!(canon("relu(relu(x))"), "relu(x)");
        assert_eq!(canon("scale(x, 1) + shift(x, 0)"), "x + x");
        assert_eq!(canon("max_n(x, x, x)"), "x");
        assert_eq!(canon("zero(x) + one(x)"), "1");
    }

    #[test]
    fn trainable_constants_are_not_folded() {
        assert_eq!(
            canon("x * sigmoid(x * param(1))"),
            "x * sigmoid(param(1) * x)"
        );
        assert_eq!(canon("param(2) + 3 * 1"), "3 + param(2)");
        assert_eq!(canon("param(0.5) - param(0.5)"), "param(0.5) - param(0.5)");
        let g = simplify(&parse("exp(param(0)) * 1 + param(1) * x").unwrap());
        assert_eq!(g.params().len(), 2);
        assert_eq!(g.param_values(), vec![0.0, 1.0]);
    }

    #[test]
    fn orders_commutative_operands() {
        assert_eq!(canon("sigmoid(x) * x"), canon("x * sigmoid(x)"));
        assert_eq!(canon("x * 2"), "2 * x");
        assert_eq!(
            canon("max(tanh(x), relu(x))"),
            canon("max(relu(x), tanh(x))")
        );
        assert_eq!(canon("sum_n(sin(x), x, 1)"), "sum_n(1, x, sin(x))");
        assert_ne!(canon("x - sin(x)"), canon("sin(x) - x"));
    }

    #[test]
    fn simplification_preserves_the_function() {
        for text in [
            "x * sigmoid(1.702 * x) * 1 + 0",
            "max(relu(x), cosh(elu(x))) - 0",
            "lerp(x, x^2, 0.3)",
        ] {
            let g = parse(text).unwrap();
            let s = simplify(&g);
            for i in -20..20 {
                let x = i as f32 * 0.37;
                assert!(
                    (g.eval_scalar(x) - s.eval_scalar(x)).abs()
                        <= 1e-6 * g.eval_scalar(x).abs().max(1.0),
                    "{text} at {x}"
                );
            }
        }
    }
}
