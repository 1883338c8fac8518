//! Readable serialisation of a [`Graph`] (RON, JSON, any serde format): the formula text plus
//! the structure, node by node, arguments before their users.
//!
//! ```text
//! (
//!     formula: "x * sigmoid(1.702 * x)",
//!     nodes: [Input, Const(1.702), Op(op: "mul", args: [1, 0]), Op(op: "sigmoid", args: [2]),
//!             Op(op: "mul", args: [0, 3])],
//!     root: 4,
//! )
//! ```
//!
//! Reading checks every name, arity, parameter and index. When `nodes` is left out the formula
//! is parsed; when both are present they must agree, so a hand edit of one is caught.

use super::graph::{Graph, Node, NodeId};
use super::parse::{parse, MAX_NESTING};
use super::primitive::{lookup, MAX_ARGUMENTS};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One node in serialised form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum NodeRecord {
    /// The input `x`.
    Input,
    /// A constant.
    Const(f32),
    /// A primitive applied to earlier nodes.
    Op {
        /// Catalogue name of the primitive.
        op: String,
        /// Indices of the argument nodes in `nodes`.
        args: Vec<usize>,
        /// Constant parameters, when the primitive has any.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        params: Vec<f32>,
    },
}

/// A graph in serialised form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphRecord {
    /// The formula text.
    pub formula: String,
    /// The nodes the root reaches, arguments first. May be omitted: then `formula` is parsed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeRecord>,
    /// Index of the output node in `nodes`.
    #[serde(default)]
    pub root: usize,
}

impl From<&Graph> for GraphRecord {
    fn from(g: &Graph) -> GraphRecord {
        let order = g.topo_order();
        let index: HashMap<NodeId, usize> =
            order.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        let nodes = order
            .iter()
            .map(|&n| match g.node(n) {
                Node::Input => NodeRecord::Input,
                Node::Const(v) => NodeRecord::Const(v),
                Node::Op { op, params } => NodeRecord::Op {
                    op: op.name().to_string(),
                    args: g.args(n).iter().map(|a| index[a]).collect(),
                    params: params[..op.primitive().params.len()].to_vec(),
                },
            })
            .collect();
        GraphRecord {
            formula: g.to_string(),
            nodes,
            root: index[&g.root()],
        }
    }
}

impl TryFrom<GraphRecord> for Graph {
    type Error = String;

    fn try_from(r: GraphRecord) -> Result<Graph, String> {
        if r.nodes.is_empty() {
            return parse(&r.formula).map_err(|e| format!("formula `{}`: {e}", r.formula));
        }
        let mut g = Graph::new();
        let mut ids: Vec<NodeId> = Vec::with_capacity(r.nodes.len());
        // Operations between each node and `x`, bounded like the parser's nesting: the graph
        // algorithms recurse over depth.
        let mut depths: Vec<usize> = Vec::with_capacity(r.nodes.len());
        for (i, node) in r.nodes.iter().enumerate() {
            let id = match node {
                NodeRecord::Input => g.input(),
                NodeRecord::Const(v) if v.is_finite() => g.constant(*v),
                NodeRecord::Const(v) => {
                    return Err(format!("node {i}: constant {v} is not finite"))
                }
                NodeRecord::Op { op, args, params } => {
                    let prim =
                        lookup(op).ok_or_else(|| format!("node {i}: unknown primitive `{op}`"))?;
                    if !prim.arity.accepts(args.len()) {
                        return Err(format!(
                            "node {i}: `{op}` takes {} argument(s), got {}",
                            if args.len() > MAX_ARGUMENTS {
                                format!("at most {MAX_ARGUMENTS}")
                            } else {
                                prim.arity.to_string()
                            },
                            args.len()
                        ));
                    }
                    if params.len() != prim.params.len() {
                        return Err(format!(
                            "node {i}: `{op}` has {} parameter(s), got {}",
                            prim.params.len(),
                            params.len()
                        ));
                    }
                    let mut p = prim.default_params();
                    for (k, (spec, &v)) in prim.params.iter().zip(params).enumerate() {
                        spec.check(v)
                            .map_err(|m| format!("node {i}: `{op}`: {m}"))?;
                        p[k] = v;
                    }
                    let mut arg_ids = Vec::with_capacity(args.len());
                    let mut depth = 0;
                    for &a in args {
                        if a >= i {
                            return Err(format!(
                                "node {i}: argument {a} does not refer to an earlier node"
                            ));
                        }
                        arg_ids.push(ids[a]);
                        depth = depth.max(depths[a] + 1);
                    }
                    if depth > MAX_NESTING {
                        return Err(format!(
                            "node {i}: the graph is deeper than {MAX_NESTING} operations"
                        ));
                    }
                    depths.push(depth);
                    ids.push(g.apply_with(prim.op, p, &arg_ids));
                    continue;
                }
            };
            depths.push(0);
            ids.push(id);
        }
        let root = *ids.get(r.root).ok_or_else(|| {
            format!(
                "root {} is not a node index (there are {})",
                r.root,
                ids.len()
            )
        })?;
        g.set_root(root);
        let g = g.compact();
        let from_formula =
            parse(&r.formula).map_err(|e| format!("formula `{}`: {e}", r.formula))?;
        if !from_formula.same_expression(&g) {
            return Err(format!(
                "formula `{}` and nodes (which read `{g}`) disagree; edit one and delete the other",
                r.formula
            ));
        }
        Ok(g)
    }
}

