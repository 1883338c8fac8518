//! Generated code against radact's own evaluator, at about 200 points (0, jumps, ties, large
//! values, ±1e30, ±f32::MAX, ±inf, NaN), compared with [`Program`] (NaN equals NaN).
//!
//! - Rust: activations covering every primitive of the catalogue, in every kind of backward
//!   mode, compiled with `rustc`; to 1e-6 (relative or absolute).
//! - PyTorch, in real PyTorch (1.13 from Debian's `python3-torch`, or 2.x): those activations
//!   and every primitive under every backward mode (the catalogue times exact, surrogate,
//!   direction, every named rule and a formula), forward values and autograd gradients of
//!   float32 and float64 tensors (computed in float32) to 1e-6; the same under
//!   `torch.jit.trace`; and each layer inside `nn.Sequential` between two `nn.Linear` layers
//!   with cross-entropy and an SGD step, checking the hidden values and their gradients.
//! - NumPy (with SciPy for erf and the Bessel functions): the same activations, f and g of
//!   float32 and float64 arrays.
//! - JAX, when it imports (`pip install jax`): the same, through `jax.vjp`; skipped with a note
//!   otherwise.
//!
//! The Python tests find an interpreter as `tests/support` says; `tests/run` installs what
//! they need.

use radact::activation::Activation;
use radact::export::{jax, numpy, pytorch, rust, ExportedActivation, Identifiers};
use radact::expr::Op;
use radact::grad::BackwardMode;
use std::collections::BTreeSet;
use std::fmt::Write;

mod support;

/// Forward formula and backward mode of each case. Together the forward formulas use every
/// primitive; the backward modes cover exact, surrogate, direction, named rules and `expr`.
const CASES: &[(&str, &str)] = &[
    ("x * sigmoid(1.702 * x)", "exact"),
    ("heaviside(x)", "rect(-0.5, 0.5)"),
    ("sign(x) + 0.1 * x", "tri(1)"),
    ("sign(x)", "direction"),
    ("quantize(x, 5) + 0.1 * x", "surrogate"),
    ("floor(4 * x) / 4", "ste"),
    ("ceil(x) - round(2 * x)", "surrogate"),
    ("frac(x) * deadzone(x, 0.25)", "exact"),
    ("threshold(x, 0.3) + mod(x, 1.5) - mod(x, -0.7)", "exact"),
    (
        "sawtooth(x) + square_wave(x) + triangle_wave(x)",
        "surrogate",
    ),
    ("bump(x) * clamp(x, -2, 3)", "surrogate"),
    ("abs(x) + reciprocal(x)", "exact"),
    ("square(x) - cube(x) + sqrt(x)", "exact"),
    ("log(x) + exp(-abs(x)) + expm1(0.5 * x)", "exact"),
    ("sin(x) * cos(2 * x) + sinc(x)", "exact"),
    ("sinh(0.5 * x) / cosh(x) + tanh(x)", "exact"),
    ("arcsinh(x) + arctan(x)", "exact"),
    ("erf(x) + erfc(0.5 * x) + gelu(x)", "exact"),
    (
        "log_sigmoid(x) + softplus(x) + softsign(x) + softclip(x)",
        "exact",
    ),
    ("relu(x) + leaky_relu(x) + elu(x) + selu(x)", "exact"),
    ("swish(x) + mish(x) + elish(x)", "exact"),
    ("hard_sigmoid(x) + hard_swish(x) + relu6(x)", "exact"),
    ("gaussian(x) + bessel_i0e(x) + bessel_i1e(x)", "exact"),
    ("min0(x) + max0(x) * scale(x, 2.5) + shift(x, -1)", "exact"),
    ("pow(x, 1.5) + pow(x, 3) - pow(1.5, x)", "exact"),
    ("max(x, 0.5 * x) + min(x, sin(x))", "exact"),
    (
        "sigmoid_gate(x, tanh(x)) + gauss_dist(x, 1) + lap_dist(x, -1)",
        "exact",
    ),
    ("lerp(x, sin(x), 0.3) + sigmoid_gate(2, x)", "exact"),
    (
        "sum_n(x, sin(x), cos(x)) + prod_n(x, x, tanh(x)) + max_n(x, 0, -x) + min_n(x, 1, cos(x))",
        "exact",
    ),
    ("zero(x) + one(x) * x + identity(x) + negative(x)", "exact"),
    ("tanh(x) * (1 - tanh(x))", "surrogate"),
    ("mod(x, 0) + quantize(x, 2)", "surrogate"),
    ("heaviside(x)", "atan(3)"),
    ("heaviside(x)", "sigmoid"),
    ("heaviside(x)", "erf"),
    ("heaviside(x)", "fast_sigmoid"),
    ("heaviside(x)", "piecewise_quadratic(2)"),
    ("sign(x)", "ste_sign"),
    ("sign(x)", "approx_sign"),
    ("sign(x)", "swish_sign"),
    ("floor(x)", "expr(1 - tanh(x)^2)"),
    ("x", "exact"),
    ("exp(2)", "exact"),
    (
        "tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(x))))))))))))",
        "exact",
    ),
];

