//! PyTorch code generation: a Python module with a `torch.autograd.Function` and a
//! `torch.nn.Module` per exported activation, whose forward is `f` and whose backward multiplies
//! the incoming gradient by radact's multiplier `g`.
//!
//! For an activation named `swish_1702` the module has `_swish_1702_forward(x)` and
//! `_swish_1702_backward(x)` (tensor functions), `Swish1702Function` (saves the input in
//! `forward`, returns `grad_output * g(x)` in `backward`) and `Swish1702` (the layer), plus
//! `_`-prefixed helpers for the primitives used and nothing else. The tensor operations follow
//! radact's evaluator primitive by primitive (`kernel.rs`): for `float32` tensors the
//! results agree with [`crate::expr::Program`] up to rounding in PyTorch's elementary functions.
//! The code needs PyTorch 2.0 or later (for `torch.where` with a scalar operand).
//!
//! ```
//! use radact::activation::Activation;
//! use radact::export::{pytorch, ExportedActivation};
//! let act = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap();
//! let code = pytorch::generate(&ExportedActivation::new("step", act));
//! assert!(code.contains("class StepFunction(torch.autograd.Function):"));
//! assert!(code.contains("class Step(torch.nn.Module):"));
//! ```

use super::helper::{needed, Helper};
use super::kernel::{statements_and_value, Kernel, CONSTANTS};
use super::listing::{literal, Expr, Listing, Lowered};
use super::name::Identifiers;
use super::record::{ExportedActivation, RADACT_VERSION};
use std::fmt::Write;

/// The support functions of generated Python, each with its source.
const FUNCTIONS: &[(&str, &str)] = &[
    (
        "_sat",
        "def _sat(y):
    \"\"\"Saturates +-inf to +-float32 max, as radact does after every primitive.\"\"\"
    return torch.clamp(y, -_F32_MAX, _F32_MAX)",
    ),
    (
        "_pair",
        "def _pair(a, b):
    \"\"\"Both operands as tensors: a constant becomes a 0-d tensor like the other.\"\"\"
    if not isinstance(a, torch.Tensor):
        a = torch.as_tensor(a, dtype=b.dtype, device=b.device)
    if not isinstance(b, torch.Tensor):
        b = torch.as_tensor(b, dtype=a.dtype, device=a.device)
    return a, b",
    ),
    (
        "_sigmoid_of",
        "def _sigmoid_of(x):
    return 1.0 / (1.0 + torch.exp(-x))",
    ),
    (
        "_softplus_of",
        "def _softplus_of(x):
    \"\"\"ln(1 + e^x), computed stably.\"\"\"
    return torch.clamp(x, min=0.0) + torch.log1p(torch.exp(-torch.abs(x)))",
    ),
    (
        "_reciprocal_of",
        "def _reciprocal_of(x):
    \"\"\"Protected 1/x: x / (x^2 + _RECIPROCAL_EPS), 0 at 0.\"\"\"
    return x / (x * x + _RECIPROCAL_EPS)",
    ),
    (
        "_floored_mod",
        "def _floored_mod(x, c):
    \"\"\"Floored modulus x - c floor(x / c), with |c| at least _MOD_EPS.\"\"\"
    if abs(c) < _MOD_EPS:
        c = math.copysign(_MOD_EPS, c)
    return x - c * torch.floor(x / c)",
    ),
];

/// Every helper generated Python may use: constants, then support functions.
fn helpers() -> Vec<Helper> {
    let max = Helper::new("_F32_MAX", format!("_F32_MAX = {}", literal(f32::MAX)));
    let constants = CONSTANTS.iter().map(|c| {
        Helper::new(
            format!("_{}", c.name),
            format!("_{} = {}", c.name, literal(c.value)),
        )
    });
    let functions = FUNCTIONS
        .iter()
        .map(|&(name, source)| Helper::new(name, source));
    std::iter::once(max)
        .chain(constants)
        .chain(functions)
        .collect()
}

/// A Python module for one activation.
pub fn generate(record: &ExportedActivation) -> String {
    generate_all(std::slice::from_ref(record))
}

