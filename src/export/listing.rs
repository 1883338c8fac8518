//! Lowering a graph to straight-line code: the one traversal of the graph that every code
//! generator renders.
//!
//! The lowering follows [`crate::expr::Program::compile`]: a primitive whose arguments are all
//! constant is folded at export time with radact's own scalar evaluation, and an n-ary primitive
//! becomes a left fold of its binary kernel, saturating after every step as the evaluator does.
//! A node read more than once is bound to a variable (`v0`, `v1`, ...), as is one whose calls
//! nest 8 deep; every other node is inlined into its only reader, so `x * sigmoid(1.702 * x)`
//! reads `mul(x, sigmoid(mul(1.702, x)))`. A trainable constant reads `c[k]`, the `k`-th of the
//! constants the generated function takes (never folded).

use super::kernel::{kernel, Kernel};
use super::record::ExportedActivation;
use crate::expr::print::format_constant;
use crate::expr::{Graph, Node, NodeId};
use crate::grad::derive_all;
use std::collections::HashMap;

/// An expression of generated code.
#[derive(Clone, Debug)]
pub enum Expr {
    /// The input `x`.
    Input,
    /// A constant.
    Const(f32),
    /// The trainable constant with this index, read from the generated function's `c`.
    Param(usize),
    /// The variable bound by the listing's binding with this index.
    Var(usize),
    /// A kernel applied to operands, with its constant parameters.
    Call {
        /// The kernel.
        kernel: Kernel,
        /// Its operands.
        args: Vec<Expr>,
        /// Its constant parameters, in catalogue order.
        params: Vec<f32>,
    },
}

/// Calls nested this deep are bound to a variable even when read once, which keeps lines
/// readable and stays far below Python's limit on nested parentheses.
const MAX_NESTING: usize = 8;

/// A graph as straight-line code: variable bindings in order, then the result.
#[derive(Clone, Debug)]
pub(crate) struct Listing {
    /// `v{i} = bindings[i]`; each reads only the input and earlier variables.
    pub bindings: Vec<Expr>,
    /// The value of the graph's root.
    pub result: Expr,
}

/// Exported activations lowered for a generator: per activation the listings of `f` and `g`
/// and of `df/dc_k` for each trainable constant, and the kernels they call, each once, in order
/// of first use.
#[derive(Clone, Debug)]
pub(crate) struct Lowered {
    /// `(forward, backward)` of each activation, in order.
    pub listings: Vec<(Listing, Listing)>,
    /// `df/dc_k` of each activation, one listing per trainable constant (none without them).
    pub constant_grads: Vec<Vec<Listing>>,
    /// The kernels all of them call.
    pub kernels: Vec<Kernel>,
}

impl Lowered {
    /// Lowers the forward graphs and the derived backward multipliers of `records`.
    pub fn new(records: &[ExportedActivation]) -> Lowered {
        let mut kernels: Vec<Kernel> = Vec::new();
        let mut constant_grads = Vec::new();
        let listings = records
            .iter()
            .map(|r| {
                let activation = r.activation();
                let forward = Listing::lower(&activation.forward);
                let joint = derive_all(&activation.forward, &activation.backward);
                let lower = |root| Listing::lower_at(&joint.graph, root, &joint.params);
                let backward = lower(joint.g);
                let grads: Vec<Listing> = joint.param_grads.iter().map(|&d| lower(d)).collect();
                for listing in [&forward, &backward].into_iter().chain(&grads) {
                    for k in listing.kernels() {
                        if !kernels.iter().any(|have| have.name == k.name) {
                            kernels.push(k);
                        }
                    }
                }
                constant_grads.push(grads);
                (forward, backward)
            })
            .collect();
        Lowered {
            listings,
            constant_grads,
            kernels,
        }
    }
}

/// Where the lowering has put a node's value.
enum Value {
    Input,
    Const(f32),
    Param(usize),
    /// An operation still to be lowered.
    Open,
    /// A lowered operation waiting for its only reader, which inlines it.
    Pending(Expr),
    /// An operation bound to a variable.
    Bound(usize),
    /// An inlined operation whose reader has taken it.
    Taken,
}

impl Listing {
    /// Lowers the sub-graph the root reaches; its trainable constants are `c[k]` in the order
    /// of [`Graph::params`].
    pub(crate) fn lower(graph: &Graph) -> Listing {
        Listing::lower_at(graph, graph.root(), &graph.params())
    }