/// The cases as exported records; case 0 is named `sigmoid`, like a kernel it calls.
fn records() -> Vec<ExportedActivation> {
    CASES
        .iter()
        .enumerate()
        .map(|(i, &(f, b))| {
            let act = Activation::parse(f, b).unwrap_or_else(|e| panic!("{f} / {b}: {e}"));
            let name = if i == 0 {
                "sigmoid".to_string()
            } else {
                format!("case {i}")
            };
            ExportedActivation::new(name, act)
        })
        .collect()
}

/// The evaluation points.
fn points() -> Vec<f32> {
    let mut x: Vec<f32> = (-60..=60).map(|i| i as f32 * 0.1).collect();
    let special = [
        0.0,
        -0.0,
        0.25,
        -0.25,
        0.3,
        0.5,
        -0.5,
        1.0,
        -1.0,
        1.25,
        1.5,
        -1.5,
        2.5,
        -2.5,
        3.0,
        -3.0,
        3.75,
        -3.75,
        6.0,
        std::f32::consts::PI,
        -std::f32::consts::PI,
        2.0 * std::f32::consts::PI,
        0.84375,
        0.75,
        -0.75,
        2.857143,
        3.5,
        -3.5,
        4.5,
        -4.5,
        5.5,
        -5.9,
        12.0,
        -15.0,
        1e-3,
        -1e-3,
        1e-6,
        -1e-6,
        2e38,
        -2e38,
        1e-9,
        -1e-9,
        1e-30,
        -1e-30,
        7.0,
        -7.0,
        10.0,
        -10.0,
        20.0,
        -20.0,
        27.0,
        29.0,
        -29.0,
        31.0,
        50.0,
        -50.0,
        100.0,
        -100.0,
        1e3,
        -1e3,
        1e6,
        -1e6,
        1e30,
        -1e30,
        f32::MAX,
        -f32::MAX,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
    ];
    x.extend(special);
    x
}

/// Radact's forward and backward multiplier of a record at `x`, as training computes them.
fn expected(record: &ExportedActivation, x: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let compiled = record.activation().compile();
    let (mut f, mut g) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    compiled.forward.eval(x, &mut f);
    compiled.backward.eval(x, &mut g);
    (f, g)
}

fn close(a: f32, b: f32) -> bool {
    let d = (a - b).abs();
    (a.is_nan() && b.is_nan()) || a == b || d <= 1e-6 || d <= 1e-6 * a.abs().max(b.abs())
}

/// Mismatches between `got` and `want`, one message each.
fn mismatches(what: &str, got: &[f32], want: &[f32], x: &[f32]) -> Vec<String> {
    if got.len() != want.len() {
        return vec![format!(
            "{what}: {} values, expected {}",
            got.len(),
            want.len()
        )];
    }
    x.iter()
        .zip(got.iter().zip(want))
        .filter(|(_, (&g, &w))| !close(g, w))
        .map(|(&x, (&g, &w))| format!("{what} at x = {x:e}: got {g:e}, radact computes {w:e}"))
        .collect()
}

fn floats(hex: &str) -> Vec<f32> {
    hex.split_whitespace()
        .map(|h| f32::from_bits(u32::from_str_radix(h, 16).expect("hex bits")))
        .collect()
}

fn assert_no_mismatches(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} mismatches, the first ones:\n{}",
        problems.len(),
        problems[..problems.len().min(30)].join("\n")
    );
}

#[test]
fn cases_cover_every_primitive_and_kind_of_backward_mode() {
    let recs = records();
    let used: BTreeSet<Op> = recs
        .iter()
        .flat_map(|r| r.activation().forward.ops())
        .collect();
    let missing: Vec<&str> = Op::ALL
        .iter()
        .filter(|op| !used.contains(op))
        .map(|op| op.name())
        .collect();
    assert!(missing.is_empty(), "no case uses {missing:?}");
    let modes: BTreeSet<String> = recs
        .iter()
        .map(|r| {
            let m = r.activation().backward.to_string();
            m.split('(').next().unwrap_or("").to_string()
        })
        .collect();
    for kind in [
        "exact",
        "surrogate",
        "direction",
        "rect",
        "tri",
        "ste",
        "expr",
    ] {
        assert!(modes.contains(kind), "no case has backward mode {kind}");
    }
    assert!(points().len() >= 180);
}

