//! What the three Python generators ([`super::pytorch`], [`super::numpy`], [`super::jax`])
//! share: the [`Dialect`] that spells the kernel bodies' neutral `xp.` names for one array
//! library, the support helpers, the kernel definitions, the tensor functions `f` and `g` of
//! each activation, and the layout of the module. Each generator adds only what is its own:
//! the `torch.autograd.Function` and `nn.Module`, NumPy's public functions, or JAX's
//! `jax.custom_vjp` function.
//!
//! Semantics are those of radact's evaluator (`kernel.rs`): every primitive saturates ±inf to
//! ±float32 max (`float(xp.finfo(xp.float32).max)`, the exact float32 maximum, since the
//! decimal `3.4028235e38` rounds above it in float64 and PyTorch's `clamp` rejects it).
//! The kernels compute in float32, radact's dtype; the PyTorch and NumPy wrappers convert
//! other floating input to float32 and the results back, so every dtype gets radact's function.

use super::helper::{needed, Helper};
use super::kernel::{statements_and_value, Kernel, CONSTANTS};
use super::listing::{literal, Expr, Listing, Lowered};
use super::name::Identifiers;
use super::record::{ExportedActivation, RADACT_VERSION};
use std::fmt::Write;

/// How one array library spells the neutral names of the Python kernel bodies.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dialect {
    /// The prefix of a neutral name without a rename: `torch.` makes `xp.exp` `torch.exp`.
    pub prefix: &'static str,
    /// Neutral names spelled otherwise: `("arcsinh", "torch.asinh")`.
    pub renames: &'static [(&'static str, &'static str)],
    /// The library's own support functions (name, source in the neutral dialect); among them
    /// `_pair(a, b)`, which makes a constant operand an array of the other operand's dtype.
    pub functions: &'static [(&'static str, &'static str)],
    /// The float32 maximum, exactly, as an expression that does not change the dtype of a
    /// float32 array it meets (NumPy 1.x promotes a float32 array compared with the Python
    /// float of it to float64, so NumPy uses its float32 scalar).
    pub f32_max: &'static str,
    /// Import lines and the text whose presence in the module requires each, in order.
    pub imports: &'static [(&'static str, &'static str)],
}

