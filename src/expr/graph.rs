//! The expression graph: a DAG (on petgraph) over one input `x`, constants, trainable constants
//! and primitive nodes.
//!
//! A trainable constant ([`Node::Param`], written `param(1.0)`) holds its initial value; training
//! makes it a per-layer parameter. Unlike constants it is not interned: every call of
//! [`Graph::param`] makes a parameter of its own, and [`Graph::params`] lists them in a fixed
//! order (the order in which they appear in the printed formula).
//!
//! Edges run from an operation to its arguments and carry the argument position (a `u32`, the
//! width of petgraph's own edge index, so that no n-ary application can make it wrap). Building goes
//! through [`Graph::apply`], which interns nodes: applying the same primitive to the same
//! arguments twice returns the existing node, so shared sub-expressions are shared by
//! construction. Nodes are never removed; [`Graph::compact`] copies what the root reaches.

use super::primitive::{Arity, Op, MAX_ARGUMENTS};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::collections::HashMap;

/// Index of a node in a [`Graph`].
pub type NodeId = NodeIndex<u32>;

/// Constant parameters of a primitive (for example `t` of `deadzone`); unused entries are 0.
pub type Params = [f32; 2];

/// One node of an expression graph.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Node {
    /// The input `x`.
    Input,
    /// A finite constant.
    Const(f32),
    /// A trainable constant, holding its initial value (finite); see [`Graph::param`].
    Param(f32),
    /// A primitive applied to its argument edges, with its constant parameters.
    Op {
        /// Which primitive.
        op: Op,
        /// Its constant parameters (see [`super::Primitive::params`]).
        params: Params,
    },
}

/// Interning key: node kind, op, parameter bits and argument indices.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Input,
    Const(u32),
    /// A trainable constant is never shared by interning: its key is its own index.
    Param(u32),
    Op(Op, [u32; 2], Vec<u32>),
}

/// An activation expression: a DAG over the input `x` with one root (the output).
#[derive(Clone, Debug)]
pub struct Graph {
    /// Edges carry the argument position; `u32` like the edge index, so it cannot wrap.
    dag: DiGraph<Node, u32>,
    input: NodeId,
    root: NodeId,
    interned: HashMap<KeyHash, Vec<NodeId>>,
}

/// Hash of a [`Key`], used as a bucket so that `Graph` stays `Debug` without printing keys.
type KeyHash = u64;

impl Default for Graph {
    fn default() -> Self {
        Self::new()
    }
}

impl Graph {
    /// A graph holding only the input `x`, which is also its root (the identity function).
    pub fn new() -> Self {
        let mut dag = DiGraph::new();
        let input = dag.add_node(Node::Input);
        let mut g = Graph {
            dag,
            input,
            root: input,
            interned: HashMap::new(),
        };
        g.intern(Key::Input, input);
        g
    }

    /// The input node `x`.
    pub fn input(&self) -> NodeId {
        self.input
    }

    /// The output node.
    pub fn root(&self) -> NodeId {
        self.root
    }

    /// Makes `node` the output.
    pub fn set_root(&mut self, node: NodeId) {
        self.root = node;
    }

    /// The node stored at `id`.
    pub fn node(&self, id: NodeId) -> Node {
        self.dag[id]
    }

    /// The constant node with value `value` (interned).
    pub fn constant(&mut self, value: f32) -> NodeId {
        // -0.0 and 0.0 compute the same function in every primitive but sign-sensitive ones;
        // keep the bit pattern so that printing and parsing round-trip exactly.
        let key = Key::Const(value.to_bits());
        if let Some(id) = self.find(&key) {
            return id;
        }
        let id = self.dag.add_node(Node::Const(value));
        self.intern(key, id);
        id
    }

    /// A new trainable constant starting at `value` (not interned: each call makes a parameter
    /// of its own, even for equal values).
    pub fn param(&mut self, value: f32) -> NodeId {
        self.dag.add_node(Node::Param(value))
    }

    /// The trainable constants the root reaches, in their fixed order: the order of
    /// [`Graph::topo_order`], which is the order in which they appear in the printed formula.
    pub fn params(&self) -> Vec<NodeId> {
        self.params_from(&[self.root])
    }

