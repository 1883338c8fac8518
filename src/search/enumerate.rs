//! Exhaustive enumeration of a small space: every forward graph of up to `max_ops` operations
//! over the input `x`, smallest first, each paired with every allowed backward mode.
//!
//! Graphs are built size by size. A graph with `s` operations is a primitive applied to
//! arguments whose sizes add up to `s - 1`, where every argument is a *representative*: a
//! distinct function first reached with that many operations (`x` alone has 0). A graph that
//! simplifies to an earlier one, or computes the same function on the probe points (equal
//! [`expr::fingerprint`]), is skipped, and so is every graph built on it: it would only repeat
//! the graphs built on its representative. Commutative primitives get their arguments in one
//! order only. Constants never appear as leaves (but `zero(x)` and `one(x)` make them), and
//! parametrised primitives use their default parameters; n-ary primitives get two arguments
//! (more arise by nesting). Constant functions and `x` are not returned, but are still built
//! upon: `add(one(x), x)` is `1 + x`.
//!
//! Only the position is saved ([`Enumeration`] serialises to a few numbers); the representatives
//! and the set of seen functions are rebuilt on resume by replaying the enumeration up to it,
//! which takes about as long as reaching it did.
//!
//! ```
//! use radact::search::{enumerate::Enumeration, SearchSpace};
//! let space = SearchSpace::shipped("swish-space").unwrap();
//! let mut e = Enumeration::new(&space, 1);
//! let first = e.next(&space).unwrap();
//! assert_eq!(first.forward.to_string(), "-x");
//! ```

use super::genome::{op_depth, viable};
use super::space::{Limits, SearchSpace};
use crate::activation::Activation;
use crate::expr::{self, Arity, Fingerprint, Graph, NodeId, Op};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The state of an exhaustive enumeration: where it is, not what it has seen.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Enumeration {
    /// Most operations per graph: the smaller of the requested number and the space's
    /// `limits.max_ops`.
    max_ops: usize,
    /// Candidates returned so far.
    returned: u64,
    /// The graphs built so far and where the walk over them stands; rebuilt on first use after
    /// deserialising.
    #[serde(skip)]
    walk: Option<Walk>,
}

impl PartialEq for Enumeration {
    /// Enumerations are equal at the same position with the same size limit (the walk is
    /// derived from those and the space).
    fn eq(&self, other: &Self) -> bool {
        self.max_ops == other.max_ops && self.returned == other.returned
    }
}

impl Enumeration {
    /// The enumeration of the graphs of `space` with 1 to `max_ops` operations (cut to the
    /// space's limit), within its depth limit.
    pub fn new(space: &SearchSpace, max_ops: usize) -> Enumeration {
        Enumeration {
            max_ops: max_ops.min(space.limits.max_ops),
            returned: 0,
            walk: None,
        }
    }

    /// The next candidate, or `None` when exhausted. For each distinct forward graph, the
    /// candidates are that graph with each of `space.backward.modes` in order. `space` must be
    /// the space the enumeration was created with.
    pub fn next(&mut self, space: &SearchSpace) -> Option<Activation> {
        let modes = &space.backward.modes;
        if modes.is_empty() {
            return None;
        }
        let per_graph = modes.len() as u64;
        let walk = match &mut self.walk {
            Some(walk) => walk,
            None => {
                let graphs = self.returned.div_ceil(per_graph);
                self.walk.insert(Walk::replay(space, self.max_ops, graphs))
            }
        };
        let mode = (self.returned % per_graph) as usize;
        if mode == 0 {
            walk.advance(space)?;
        }
        let forward = walk.current.clone()?;
        self.returned += 1;
        Some(Activation::new(forward, modes[mode].clone()))
    }

    /// Most operations per enumerated graph.
    pub fn max_ops(&self) -> usize {
        self.max_ops
    }

    /// Candidates returned so far.
    pub fn position(&self) -> u64 {
        self.returned
    }

    /// An upper bound on the number of candidates: the trees within the limits before any
    /// deduplication, times the number of backward modes (duplicates usually remove a third to
    /// a half of them). The tests' oracle for the enumeration's size.
    #[cfg(test)]
    pub(crate) fn len_hint(&self, space: &SearchSpace) -> Option<usize> {
        let trees = count_trees(space, self.max_ops, space.limits.max_depth);
        let total = trees.saturating_mul(space.backward.modes.len() as u128);
        Some(usize::try_from(total).unwrap_or(usize::MAX))
    }
}

