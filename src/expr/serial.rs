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
use super::parse::{parse, ParseError, MAX_NESTING};
use super::primitive::{lookup, ParamError, MAX_ARGUMENTS};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One node in serialised form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum NodeRecord {
    /// The input `x`.
    Input,
    /// A constant.
    Const(f32),
    /// A trainable constant, with its initial value.
    Param(f32),
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
pub(crate) struct GraphRecord {
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
                Node::Param(v) => NodeRecord::Param(v),
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

/// Why a saved graph (formula and node list) cannot be read back.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub(crate) enum GraphRecordError {
    /// The formula does not parse.
    #[error("formula `{formula}`: {source}")]
    Formula {
        /// The formula.
        formula: String,
        /// Why it does not parse.
        source: ParseError,
    },
    /// A constant node holds NaN or an infinity.
    #[error("node {node}: constant {value} is not finite")]
    NonFiniteConstant {
        /// Its index.
        node: usize,
        /// Its value.
        value: f32,
    },
    /// A node names no primitive of the catalogue.
    #[error("node {node}: unknown primitive `{name}`")]
    UnknownPrimitive {
        /// Its index.
        node: usize,
        /// The name given.
        name: String,
    },
    /// A node has the wrong number of arguments for its primitive.
    #[error("node {node}: `{name}` takes {takes} argument(s), got {got}")]
    ArgumentCount {
        /// Its index.
        node: usize,
        /// The primitive.
        name: String,
        /// What the primitive takes (`1`, `2`, `2+`, `at most 1024`).
        takes: String,
        /// How many the node has.
        got: usize,
    },
    /// A node has the wrong number of constant parameters for its primitive.
    #[error("node {node}: `{name}` has {has} parameter(s), got {got}")]
    ParameterCount {
        /// Its index.
        node: usize,
        /// The primitive.
        name: String,
        /// How many it has.
        has: usize,
        /// How many the node has.
        got: usize,
    },
    /// A parameter value is out of its range.
    #[error("node {node}: `{name}`: {source}")]
    Parameter {
        /// Its index.
        node: usize,
        /// The primitive.
        name: String,
        /// What is wrong with the value.
        source: ParamError,
    },
    /// An argument refers to the node itself or a later one.
    #[error("node {node}: argument {argument} does not refer to an earlier node")]
    ForwardReference {
        /// Its index.
        node: usize,
        /// The argument's index.
        argument: usize,
    },
    /// The graph nests more operations than the parser allows.
    #[error("node {node}: the graph is deeper than {MAX_NESTING} operations")]
    TooDeep {
        /// Its index.
        node: usize,
    },
    /// The root index is outside the node list.
    #[error("root {root} is not a node index (there are {nodes})")]
    Root {
        /// The root index given.
        root: usize,
        /// How many nodes there are.
        nodes: usize,
    },
    /// The formula and the node list describe different graphs.
    #[error("formula `{formula}` and nodes (which read `{nodes}`) disagree; edit one and delete the other")]
    Disagree {
        /// The formula.
        formula: String,
        /// The node list, printed.
        nodes: String,
    },
}

impl TryFrom<GraphRecord> for Graph {
    type Error = GraphRecordError;

    fn try_from(r: GraphRecord) -> Result<Graph, GraphRecordError> {
        if r.nodes.is_empty() {
            return parse(&r.formula).map_err(|source| GraphRecordError::Formula {
                formula: r.formula.clone(),
                source,
            });
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
                NodeRecord::Param(v) if v.is_finite() => g.param(*v),
                NodeRecord::Const(v) | NodeRecord::Param(v) => {
                    return Err(GraphRecordError::NonFiniteConstant { node: i, value: *v })
                }
                NodeRecord::Op { op, args, params } => {
                    let prim = lookup(op).ok_or_else(|| GraphRecordError::UnknownPrimitive {
                        node: i,
                        name: op.clone(),
                    })?;
                    if !prim.arity.accepts(args.len()) {
                        return Err(GraphRecordError::ArgumentCount {
                            node: i,
                            name: op.clone(),
                            takes: if args.len() > MAX_ARGUMENTS {
                                format!("at most {MAX_ARGUMENTS}")
                            } else {
                                prim.arity.to_string()
                            },
                            got: args.len(),
                        });
                    }
                    if params.len() != prim.params.len() {
                        return Err(GraphRecordError::ParameterCount {
                            node: i,
                            name: op.clone(),
                            has: prim.params.len(),
                            got: params.len(),
                        });
                    }
                    let mut p = prim.default_params();
                    for (k, (spec, &v)) in prim.params.iter().zip(params).enumerate() {
                        spec.check(v)
                            .map_err(|source| GraphRecordError::Parameter {
                                node: i,
                                name: op.clone(),
                                source,
                            })?;
                        p[k] = v;
                    }
                    let mut arg_ids = Vec::with_capacity(args.len());
                    let mut depth = 0;
                    for &a in args {
                        if a >= i {
                            return Err(GraphRecordError::ForwardReference {
                                node: i,
                                argument: a,
                            });
                        }
                        arg_ids.push(ids[a]);
                        depth = depth.max(depths[a] + 1);
                    }
                    if depth > MAX_NESTING {
                        return Err(GraphRecordError::TooDeep { node: i });
                    }
                    depths.push(depth);
                    ids.push(g.apply_with(prim.op, p, &arg_ids));
                    continue;
                }
            };
            depths.push(0);
            ids.push(id);
        }
        let root = *ids.get(r.root).ok_or(GraphRecordError::Root {
            root: r.root,
            nodes: ids.len(),
        })?;
        g.set_root(root);
        let g = g.compact();
        let from_formula = parse(&r.formula).map_err(|source| GraphRecordError::Formula {
            formula: r.formula.clone(),
            source,
        })?;
        if !from_formula.same_expression(&g) {
            return Err(GraphRecordError::Disagree {
                formula: r.formula,
                nodes: g.to_string(),
            });
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
            "x * sigmoid(param(1) * x)",
            "heaviside(x - param(0.5)) + param(0.5) * x",
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
    fn trainable_constants_keep_their_identity_through_the_node_list() {
        // One trainable constant used twice stays one parameter: the node list says so, the
        // formula (which prints it twice) cannot.
        let text = r#"(formula: "param(2) * x + param(2)",
            nodes: [Param(2), Input, Op(op: "mul", args: [0, 1]), Op(op: "add", args: [2, 0])],
            root: 3)"#;
        let g: Graph = ron::from_str(text).unwrap();
        assert_eq!(g.params().len(), 1);
        assert_eq!(g.eval_scalar_with(3.0, &[-1.0]), -4.0);
        let back: Graph = ron::from_str(&ron::to_string(&g).unwrap()).unwrap();
        assert_eq!(back.params().len(), 1);
        assert_eq!(parse(&g.to_string()).unwrap().params().len(), 2);
        let bad = r#"(formula: "param(1)", nodes: [Param(inf)], root: 0)"#;
        let e = ron::from_str::<Graph>(bad).unwrap_err().to_string();
        assert!(e.contains("not finite"), "{e}");
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