    /// The trainable constants `roots` reach, in topological order.
    pub(crate) fn params_from(&self, roots: &[NodeId]) -> Vec<NodeId> {
        self.topo_order_from(roots)
            .into_iter()
            .filter(|&n| matches!(self.node(n), Node::Param(_)))
            .collect()
    }

    /// The initial values of the trainable constants, in the order of [`Graph::params`].
    pub fn param_values(&self) -> Vec<f32> {
        self.params()
            .into_iter()
            .map(|n| match self.node(n) {
                Node::Param(v) => v,
                _ => unreachable!("params() lists parameter nodes"),
            })
            .collect()
    }

    /// Applies `op` with its default parameters to `args` (interned).
    pub fn apply(&mut self, op: Op, args: &[NodeId]) -> NodeId {
        self.apply_with(op, op.primitive().default_params(), args)
    }

    /// Applies `op` with explicit parameters to `args` (interned).
    ///
    /// # Panics
    /// If the number of arguments does not fit the primitive's arity: that is a bug in the
    /// caller, since every front end (parser, mutation, RON loader) checks arity first.
    pub fn apply_with(&mut self, op: Op, params: Params, args: &[NodeId]) -> NodeId {
        let arity = op.primitive().arity;
        assert!(
            arity.accepts(args.len()),
            "{} takes {} argument(s), got {}",
            op.name(),
            arity,
            args.len()
        );
        let key = Key::Op(
            op,
            [params[0].to_bits(), params[1].to_bits()],
            args.iter().map(|a| a.index() as u32).collect(),
        );
        if let Some(id) = self.find(&key) {
            return id;
        }
        let id = self.dag.add_node(Node::Op { op, params });
        for (pos, arg) in (0u32..).zip(args) {
            self.dag.add_edge(id, *arg, pos);
        }
        self.intern(key, id);
        id
    }

    /// The arguments of `id` in positional order (empty for inputs and constants, trainable or
    /// not).
    pub fn args(&self, id: NodeId) -> Vec<NodeId> {
        let mut edges: Vec<(u32, NodeId)> = self
            .dag
            .edges_directed(id, Direction::Outgoing)
            .map(|e| (*e.weight(), e.target()))
            .collect();
        edges.sort_unstable_by_key(|(pos, _)| *pos);
        edges.into_iter().map(|(_, n)| n).collect()
    }

    /// Nodes reachable from `roots`, each after all of its arguments (a topological order).
    pub(crate) fn topo_order_from(&self, roots: &[NodeId]) -> Vec<NodeId> {
        let mut order = Vec::new();
        let mut state = vec![0u8; self.dag.node_count()]; // 0 new, 1 open, 2 done
        for &root in roots {
            let mut stack = vec![(root, false)];
            while let Some((n, expanded)) = stack.pop() {
                if expanded {
                    if state[n.index()] != 2 {
                        state[n.index()] = 2;
                        order.push(n);
                    }
                    continue;
                }
                if state[n.index()] != 0 {
                    continue;
                }
                state[n.index()] = 1;
                stack.push((n, true));
                for a in self.args(n).into_iter().rev() {
                    if state[a.index()] == 0 {
                        stack.push((a, false));
                    }
                }
            }
        }
        order
    }

    /// Nodes reachable from the root, arguments first.
    pub fn topo_order(&self) -> Vec<NodeId> {
        self.topo_order_from(&[self.root])
    }

    /// Number of nodes reachable from the root (shared sub-expressions count once).
    pub fn size(&self) -> usize {
        self.topo_order().len()
    }

    /// Number of primitive applications reachable from the root.
    pub(crate) fn op_count(&self) -> usize {
        self.topo_order()
            .into_iter()
            .filter(|&n| matches!(self.node(n), Node::Op { .. }))
            .count()
    }

