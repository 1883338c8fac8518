//! Property tests of the expression core: totality of every primitive and of every derived
//! backward over all f32, printer/parser round trips over random graphs, parser robustness on
//! arbitrary text, and exact derivatives against central finite differences on random smooth
//! graphs.

use proptest::prelude::*;
use radact::expr::primitive::{Arity, CATALOGUE};
use radact::expr::{parse, Graph, Op, Program};
use radact::grad::{derive, BackwardMode};
use rand::{Rng, SeedableRng};

/// Grows a random graph from `ops`, with valid random parameters, `steps` applications long.
fn random_graph(seed: u64, ops: &[Op], steps: usize) -> Graph {
    random_graph_with(seed, ops, steps, 0.0)
}

/// Like [`random_graph`], with each constant trainable (`param(c)`) with probability
/// `trainable` (no extra draw when 0, so that `random_graph` keeps its graphs).
fn random_graph_with(seed: u64, ops: &[Op], steps: usize, trainable: f64) -> Graph {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut g = Graph::new();
    let mut pool = vec![g.input()];
    for _ in 0..steps {
        let op = ops[rng.gen_range(0..ops.len())];
        let prim = op.primitive();
        let n = match prim.arity {
            Arity::Unary => 1,
            Arity::Binary => 2,
            Arity::Nary => rng.gen_range(2..4),
        };
        let mut args = Vec::new();
        for _ in 0..n {
            // Mostly recent nodes, sometimes a constant, so that graphs get deep and shared.
            if rng.gen_bool(0.15) {
                let c = (rng.gen_range(-3.0f32..3.0) * 100.0).round() / 100.0;
                if trainable > 0.0 && rng.gen_bool(trainable) {
                    args.push(g.param(c));
                } else {
                    args.push(g.constant(c));
                }
            } else {
                let lo = pool.len().saturating_sub(3);
                args.push(pool[rng.gen_range(lo..pool.len())]);
            }
        }
        let mut params = prim.default_params();
        for (i, spec) in prim.params.iter().enumerate() {
            params[i] = if spec.integer {
                rng.gen_range(spec.min..spec.min + 8.0).round()
            } else {
                rng.gen_range(spec.min.max(-4.0)..spec.max.min(4.0))
            };
        }
        if op == Op::Clamp && params[0] > params[1] {
            params.swap(0, 1);
        }
        let node = g.apply_with(op, params, &args);
        pool.push(node);
    }
    g.set_root(*pool.last().unwrap());
    g
}

fn all_ops() -> Vec<Op> {
    Op::ALL.to_vec()
}

/// Primitives smooth enough (C1, unprotected) for a finite-difference check.
fn smooth_ops() -> Vec<Op> {
    use Op::*;
    vec![
        Identity,
        Negative,
        Square,
        Cube,
        Expm1,
        Sin,
        Cos,
        Sinc,
        Tanh,
        Arcsinh,
        Arctan,
        Erf,
        Erfc,
        Sigmoid,
        LogSigmoid,
        Softplus,
        Softsign,
        Softclip,
        Elu,
        Gelu,
        Swish,
        Mish,
        Elish,
        Gaussian,
        Add,
        Sub,
        Mul,
        SigmoidGate,
        GaussDist,
        SumN,
        ProdN,
        Scale,
        Shift,
        Lerp,
    ]
}

fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<u32>().prop_map(f32::from_bits),
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(f32::MIN_POSITIVE / 2.0),
        Just(-0.0f32),
        Just(f32::MAX),
        -10.0f32..10.0,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_primitive_is_total(x in any_f32(), y in any_f32(), z in any_f32()) {
        for p in CATALOGUE {
            let args: &[f32] = match p.arity {
                Arity::Unary => &[x],
                Arity::Binary => &[x, y],
                Arity::Nary => &[x, y, z],
            };
            let v = p.op.eval(&p.default_params(), args);
            prop_assert!(v.is_nan() || v.is_finite(), "{}({:?}) = {}", p.name, args, v);
        }
    }

    #[test]
    fn every_derived_backward_is_total(x in any_f32()) {
        for p in CATALOGUE {
            let text = match p.arity {
                Arity::Unary => format!("{}(x)", p.name),
                Arity::Binary => format!("{}(x, 0.5 * x)", p.name),
                Arity::Nary => format!("{}(x, sin(x), 2)", p.name),
            };
            let f = parse(&text).unwrap();
            for mode in [BackwardMode::Exact, BackwardMode::Surrogate, BackwardMode::Direction] {
                let g = Program::compile(&derive(&f, &mode));
                let v = g.eval_scalar(x);
                prop_assert!(v.is_nan() || v.is_finite(), "{text} {mode} at {x}: {v}");
            }
        }
    }

    #[test]
    fn printed_graphs_parse_back_to_the_same_graph(seed in any::<u64>(), steps in 1usize..12) {
        let g = random_graph(seed, &all_ops(), steps);
        let text = g.to_string();
        let back = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert!(back.same_expression(&g), "{} reparsed as {}", text, back);
        prop_assert_eq!(back.to_string(), text);
    }

    #[test]
    fn printed_graphs_with_trainable_constants_parse_back(seed in any::<u64>(), steps in 1usize..12) {
        let g = random_graph_with(seed, &all_ops(), steps, 0.5);
        let text = g.to_string();
        let back = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert!(back.same_expression(&g), "{} reparsed as {}", text, back);
        prop_assert_eq!(&back.to_string(), &text);
        let ron = ron::to_string(&g).unwrap();
        let stored: Graph = ron::from_str(&ron).map_err(|e| TestCaseError::fail(format!("{ron}: {e}")))?;
        prop_assert!(stored.same_expression(&g), "{}", ron);
        prop_assert_eq!(stored.params().len(), g.params().len());
    }

    #[test]
    fn constant_gradients_match_finite_differences(seed in any::<u64>(), steps in 1usize..8) {
        let f = random_graph_with(seed, &smooth_ops(), steps, 0.7);
        let c0 = f.param_values();
        prop_assume!(!c0.is_empty());
        let program = radact::Activation::new(f.clone(), BackwardMode::Exact).compile().joint;
        for i in 0..9 {
            let x = -2.0 + 0.5 * i as f32 + 0.0123;
            let mut outs = vec![[0.0f32]; 2 + c0.len()];
            let mut views: Vec<&mut [f32]> = outs.iter_mut().map(|o| &mut o[..]).collect();
            program.eval_many_with(&[x], &c0, &mut views);
            for k in 0..c0.len() {
                let fd = |h: f64| {
                    let (mut up, mut down) = (c0.clone(), c0.clone());
                    up[k] = (c0[k] as f64 + h) as f32;
                    down[k] = (c0[k] as f64 - h) as f32;
                    (f.eval_scalar_with(x, &up) as f64 - f.eval_scalar_with(x, &down) as f64)
                        / (up[k] as f64 - down[k] as f64)
                };
                let (d1, d2) = (fd(1e-2), fd(5e-3));
                let scale = d1.abs().max(1.0);
                if !d1.is_finite() || (d1 - d2).abs() > 1e-2 * scale || f.eval_scalar_with(x, &c0).abs() > 1e4 {
                    continue; // ill-conditioned here
                }
                let derived = outs[2 + k][0] as f64;
                prop_assert!((derived - d2).abs() <= 2e-2 * scale, "{f}: df/dc{k} at {x} = {derived}, finite difference {d2}");
            }
        }
    }

    #[test]
    fn program_agrees_with_node_by_node_evaluation(seed in any::<u64>(), steps in 1usize..12, x in -6.0f32..6.0) {
        let g = random_graph(seed, &all_ops(), steps);
        let p = Program::compile(&g);
        let (a, b) = (p.eval_scalar(x), g.eval_scalar(x));
        prop_assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{g} at {x}: {a} vs {b}");
    }

    #[test]
    fn parser_never_panics(text in "[-+*/^(),=. 0-9a-z_]{0,40}") {
        let _ = parse(&text);
        let _ = text.parse::<BackwardMode>();
    }

    #[test]
    fn exact_backward_matches_finite_differences(seed in any::<u64>(), steps in 1usize..8) {
        let f = random_graph(seed, &smooth_ops(), steps);
        let g = derive(&f, &BackwardMode::Exact);
        for i in 0..9 {
            let x = -2.0 + 0.5 * i as f32 + 0.0123;
            let fd = |h: f64| {
                let (xp, xm) = (x as f64 + h, x as f64 - h);
                (f.eval_scalar(xp as f32) as f64 - f.eval_scalar(xm as f32) as f64) / (xp as f32 as f64 - xm as f32 as f64)
            };
            let (d1, d2) = (fd(1e-2), fd(5e-3));
            let scale = d1.abs().max(1.0);
            if !d1.is_finite() || (d1 - d2).abs() > 1e-2 * scale || f.eval_scalar(x).abs() > 1e4 {
                continue; // ill-conditioned here: the difference quotient has not converged
            }
            let exact = g.eval_scalar(x) as f64;
            prop_assert!((exact - d2).abs() <= 2e-2 * scale, "{f}: g({x}) = {exact}, finite difference {d2} (g = {g})");
        }
    }
}

#[test]
fn flat_graphs_have_zero_exact_and_nonzero_surrogate_backward_around_jumps() {
    for text in [
        "heaviside(x)",
        "sign(x)",
        "round(2 * x)",
        "quantize(x, 3)",
        "floor(x) + 2 * bump(x)",
        "square_wave(x)",
    ] {
        let f = parse(text).unwrap();
        let exact = derive(&f, &BackwardMode::Exact);
        let surrogate = derive(&f, &BackwardMode::Surrogate);
        let mut nonzero = 0;
        for i in -400..=400 {
            let x = i as f32 * 0.01;
            assert_eq!(exact.eval_scalar(x), 0.0, "{text} exact at {x}");
            // Near a jump of the forward function, the surrogate must pass a gradient.
            let jump = (f.eval_scalar(x + 0.01) - f.eval_scalar(x - 0.01)).abs() > 0.0;
            if jump {
                assert_ne!(
                    surrogate.eval_scalar(x),
                    0.0,
                    "{text} surrogate at jump {x}"
                );
                nonzero += 1;
            }
        }
        assert!(nonzero > 0, "{text} has no jump in [-4, 4]");
    }
}