/// The main function of the Rust test program: prints, per case, the scalar and slice
/// forward and backward values as hex bits, from the case's own module and from the module of
/// all cases.
fn rust_main(records: &[ExportedActivation], x: &[f32]) -> String {
    let mut s = String::from(
        "type Scalar = fn(f32) -> f32;
type Forward = fn(&[f32], &mut [f32]);
type Backward = fn(&[f32], &[f32], &mut [f32]);

fn report(i: usize, from: &str, x: &[f32], f: Scalar, g: Scalar, fs: Forward, gs: Backward) {
    let ones = vec![1.0f32; x.len()];
    let mut slice_f = vec![0.0f32; x.len()];
    fs(x, &mut slice_f);
    let mut slice_g = vec![0.0f32; x.len()];
    gs(x, &ones, &mut slice_g);
    let scalar_f: Vec<f32> = x.iter().map(|&v| f(v)).collect();
    let scalar_g: Vec<f32> = x.iter().map(|&v| g(v)).collect();
    for (tag, v) in [(\"f\", scalar_f), (\"g\", scalar_g), (\"fs\", slice_f), (\"gs\", slice_g)] {
        let bits: Vec<String> = v.iter().map(|y| format!(\"{:08x}\", y.to_bits())).collect();
        println!(\"{i} {tag}{from} {}\", bits.join(\" \"));
    }
}

fn main() {
    let x: Vec<f32> = [",
    );
    for v in x {
        let _ = write!(s, "0x{:08x}u32, ", v.to_bits());
    }
    s.push_str("].iter().map(|&b| f32::from_bits(b)).collect();\n");
    let names: Vec<&str> = records.iter().map(ExportedActivation::name).collect();
    let shared = Identifiers::distinct(&names);
    for (i, (record, all_id)) in records.iter().zip(&shared).enumerate() {
        let own = Identifiers::new(record.name()).snake;
        for (from, module, n) in [
            ("", format!("case_{i}"), &own),
            ("a", "all".to_string(), &all_id.snake),
        ] {
            let _ = writeln!(
                s,
                "    report({i}, \"{from}\", &x, {module}::{n}, {module}::{n}_backward, \
                 {module}::{n}_slice, {module}::{n}_backward_slice);"
            );
        }
    }
    s.push_str("}\n");
    s
}

#[test]
fn generated_rust_matches_the_evaluator() {
    let recs = records();
    let x = points();
    let mut program = String::new();
    for (i, record) in recs.iter().enumerate() {
        let _ = writeln!(program, "mod case_{i} {{\n{}}}\n", rust::generate(record));
    }
    let _ = writeln!(program, "mod all {{\n{}}}\n", rust::generate_all(&recs));
    program.push_str(&rust_main(&recs, &x));

    let stdout = support::run_rust(&program);

    let mut problems = Vec::new();
    let mut seen = 0;
    for line in stdout.lines() {
        let mut parts = line.splitn(3, ' ');
        let (Some(i), Some(tag), Some(hex)) = (parts.next(), parts.next(), parts.next()) else {
            panic!("malformed output line {line}");
        };
        let i: usize = i.parse().expect("case index");
        let (f, g) = expected(&recs[i], &x);
        let want = if tag.starts_with('f') { &f } else { &g };
        let (form, back) = CASES[i];
        let what = format!("case {i} `{form}` / `{back}`: {tag}");
        problems.extend(mismatches(&what, &floats(hex), want, &x));
        seen += 1;
    }
    assert_eq!(seen, 8 * recs.len(), "missing output lines:\n{stdout}");
    assert_no_mismatches(problems);
}

/// Every backward mode: exact, surrogate, direction, each named rule with its defaults, and a
/// formula.
fn all_modes() -> Vec<String> {
    let mut modes: Vec<String> = ["exact", "surrogate", "direction"]
        .iter()
        .map(|m| m.to_string())
        .collect();
    modes.extend(
        radact::grad::rules::RULES
            .iter()
            .map(|r| r.name.to_string()),
    );
    modes.push("expr(1 - tanh(x)^2)".to_string());
    modes
}

/// Every primitive under every backward mode: `p(x)` for a unary primitive (default
/// parameters), `p(x, 1.5 - 0.5 * x)` for a binary one, `p(x, 1.5 - 0.5 * x, sin(x))` for an
/// n-ary one.
fn matrix() -> Vec<(String, String, ExportedActivation)> {
    let mut out = Vec::new();
    for op in Op::ALL {
        let name = op.name();
        let formula = match op.primitive().arity {
            radact::expr::Arity::Unary => format!("{name}(x)"),
            radact::expr::Arity::Binary => format!("{name}(x, 1.5 - 0.5 * x)"),
            radact::expr::Arity::Nary => format!("{name}(x, 1.5 - 0.5 * x, sin(x))"),
        };
        for (j, mode) in all_modes().into_iter().enumerate() {
            let act = Activation::parse(&formula, &mode)
                .unwrap_or_else(|e| panic!("{formula} / {mode}: {e}"));
            let record = ExportedActivation::new(format!("{name} mode {j}"), act);
            out.push((formula.clone(), mode, record));
        }
    }
    out
}

/// The activations the Python tests run: the cases, then the matrix, with what each is.
fn python_records() -> (Vec<String>, Vec<ExportedActivation>) {
    let mut labels = Vec::new();
    let mut recs = Vec::new();
    for (record, (f, b)) in records().into_iter().zip(CASES) {
        labels.push(format!("`{f}` / `{b}`"));
        recs.push(record);
    }
    for (f, b, record) in matrix() {
        labels.push(format!("`{f}` / `{b}`"));
        recs.push(record);
    }
    (labels, recs)
}

#[test]
fn the_matrix_covers_every_primitive_and_every_backward_mode() {
    let m = matrix();
    assert_eq!(m.len(), Op::ALL.len() * all_modes().len());
    let modes: BTreeSet<String> = m
        .iter()
        .map(|(_, _, r)| {
            let s = r.activation().backward.to_string();
            s.split('(').next().unwrap_or("").to_string()
        })
        .collect();
    assert_eq!(modes.len(), all_modes().len(), "{modes:?}");
    let ops: BTreeSet<Op> = m
        .iter()
        .flat_map(|(_, _, r)| r.activation().forward.ops())
        .collect();
    assert!(Op::ALL.iter().all(|op| ops.contains(op)));
}

/// Float32 values a driver printed as a list of bits.
fn decode(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("a list of bits")
        .iter()
        .map(|b| {
            let b = b
                .as_u64()
                .and_then(|b| u32::try_from(b).ok())
                .expect("32 bits");
            f64::from(f32::from_bits(b))
        })
        .collect()
}

/// Compared values: the mismatches and the worst error, `|got - want| / max(1, |want|)`.
#[derive(Default)]
struct Tally {
    problems: Vec<String>,
    worst: f64,
    worst_at: String,
    compared: usize,
}

impl Tally {
    /// Compares `got` with `want`; they agree when both are NaN, equal, or within `tol`
    /// relative or absolute.
    fn compare(&mut self, what: &str, got: &[f64], want: &[f64], x: &[f32], tol: f64) {
        if got.len() != want.len() {
            self.problems.push(format!(
                "{what}: {} values, expected {}",
                got.len(),
                want.len()
            ));
            return;
        }
        for ((&xv, &g), &w) in x.iter().zip(got).zip(want) {
            self.compared += 1;
            if (g.is_nan() && w.is_nan()) || g == w {
                continue;
            }
            let d = (g - w).abs();
            let err = d / w.abs().max(1.0);
            if err > self.worst || err.is_nan() {
                self.worst = if err.is_nan() { f64::INFINITY } else { err };
                self.worst_at = format!("{what} at x = {xv:e}: {g:e} against {w:e}");
            }
            if !(d <= tol || d <= tol * g.abs().max(w.abs())) {
                self.problems.push(format!(
                    "{what} at x = {xv:e}: got {g:e}, radact computes {w:e}"
                ));
            }
        }
    }

    fn assert_clean(&self, name: &str) {
        assert!(
            self.problems.is_empty(),
            "{name}: {} mismatches, the first ones:\n{}",
            self.problems.len(),
            self.problems[..self.problems.len().min(30)].join("\n")
        );
    }
}

fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&y| f64::from(y)).collect()
}

/// Writes `records` as one module per case (the first `singles`) and one module of all, in
/// `generate`'s format, and the JSON spec the drivers read: the points and, per module, its
/// path and entry points (`entry` of each identifier). Returns the spec's path and, per entry
/// point in the spec's order, the record's index.
fn write_modules(
    dir: &std::path::Path,
    x: &[f32],
    records: &[ExportedActivation],
    singles: usize,
    generate: fn(&[ExportedActivation]) -> String,
    entry: fn(radact::export::Identifiers) -> String,
) -> (String, Vec<usize>) {
    let mut modules = Vec::new();
    let mut order = Vec::new();
    for (i, record) in records.iter().take(singles).enumerate() {
        let path = dir.join(format!("case_{i}.py"));
        std::fs::write(&path, generate(std::slice::from_ref(record))).expect("write a module");
        let id = entry(Identifiers::new(record.name()));
        modules
            .push(serde_json::json!({"name": format!("case_{i}"), "path": path, "entries": [id]}));
        order.push(i);
    }
    let all_path = dir.join("all_cases.py");
    let all_code = generate(records);
    std::fs::write(&all_path, &all_code).expect("write the module of all cases");
    let names: Vec<&str> = records.iter().map(ExportedActivation::name).collect();
    let entries: Vec<String> = Identifiers::distinct(&names)
        .into_iter()
        .map(entry)
        .collect();
    modules.push(serde_json::json!({"name": "all_cases", "path": all_path, "entries": entries}));
    order.extend(0..records.len());
    let bits: Vec<u32> = x.iter().map(|v| v.to_bits()).collect();
    let spec = serde_json::json!({"points": bits, "modules": modules});
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).expect("write the spec");
    (spec_path.to_str().expect("utf-8 path").to_string(), order)
}

/// Python shared by the drivers: loading a module from a file and printing arrays as bits
/// (float32 as 32-bit, float64 as 64-bit integers; a float64 list is marked by a `dtype`).
const DRIVER_COMMON: &str = r#"
import importlib.util
import json
import sys

import numpy as np


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bits(a):
    a = np.asarray(a)
    if a.dtype == np.float32:
        return a.view(np.uint32).tolist()
    assert a.dtype == np.float64, a.dtype
    return {"dtype": "float64", "bits": a.view(np.uint64).tolist()}


spec = json.load(open(sys.argv[1]))
x32 = np.array(spec["points"], dtype=np.uint32).view(np.float32)
"#;

/// Real PyTorch: per layer, forward and autograd backward (incoming gradient 0.5) in float32
/// and float64, the layer under `torch.jit.trace`, and the layer in `nn.Sequential` with
/// cross-entropy and an SGD step (hidden values and gradients captured by a hook).
const TORCH_DRIVER: &str = r#"
import torch
import torch.nn.functional as F

gen = torch.Generator().manual_seed(0)
inputs = torch.randn(32, 4, generator=gen)
labels = torch.randint(0, 3, (32,), generator=gen)
results = []
for module in spec["modules"]:
    m = load(module["name"], module["path"])
    for name in module["entries"]:
        layer = getattr(m, name)
        r = {}
        for dtype in (torch.float32, torch.float64):
            tag = str(dtype).split(".")[1]
            x = torch.tensor(x32, dtype=dtype, requires_grad=True)
            y = layer()(x)
            y.backward(torch.full_like(y, 0.5))
            assert y.dtype == dtype and x.grad.dtype == dtype, (name, y.dtype, x.grad.dtype)
            r[tag] = {"forward": bits(y.detach().numpy()), "backward": bits(x.grad.numpy())}

            torch.manual_seed(1)
            model = torch.nn.Sequential(
                torch.nn.Linear(4, 8), layer(), torch.nn.Linear(8, 3)).to(dtype)
            seen = {}

            def hook(_module, inp, out):
                inp[0].retain_grad()
                out.retain_grad()
                seen["z"], seen["h"] = inp[0], out

            model[1].register_forward_hook(hook)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            opt.zero_grad()
            loss = F.cross_entropy(model(inputs.to(dtype)), labels)
            loss.backward()
            before = model[0].weight.detach().clone()
            grad = model[0].weight.grad.detach().clone()
            opt.step()
            after = model[0].weight.detach()
            stepped = torch.allclose(after, before - 0.1 * grad, rtol=1e-6, atol=1e-7) and (
                bool((grad == 0).all()) or not torch.equal(after, before))
            r[tag]["sequential"] = {
                "loss": float(loss),
                "stepped": bool(stepped),
                "z": bits(seen["z"].detach().numpy().ravel()),
                "h": bits(seen["h"].detach().numpy().ravel()),
                "dz": bits(seen["z"].grad.numpy().ravel()),
                "dh": bits(seen["h"].grad.numpy().ravel()),
            }
        traced = torch.jit.trace(layer(), torch.linspace(-1.0, 1.0, 5))
        x = torch.tensor(x32, requires_grad=True)
        y = traced(x)
        y.backward(torch.full_like(y, 0.5))
        r["traced"] = {"forward": bits(y.detach().numpy()), "backward": bits(x.grad.numpy())}
        results.append(r)
json.dump({"version": torch.__version__, "results": results}, sys.stdout)
"#;

/// NumPy: per activation, `name(x)` and `name_backward(x)` on float32 and float64 arrays.
const NUMPY_DRIVER: &str = r#"
results = []
for module in spec["modules"]:
    m = load(module["name"], module["path"])
    for name in module["entries"]:
        f, g = getattr(m, name), getattr(m, name + "_backward")
        r = {}
        for dtype in (np.float32, np.float64):
            x = x32.astype(dtype)
            y, d = f(x), g(x)
            assert y.dtype == dtype and d.dtype == dtype, (name, y.dtype, d.dtype)
            r[np.dtype(dtype).name] = {"forward": bits(y), "backward": bits(d)}
        assert f([0.5, -1.0]).dtype == np.float64, name  # NumPy reads Python floats so
        assert f(np.arange(3, dtype=np.int32)).dtype == np.float32, name
        one, many = f(np.float64(0.25)), f(np.full(3, 0.25))
        assert one.shape == () and np.array_equal(many, np.full(3, one), equal_nan=True), (
            name, one, many)
        results.append(r)
json.dump({"version": np.__version__, "results": results}, sys.stdout)
"#;

/// JAX: per activation, the value and the VJP (cotangent 0.5) of the custom-VJP function, and
/// the same under `jax.jit`.
const JAX_DRIVER: &str = r#"
import jax
import jax.numpy as jnp

results = []
for module in spec["modules"]:
    m = load(module["name"], module["path"])
    for name in module["entries"]:
        f = getattr(m, name)
        x = jnp.asarray(x32)
        y, vjp = jax.vjp(f, x)
        (d,) = vjp(jnp.full_like(y, 0.5))
        jitted = jax.jit(f)(x)
        results.append({
            "float32": {"forward": bits(np.asarray(y)), "backward": bits(np.asarray(d))},
            "jit": {"forward": bits(np.asarray(jitted))},
        })
json.dump({"version": jax.__version__, "results": results}, sys.stdout)
"#;

/// Runs a driver over `records` exported by `generate`, and returns the framework's version and
/// one result per entry point with the index of its record.
fn drive(
    python: &std::path::Path,
    x: &[f32],
    driver: &str,
    records: &[ExportedActivation],
    generate: fn(&[ExportedActivation]) -> String,
    entry: fn(Identifiers) -> String,
) -> (String, Vec<(usize, serde_json::Value)>) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (spec, order) = write_modules(dir.path(), x, records, CASES.len(), generate, entry);
    let script = format!("{DRIVER_COMMON}{driver}");
    let stdout = support::run_script(python, dir.path(), &script, &[&spec]);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("the driver prints JSON");
    let results = v["results"].as_array().expect("results").clone();
    assert_eq!(results.len(), order.len());
    let version = v["version"].as_str().unwrap_or("?").to_string();
    (version, order.into_iter().zip(results).collect())
}

/// Bits printed by a driver, either format.
fn values(v: &serde_json::Value) -> Vec<f64> {
    if v.is_object() {
        decode_tagged(v)
    } else {
        decode(v)
    }
}

fn decode_tagged(v: &serde_json::Value) -> Vec<f64> {
    v["bits"]
        .as_array()
        .expect("bits")
        .iter()
        .map(|b| f64::from_bits(b.as_u64().expect("bits")))
        .collect()
}

/// Where a comparison is meaningful: per point, whether to compare the forward and the
/// backward values.
struct Domain {
    forward: Vec<bool>,
    backward: Vec<bool>,
}

impl Domain {
    /// For float32 input: every point, except that a `direction` backward (the sign of the
    /// surrogate multiplier) is not compared where that multiplier is within 1e-6 of 0, since
    /// there its sign is the sign of rounding noise (`bessel_i0e` at 1e30: radact's float32
    /// derivative underflows to 0 and PyTorch's to a tiny negative number).
    fn float32(record: &ExportedActivation, x: &[f32]) -> Domain {
        let mut backward = vec![true; x.len()];
        if record.activation().backward == BackwardMode::Direction {
            let surrogate =
                Activation::new(record.activation().forward.clone(), BackwardMode::Surrogate);
            let mut s = vec![0.0; x.len()];
            surrogate.compile().backward.eval(x, &mut s);
            for (keep, v) in backward.iter_mut().zip(&s) {
                *keep = v.abs() > 1e-6;
            }
        }
        Domain {
            forward: vec![true; x.len()],
            backward,
        }
    }
}

/// The elements of `v` that `keep` marks.
fn kept<T: Copy>(v: &[T], keep: &[bool]) -> Vec<T> {
    v.iter()
        .zip(keep)
        .filter(|(_, &k)| k)
        .map(|(&e, _)| e)
        .collect()
}

/// Checks `result`'s forward against `f` and backward against `scale * g` on `domain`.
#[allow(clippy::too_many_arguments)]
fn check_pair(
    tally: (&mut Tally, &mut Tally),
    what: &str,
    result: &serde_json::Value,
    f: &[f32],
    g: &[f32],
    scale: f32,
    x: &[f32],
    domain: &Domain,
    tol: f64,
) {
    let scaled: Vec<f64> = g.iter().map(|v| f64::from(scale * v)).collect();
    let keep = &domain.forward;
    tally.0.compare(
        &format!("{what}: forward"),
        &kept(&values(&result["forward"]), keep),
        &kept(&widen(f), keep),
        &kept(x, keep),
        tol,
    );
    if !result["backward"].is_null() {
        let keep = &domain.backward;
        tally.1.compare(
            &format!("{what}: backward"),
            &kept(&values(&result["backward"]), keep),
            &kept(&scaled, keep),
            &kept(x, keep),
            tol,
        );
    }
}

#[test]
fn generated_pytorch_runs_in_real_pytorch_and_matches_the_evaluator() {
    let python = support::require(&["torch", "numpy"]);
    let (labels, recs) = python_records();
    let x = points();
    let all_code = pytorch::generate_all(&recs);
    assert!(
        !all_code.contains("3.4028235e38"),
        "an inexact float32 maximum"
    );
    let (version, results) = drive(
        &python,
        &x,
        TORCH_DRIVER,
        &recs,
        pytorch::generate_all,
        |i| i.camel,
    );
    let (mut f32_f, mut f32_g, mut f64_f, mut f64_g) = Default::default();
    let (mut traced_f, mut traced_g, mut seq) =
        (Tally::default(), Tally::default(), Tally::default());
    let mut sequential_runs = 0;
    for (i, r) in &results {
        let record = &recs[*i];
        let (f, g) = expected(record, &x);
        let what = format!("#{i} {}", labels[*i]);
        for (tag, tallies) in [
            ("float32", (&mut f32_f, &mut f32_g)),
            ("float64", (&mut f64_f, &mut f64_g)),
            ("traced", (&mut traced_f, &mut traced_g)),
        ] {
            check_pair(
                tallies,
                &format!("{what} {tag}"),
                &r[tag],
                &f,
                &g,
                0.5,
                &x,
                &Domain::float32(&recs[*i], &x),
                1e-6,
            );
        }
        for (tag, tol) in [("float32", 1e-5), ("float64", 1e-5)] {
            let s = &r[tag]["sequential"];
            let z = values(&s["z"]);
            let z32: Vec<f32> = z.iter().map(|&v| v as f32).collect();
            let (fz, gz) = expected(record, &z32);
            let dh = values(&s["dh"]);
            let want_dz: Vec<f64> = dh.iter().zip(&gz).map(|(d, g)| d * f64::from(*g)).collect();
            let name = format!("{what} {tag} in nn.Sequential");
            seq.compare(
                &format!("{name}: h"),
                &values(&s["h"]),
                &widen(&fz),
                &z32,
                tol,
            );
            seq.compare(
                &format!("{name}: dL/dz"),
                &values(&s["dz"]),
                &want_dz,
                &z32,
                tol,
            );
            let loss = s["loss"].as_f64().unwrap_or(f64::NAN);
            if !loss.is_finite() {
                seq.problems.push(format!("{name}: the loss is {loss}"));
            }
            if s["stepped"] != true {
                seq.problems
                    .push(format!("{name}: the SGD step did not apply the gradient"));
            }
            sequential_runs += 1;
        }
    }
    println!(
        "PyTorch {version}: {} activations ({} primitives x {} backward modes, and {} composite cases), {} points each",
        recs.len(),
        Op::ALL.len(),
        all_modes().len(),
        CASES.len(),
        x.len()
    );
    for (name, t) in [
        ("float32 forward", &f32_f),
        ("float32 gradient", &f32_g),
        ("float64 forward", &f64_f),
        ("float64 gradient", &f64_g),
        ("jit.trace forward", &traced_f),
        ("jit.trace gradient", &traced_g),
        ("nn.Sequential h and dL/dz", &seq),
    ] {
        println!(
            "  {name}: {} values, worst error {:.3e} ({})",
            t.compared,
            t.worst,
            if t.worst_at.is_empty() {
                "all equal"
            } else {
                &t.worst_at
            }
        );
    }
    println!("  nn.Sequential + cross-entropy + SGD step: {sequential_runs} runs");
    for (name, t) in [
        ("float32 forward", &f32_f),
        ("float32 gradient", &f32_g),
        ("float64 forward", &f64_f),
        ("float64 gradient", &f64_g),
        ("jit.trace forward", &traced_f),
        ("jit.trace gradient", &traced_g),
        ("nn.Sequential", &seq),
    ] {
        t.assert_clean(name);
    }
}

#[test]
fn generated_numpy_matches_the_evaluator() {
    let python = support::require(&["numpy", "scipy"]);
    let (labels, recs) = python_records();
    let x = points();
    let (version, results) = drive(&python, &x, NUMPY_DRIVER, &recs, numpy::generate_all, |i| {
        i.snake
    });
    let (mut f32_f, mut f32_g, mut f64_f, mut f64_g) = Default::default();
    for (i, r) in &results {
        let (f, g) = expected(&recs[*i], &x);
        let what = format!("#{i} {}", labels[*i]);
        for (tag, tallies) in [
            ("float32", (&mut f32_f, &mut f32_g)),
            ("float64", (&mut f64_f, &mut f64_g)),
        ] {
            check_pair(
                tallies,
                &format!("{what} {tag}"),
                &r[tag],
                &f,
                &g,
                1.0,
                &x,
                &Domain::float32(&recs[*i], &x),
                1e-6,
            );
        }
    }
    println!("NumPy {version}: {} activations", recs.len());
    for (name, t) in [
        ("float32 f", &f32_f),
        ("float32 g", &f32_g),
        ("float64 f", &f64_f),
        ("float64 g", &f64_g),
    ] {
        println!(
            "  {name}: {} values, worst error {:.3e} ({})",
            t.compared, t.worst, t.worst_at
        );
        t.assert_clean(name);
    }
}

#[test]
fn generated_jax_matches_the_evaluator_when_jax_is_installed() {
    let python = match support::interpreter(&["jax", "numpy"]) {
        Ok(p) => p,
        Err(e) => {
            println!("note: JAX export test skipped: {e} (pip install jax to run it)");
            return;
        }
    };
    // The composite cases (every primitive, every kind of backward mode): JAX dispatches and
    // compiles each function, which makes the full matrix take minutes.
    let recs = records();
    let labels: Vec<String> = CASES
        .iter()
        .map(|(f, b)| format!("`{f}` / `{b}`"))
        .collect();
    // XLA's elementary functions round differently from radact's (sinh by 1.4e-6 relative at
    // 50), and under jax.jit XLA contracts x - c * floor(x / c) into a fused multiply-add,
    // which differs from radact's separately rounded float32 steps by the cancellation error
    // (2e31 instead of 0 at -2e38, 1 % at 1e6): JAX is compared to 1e-5, on |x| <= 100 and NaN.
    let x: Vec<f32> = points()
        .into_iter()
        .filter(|v| v.is_nan() || v.abs() <= 100.0)
        .collect();
    let (version, results) = drive(&python, &x, JAX_DRIVER, &recs, jax::generate_all, |i| {
        i.snake
    });
    let (mut f, mut g, mut jit) = (Tally::default(), Tally::default(), Tally::default());
    let mut unused = Tally::default();
    for (i, r) in &results {
        let (fx, gx) = expected(&recs[*i], &x);
        let what = format!("#{i} {}", labels[*i]);
        check_pair(
            (&mut f, &mut g),
            &format!("{what} jax"),
            &r["float32"],
            &fx,
            &gx,
            0.5,
            &x,
            &Domain::float32(&recs[*i], &x),
            1e-5,
        );
        check_pair(
            (&mut jit, &mut unused),
            &format!("{what} jax.jit"),
            &r["jit"],
            &fx,
            &gx,
            0.5,
            &x,
            &Domain::float32(&recs[*i], &x),
            1e-5,
        );
    }
    println!("JAX {version}: {} activations", recs.len());
    for (name, t) in [("forward", &f), ("vjp", &g), ("jit forward", &jit)] {
        println!(
            "  {name}: {} values, worst error {:.3e} ({})",
            t.compared, t.worst, t.worst_at
        );
        t.assert_clean(name);
    }
}
