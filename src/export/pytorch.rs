//! PyTorch code generation: a Python module with a `torch.autograd.Function` and a
//! `torch.nn.Module` per exported activation, whose forward is `f` and whose backward multiplies
//! the incoming gradient by radact's multiplier `g`.
//!
//! For an activation named `swish_1702` the module has `_swish_1702_forward(x)` and
//! `_swish_1702_backward(x)` (tensor functions), `Swish1702Function` (saves the input in
//! `forward`, returns `grad_output * g(x)` in `backward`) and `Swish1702` (the layer), plus
//! `_`-prefixed helpers for the primitives used and nothing else. The tensor operations follow
//! radact's evaluator primitive by primitive (`kernel.rs`, `python.rs`) in `float32`: the
//! results agree with [`crate::expr::Program`] up to rounding in PyTorch's elementary
//! functions. Tensors of another floating dtype (`float64`, `float16`) are computed in
//! `float32` and the results returned in their dtype, so every dtype gets radact's function
//! (computing `f` in `float64` would differ from radact at jumps, where a constant such as 0.7
//! is not the same number in the two dtypes). The code runs on PyTorch 1.13 and
//! 2.x (static `forward`/`backward` with `ctx.save_for_backward`), inside `nn.Sequential` and
//! under `torch.jit.trace`; `tests/export_codegen.rs` runs it in real PyTorch (on the CPU).
//!
//! An activation with trainable constants (`param(c)`) becomes a layer holding them as a
//! `torch.nn.Parameter`, `Name(layer)` initialised to the values trained in that hidden layer
//! (`NAME_CONSTANTS[layer]`, from the record's trained constants); its autograd function also
//! returns their gradient, so training in PyTorch goes on updating them.
//!
//! ```
//! use radact::activation::Activation;
//! use radact::export::{pytorch, ExportedActivation};
//! let act = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap();
//! let code = pytorch::generate(&ExportedActivation::new("step", act));
//! assert!(code.contains("class StepFunction(torch.autograd.Function):"));
//! assert!(code.contains("class Step(torch.nn.Module):"));
//! assert!(code.ends_with("ACTIVATIONS = (Step,)\n"));
//! ```

use super::name::Identifiers;
use super::python::{self, Dialect, Target};
use super::record::ExportedActivation;

/// PyTorch's spelling of the kernels' neutral names.
const DIALECT: Dialect = Dialect {
    prefix: "torch.",
    renames: &[
        ("clip", "torch.clamp"),
        ("arcsinh", "torch.asinh"),
        ("arctan", "torch.atan"),
        ("power", "torch.pow"),
        ("copy", "torch.clone"),
        ("erf", "torch.special.erf"),
        ("erfc", "torch.special.erfc"),
        ("i0e", "torch.special.i0e"),
        ("i1e", "torch.special.i1e"),
    ],
    functions: &[(
        "_pair",
        "def _pair(a, b):
    \"\"\"Both operands as tensors: a constant becomes a 0-d tensor like the other.\"\"\"
    if not isinstance(a, torch.Tensor):
        a = torch.as_tensor(a, dtype=b.dtype, device=b.device)
    if not isinstance(b, torch.Tensor):
        b = torch.as_tensor(b, dtype=a.dtype, device=a.device)
    return a, b",
    )],
    f32_max: "float(torch.finfo(torch.float32).max)",
    imports: &[("import math", "math."), ("import torch", "")],
};

const ABOUT: &str =
    "Each is a ``torch.nn.Module`` (and a ``torch.autograd.Function`` of the same name with the
suffix ``Function``) whose forward is y = f(x) and whose backward returns
dL/dx = g(x) * dL/dy with radact's backward multiplier g.

Every primitive follows radact's float32 semantics: a result that overflows to +-inf
saturates to +-float32 max, NaN propagates, 1/x is protected as x / (x^2 + 1e-12), ln as
ln(|x| + 1e-6), heaviside(0) = 1, sign(0) = 0 and round takes ties to even. Tensors of
another floating dtype are computed in float32 and returned in their dtype. Runs on
PyTorch 1.13 and 2.x.
";

/// The autograd function and the layer of one activation with `k` trainable constants.
fn wrap(id: &Identifiers, k: usize) -> String {
    if k > 0 {
        return wrap_with_constants(id, k);
    }
    let (snake, camel) = (&id.snake, &id.camel);
    format!(
        "

class {camel}Function(torch.autograd.Function):
    \"\"\"y = f(x) in the forward pass, dL/dx = g(x) * dL/dy in the backward pass.\"\"\"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _{snake}_forward(x.float()).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * _{snake}_backward(x.float()).to(grad_output.dtype)


class {camel}(torch.nn.Module):
    \"\"\"The activation as a layer: applies {camel}Function elementwise.\"\"\"

    def forward(self, x):
        return {camel}Function.apply(x)
"
    )
}

/// The autograd function and the layer of an activation with trainable constants: the layer
/// holds them as a `torch.nn.Parameter`, initialised to one hidden layer's trained values, and
/// the function's backward returns their gradient `sum(dL/dy * df/dc_k)` too.
fn wrap_with_constants(id: &Identifiers, k: usize) -> String {
    let (snake, camel) = (&id.snake, &id.camel);
    let table = python::constants_table(id);
    let grads = python::constant_grad_functions(id, k);
    format!(
        "

class {camel}Function(torch.autograd.Function):
    \"\"\"y = f(x; c) in the forward pass; in the backward pass dL/dx = g(x; c) * dL/dy and
    dL/dc[k] = sum(df/dc[k] * dL/dy) for the trainable constants c.\"\"\"

    @staticmethod
    def forward(ctx, x, c):
        ctx.save_for_backward(x, c)
        return _{snake}_forward(x.float(), c.float()).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, c = ctx.saved_tensors
        xf, cf, gf = x.float(), c.float(), grad_output.float()
        grad_x = grad_output * _{snake}_backward(xf, cf).to(grad_output.dtype)
        grad_c = torch.stack([(gf * d(xf, cf)).sum() for d in ({grads})])
        return grad_x, grad_c.to(c.dtype)


class {camel}(torch.nn.Module):
    \"\"\"The activation as a layer with its trainable constants as a parameter, ``constants``,
    initialised to the values trained in hidden layer ``layer + 1`` ({table}[layer]);
    training goes on updating them.\"\"\"

    def __init__(self, layer=0):
        super().__init__()
        values = torch.tensor({table}[layer], dtype=torch.float32)
        self.constants = torch.nn.Parameter(values)

    def forward(self, x):
        return {camel}Function.apply(x, self.constants)
"
    )
}

fn entry(id: &Identifiers, k: usize) -> String {
    if k > 0 {
        format!("{}(layer)", id.camel)
    } else {
        format!("{}()", id.camel)
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
/// (`Relu`, `Relu2`).
///
/// The module ends with `ACTIVATIONS`, the layer classes in the order of `records`, so a script
/// can take the first one without knowing its name: `from best import ACTIVATIONS`.
pub fn generate_all(records: &[ExportedActivation]) -> String {
    let names: Vec<&str> = records.iter().map(ExportedActivation::name).collect();
    let classes: Vec<String> = Identifiers::distinct(&names)
        .into_iter()
        .map(|i| format!("{},", i.camel))
        .collect();
    format!(
        "{}\n\n# The layers of this module, in export order.\nACTIVATIONS = ({})\n",
        python::generate_all(records, &TARGET),
        classes.join(" ")
    )
}
