//! Generated code against radact's own evaluator: activations covering every primitive of the
//! catalogue, in every kind of backward mode, compiled with `rustc` (Rust) or run against a
//! numpy-backed stand-in for PyTorch (Python), forward and backward at about 200 points
//! (0, jumps, ties, large values, ±1e30, ±f32::MAX, ±inf, NaN), compared with
//! [`Program`] to 1e-6 (relative or absolute; NaN equals NaN).
//!
//! The PyTorch test needs `python3` with numpy (`pip install numpy`); PyTorch itself is not
//! needed. With `RADACT_TEST_REAL_TORCH=1` it runs against the installed PyTorch instead of the
//! stand-in.

use radact::activation::Activation;
use radact::export::{pytorch, rust, ExportedActivation, Identifiers};
use radact::expr::Op;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;
use std::process::Command;

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
    ("log_sigmoid(x) + softplus(x) + softsign(x)", "exact"),
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

    let dir = tempfile::tempdir().expect("temporary directory");
    let source = dir.path().join("generated.rs");
    std::fs::write(&source, &program).expect("write the program");
    let binary = dir.path().join("generated");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let compiled = Command::new(&rustc)
        .args(["-O", "--edition", "2021", "-D", "warnings", "-o"])
        .arg(&binary)
        .arg(&source)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {rustc}: {e}"));
    assert!(
        compiled.status.success(),
        "generated Rust does not compile cleanly:\n{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    let run = Command::new(&binary).output().expect("run the program");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8(run.stdout).expect("utf-8 output");

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

/// A numpy-backed stand-in for the part of PyTorch that generated code uses. Every operation
/// computes in float64 and rounds to float32: for + - * / and sqrt that is float32 arithmetic
/// exactly, for the elementary functions it is within an ulp of PyTorch's. Python numbers
/// meeting a tensor are rounded to float32 first, as PyTorch does. Anything else is missing,
/// so generated code that uses more fails here.
const TORCH_SHIM: &str = r#"
import math
import types

import numpy as np

np.seterr(all="ignore")
float32 = np.dtype(np.float32)


def _data(v):
    if isinstance(v, Tensor):
        return v._a
    if isinstance(v, (bool, np.bool_)):
        return np.bool_(v)
    return np.float32(v)


def _f64(v):
    d = np.asarray(_data(v))
    return d if d.dtype == np.bool_ else d.astype(np.float64)


def _wrap(r):
    r = np.asarray(r)
    return Tensor(r if r.dtype == np.bool_ else r.astype(np.float32))


def _map(fn):
    def op(*args):
        return _wrap(fn(*[_f64(a) for a in args]))
    return op


def _reflected(fn):
    def op(self, other):
        return _map(fn)(other, self)
    return op


class Tensor:
    def __init__(self, a, requires_grad=False):
        self._a = np.asarray(a)
        self.requires_grad = requires_grad
        self.grad = None
        self._node = None

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def device(self):
        return "cpu"

    def clone(self):
        return Tensor(self._a.copy())

    def detach(self):
        return Tensor(self._a)

    def numpy(self):
        return self._a

    __add__ = _map(np.add)
    __radd__ = _reflected(np.add)
    __sub__ = _map(np.subtract)
    __rsub__ = _reflected(np.subtract)
    __mul__ = _map(np.multiply)
    __rmul__ = _reflected(np.multiply)
    __truediv__ = _map(np.true_divide)
    __rtruediv__ = _reflected(np.true_divide)
    __neg__ = _map(np.negative)
    __lt__ = _map(np.less)
    __le__ = _map(np.less_equal)
    __gt__ = _map(np.greater)
    __ge__ = _map(np.greater_equal)
    __eq__ = _map(np.equal)
    __hash__ = None

    def backward(self, gradient):
        function, ctx, inputs = self._node
        grads = function.backward(ctx, gradient)
        if not isinstance(grads, tuple):
            grads = (grads,)
        for t, g in zip(inputs, grads):
            if isinstance(t, Tensor) and t.requires_grad:
                t.grad = g


def tensor(data, requires_grad=False):
    return Tensor(np.asarray(data, dtype=np.float32), requires_grad)


def as_tensor(data, dtype=None, device=None):
    return Tensor(np.asarray(data, dtype=dtype or np.float32))


def full_like(x, value):
    return Tensor(np.full(x._a.shape, np.float32(value), dtype=np.float32))


def zeros_like(x):
    return full_like(x, 0.0)


def ones_like(x):
    return full_like(x, 1.0)


def where(condition, a, b):
    return _wrap(np.where(_data(condition), _f64(a), _f64(b)))


def clamp(x, min=None, max=None):
    r = _f64(x)
    if min is not None:
        r = np.maximum(r, _f64(min))
    if max is not None:
        r = np.minimum(r, _f64(max))
    return _wrap(r)


abs = _map(np.abs)
sqrt = _map(np.sqrt)
exp = _map(np.exp)
expm1 = _map(np.expm1)
log = _map(np.log)
log1p = _map(np.log1p)
sin = _map(np.sin)
cos = _map(np.cos)
sinh = _map(np.sinh)
cosh = _map(np.cosh)
tanh = _map(np.tanh)
asinh = _map(np.arcsinh)
atan = _map(np.arctan)
floor = _map(np.floor)
ceil = _map(np.ceil)
trunc = _map(np.trunc)
round = _map(np.round)
pow = _map(np.power)
fmax = _map(np.fmax)
fmin = _map(np.fmin)


def _bessel_scaled(order, x):
    """e^-|x| I_order(x) for order 0 or 1: power series up to |x| = 30, then the
    asymptotic expansion."""
    if math.isnan(x):
        return math.nan
    ax = math.fabs(x)
    if math.isinf(ax):
        return math.copysign(0.0, x) if order else 0.0
    if ax <= 30.0:
        q = 0.25 * x * x
        term = 0.5 * x if order else 1.0
        total, k = term, 0
        while True:
            k += 1
            term *= q / (k * (k + order))
            total += term
            if term == 0.0 or math.fabs(term) < 1e-17 * math.fabs(total):
                return total * math.exp(-ax)
    mu = 4.0 * order * order
    term = total = 1.0
    for k in range(1, 12):
        term *= -(mu - (2 * k - 1) ** 2) / (k * 8.0 * ax)
        total += term
    r = total / math.sqrt(2.0 * math.pi * ax)
    return math.copysign(r, x) if order else r


def _elementwise(f):
    return _map(np.vectorize(f, otypes=[np.float64]))


special = types.SimpleNamespace(
    erf=_elementwise(math.erf),
    erfc=_elementwise(math.erfc),
    i0e=_elementwise(lambda x: _bessel_scaled(0, x)),
    i1e=_elementwise(lambda x: _bessel_scaled(1, x)),
)


class _Context:
    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors


class _Function:
    @classmethod
    def apply(cls, *args):
        ctx = _Context()
        out = cls.forward(ctx, *args)
        out._node = (cls, ctx, args)
        return out


class _Module:
    def __call__(self, *args):
        return self.forward(*args)


autograd = types.SimpleNamespace(Function=_Function)
nn = types.SimpleNamespace(Module=_Module)
"#;

/// Imports each generated module, runs every listed layer forward and backward (with an
/// incoming gradient of 0.5) and prints the values as float32 bits, one JSON list per layer.
const DRIVER: &str = r#"
import importlib.util
import json
import sys

import numpy as np
import torch

spec = json.load(open(sys.argv[1]))
x_bits = np.array(spec["points"], dtype=np.uint32)
results = []
for module in spec["modules"]:
    loader = importlib.util.spec_from_file_location(module["name"], module["path"])
    m = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(m)
    for layer in module["layers"]:
        x = torch.tensor(x_bits.view(np.float32), requires_grad=True)
        y = getattr(m, layer)()(x)
        y.backward(torch.full_like(y, 0.5))
        results.append({
            "forward": np.asarray(y.detach().numpy(), dtype=np.float32).view(np.uint32).tolist(),
            "backward": np.asarray(x.grad.numpy(), dtype=np.float32).view(np.uint32).tolist(),
        })
json.dump(results, sys.stdout)
"#;

fn python(args: &[&str], pythonpath: Option<&Path>, stdin: Option<&str>) -> std::process::Output {
    use std::io::Write as _;
    let mut cmd = Command::new("python3");
    cmd.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(p) = pythonpath {
        cmd.env("PYTHONPATH", p);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("the PyTorch codegen test needs python3: {e}"));
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write to python3");
    }
    child.wait_with_output().expect("python3 runs")
}