    /// Lowers the sub-graph `root` reaches, reading the trainable constant `params[k]` as
    /// `c[k]`.
    pub(crate) fn lower_at(graph: &Graph, root: NodeId, params: &[NodeId]) -> Listing {
        let order = graph.topo_order_from(&[root]);
        let mut values: HashMap<NodeId, Value> = HashMap::new();
        let mut reads: HashMap<NodeId, usize> = HashMap::new();
        // First pass: fold constants and count how often each remaining node is read.
        for &n in &order {
            let value = match graph.node(n) {
                Node::Input => Value::Input,
                Node::Const(c) => Value::Const(c),
                Node::Param(_) => Value::Param(
                    params
                        .iter()
                        .position(|&p| p == n)
                        .expect("every trainable constant is listed"),
                ),
                Node::Op { op, params } => {
                    let args = graph.args(n);
                    let constants: Option<Vec<f32>> = args
                        .iter()
                        .map(|a| match values[a] {
                            Value::Const(c) => Some(c),
                            _ => None,
                        })
                        .collect();
                    match constants {
                        Some(c) => Value::Const(op.eval(&params, &c)),
                        None => {
                            for a in args {
                                *reads.entry(a).or_default() += 1;
                            }
                            Value::Open
                        }
                    }
                }
            };
            values.insert(n, value);
        }
        // Second pass: build the expressions of the remaining operations.
        let mut bindings = Vec::new();
        for &n in &order {
            let Node::Op {
                op,
                params: all_params,
            } = graph.node(n)
            else {
                continue;
            };
            if !matches!(values[&n], Value::Open) {
                continue; // folded
            }
            let mut operands = graph.args(n).into_iter().map(|a| operand(&mut values, a));
            let k = kernel(op);
            let params = all_params[..k.params().len()].to_vec();
            let first = operands.next().unwrap_or(Expr::Const(0.0));
            let expr = if k.is_binary() {
                operands.fold(first, |acc, b| match (acc, b) {
                    // Leading constants of an n-ary primitive fold as the evaluator folds them.
                    (Expr::Const(p), Expr::Const(q)) => Expr::Const(op.eval(&all_params, &[p, q])),
                    (acc, b) => Expr::Call {
                        kernel: k,
                        args: vec![acc, b],
                        params: params.clone(),
                    },
                })
            } else {
                Expr::Call {
                    kernel: k,
                    args: vec![first],
                    params,
                }
            };
            let shared = reads.get(&n).copied().unwrap_or(0) > 1;
            let deep = expr.nesting() >= MAX_NESTING && n != root;
            let value = if shared || deep {
                bindings.push(expr);
                Value::Bound(bindings.len() - 1)
            } else {
                Value::Pending(expr)
            };
            values.insert(n, value);
        }
        let result = operand(&mut values, root);
        Listing { bindings, result }
    }

    /// The kernels the listing calls, each once, in order of first use.
    pub fn kernels(&self) -> Vec<Kernel> {
        fn collect(e: &Expr, out: &mut Vec<Kernel>) {
            if let Expr::Call { kernel, args, .. } = e {
                for a in args {
                    collect(a, out);
                }
                if !out.iter().any(|k| k.name == kernel.name) {
                    out.push(*kernel);
                }
            }
        }
        let mut out = Vec::new();
        for e in self.bindings.iter().chain([&self.result]) {
            collect(e, &mut out);
        }
        out
    }

    /// Whether the listing writes any number (a constant operand or parameter).
    pub(crate) fn has_numbers(&self) -> bool {
        fn any(e: &Expr) -> bool {
            match e {
                Expr::Const(_) => true,
                Expr::Call { args, params, .. } => !params.is_empty() || args.iter().any(any),
                Expr::Input | Expr::Param(_) | Expr::Var(_) => false,
            }
        }
        self.bindings.iter().chain([&self.result]).any(any)
    }

    /// Whether the listing reads a trainable constant (`c[k]`).
    pub(crate) fn reads_constants(&self) -> bool {
        fn any(e: &Expr) -> bool {
            match e {
                Expr::Param(_) => true,
                Expr::Call { args, .. } => args.iter().any(any),
                Expr::Input | Expr::Const(_) | Expr::Var(_) => false,
            }
        }
        self.bindings.iter().chain([&self.result]).any(any)
    }

    /// Whether the listing calls any kernel (otherwise the result is `x` or a constant).
    pub(crate) fn calls_kernels(&self) -> bool {
        matches!(self.result, Expr::Call { .. }) || !self.bindings.is_empty()
    }
}

/// The expression that reads node `n`: a constant, `x`, a variable, or the node's pending
/// expression, which moves into its only reader.
fn operand(values: &mut HashMap<NodeId, Value>, n: NodeId) -> Expr {
    let Some(value) = values.get_mut(&n) else {
        return unlowered();
    };
    match value {
        Value::Input => Expr::Input,
        Value::Const(c) => Expr::Const(*c),
        Value::Param(k) => Expr::Param(*k),
        Value::Bound(i) => Expr::Var(*i),
        Value::Pending(_) => match std::mem::replace(value, Value::Taken) {
            Value::Pending(e) => e,
            _ => unlowered(),
        },
        Value::Open | Value::Taken => unlowered(),
    }
}

/// What an operand reads if the lowering missed a node: a topological order lowers every node
/// before its readers, and a pending node has exactly one reader, so this does not happen.
fn unlowered() -> Expr {
    debug_assert!(false, "a node was read before it was lowered");
    Expr::Const(f32::NAN)
}