    /// Length of the longest path from the root to a leaf, counting nodes (a leaf has depth 1).
    pub fn depth(&self) -> usize {
        let mut depth = vec![0usize; self.dag.node_count()];
        for n in self.topo_order() {
            depth[n.index()] = 1 + self
                .args(n)
                .iter()
                .map(|a| depth[a.index()])
                .max()
                .unwrap_or(0);
        }
        depth[self.root.index()]
    }

    /// The primitives used by the nodes reachable from the root.
    pub fn ops(&self) -> Vec<Op> {
        self.topo_order()
            .into_iter()
            .filter_map(|n| match self.node(n) {
                Node::Op { op, .. } => Some(op),
                _ => None,
            })
            .collect()
    }

    /// Copies the sub-expression rooted at `node` of `other` into this graph, mapping `other`'s
    /// input to `x_here`, and returns the copy's root.
    pub fn import(&mut self, other: &Graph, node: NodeId, x_here: NodeId) -> NodeId {
        let mut map: HashMap<NodeId, NodeId> = HashMap::new();
        for n in other.topo_order_from(&[node]) {
            let new = match other.node(n) {
                Node::Input => x_here,
                Node::Const(v) => self.constant(v),
                Node::Param(v) => self.param(v),
                Node::Op { op, params } => {
                    let args: Vec<NodeId> = other.args(n).iter().map(|a| map[a]).collect();
                    self.apply_with(op, params, &args)
                }
            };
            map.insert(n, new);
        }
        map[&node]
    }

    /// A copy holding only the nodes the root reaches.
    pub(crate) fn compact(&self) -> Graph {
        let mut g = Graph::new();
        let x = g.input();
        let root = g.import(self, self.root, x);
        g.set_root(root);
        g
    }

    /// Evaluates the graph at one point, node by node, with the trainable constants at their
    /// initial values (a reference implementation; use [`super::Program`] for batches).
    pub fn eval_scalar(&self, x: f32) -> f32 {
        self.eval_scalar_with(x, &self.param_values())
    }

    /// Evaluates the graph at one point with the trainable constants set to `params` (in the
    /// order of [`Graph::params`]).
    ///
    /// # Panics
    /// If `params` does not hold one value per trainable constant.
    pub fn eval_scalar_with(&self, x: f32, params: &[f32]) -> f32 {
        let order = self.params();
        assert_eq!(
            params.len(),
            order.len(),
            "one value per trainable constant"
        );
        let value_of: HashMap<NodeId, f32> =
            order.into_iter().zip(params.iter().copied()).collect();
        let mut values: HashMap<NodeId, f32> = HashMap::new();
        for n in self.topo_order() {
            let v = match self.node(n) {
                Node::Input => x,
                Node::Const(c) => c,
                Node::Param(_) => value_of[&n],
                Node::Op { op, params } => {
                    let args: Vec<f32> = self.args(n).iter().map(|a| values[a]).collect();
                    op.eval(&params, &args)
                }
            };
            values.insert(n, v);
        }
        values[&self.root]
    }

    /// True when both graphs compute the same expression tree from their roots (same
    /// primitives, parameters and constants bit for bit, trainable constants where the other has
    /// trainable constants of the same initial value), whatever their node numbering or sharing.
    pub fn same_expression(&self, other: &Graph) -> bool {
        let mut memo: HashMap<(NodeId, NodeId), bool> = HashMap::new();
        same_subtree(self, self.root, other, other.root, &mut memo)
    }

    fn find(&self, key: &Key) -> Option<NodeId> {
        self.interned
            .get(&hash_key(key))?
            .iter()
            .copied()
            .find(|&id| self.key_of(id) == *key)
    }

    fn intern(&mut self, key: Key, id: NodeId) {
        self.interned.entry(hash_key(&key)).or_default().push(id);
    }

    fn key_of(&self, id: NodeId) -> Key {
        match self.node(id) {
            Node::Input => Key::Input,
            Node::Const(v) => Key::Const(v.to_bits()),
            Node::Param(_) => Key::Param(id.index() as u32),
            Node::Op { op, params } => Key::Op(
                op,
                [params[0].to_bits(), params[1].to_bits()],
                self.args(id).iter().map(|a| a.index() as u32).collect(),
            ),
        }
    }
}