impl Dialect {
    /// `text` with every `xp.NAME` spelled for this library.
    pub(crate) fn spell(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find("xp.") {
            let boundary = rest[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'));
            out.push_str(&rest[..i]);
            rest = &rest[i + 3..];
            if !boundary {
                out.push_str("xp.");
                continue;
            }
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let name = &rest[..end];
            match self.renames.iter().find(|(n, _)| *n == name) {
                Some((_, spelled)) => out.push_str(spelled),
                None => {
                    out.push_str(self.prefix);
                    out.push_str(name);
                }
            }
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }

    /// Every helper generated code may use, spelled: constants, then support functions.
    fn helpers(&self) -> Vec<Helper> {
        let max = Helper::new(
            "_F32_MAX",
            format!(
                "# The exact float32 maximum: its shortest decimal rounds above it in float64.\n\
                 _F32_MAX = {}",
                self.f32_max
            ),
        );
        let constants = CONSTANTS.iter().map(|c| {
            Helper::new(
                format!("_{}", c.name),
                format!("_{} = {}", c.name, literal(c.value)),
            )
        });
        let functions = self
            .functions
            .iter()
            .chain(FUNCTIONS)
            .map(|&(name, source)| Helper::new(name, self.spell(source)));
        std::iter::once(max)
            .chain(constants)
            .chain(functions)
            .collect()
    }
}

/// `_pair` for libraries whose `asarray` takes a dtype (NumPy, JAX): generated code's constants
/// are Python floats, and at least one operand of a kernel is an array.
pub(crate) const ARRAY_PAIR: (&str, &str) = (
    "_pair",
    "def _pair(a, b):
    \"\"\"Both operands as arrays: a constant becomes a 0-d array of the other's dtype.\"\"\"
    if isinstance(a, float):
        a = xp.asarray(a, dtype=b.dtype)
    if isinstance(b, float):
        b = xp.asarray(b, dtype=a.dtype)
    return a, b",
);

/// The support functions of generated Python in the neutral dialect, each with its source.
const FUNCTIONS: &[(&str, &str)] = &[
    (
        "_sat",
        "def _sat(y):
    \"\"\"Saturates +-inf to +-float32 max, as radact does after every primitive.\"\"\"
    return xp.clip(y, -_F32_MAX, _F32_MAX)",
    ),
    (
        "_sigmoid_of",
        "def _sigmoid_of(x):
    return 1.0 / (1.0 + xp.exp(-x))",
    ),
    (
        "_softplus_of",
        "def _softplus_of(x):
    \"\"\"ln(1 + e^x), computed stably.\"\"\"
    return xp.clip(x, 0.0, None) + xp.log1p(xp.exp(-xp.abs(x)))",
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
    return x - c * xp.floor(x / c)",
    ),
];

/// A generated Python module: the module docstring's text after the title line, and how each
/// activation is wrapped for the library.
pub struct Target {
    /// The dialect of the library.
    pub dialect: Dialect,
    /// The module docstring after its first line (which lists the activations).
    pub about: &'static str,
    /// What follows an activation's `_{snake}_forward` and `_{snake}_backward` (and, for `k`
    /// trainable constants, `_{snake}_constant_grad_0` .. `k - 1` and the table
    /// `{SNAKE}_CONSTANTS`): the classes or public functions users call. Takes `k`.
    pub wrap: fn(&Identifiers, usize) -> String,
    /// How the module docstring names an activation's entry point (`Swish1702()`), given the
    /// number of trainable constants.
    pub entry: fn(&Identifiers, usize) -> String,
}

/// The name of the table of an activation's trained constants per hidden layer:
/// `SWISH_1702_CONSTANTS`.
pub(crate) fn constants_table(id: &Identifiers) -> String {
    format!("{}_CONSTANTS", id.snake.to_uppercase())
}

/// `_{snake}_constant_grad_0, _{snake}_constant_grad_1, ...,`: the functions of `df/dc_k`, as a
/// Python tuple's items.
pub(crate) fn constant_grad_functions(id: &Identifiers, k: usize) -> String {
    (0..k)
        .map(|i| format!("_{}_constant_grad_{i}, ", id.snake))
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// A Python module for `records` in `target`'s library, sharing the helpers; repeated names are
/// numbered (`Relu`, `Relu2`).
pub fn generate_all(records: &[ExportedActivation], target: &Target) -> String {
    let dialect = &target.dialect;
    let names: Vec<&str> = records.iter().map(ExportedActivation::name).collect();
    let ids = Identifiers::distinct(&names);
    let lowered = Lowered::new(records);
    let mut activations = String::new();
    let listings = lowered.listings.iter().zip(&lowered.constant_grads);
    for ((record, id), ((forward, backward), grads)) in records.iter().zip(&ids).zip(listings) {
        activations.push_str("\n\n");
        let listings = Listings {
            forward,
            backward,
            grads,
        };
        activations.push_str(&functions(record, id, &listings, dialect));
        activations.push_str(&(target.wrap)(id, grads.len()));
    }
    let definitions: Vec<String> = lowered
        .kernels
        .iter()
        .map(|k| kernel_definition(k, dialect))
        .collect();
    let available = dialect.helpers();
    let support = needed(&(definitions.concat() + &activations), &available);
    let (constants, helper_functions): (Vec<&Helper>, Vec<&Helper>) =
        support.iter().partition(|h| !h.source.starts_with("def "));
    let mut code = String::new();
    if !constants.is_empty() {
        code.push('\n');
        for c in constants {
            let _ = writeln!(code, "{}", c.source);
        }
    }
    for item in helper_functions
        .iter()
        .map(|h| h.source.as_str())
        .chain(definitions.iter().map(String::as_str))
    {
        let _ = write!(code, "\n\n{}\n", item.trim_end());
    }
    code.push_str(&activations);
    let entries: Vec<String> = ids
        .iter()
        .zip(&lowered.constant_grads)
        .map(|(i, grads)| format!("``{}``", (target.entry)(i, grads.len())))
        .collect();
    let mut out = format!(
        "\"\"\"Activations exported by radact {RADACT_VERSION}: {}.\n\n{}\"\"\"\n\n",
        entries.join(", "),
        target.about
    );
    for (import, needle) in dialect.imports {
        if code.contains(needle) {
            let _ = writeln!(out, "{import}");
        }
    }
    out.push_str(&code);
    out
}

/// The lowered functions of one activation.
struct Listings<'a> {
    forward: &'a Listing,
    backward: &'a Listing,
    /// `df/dc_k`, one per trainable constant.
    grads: &'a [Listing],
}

/// The comment describing an activation and its array functions, `_{snake}_forward(x)` and
/// `_{snake}_backward(x)`; with trainable constants they take them as `c`
/// (`_{snake}_forward(x, c)`), `_{snake}_constant_grad_{k}(x, c)` computes `df/dc_k`, and
/// `{SNAKE}_CONSTANTS` lists their values per hidden layer.
fn functions(
    record: &ExportedActivation,
    id: &Identifiers,
    listings: &Listings<'_>,
    dialect: &Dialect,
) -> String {
    let snake = &id.snake;
    let Listings {
        forward,
        backward,
        grads,
    } = *listings;
    let args = if grads.is_empty() { "x" } else { "x, c" };
    let mut s = String::new();
    for line in record.describe() {
        s.push_str(&if line.is_empty() {
            "#\n".to_string()
        } else {
            format!("# {line}\n")
        });
    }
    if !grads.is_empty() {
        let layers = record.constant_layers();
        let origin = match record.trained_constants() {
            Some(t) => format!("trained with seed {}", t.seed),
            None => "not trained: the formula's initial values".to_string(),
        };
        let _ = writeln!(
            s,
            "\n\n# The trainable constants c (param(...) in the formula, in order) per hidden layer,\n\
             # {origin}.\n{} = (",
            constants_table(id)
        );
        for (layer, values) in layers.iter().enumerate() {
            let values: Vec<String> = values.iter().map(|&v| number(v)).collect();
            let _ = writeln!(
                s,
                "    ({},),  # hidden layer {}",
                values.join(", "),
                layer + 1
            );
        }
        s.push_str(")\n");
    }
    let _ = writeln!(s, "\n\ndef _{snake}_forward({args}):");
    let _ = writeln!(s, "    \"\"\"f(x) = {}\"\"\"", record.formula());
    s.push_str(&body(forward, dialect));
    let _ = writeln!(s, "\n\ndef _{snake}_backward({args}):");
    let _ = writeln!(s, "    \"\"\"g(x) = {}\n", record.backward_formula());
    let _ = writeln!(
        s,
        "    The backward multiplier (backward mode {}): dL/dx = g(x) * dL/dy.\n    \"\"\"",
        record.activation().backward
    );
    s.push_str(&body(backward, dialect));
    for (k, grad) in grads.iter().enumerate() {
        let _ = writeln!(s, "\n\ndef _{snake}_constant_grad_{k}(x, c):");
        let _ = writeln!(
            s,
            "    \"\"\"df/dc[{k}]: dL/dc[{k}] = sum(df/dc[{k}] * dL/dy).\"\"\""
        );
        s.push_str(&body(grad, dialect));
    }
    s
}

/// The statements of an array function of `x` computing a listing, indented.
fn body(listing: &Listing, dialect: &Dialect) -> String {
    let mut s = String::new();
    for (i, b) in listing.bindings.iter().enumerate() {
        let _ = writeln!(s, "    v{i} = {}", b.render_with("_", &number));
    }
    let result = match listing.result {
        Expr::Input => dialect.spell("xp.copy(x)"),
        Expr::Const(c) => dialect.spell(&format!("xp.full_like(x, {})", number(c))),
        Expr::Param(k) => dialect.spell(&format!("xp.zeros_like(x) + c[{k}]")),
        _ => listing.result.render_with("_", &number),
    };
    let _ = writeln!(s, "    return {result}");
    s
}

/// A constant as Python reads it back to the same float32: ±float32 max by name, since its
/// shortest decimal is above it in float64 and libraries refuse to convert it.
fn number(v: f32) -> String {
    if v == f32::MAX {
        "_F32_MAX".to_string()
    } else if v == -f32::MAX {
        "-_F32_MAX".to_string()
    } else {
        literal(v)
    }
}

/// `def _name(args, params): statements; return _sat(value)`; binary kernels first make both
/// operands arrays.
fn kernel_definition(k: &Kernel, dialect: &Dialect) -> String {
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
        let _ = writeln!(s, "    {}", dialect.spell(st));
    }
    let _ = writeln!(s, "    return _sat({})", dialect.spell(value));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: Dialect = Dialect {
        prefix: "np.",
        renames: &[("erf", "scipy.special.erf")],
        functions: &[],
        f32_max: "",
        imports: &[],
    };

    #[test]
    fn spelling_replaces_only_neutral_names() {
        assert_eq!(
            TEST.spell("xp.where(x > 0, xp.erf(x), jxp.abs(x)) + a.xp.b"),
            "np.where(x > 0, scipy.special.erf(x), jxp.abs(x)) + a.xp.b"
        );
        assert_eq!(
            TEST.spell("xp.finfo(xp.float32).max"),
            "np.finfo(np.float32).max"
        );
        assert_eq!(TEST.spell("no names"), "no names");
    }

    #[test]
    fn the_float32_maximum_is_written_by_name() {
        assert_eq!(number(f32::MAX), "_F32_MAX");
        assert_eq!(number(-f32::MAX), "-_F32_MAX");
        assert_eq!(number(1.5), "1.5");
        let act = crate::activation::Activation::parse("exp(1000) + x", "exact").unwrap();
        let record = ExportedActivation::new("big", act);
        for code in [
            super::super::pytorch::generate(&record),
            super::super::numpy::generate(&record),
            super::super::jax::generate(&record),
        ] {
            assert!(code.contains("_add(_F32_MAX, x)"), "{code}");
            assert!(code.contains("_F32_MAX = "), "{code}");
            assert!(code.contains("finfo("), "{code}");
            assert!(!code.contains(&literal(f32::MAX)), "{code}");
        }
    }

    #[test]
    fn every_kernel_body_uses_only_neutral_names() {
        for op in crate::expr::Op::ALL {
            let body = super::super::kernel::kernel(*op).python;
            for library in ["torch.", "np.", "jnp.", "scipy"] {
                assert!(!body.contains(library), "{}: {body}", op.name());
            }
        }
    }
}