impl Expr {
    /// How deeply calls nest in the expression (0 for `x`, a constant or a variable).
    pub(crate) fn nesting(&self) -> usize {
        match self {
            Expr::Call { args, .. } => 1 + args.iter().map(Expr::nesting).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// The expression as source text: kernels are called by name with `prefix`, variables are
    /// `v0`, `v1`, ..., constants are [`literal`]s. Rust and Python share this syntax.
    pub fn render(&self, prefix: &str) -> String {
        self.render_with(prefix, &literal)
    }

    /// Like [`Expr::render`], with constants written by `number`.
    pub(crate) fn render_with(&self, prefix: &str, number: &dyn Fn(f32) -> String) -> String {
        match self {
            Expr::Input => "x".to_string(),
            Expr::Const(c) => number(*c),
            Expr::Param(k) => format!("c[{k}]"),
            Expr::Var(i) => format!("v{i}"),
            Expr::Call {
                kernel,
                args,
                params,
            } => {
                let parts: Vec<String> = args
                    .iter()
                    .map(|a| a.render_with(prefix, number))
                    .chain(params.iter().map(|&p| number(p)))
                    .collect();
                format!("{prefix}{}({})", kernel.name, parts.join(", "))
            }
        }
    }
}

/// A finite `f32` as a floating-point literal that Rust (typed `f32`) and Python (rounded to
/// `float32` by PyTorch) both read back to exactly this value: the shortest decimal, with `.0`
/// added to integers.
pub fn literal(v: f32) -> String {
    let s = format_constant(v);
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn lowered(text: &str) -> (Vec<String>, String) {
        let l = Listing::lower(&parse(text).unwrap());
        (
            l.bindings.iter().map(|b| b.render("")).collect(),
            l.result.render(""),
        )
    }

    #[test]
    fn single_use_nodes_are_inlined_and_shared_ones_bound() {
        assert_eq!(
            lowered("x * sigmoid(1.702 * x)"),
            (vec![], "mul(x, sigmoid(mul(1.702, x)))".to_string())
        );
        assert_eq!(
            lowered("tanh(x) * (1 - tanh(x))"),
            (
                vec!["tanh(x)".to_string()],
                "mul(v0, sub(1.0, v0))".to_string()
            )
        );
    }

    #[test]
    fn constants_fold_and_nary_primitives_fold_left() {
        assert_eq!(lowered("exp(2) * x").1, "mul(7.389056, x)");
        assert_eq!(lowered("sum_n(x, sin(x), 3)").1, "add(add(x, sin(x)), 3.0)");
        assert_eq!(lowered("sum_n(1, 2, x, 3)").1, "add(add(3.0, x), 3.0)");
        assert_eq!(lowered("max_n(1, 2, x)").1, "max(2.0, x)");
        assert_eq!(lowered("exp(1000)").1, "3.4028235e38");
        assert_eq!(lowered("x").1, "x");
        assert_eq!(lowered("zero(x)").1, "zero(x)");
    }

    #[test]
    fn deep_chains_are_cut_into_variables() {
        let deep = (0..20).fold("x".to_string(), |e, _| format!("tanh({e})"));
        let (bindings, result) = lowered(&deep);
        assert_eq!(bindings.len(), 2, "{bindings:?}");
        assert!(bindings[0].starts_with("tanh(tanh(") && bindings[0].ends_with("(x))))))))"));
        assert!(bindings[1].ends_with("(v0))))))))"), "{bindings:?}");
        assert_eq!(result, "tanh(tanh(tanh(tanh(v1))))");
    }

    #[test]
    fn parameters_follow_the_arguments() {
        assert_eq!(lowered("clamp(x, -2, 3)").1, "clamp(x, -2.0, 3.0)");
        assert_eq!(lowered("deadzone(x)").1, "deadzone(x, 0.5)");
    }

    #[test]
    fn kernels_are_listed_once() {
        let l = Listing::lower(&parse("max_n(x, tanh(x), 2 * x) + max(x, 1)").unwrap());
        let names: Vec<&str> = l.kernels().iter().map(|k| k.name).collect();
        assert_eq!(names, ["tanh", "max", "mul", "add"]);
        assert!(l.calls_kernels());
        assert!(l.has_numbers());
        assert!(!Listing::lower(&parse("x").unwrap()).calls_kernels());
        assert!(!Listing::lower(&parse("tanh(x) * x").unwrap()).has_numbers());
        assert!(Listing::lower(&parse("deadzone(x)").unwrap()).has_numbers());
    }

    #[test]
    fn literals_read_back_exactly() {
        for v in [1.0f32, -0.0, 1.702, 1e-12, f32::MAX, -3.5e-30, 0.1] {
            let s = literal(v);
            assert!(s.contains(['.', 'e']), "{s}");
            assert_eq!(s.parse::<f32>().unwrap().to_bits(), v.to_bits(), "{s}");
        }
    }
}