fn hash_key(key: &Key) -> KeyHash {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

fn same_subtree(
    a: &Graph,
    na: NodeId,
    b: &Graph,
    nb: NodeId,
    memo: &mut HashMap<(NodeId, NodeId), bool>,
) -> bool {
    if let Some(&r) = memo.get(&(na, nb)) {
        return r;
    }
    let r = match (a.node(na), b.node(nb)) {
        (Node::Input, Node::Input) => true,
        (Node::Const(x), Node::Const(y)) | (Node::Param(x), Node::Param(y)) => {
            x.to_bits() == y.to_bits()
        }
        (Node::Op { op: oa, params: pa }, Node::Op { op: ob, params: pb }) => {
            let (aa, ab) = (a.args(na), b.args(nb));
            oa == ob
                && pa.map(f32::to_bits) == pb.map(f32::to_bits)
                && aa.len() == ab.len()
                && aa
                    .iter()
                    .zip(&ab)
                    .all(|(&x, &y)| same_subtree(a, x, b, y, memo))
        }
        _ => false,
    };
    memo.insert((na, nb), r);
    r
}

impl PartialEq for Graph {
    /// Graphs are equal when they compute the same expression tree (see
    /// [`Graph::same_expression`]).
    fn eq(&self, other: &Self) -> bool {
        self.same_expression(other)
    }
}

impl Arity {
    /// Whether `n` arguments fit this arity.
    pub fn accepts(self, n: usize) -> bool {
        match self {
            Arity::Unary => n == 1,
            Arity::Binary => n == 2,
            Arity::Nary => (2..=MAX_ARGUMENTS).contains(&n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_interns_shared_subexpressions() {
        let mut g = Graph::new();
        let x = g.input();
        let s1 = g.apply(Op::Sigmoid, &[x]);
        let s2 = g.apply(Op::Sigmoid, &[x]);
        assert_eq!(s1, s2);
        let m = g.apply(Op::Mul, &[x, s1]);
        g.set_root(m);
        assert_eq!(g.size(), 3);
        assert_eq!(g.depth(), 3);
        assert!((g.eval_scalar(2.0) - 2.0 / (1.0 + (-2.0f32).exp())).abs() < 1e-6);
    }

    #[test]
    fn compact_drops_unreachable_nodes_and_keeps_the_function() {
        let mut g = Graph::new();
        let x = g.input();
        let _dead = g.apply(Op::Tanh, &[x]);
        let r = g.apply(Op::Relu, &[x]);
        g.set_root(r);
        let c = g.compact();
        assert_eq!(c.size(), 2);
        assert_eq!(c, g);
        assert_eq!(c.eval_scalar(-1.0), 0.0);
    }

    #[test]
    fn params_are_never_shared_and_keep_their_order() {
        let mut g = Graph::new();
        let x = g.input();
        let (a, b) = (g.param(1.0), g.param(1.0));
        assert_ne!(a, b, "two trainable constants of equal value stay two");
        let ax = g.apply(Op::Mul, &[a, x]);
        let s = g.apply(Op::Sigmoid, &[ax]);
        let y = g.apply(Op::Add, &[s, b]);
        g.set_root(y);
        assert_eq!(g.params(), vec![a, b]);
        assert_eq!(g.param_values(), vec![1.0, 1.0]);
        let at = |p: &[f32]| g.eval_scalar_with(0.5, p);
        assert_eq!(at(&[1.0, 1.0]), g.eval_scalar(0.5));
        assert!((at(&[2.0, -1.0]) - (1.0 / (1.0 + (-1.0f32).exp()) - 1.0)).abs() < 1e-6);
        let c = g.compact();
        assert_eq!(c.params().len(), 2);
        assert_eq!(c, g);
    }

    #[test]
    fn args_keep_their_positions() {
        let mut g = Graph::new();
        let x = g.input();
        let two = g.constant(2.0);
        let d = g.apply(Op::Sub, &[two, x]);
        g.set_root(d);
        assert_eq!(g.args(d), vec![two, x]);
        assert_eq!(g.eval_scalar(5.0), -3.0);
    }
}
