//! The C99 bodies of the primitive table against radact's kernels.
//!
//! Every primitive's C body ([`radact::expr::primitive::Code::c`]) is compiled, with the C
//! support helpers and named constants it uses (from [`radact::export::c`], which the network
//! export uses too), into one program with
//! `cc -std=c99 -pedantic -Wall -Wextra -Wdouble-promotion -Werror`. The program evaluates each
//! kernel on a grid of inputs (0, -0, subnormals, ties, jumps, large values, ±f32::MAX, ±inf,
//! NaN; every pair of a smaller grid for binary kernels) with default and other parameters, and
//! prints the bits of each result; they must equal those of [`radact::expr::Op::eval`]
//! bit for bit (NaN equals NaN, whatever its sign and payload, and where a kernel takes a
//! maximum or minimum, 0 equals -0: Rust leaves that sign unspecified, and the evaluator's own
//! choice changes from build to build). The exceptions are the kernels
//! that call the `libm` crate, whose C counterparts are C's libm: `arcsinh`, `erf` and `erfc`
//! within [`LIBM_ULPS`] ulp, and `gelu`, which multiplies an error of `erf` by `x / 2`, within
//! that many ulp of 1 times `|x| / 2`.
//!
//! The n-ary primitives fold a binary kernel and have no body of their own. Skipped, with a
//! message, when there is no `cc`.

use radact::export::c::{kernel_function, literal, support};
use radact::expr::primitive::{Arity, Kernel, CATALOGUE};
use radact::expr::{Op, Primitive};
use std::f32::consts::PI;
use std::fmt::Write;
use std::process::Command;

/// How many ulp C's libm may differ from the `libm` crate in `erf`, `erfc` and `arcsinh`
/// (measured here with glibc: at most 1).
const LIBM_ULPS: u32 = 4;

/// The kernels that call the `libm` crate, directly or (`gelu`) through `erf`.
const LIBM: &[Op] = &[Op::Arcsinh, Op::Erf, Op::Erfc, Op::Gelu];

/// The primitives with a kernel of their own (the n-ary ones fold a binary kernel).
fn own_kernels() -> Vec<&'static Primitive> {
    CATALOGUE
        .iter()
        .filter(|p| matches!(p.kernel, Kernel::Own(_)))
        .collect()
}

/// `values`, their negatives, and NaN.
fn signed(values: &[f32]) -> Vec<f32> {
    let negatives = values.iter().map(|v| -v);
    values
        .iter()
        .copied()
        .chain(negatives)
        .chain([f32::NAN])
        .collect()
}

/// The unary grid.
fn inputs() -> Vec<f32> {
    let mut x = signed(&[
        0.0,
        f32::from_bits(1),
        f32::MIN_POSITIVE,
        1e-30,
        1e-7,
        1e-3,
        0.25,
        0.5,
        0.75,
        0.84375,
        1.0,
        1.25,
        1.5,
        2.0,
        2.5,
        3.0,
        3.75,
        PI,
        2.0 * PI,
        4.0,
        5.5,
        6.0,
        9.0,
        10.0,
        20.0,
        28.0,
        30.0,
        88.0,
        89.0,
        100.0,
        1e3,
        1e6,
        16_777_216.0,
        1e30,
        f32::MAX,
        f32::INFINITY,
    ]);
    x.extend((0..44).map(|i| -8.0 + 0.37 * i as f32));
    x
}

/// The binary grid: each operand runs over these.
fn operands() -> Vec<f32> {
    signed(&[
        0.0,
        f32::from_bits(1),
        1e-7,
        0.5,
        1.0,
        1.5,
        2.0,
        2.5,
        3.0,
        7.3,
        100.0,
        1e30,
        f32::MAX,
        f32::INFINITY,
    ])
}

/// Parameter sets for `p`: its defaults, then others within its bounds.
fn parameter_sets(p: &Primitive) -> Vec<Vec<f32>> {
    let defaults: Vec<f32> = p.params.iter().map(|s| s.default).collect();
    let mut sets = vec![defaults];
    for k in 0..4 {
        let set: Vec<f32> = p
            .params
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let choices: &[f32] = if s.integer {
                    &[2.0, 3.0, 7.0, 65536.0]
                } else {
                    &[0.0, -2.5, 1e-7, 2.0]
                };
                choices[(k + i) % choices.len()]
            })
            .collect();
        if !p.params.is_empty() && p.params.iter().zip(&set).all(|(s, &v)| s.check(v).is_ok()) {
            sets.push(set);
        }
    }
    sets
}

/// One evaluation the program prints: a kernel with parameters over argument lists.
struct Check {
    primitive: &'static Primitive,
    params: Vec<f32>,
    args: Vec<Vec<f32>>,
}

fn checks() -> Vec<Check> {
    let (x, ab) = (inputs(), operands());
    let pairs: Vec<Vec<f32>> = ab
        .iter()
        .flat_map(|&a| ab.iter().map(move |&b| vec![a, b]))
        .collect();
    let mut out = Vec::new();
    for p in own_kernels() {
        for params in parameter_sets(p) {
            let args = match p.arity {
                Arity::Unary => x.iter().map(|&v| vec![v]).collect(),
                _ => pairs.clone(),
            };
            out.push(Check {
                primitive: p,
                params,
                args,
            });
        }
    }
    out
}

