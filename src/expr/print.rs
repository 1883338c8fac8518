//! The printer: formula text for a [`Graph`], the inverse of [`super::parse()`].
//!
//! Arithmetic prints infix with the fewest parentheses the parser needs; every other primitive
//! prints as a call with its non-default parameters after the arguments. Constants print as the
//! shortest decimal that reads back to the same `f32`; a trainable constant prints as
//! `param(<initial value>)`. Parsing the output gives back a graph
//! that computes the same expression tree ([`Graph::same_expression`]).

use super::graph::{Graph, Node, NodeId};
use super::primitive::Op;
use std::collections::HashMap;
use std::fmt;

/// Binding strength of what a node prints as.
const SUM: u8 = 1;
const PRODUCT: u8 = 2;
const UNARY: u8 = 3;
const POWER: u8 = 4;
const ATOM: u8 = 5;

/// The shortest text that parses back to exactly `v`.
pub fn format_constant(v: f32) -> String {
    let a = v.abs();
    if a == 0.0 || (1e-4..1e7).contains(&a) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

impl fmt::Display for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&print_node(self, self.root()))
    }
}

/// Formula text of the sub-expression at `node`.
pub(crate) fn print_node(graph: &Graph, node: NodeId) -> String {
    print_with(graph, node, false)
}

/// The formula of `graph` with every constant and primitive parameter written `c`: the same
/// text for graphs that differ only in their constants (`threshold(x, 0.0487)` and
/// `threshold(x, 0.0544)` are both `threshold(x, c)`; `x * 2` is `x * c`; a trainable constant
/// is `param(c)`, so it stays apart from a fixed one). Not parseable; a key for grouping
/// variants of one idea.
pub fn structure(graph: &Graph) -> String {
    print_with(graph, graph.root(), true)
}

fn print_with(graph: &Graph, node: NodeId, erase_constants: bool) -> String {
    let mut memo = HashMap::new();
    for n in graph.topo_order_from(&[node]) {
        let printed = print_one(graph, n, &memo, erase_constants);
        memo.insert(n, printed);
    }
    memo.remove(&node).expect("node was printed").0
}