/// A Python module for several activations, sharing the helpers; repeated names are numbered
/// (`Relu`, `Relu2`).
pub fn generate_all(records: &[ExportedActivation]) -> String {
    let names: Vec<&str> = records.iter().map(ExportedActivation::name).collect();
    let ids = Identifiers::distinct(&names);
    let lowered = Lowered::new(records);
    let mut activations = String::new();
    for ((record, id), (forward, backward)) in records.iter().zip(&ids).zip(&lowered.listings) {
        activations.push_str("\n\n");
        activations.push_str(&activation(record, id, forward, backward));
    }
    let definitions: Vec<String> = lowered.kernels.iter().map(kernel_definition).collect();
    let available = helpers();
    let support = needed(&definitions.concat(), &available);
    let mut out = module_docstring(&ids);
    if support.iter().any(|h| h.source.contains("math.")) {
        out.push_str("import math\n\n");
    }
    out.push_str("import torch\n");
    let (constants, functions): (Vec<&Helper>, Vec<&Helper>) =
        support.iter().partition(|h| !h.source.starts_with("def "));
    if !constants.is_empty() {
        out.push('\n');
        for c in constants {
            let _ = writeln!(out, "{}", c.source);
        }
    }
    for item in functions
        .iter()
        .map(|h| h.source.as_str())
        .chain(definitions.iter().map(String::as_str))
    {
        let _ = write!(out, "\n\n{}\n", item.trim_end());
    }
    out.push_str(&activations);
    out
}

fn module_docstring(ids: &[Identifiers]) -> String {
    let classes: Vec<String> = ids.iter().map(|i| format!("``{}()``", i.camel)).collect();
    format!(
        "\"\"\"Activations exported by radact {RADACT_VERSION}: {}.

Each is a ``torch.nn.Module`` (and a ``torch.autograd.Function`` of the same name with the
suffix ``Function``) whose forward is y = f(x) and whose backward returns
dL/dx = g(x) * dL/dy with radact's backward multiplier g.

Every primitive follows radact's float32 semantics: a result that overflows to +-inf
saturates to +-float32 max, NaN propagates, 1/x is protected as x / (x^2 + 1e-12), ln as
ln(|x| + 1e-6), heaviside(0) = 1, sign(0) = 0 and round takes ties to even. Requires
PyTorch 2.0 or later.
\"\"\"

",
        classes.join(", ")
    )
}

/// The tensor functions and the two classes of one activation.
fn activation(
    record: &ExportedActivation,
    id: &Identifiers,
    forward: &Listing,
    backward: &Listing,
) -> String {
    let (snake, camel) = (&id.snake, &id.camel);
    let mut s = String::new();
    for line in record.describe() {
        s.push_str(&if line.is_empty() {
            "#\n".to_string()
        } else {
            format!("# {line}\n")
        });
    }
    let _ = writeln!(s, "\n\ndef _{snake}_forward(x):");
    let _ = writeln!(s, "    \"\"\"f(x) = {}\"\"\"", record.formula());
    s.push_str(&body(forward));
    let _ = writeln!(s, "\n\ndef _{snake}_backward(x):");
    let _ = writeln!(s, "    \"\"\"g(x) = {}\n", record.backward_formula());
    let _ = writeln!(
        s,
        "    The backward multiplier (backward mode {}): dL/dx = g(x) * dL/dy.\n    \"\"\"",
        record.activation().backward
    );
    s.push_str(&body(backward));
    let _ = write!(
        s,
        "

class {camel}Function(torch.autograd.Function):
    \"\"\"y = f(x) in the forward pass, dL/dx = g(x) * dL/dy in the backward pass.\"\"\"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _{snake}_forward(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * _{snake}_backward(x)


class {camel}(torch.nn.Module):
    \"\"\"The activation as a layer: applies {camel}Function elementwise.\"\"\"

    def forward(self, x):
        return {camel}Function.apply(x)
"
    );
    s
}

/// The statements of a tensor function of `x` computing a listing, indented.
fn body(listing: &Listing) -> String {
    let mut s = String::new();
    for (i, b) in listing.bindings.iter().enumerate() {
        let _ = writeln!(s, "    v{i} = {}", b.render("_"));
    }
    let result = match listing.result {
        Expr::Input => "x.clone()".to_string(),
        Expr::Const(c) => format!("torch.full_like(x, {})", literal(c)),
        _ => listing.result.render("_"),
    };
    let _ = writeln!(s, "    return {result}");
    s
}

/// `def _name(args, params): statements; return _sat(value)`; binary kernels first make both
/// operands tensors.
fn kernel_definition(k: &Kernel) -> String {
    let prim = k.op.primitive();
    let (statements, value) = statements_and_value(k.python);
    let mut s = format!(
        "def _{}({}):\n    \"\"\"{}: {}\"\"\"\n",
        k.name,
        k.signature().join(", "),
        prim.name,
        prim.formula
    );
    if k.is_binary() {
        s.push_str("    a, b = _pair(a, b)\n");
    }
    for st in statements {
        let _ = writeln!(s, "    {st}");
    }
    let _ = writeln!(s, "    return _sat({value})");
    s
}