/// The C program: the kernels, the support they use, and a `main` that prints, one line per
/// check, the bits of every result in hexadecimal.
fn program(checks: &[Check]) -> String {
    let kernels: Vec<String> = own_kernels()
        .into_iter()
        .map(|p| kernel_function(p.op))
        .collect();
    let kernels = kernels.join("\n");
    let mut main = String::new();
    for c in checks {
        let name = c.primitive.op.code().name;
        let params: String = c
            .params
            .iter()
            .map(|&v| format!(", {}", literal(v)))
            .collect();
        let bits: Vec<String> = c
            .args
            .iter()
            .map(|a| {
                let operands: Vec<String> =
                    a.iter().map(|v| format!("0x{:08x}", v.to_bits())).collect();
                format!("{{{}}}", operands.join(", "))
            })
            .collect();
        let call_args: Vec<String> = (0..c.args[0].len())
            .map(|j| format!("from_bits(in[i][{j}])"))
            .collect();
        let _ = write!(
            main,
            "    {{
        static const uint32_t in[][{width}] = {{{bits}}};
        size_t i;
        for (i = 0; i < sizeof in / sizeof in[0]; i++) {{
            put(radact_{name}({call}{params}));
        }}
        printf(\"\\n\");
    }}
",
            width = c.args[0].len(),
            bits = bits.join(", "),
            call = call_args.join(", "),
        );
    }
    let support = support(&kernels);
    format!(
        "#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

{support}

{kernels}
static float from_bits(uint32_t b) {{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}}

static void put(float y) {{
    uint32_t b;
    memcpy(&b, &y, sizeof b);
    printf(\" %08lx\", (unsigned long)b);
}}

int main(void) {{
{main}    return 0;
}}
"
    )
}

/// Distance in ulp between two non-NaN floats (`-0` and `0` are 0 apart).
fn ulps(a: f32, b: f32) -> u32 {
    let ordered = |v: f32| {
        let bits = v.to_bits();
        if bits >> 31 == 1 {
            0x8000_0000 - (bits & 0x7fff_ffff) as i64
        } else {
            0x8000_0000 + bits as i64
        }
    };
    (ordered(a) - ordered(b)).unsigned_abs() as u32
}

/// Why `got` (from C) is not what radact computes (`want`) for `op` at `args`, if it is not.
fn mismatch(op: Op, args: &[f32], got: f32, want: f32) -> Option<String> {
    if got.is_nan() && want.is_nan() || got.to_bits() == want.to_bits() {
        return None;
    }
    // Rust's `f32::max`/`min` leave the sign of a zero result unspecified when both operands
    // are zeros (LLVM's `maxnum`/`minnum`), and so do C's `fmaxf`/`fminf`: the evaluator itself
    // may return either, depending on how the compiler arranged the operands.
    let c = op.code().c;
    if got == 0.0 && want == 0.0 && (c.contains("fmaxf") || c.contains("fminf")) {
        return None;
    }
    if LIBM.contains(&op) && !got.is_nan() && !want.is_nan() {
        let d = ulps(got, want);
        if d <= LIBM_ULPS {
            return None;
        }
        // gelu(x) = x/2 (1 + erf(x / sqrt 2)): an error of erf near -1 or 1 is a few ulp of
        // 1, multiplied by |x| / 2.
        let slack = LIBM_ULPS as f32 * f32::EPSILON * 0.5 * args[0].abs();
        if op == Op::Gelu && (got - want).abs() <= slack {
            return None;
        }
    }
    Some(format!(
        "{}{args:?}: C {got:e} ({:08x}), radact {want:e} ({:08x})",
        op.name(),
        got.to_bits(),
        want.to_bits()
    ))
}

#[test]
fn c_bodies_compile_and_compute_what_the_kernels_compute() {
    if Command::new("cc").arg("--version").output().is_err() {
        println!("skipped: no `cc` on PATH to compile the C99 bodies with");
        return;
    }
    let checks = checks();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("kernels.c");
    let binary = dir.path().join("kernels");
    std::fs::write(&source, program(&checks)).unwrap();
    let compiled = Command::new("cc")
        .args([
            "-std=c99",
            "-pedantic",
            "-Wall",
            "-Wextra",
            "-Wdouble-promotion",
        ])
        .args(["-Werror", "-O2", "-o"])
        .arg(&binary)
        .arg(&source)
        .arg("-lm")
        .output()
        .unwrap();
    assert!(
        compiled.status.success(),
        "cc rejects the C bodies:\n{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    let run = Command::new(&binary).output().unwrap();
    assert!(run.status.success(), "the C program failed");
    let stdout = String::from_utf8(run.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), checks.len());
    let mut problems = Vec::new();
    let mut worst_libm_ulps = 0;
    for (check, line) in checks.iter().zip(lines) {
        let got: Vec<f32> = line
            .split_whitespace()
            .map(|h| f32::from_bits(u32::from_str_radix(h, 16).unwrap()))
            .collect();
        assert_eq!(got.len(), check.args.len(), "{}", check.primitive.name);
        let op = check.primitive.op;
        let mut params = [0.0; 2];
        params[..check.params.len()].copy_from_slice(&check.params);
        for (args, &g) in check.args.iter().zip(&got) {
            let want = op.eval(&params, args);
            if LIBM.contains(&op) && op != Op::Gelu && !g.is_nan() && !want.is_nan() {
                worst_libm_ulps = worst_libm_ulps.max(ulps(g, want));
            }
            if let Some(m) = mismatch(op, args, g, want) {
                problems.push(format!("{m} (params {:?})", check.params));
            }
        }
    }
    let total: usize = checks.iter().map(|c| c.args.len()).sum();
    println!(
        "{total} results of {} kernels; arcsinh, erf, erfc at most {worst_libm_ulps} ulp from \
         the libm crate",
        own_kernels().len()
    );
    assert!(
        problems.is_empty(),
        "{} of {total} results differ:\n{}",
        problems.len(),
        problems[..problems.len().min(40)].join("\n")
    );
}
