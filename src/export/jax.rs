//! JAX code generation: a Python module with one `jax.custom_vjp` function per exported
//! activation, whose primal is `f` and whose vector-Jacobian product multiplies the incoming
//! cotangent by radact's backward multiplier `g`, so `jax.grad`, `jax.vjp` and `jax.jit` use
//! radact's backward instead of differentiating `f`.
//!
//! The array operations are the same as the PyTorch export's (`kernel.rs`, `python.rs`), in
//! `jax.numpy` and `jax.scipy.special`: float32 arrays (JAX's default) give radact's values up
//! to rounding in XLA's elementary functions (about 1e-6 relative). Under `jax.jit` XLA fuses
//! `x - c * floor(x / c)` (`mod`, the waves) into a multiply-add, which differs from radact's
//! separately rounded steps where the subtraction cancels: by 3e-6 at |x| = 100, by 1 % at
//! 1e6. `tests/export_codegen.rs` checks this when JAX is installed.
//!
//! ```
//! use radact::activation::Activation;
//! use radact::export::{jax, ExportedActivation};
//! let act = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap();
//! let code = jax::generate(&ExportedActivation::new("step", act));
//! assert!(code.contains("@jax.custom_vjp\ndef step(x):"));
//! assert!(code.contains("step.defvjp("));
//! ```

use super::name::Identifiers;
use super::python::{self, Dialect, Target, ARRAY_PAIR};
use super::record::ExportedActivation;

/// JAX's spelling of the kernels' neutral names.
const DIALECT: Dialect = Dialect {
    prefix: "jnp.",
    renames: &[
        ("erf", "jax.scipy.special.erf"),
        ("erfc", "jax.scipy.special.erfc"),
        ("i0e", "jax.scipy.special.i0e"),
        ("i1e", "jax.scipy.special.i1e"),
    ],
    functions: &[ARRAY_PAIR],
    f32_max: "float(jnp.finfo(jnp.float32).max)",
    imports: &[
        ("import math", "math."),
        ("import jax", ""),
        ("import jax.numpy as jnp", ""),
        ("import jax.scipy.special", "jax.scipy.special."),
    ],
};

const ABOUT: &str =
    "Each is a ``jax.custom_vjp`` function whose value is y = f(x) and whose vector-Jacobian
product returns dL/dx = g(x) * dL/dy with radact's backward multiplier g; ``jax.grad``,
``jax.vjp`` and ``jax.jit`` apply to it as to any JAX function.

Every primitive follows radact's float32 semantics: a result that overflows to +-inf
saturates to +-float32 max, NaN propagates, 1/x is protected as x / (x^2 + 1e-12), ln as
ln(|x| + 1e-6), heaviside(0) = 1, sign(0) = 0 and round takes ties to even.
";

/// The custom-VJP function of one activation with `k` trainable constants.
fn wrap(id: &Identifiers, k: usize) -> String {
    if k > 0 {
        return wrap_with_constants(id, k);
    }
    let snake = &id.snake;
    format!(
        "

@jax.custom_vjp
def {snake}(x):
    \"\"\"y = f(x), elementwise; its VJP uses radact's backward multiplier.\"\"\"
    return _{snake}_forward(x)


def _{snake}_vjp_forward(x):
    return _{snake}_forward(x), x


def _{snake}_vjp_backward(x, cotangent):
    return (cotangent * _{snake}_backward(x),)


{snake}.defvjp(_{snake}_vjp_forward, _{snake}_vjp_backward)
"
    )
}

/// The custom-VJP function of an activation with trainable constants `c` (a float32 array):
/// its VJP returns `dL/dx` and `dL/dc_k = sum(df/dc_k * dL/dy)`.
fn wrap_with_constants(id: &Identifiers, k: usize) -> String {
    let snake = &id.snake;
    let table = python::constants_table(id);
    let grads = python::constant_grad_functions(id, k);
    format!(
        "

@jax.custom_vjp
def {snake}(x, c):
    \"\"\"y = f(x; c), elementwise, with the trainable constants c (a float32 array;
    jnp.asarray({table}[layer]) holds those trained in each hidden layer). Its VJP uses
    radact's backward multiplier for x and df/dc for c.\"\"\"
    return _{snake}_forward(x, c)


def _{snake}_vjp_forward(x, c):
    return _{snake}_forward(x, c), (x, c)


def _{snake}_vjp_backward(residual, cotangent):
    x, c = residual
    grad_c = jnp.stack([jnp.sum(cotangent * d(x, c)) for d in ({grads})])
    return (cotangent * _{snake}_backward(x, c), grad_c.astype(c.dtype))


{snake}.defvjp(_{snake}_vjp_forward, _{snake}_vjp_backward)
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

/// A Python module for several activations, sharing the helpers; repeated names are numbered.
pub fn generate_all(records: &[ExportedActivation]) -> String {
    python::generate_all(records, &TARGET)
}