/// The walk over distinct forward graphs.
#[derive(Clone, Debug)]
struct Walk {
    limits: Limits,
    /// By size: the representatives that can still take an operation above them (fewer than
    /// `max_depth` operations deep).
    reps: Vec<Vec<Graph>>,
    /// Printed simplified graphs seen (a quick test before fingerprinting).
    seen_text: HashSet<String>,
    /// Fingerprints of the functions seen.
    seen: HashSet<Fingerprint>,
    /// Size being built.
    size: usize,
    /// The shapes of that size: a primitive and the sizes of its arguments.
    shapes: Vec<(Op, Vec<usize>)>,
    /// The current shape.
    shape: usize,
    /// Index of each argument's representative in the current shape; `None` before the first.
    digits: Option<Vec<usize>>,
    /// The last distinct graph found.
    current: Option<Graph>,
}

impl Walk {
    fn new(max_ops: usize, space: &SearchSpace) -> Walk {
        let x = Graph::new();
        let mut walk = Walk {
            limits: Limits {
                max_ops,
                max_depth: space.limits.max_depth,
            },
            reps: vec![vec![x.clone()]],
            seen_text: HashSet::new(),
            seen: HashSet::new(),
            size: 0,
            shapes: Vec::new(),
            shape: 0,
            digits: None,
            current: None,
        };
        walk.seen_text.insert(x.to_string());
        walk.seen.insert(expr::fingerprint(&x));
        walk
    }

    /// A walk that has found its first `graphs` graphs.
    fn replay(space: &SearchSpace, max_ops: usize, graphs: u64) -> Walk {
        let mut walk = Walk::new(max_ops, space);
        for _ in 0..graphs {
            if walk.advance(space).is_none() {
                break;
            }
        }
        walk
    }

    /// Moves `current` to the next distinct viable graph; `None` when there is none.
    fn advance(&mut self, space: &SearchSpace) -> Option<()> {
        loop {
            let Some((op, args)) = self.next_combination(space) else {
                self.current = None;
                return None;
            };
            let mut g = Graph::new();
            let x = g.input();
            let nodes: Vec<NodeId> = args
                .iter()
                .map(|&(size, i)| {
                    let rep = &self.reps[size][i];
                    g.import(rep, rep.root(), x)
                })
                .collect();
            let root = g.apply(op, &nodes);
            g.set_root(root);
            let simple = expr::simplify(&g);
            if !self.seen_text.insert(simple.to_string())
                || !self.seen.insert(expr::fingerprint(&simple))
            {
                continue;
            }
            if op_depth(&simple) < self.limits.max_depth {
                self.reps[self.size].push(simple.clone());
            }
            if viable(&simple, &self.limits) {
                self.current = Some(simple);
                return Some(());
            }
        }
    }

    /// The next primitive and arguments (size and index of each representative) to build.
    fn next_combination(&mut self, space: &SearchSpace) -> Option<(Op, Vec<(usize, usize)>)> {
        loop {
            if self.shape >= self.shapes.len() {
                if self.size >= self.limits.max_ops {
                    return None;
                }
                self.size += 1;
                self.reps.push(Vec::new());
                self.shapes = shapes(space, self.size);
                self.shape = 0;
                self.digits = None;
                continue;
            }
            let (op, sizes) = &self.shapes[self.shape];
            let lens: Vec<usize> = sizes.iter().map(|&s| self.reps[s].len()).collect();
            let commutative = op.primitive().commutative;
            while let Some(digits) = step(&mut self.digits, &lens) {
                // A commutative primitive takes equal-size arguments in one order only.
                let repeat = commutative
                    && (1..digits.len())
                        .any(|i| sizes[i - 1] == sizes[i] && digits[i - 1] > digits[i]);
                if !repeat {
                    let args = sizes.iter().copied().zip(digits.iter().copied()).collect();
                    return Some((*op, args));
                }
            }
            self.shape += 1;
            self.digits = None;
        }
    }
}