fn print_one(
    graph: &Graph,
    n: NodeId,
    memo: &HashMap<NodeId, (String, u8)>,
    erase_constants: bool,
) -> (String, u8) {
    let (op, params) = match graph.node(n) {
        Node::Input => return ("x".to_string(), ATOM),
        Node::Const(_) if erase_constants => return ("c".to_string(), ATOM),
        Node::Const(v) => {
            let prec = if v.is_sign_negative() { UNARY } else { ATOM };
            return (format_constant(v), prec);
        }
        Node::Param(_) if erase_constants => return ("param(c)".to_string(), ATOM),
        Node::Param(v) => return (format!("param({})", format_constant(v)), ATOM),
        Node::Op { op, params } => (op, params),
    };
    let args = graph.args(n);
    let is_nonnegative_const =
        |a: NodeId| matches!(graph.node(a), Node::Const(v) if !v.is_sign_negative());
    // An operand, parenthesised when it binds more loosely than `min`.
    let operand = |a: NodeId, min: u8| {
        let (s, p) = &memo[&a];
        if *p < min {
            format!("({s})")
        } else {
            s.clone()
        }
    };
    let infix = |sym: &str, prec: u8| {
        (
            format!(
                "{} {sym} {}",
                operand(args[0], prec),
                operand(args[1], prec + 1)
            ),
            prec,
        )
    };
    match op {
        Op::Add => infix("+", SUM),
        Op::Sub => infix("-", SUM),
        Op::Mul => infix("*", PRODUCT),
        Op::Div => infix("/", PRODUCT),
        Op::Negative => {
            let inner = if is_nonnegative_const(args[0]) {
                format!("({})", memo[&args[0]].0)
            } else {
                operand(args[0], UNARY)
            };
            (format!("-{inner}"), UNARY)
        }
        Op::Square => (format!("{}^2", operand(args[0], ATOM)), POWER),
        Op::Cube => (format!("{}^3", operand(args[0], ATOM)), POWER),
        Op::Pow if !matches!(graph.node(args[1]), Node::Const(v) if v == 2.0 || v == 3.0) => (
            format!("{}^{}", operand(args[0], ATOM), operand(args[1], UNARY)),
            POWER,
        ),
        _ => {
            let prim = op.primitive();
            let mut parts: Vec<String> = args.iter().map(|a| memo[a].0.clone()).collect();
            // Parameters after the arguments; trailing defaults are left out (erased, all of
            // them are shown, so that a default and another value read the same).
            if erase_constants {
                parts.extend(prim.params.iter().map(|_| "c".to_string()));
            } else {
                let shown = prim
                    .params
                    .iter()
                    .enumerate()
                    .rposition(|(i, s)| params[i].to_bits() != s.default.to_bits())
                    .map_or(0, |i| i + 1);
                parts.extend((0..shown).map(|i| format_constant(params[i])));
            }
            (format!("{}({})", prim.name, parts.join(", ")), ATOM)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    #[test]
    fn prints_minimal_parentheses() {
        let cases = [
            ("x * sigmoid(1.702 * x)", "x * sigmoid(1.702 * x)"),
            ("(x + 1) * (x - 1)", "(x + 1) * (x - 1)"),
            ("x - (x - 1)", "x - (x - 1)"),
            ("x - x + 1", "x - x + 1"),
            ("-x^2", "-x^2"),
            ("(-x)^2", "(-x)^2"),
            ("-(2)", "-(2)"),
            ("x * -2", "x * -2"),
            ("(-2)^x", "(-2)^x"),
            ("x^-0.5", "x^-0.5"),
            ("pow(x, 2)", "pow(x, 2)"),
            ("deadzone(x, 0.5)", "deadzone(x)"),
            ("clamp(x, -1, 3)", "clamp(x, -1, 3)"),
            ("x * 1e-12", "x * 1e-12"),
            ("max(relu(x), cosh(elu(x)))", "max(relu(x), cosh(elu(x)))"),
            ("x * sigmoid(param(1) * x)", "x * sigmoid(param(1) * x)"),
            ("x * param(-0.5)", "x * param(-0.5)"),
            ("-param(2) + x^param(3)", "-param(2) + x^param(3)"),
            ("heaviside(x - param(1e-12))", "heaviside(x - param(1e-12))"),
        ];
        for (text, want) in cases {
            let g = parse(text).unwrap();
            let printed = g.to_string();
            assert_eq!(printed, want, "{text}");
            assert!(parse(&printed).unwrap().same_expression(&g), "{text}");
        }
    }

    #[test]
    fn structure_erases_constants_and_parameters() {
        let s = |t: &str| structure(&parse(t).unwrap());
        assert_eq!(s("threshold(x, 0.0487)"), "threshold(x, c)");
        assert_eq!(s("threshold(x, 0.0544)"), s("threshold(x)"));
        assert_eq!(s("x * sigmoid(1.702 * x) - 3"), "x * sigmoid(c * x) - c");
        assert_eq!(s("-(2) + x * -2"), s("-(0.5) + x * -7"));
        assert_ne!(s("relu(x) + 1"), s("relu(x)"));
        assert_ne!(s("tanh(x) * 2"), s("sigmoid(x) * 2"));
        assert_eq!(s("param(0.5) * x"), "param(c) * x");
        assert_ne!(s("param(0.5) * x"), s("0.5 * x"));
    }

    #[test]
    fn constants_round_trip_exactly() {
        for v in [
            0.1f32,
            1.702,
            1e-12,
            3.4e38,
            123456.78,
            1.0 / 3.0,
            -0.0,
            7e-5,
        ] {
            let text = format_constant(v);
            let back: f32 = text.parse().unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{v} printed as {text}");
        }
    }
}