#[test]
fn generated_pytorch_is_valid_python_and_matches_the_evaluator() {
    let numpy = python(&["-c", "import numpy"], None, None);
    assert!(
        numpy.status.success(),
        "the PyTorch codegen test needs numpy: pip install numpy\n{}",
        String::from_utf8_lossy(&numpy.stderr)
    );
    let recs = records();
    let x = points();
    let dir = tempfile::tempdir().expect("temporary directory");
    let real_torch = std::env::var("RADACT_TEST_REAL_TORCH").is_ok_and(|v| v == "1");
    if !real_torch {
        std::fs::write(dir.path().join("torch.py"), TORCH_SHIM).expect("write the shim");
    }

    let all_code = pytorch::generate_all(&recs);
    let parsed = python(
        &["-c", "import ast,sys; ast.parse(sys.stdin.read())"],
        None,
        Some(&all_code),
    );
    assert!(
        parsed.status.success(),
        "generated Python does not parse:\n{}",
        String::from_utf8_lossy(&parsed.stderr)
    );

    let mut modules = Vec::new();
    let mut expect = Vec::new();
    for (i, record) in recs.iter().enumerate() {
        let path = dir.path().join(format!("case_{i}.py"));
        std::fs::write(&path, pytorch::generate(record)).expect("write a module");
        let layer = Identifiers::new(record.name()).camel;
        modules.push(
            serde_json::json!({"name": format!("case_{i}"), "path": path, "layers": [layer]}),
        );
        expect.push(i);
    }
    let all_path = dir.path().join("all_cases.py");
    std::fs::write(&all_path, &all_code).expect("write the module of all cases");
    let names: Vec<&str> = recs.iter().map(ExportedActivation::name).collect();
    let layers: Vec<String> = Identifiers::distinct(&names)
        .into_iter()
        .map(|i| i.camel)
        .collect();
    modules.push(serde_json::json!({"name": "all_cases", "path": all_path, "layers": layers}));
    expect.extend(0..recs.len());

    let bits: Vec<u32> = x.iter().map(|v| v.to_bits()).collect();
    let spec = serde_json::json!({"points": bits, "modules": modules});
    let spec_path = dir.path().join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).expect("write the spec");
    let driver = dir.path().join("driver.py");
    std::fs::write(&driver, DRIVER).expect("write the driver");
    let out = python(
        &[
            driver.to_str().expect("utf-8 path"),
            spec_path.to_str().expect("utf-8 path"),
        ],
        Some(dir.path()),
        None,
    );
    assert!(
        out.status.success(),
        "running the generated Python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("the driver prints JSON");
    assert_eq!(results.len(), expect.len());

    let values = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array()
            .expect("a list")
            .iter()
            .map(|b| f32::from_bits(b.as_u64().expect("bits") as u32))
            .collect()
    };
    let mut problems = Vec::new();
    for (&i, result) in expect.iter().zip(&results) {
        let (f, g) = expected(&recs[i], &x);
        let half_g: Vec<f32> = g.iter().map(|v| 0.5 * v).collect();
        let (form, back) = CASES[i];
        let what = format!("case {i} `{form}` / `{back}`");
        problems.extend(mismatches(
            &format!("{what}: forward"),
            &values(&result["forward"]),
            &f,
            &x,
        ));
        problems.extend(mismatches(
            &format!("{what}: backward (0.5 * g)"),
            &values(&result["backward"]),
            &half_g,
            &x,
        ));
    }
    assert_no_mismatches(problems);
}