/// Advances an odometer over `0..lens[i]` in each place (the last place fastest) and returns the
/// new reading; `None` when it has gone all the way round (or a place is empty).
fn step<'a>(digits: &'a mut Option<Vec<usize>>, lens: &[usize]) -> Option<&'a [usize]> {
    if lens.contains(&0) {
        return None;
    }
    match digits {
        None => *digits = Some(vec![0; lens.len()]),
        Some(d) => {
            let mut place = lens.len();
            loop {
                if place == 0 {
                    return None;
                }
                place -= 1;
                d[place] += 1;
                if d[place] < lens[place] {
                    break;
                }
                d[place] = 0;
            }
        }
    }
    digits.as_deref()
}

/// The shapes of graphs with `size` operations: each weighted primitive with the sizes of its
/// arguments (summing to `size - 1`; non-decreasing for commutative primitives).
fn shapes(space: &SearchSpace, size: usize) -> Vec<(Op, Vec<usize>)> {
    let below = size - 1;
    let mut out = Vec::new();
    for (op, _) in space.weighted_primitives() {
        let prim = op.primitive();
        match prim.arity {
            Arity::Unary => out.push((op, vec![below])),
            Arity::Binary | Arity::Nary => {
                for left in 0..=below {
                    if !prim.commutative || left <= below - left {
                        out.push((op, vec![left, below - left]));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
/// Number of trees over `x` with 1 to `max_ops` operations and at most `max_depth` operations
/// deep, built from the weighted primitives (commutative ones counted in one argument order).
fn count_trees(space: &SearchSpace, max_ops: usize, max_depth: usize) -> u128 {
    let primitives = space.weighted_primitives();
    // count[s][d]: trees of s operations at most d deep.
    let mut count = vec![vec![0u128; max_depth + 1]; max_ops + 1];
    count[0].fill(1);
    for s in 1..=max_ops {
        for d in 1..=max_depth {
            let c = |k: usize| count[k][d - 1];
            let pairs = |commutative: bool| -> u128 {
                (0..s)
                    .map(|l| (l, s - 1 - l))
                    .map(|(l, r)| match (commutative, l.cmp(&r)) {
                        (false, _) | (true, std::cmp::Ordering::Less) => c(l).saturating_mul(c(r)),
                        (true, std::cmp::Ordering::Equal) => c(l).saturating_mul(c(l) + 1) / 2,
                        (true, std::cmp::Ordering::Greater) => 0,
                    })
                    .fold(0, u128::saturating_add)
            };
            count[s][d] = primitives
                .iter()
                .map(|(op, _)| match op.primitive().arity {
                    Arity::Unary => c(s - 1),
                    Arity::Binary | Arity::Nary => pairs(op.primitive().commutative),
                })
                .fold(0, u128::saturating_add);
        }
    }
    (1..=max_ops)
        .map(|s| count[s][max_depth])
        .fold(0, u128::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::genome::within_limits;
    use crate::search::space::PrimitiveName;
    use std::time::Instant;

    /// The default space with only `ops` (weight 1), roomy limits and `modes`.
    fn tiny(ops: &[Op], modes: &[&str]) -> SearchSpace {
        let mut space = SearchSpace::default_space();
        space.primitives = ops.iter().map(|&op| (PrimitiveName(op), 1.0)).collect();
        space.limits.max_ops = 8;
        space.limits.max_depth = 8;
        space.backward.modes = modes.iter().map(|m| m.parse().unwrap()).collect();
        space.validate().unwrap();
        space
    }

    fn all(space: &SearchSpace, max_ops: usize) -> Vec<String> {
        let mut e = Enumeration::new(space, max_ops);
        std::iter::from_fn(|| e.next(space))
            .map(|a| format!("{} | {}", a.forward, a.backward))
            .collect()
    }

    #[test]
    fn counts_a_tiny_space_exactly() {
        let space = tiny(&[Op::Exp, Op::Tanh, Op::Add], &["exact", "surrogate"]);
        // Size 1: exp(x), tanh(x), x + x.
        // Size 2: exp and tanh of each of the 3 (6), and x + each of the 3 (add is commutative,
        // so only x on the left): 9. Nothing repeats: 12 graphs, 2 modes each.
        let got = all(&space, 2);
        assert_eq!(got.len(), 24, "{got:#?}");
        assert_eq!(got[0], "exp(x) | exact");
        assert_eq!(got[1], "exp(x) | surrogate");
        assert_eq!(got[5], "x + x | surrogate");
        assert!(
            got.contains(&"tanh(exp(x)) | surrogate".to_string()),
            "{got:#?}"
        );
        // Depth 1 keeps only the three single operations.
        let mut shallow = space.clone();
        shallow.limits.max_depth = 1;
        assert_eq!(all(&shallow, 2).len(), 6);
        assert_eq!(Enumeration::new(&space, 2).len_hint(&space), Some(24));
        assert_eq!(Enumeration::new(&shallow, 2).len_hint(&shallow), Some(6));
        // The space's limit caps the requested size.
        let mut small = space.clone();
        small.limits.max_ops = 1;
        assert_eq!(all(&small, 3).len(), 6);
    }

    #[test]
    fn skips_behavioural_duplicates() {
        // relu(abs(x)) = abs(x), abs(relu(x)) = relu(x), max(x, relu(x)) = relu(x), max(x, x) = x,
        // ...: with up to 3 operations only two functions exist.
        let space = tiny(&[Op::Relu, Op::Abs, Op::Max], &["exact"]);
        assert_eq!(all(&space, 3), ["abs(x) | exact", "relu(x) | exact"]);
    }

    #[test]
    fn sizes_come_smallest_first_within_limits() {
        let space = SearchSpace::shipped("default").unwrap();
        let mut e = Enumeration::new(&space, 2);
        let mut largest = 0;
        let mut n = 0;
        while let Some(a) = e.next(&space) {
            let ops = a.forward.op_count();
            assert!((1..=2).contains(&ops), "{}", a.forward);
            assert!(within_limits(&a.forward, &space.limits));
            // Sharing can make a later graph smaller (x * tanh(x) has 2), never larger.
            assert!(ops + 1 >= largest, "{} after size {largest}", a.forward);
            largest = largest.max(ops);
            n += 1;
        }
        assert!(n > 100, "{n}");
    }

    #[test]
    fn resumes_exactly_after_serialisation() {
        let space = tiny(
            &[Op::Exp, Op::Sin, Op::Mul, Op::Sub],
            &["exact", "ste", "surrogate"],
        );
        let whole = all(&space, 3);
        for cut in [0, 1, 2, 7, 30, whole.len() - 1, whole.len()] {
            let mut e = Enumeration::new(&space, 3);
            let mut got: Vec<String> = (0..cut)
                .map(|_| e.next(&space).unwrap())
                .map(|a| format!("{} | {}", a.forward, a.backward))
                .collect();
            let saved = ron::to_string(&e).unwrap();
            assert!(saved.len() < 64, "{saved}");
            let mut resumed: Enumeration = ron::from_str(&saved).unwrap();
            assert_eq!(resumed, e);
            assert_eq!(resumed.position(), cut as u64);
            while let Some(a) = resumed.next(&space) {
                got.push(format!("{} | {}", a.forward, a.backward));
            }
            assert_eq!(got, whole, "resumed after {cut}");
            assert!(resumed.next(&space).is_none());
        }
    }

    #[test]
    fn enumerates_the_swish_space_quickly() {
        let space = SearchSpace::shipped("swish-space").unwrap();
        let start = Instant::now();
        let got = all(&space, 3);
        let seconds = start.elapsed().as_secs_f64();
        let hint = Enumeration::new(&space, 3).len_hint(&space).unwrap();
        assert!(
            got.len() > 3000 && got.len() <= hint,
            "{} of {hint}",
            got.len()
        );
        let distinct: HashSet<&String> = got.iter().collect();
        assert_eq!(distinct.len(), got.len());
        // Every core unit b(u1(x), u2(x)) is covered up to equivalence: swish among them.
        let swish = expr::fingerprint(&expr::parse("x * sigmoid(x)").unwrap());
        assert!(got.iter().any(|s| {
            let f = s.split(" | ").next().unwrap();
            expr::fingerprint(&expr::parse(f).unwrap()) == swish
        }));
        eprintln!("swish-space: {} candidates in {seconds:.2} s", got.len());
        // Well under a second per thousand candidates, even in a test build.
        assert!(seconds < got.len() as f64 / 1000.0, "{seconds} s");
    }
}