impl Serialize for Graph {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        GraphRecord::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Graph {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = GraphRecord::deserialize(d)?;
        Graph::try_from(r).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn ron_round_trip_is_exact() {
        for text in [
            "x * sigmoid(1.702 * x)",
            "deadzone(x, 0.3) + quantize(x, 7)",
            "clamp(x, -0.1, 0.123456789)",
            "sum_n(abs(x), swish(x), sigmoid(x))",
        ] {
            let g = parse(text).unwrap();
            let ron_text =
                ron::ser::to_string_pretty(&g, ron::ser::PrettyConfig::default()).unwrap();
            let back: Graph = ron::from_str(&ron_text).unwrap();
            assert!(back.same_expression(&g), "{text}: {ron_text}");
            assert_eq!(back.to_string(), g.to_string());
        }
    }

    #[test]
    fn formula_alone_is_enough() {
        let g: Graph = ron::from_str(r#"(formula: "tanh(x) + 1")"#).unwrap();
        assert_eq!(g.eval_scalar(0.0), 1.0);
    }

    #[test]
    fn bad_records_are_rejected_with_reasons() {
        let cases = [
            (
                r#"(formula: "x", nodes: [Input, Op(op: "tanhh", args: [0])], root: 1)"#,
                "unknown primitive",
            ),
            (
                r#"(formula: "x", nodes: [Input, Op(op: "tanh", args: [0, 0])], root: 1)"#,
                "takes 1",
            ),
            (
                r#"(formula: "x", nodes: [Input, Op(op: "tanh", args: [1])], root: 1)"#,
                "earlier node",
            ),
            (r#"(formula: "x", nodes: [Input], root: 3)"#, "root 3"),
            (
                r#"(formula: "sin(x)", nodes: [Input, Op(op: "tanh", args: [0])], root: 1)"#,
                "disagree",
            ),
            (
                r#"(formula: "x", nodes: [Input, Op(op: "quantize", args: [0], params: [1.5])], root: 1)"#,
                "quantize",
            ),
            (r#"(formula: "tanh(")"#, "line 1, column 6"),
        ];
        for (text, want) in cases {
            let e = ron::from_str::<Graph>(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn deep_node_lists_are_rejected_not_a_stack_overflow() {
        // A chain of 100000 negations once overflowed the stack in the recursive comparison
        // with the formula.
        let chain: Vec<String> = (0..100_000)
            .map(|i| format!("Op(op: \"neg\", args: [{i}])"))
            .collect();
        let text = format!(
            "(formula: \"x\", nodes: [Input, {}], root: 100000)",
            chain.join(", ")
        );
        let e = ron::from_str::<Graph>(&text).unwrap_err().to_string();
        assert!(
            e.contains("node 201: the graph is deeper than 200 operations"),
            "{e}"
        );
        let chain: Vec<String> = (0..150)
            .map(|i| format!("Op(op: \"neg\", args: [{i}])"))
            .collect();
        let formula = format!("{}x{}", "neg(".repeat(150), ")".repeat(150));
        let text = format!(
            "(formula: \"{formula}\", nodes: [Input, {}], root: 150)",
            chain.join(", ")
        );
        let g = ron::from_str::<Graph>(&text).unwrap();
        assert_eq!(g.eval_scalar(1.0), 1.0);
    }
}
