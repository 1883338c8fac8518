//! NumPy code generation: a Python module with two vectorised functions per exported
//! activation, `name(x)` for `f` and `name_backward(x)` for radact's backward multiplier `g`,
//! for use in NumPy code, hand-written backward passes, or plots.
//!
//! The array operations are the same as the PyTorch export's (`kernel.rs`, `python.rs`), in
//! float32: the results are radact's up to rounding in NumPy's elementary functions. Input of
//! any other kind (float64 or float16 arrays, integers, lists, Python numbers) is computed in
//! float32; the result is float64 for float64 input (Python floats and lists of them read as
//! float64, as NumPy reads them) and float32 otherwise. Floating-point warnings (overflow to the saturated value, NaN inputs) are
//! silenced, since the results are defined. `erf`, `erfc`, `gelu` and the Bessel primitives
//! need SciPy (`scipy.special`); other activations need only NumPy.
//!
//! ```
//! use radact::activation::Activation;
//! use radact::export::{numpy, ExportedActivation};
//! let act = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap();
//! let code = numpy::generate(&ExportedActivation::new("step", act));
//! assert!(code.contains("def step(x):"));
//! assert!(code.contains("def step_backward(x):"));
//! ```

use super::name::Identifiers;
use super::python::{self, Dialect, Target, ARRAY_PAIR};
use super::record::ExportedActivation;

/// NumPy's spelling of the kernels' neutral names.
const DIALECT: Dialect = Dialect {
    prefix: "np.",
    renames: &[
        ("erf", "scipy.special.erf"),
        ("erfc", "scipy.special.erfc"),
        ("i0e", "scipy.special.i0e"),
        ("i1e", "scipy.special.i1e"),
    ],
    functions: &[
        ARRAY_PAIR,
        (
            "_as_float32",
            "def _as_float32(x):
    \"\"\"x as a float32 array of at least one dimension (NumPy 1.x computes scalars in
    float64), its shape, and the dtype of the result: float64 for float64 input.\"\"\"
    x = xp.asarray(x)
    dtype = xp.float64 if x.dtype == xp.float64 else xp.float32
    return xp.atleast_1d(x.astype(xp.float32)), x.shape, dtype",
        ),
    ],
    f32_max: "np.finfo(np.float32).max",
    imports: &[
        ("import math", "math."),
        ("import numpy as np", ""),
        ("import scipy.special", "scipy.special."),
    ],
};

const ABOUT: &str =
    "Each activation ``name`` has two vectorised functions: ``name(x)`` computes y = f(x) and
``name_backward(x)`` radact's backward multiplier g(x), with dL/dx = g(x) * dL/dy.

Every primitive follows radact's float32 semantics: a result that overflows to +-inf
saturates to +-float32 max, NaN propagates, 1/x is protected as x / (x^2 + 1e-12), ln as
ln(|x| + 1e-6), heaviside(0) = 1, sign(0) = 0 and round takes ties to even. Every input is
computed in float32; float64 input gets a float64 result, anything else a float32 one.
";

/// The public functions of one activation with `k` trainable constants.
fn wrap(id: &Identifiers, k: usize) -> String {
    if k > 0 {
        return wrap_with_constants(id, k);
    }
    let snake = &id.snake;
    format!(
        "

def {snake}(x):
    \"\"\"y = f(x), elementwise.\"\"\"
    x, shape, dtype = _as_float32(x)
    with np.errstate(all=\"ignore\"):
        return _{snake}_forward(x).reshape(shape).astype(dtype, copy=False)


def {snake}_backward(x):
    \"\"\"The backward multiplier g(x), elementwise: dL/dx = g(x) * dL/dy.\"\"\"
    x, shape, dtype = _as_float32(x)
    with np.errstate(all=\"ignore\"):
        return _{snake}_backward(x).reshape(shape).astype(dtype, copy=False)
"
    )
}

/// The public functions of an activation with trainable constants: each takes them as `c`,
/// by default the values trained in the first hidden layer, and `{snake}_constant_grads` gives
/// `df/dc_k` for each.
fn wrap_with_constants(id: &Identifiers, k: usize) -> String {
    let snake = &id.snake;
    let table = python::constants_table(id);
    let grads = python::constant_grad_functions(id, k);
    format!(
        "

def {snake}(x, c={table}[0]):
    \"\"\"y = f(x; c), elementwise, with the trainable constants c (by default those trained in
    the first hidden layer; {table}[layer] holds each layer's).\"\"\"
    x, shape, dtype = _as_float32(x)
    c = np.asarray(c, dtype=np.float32)
    with np.errstate(all=\"ignore\"):
        return _{snake}_forward(x, c).reshape(shape).astype(dtype, copy=False)


def {snake}_backward(x, c={table}[0]):
    \"\"\"The backward multiplier g(x; c), elementwise: dL/dx = g(x; c) * dL/dy.\"\"\"
    x, shape, dtype = _as_float32(x)
    c = np.asarray(c, dtype=np.float32)
    with np.errstate(all=\"ignore\"):
        return _{snake}_backward(x, c).reshape(shape).astype(dtype, copy=False)


def {snake}_constant_grads(x, c={table}[0]):
    \"\"\"df/dc[k] for each trainable constant, elementwise, as a tuple of arrays:
    dL/dc[k] = sum(df/dc[k] * dL/dy).\"\"\"
    x, shape, dtype = _as_float32(x)
    c = np.asarray(c, dtype=np.float32)
    with np.errstate(all=\"ignore\"):
        return tuple(
            d(x, c).reshape(shape).astype(dtype, copy=False) for d in ({grads})
        )
"
    )
}

fn entry(id: &Identifiers, k: usize) -> String {
    if k > 0 {
        format!("{}(x, c)", id.snake)
    } else {
        format!("{}(x)", id.snake)
    }
}

const TARGET: Target = Target {
    dialect: DIALECT,
    about: ABOUT,
    wrap,
    entry,
};

/// A Python module for one activation.
pub fn generate(record: &ExportedActivation) -> String {
    generate_all(std::slice::from_ref(record))
}

/// A Python module for several activations, sharing the helpers; repeated names are numbered
/// (`relu`, `relu_2`).
pub fn generate_all(records: &[ExportedActivation]) -> String {
    python::generate_all(records, &TARGET)
}
