//! The pre-filter: cheap checks of a compiled candidate before any training. The forward
//! function `f` and the backward multiplier `g` are evaluated once on the fingerprint's probe
//! points (`probe_points`: 1000 samples of N(0, 1), which span [-3.41, 3.50], the range of
//! typical pre-activations), and a candidate is rejected when training it would be wasted: a
//! non-finite or huge output, a constant function, or a backward multiplier that is zero
//! everywhere.
//!
//! ```
//! use radact::activation::Activation;
//! use radact::search::prefilter::{prefilter, Rejection};
//! let relu = Activation::parse("relu(x)", "exact").unwrap();
//! assert_eq!(prefilter(&relu.compile()), Ok(()));
//! let step = Activation::parse("heaviside(x)", "exact").unwrap();
//! assert_eq!(prefilter(&step.compile()), Err(Rejection::ZeroBackward));
//! ```

use crate::activation::CompiledActivation;
use crate::expr::fingerprint::probe_points;
use serde::{Deserialize, Serialize};

/// Largest magnitude `f` or `g` may reach on the probe points. The steepest useful activations
/// stay far below (`x^3` reaches 43 there, `exp(x)` 33, `cosh(x)` 17); a function above it feeds
/// the next layer values that make its gradients explode in f32 within a few steps
/// (`exp(exp(x))` reaches 2.6e14, `x^3` composed with itself 8e4).
pub(crate) const BLOW_UP: f32 = 1e4;

/// Largest spread (max - min, relative to the largest magnitude when that is above 1) of a
/// function that counts as constant: rounding errors of an identity such as
/// `sin(x)^2 + cos(x)^2` stay below it.
pub(crate) const CONSTANT_SPREAD: f32 = 1e-5;

/// Largest magnitude of a backward multiplier that counts as zero.
pub(crate) const ZERO_BACKWARD: f32 = 1e-7;

/// Why a candidate is not trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// `f` is NaN at a probe point.
    #[error("the output is not a number (NaN) at x = {x}")]
    NonFinite {
        /// The first probe point where it is.
        x: f32,
    },
    /// `|f|` exceeds `BLOW_UP`.
    #[error("the output blows up: |f(x)| = {y:e} at x = {x} exceeds {BLOW_UP:e}")]
    BlowUp {
        /// The probe point of the largest magnitude.
        x: f32,
        /// The output there.
        y: f32,
    },
    /// `f` is constant on the probe points.
    #[error(
        "the function is constant (f(x) = {y}) on {}: it passes no information on",
        probe_range()
    )]
    Constant {
        /// The value.
        y: f32,
    },
    /// `g` is NaN at a probe point.
    #[error("the backward multiplier is not a number (NaN) at x = {x}")]
    BackwardNonFinite {
        /// The first probe point where it is.
        x: f32,
    },
    /// `|g|` exceeds `BLOW_UP`.
    #[error("the backward multiplier blows up: |g(x)| = {g:e} at x = {x} exceeds {BLOW_UP:e}")]
    BackwardBlowUp {
        /// The probe point of the largest magnitude.
        x: f32,
        /// The multiplier there.
        g: f32,
    },
    /// `|g|` is below `ZERO_BACKWARD` at every probe point.
    #[error(
        "the backward multiplier is zero everywhere on {}: no gradient reaches the layers below",
        probe_range()
    )]
    ZeroBackward,
}

/// Checks a compiled candidate; `Ok(())` when it may be trained. The forward function is checked
/// first (not a number, blow-up, constant), then the backward multiplier (not a number,
/// blow-up, zero), and the first failure is returned.
pub fn prefilter(compiled: &CompiledActivation) -> Result<(), Rejection> {
    let x = probe_points();
    let (mut y, mut g) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    compiled.joint.eval_many(x, &mut [&mut y, &mut g]);
    if let Some(i) = y.iter().position(|v| v.is_nan()) {
        return Err(Rejection::NonFinite { x: x[i] });
    }
    if let Some(i) = beyond(&y, BLOW_UP) {
        return Err(Rejection::BlowUp { x: x[i], y: y[i] });
    }
    if is_constant(&y) {
        return Err(Rejection::Constant { y: y[0] });
    }
    if let Some(i) = g.iter().position(|v| v.is_nan()) {
        return Err(Rejection::BackwardNonFinite { x: x[i] });
    }
    if let Some(i) = beyond(&g, BLOW_UP) {
        return Err(Rejection::BackwardBlowUp { x: x[i], g: g[i] });
    }
    if g.iter().all(|v| v.abs() < ZERO_BACKWARD) {
        return Err(Rejection::ZeroBackward);
    }
    Ok(())
}

/// The span of the probe points, as written in messages: `[-3.41, 3.50]`.
fn probe_range() -> String {
    let x = probe_points();
    format!("[{:.2}, {:.2}]", x[0], x[x.len() - 1])
}

/// The index of the largest magnitude in `values` when it exceeds `limit`.
fn beyond(values: &[f32], limit: f32) -> Option<usize> {
    let (i, v) = values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))?;
    (v.abs() > limit).then_some(i)
}

/// Whether the values spread by at most [`CONSTANT_SPREAD`] (relative above magnitude 1).
fn is_constant(values: &[f32]) -> bool {
    let (lo, hi) = values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let scale = lo.abs().max(hi.abs()).max(1.0);
    hi - lo <= CONSTANT_SPREAD * scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;

    fn check(forward: &str, backward: &str) -> Result<(), Rejection> {
        prefilter(&Activation::parse(forward, backward).unwrap().compile())
    }

    #[test]
    fn good_activations_pass() {
        for (f, b) in [
            ("relu(x)", "exact"),
            ("swish(x)", "exact"),
            ("gelu(x)", "exact"),
            ("tanh(x)", "exact"),
            ("heaviside(x)", "rect(-0.5, 0.5)"),
            ("heaviside(x)", "surrogate"),
            ("sign(x)", "ste"),
            ("quantize(x, 5) + 0.1 * x", "surrogate"),
            ("x^3", "exact"),
            ("exp(x)", "exact"),
        ] {
            assert_eq!(check(f, b), Ok(()), "{f} with {b}");
        }
    }

    #[test]
    fn nan_outputs_are_rejected() {
        // Both sides saturate to f32::MAX beyond |x| = 3; the weighted difference is inf - inf.
        let nan = "lerp(exp(x^4), cosh(x^4), 1000000)";
        let Err(Rejection::NonFinite { x }) = check(nan, "exact") else {
            panic!("{:?}", check(nan, "exact"));
        };
        assert!(x.abs() > 2.9, "{x}");
        let e = check("tanh(x)", &format!("expr({nan})")).unwrap_err();
        assert!(matches!(e, Rejection::BackwardNonFinite { .. }), "{e:?}");
        assert!(
            e.to_string()
                .contains("backward multiplier is not a number"),
            "{e}"
        );
    }

    #[test]
    fn blow_ups_are_rejected() {
        let e = check("exp(exp(x))", "exact").unwrap_err();
        let Rejection::BlowUp { x, y } = e else {
            panic!("{e:?}")
        };
        assert!(x > 3.4 && y > 1e14, "{x} {y}");
        assert_eq!(
            e.to_string(),
            format!("the output blows up: |f(x)| = {y:e} at x = {x} exceeds 1e4")
        );
        // Bounded output, exploding derivative.
        let e = check("sin(exp(exp(x)))", "exact").unwrap_err();
        assert!(matches!(e, Rejection::BackwardBlowUp { .. }), "{e:?}");
        // Below the threshold: 200 x^3 reaches 8600.
        assert_eq!(check("200 * x^3", "ste"), Ok(()));
        assert!(matches!(
            check("300 * x^3", "ste"),
            Err(Rejection::BlowUp { .. })
        ));
    }

    #[test]
    fn constant_functions_are_rejected() {
        for f in [
            "heaviside(abs(x))",
            "sin(x)^2 + cos(x)^2",
            "sign(exp(x)) * 3",
        ] {
            let e = check(f, "surrogate").unwrap_err();
            assert!(matches!(e, Rejection::Constant { .. }), "{f}: {e:?}");
            assert!(e.to_string().starts_with("the function is constant"), "{e}");
        }
    }

    #[test]
    fn zero_backward_is_rejected() {
        for (f, b) in [
            ("heaviside(x)", "exact"),
            ("round(4 * x) / 4", "exact"),
            ("tanh(x)", "expr(0 * x)"),
            ("quantize(x, 8)", "exact"),
        ] {
            assert_eq!(check(f, b), Err(Rejection::ZeroBackward), "{f} with {b}");
        }
        assert_eq!(
            Rejection::ZeroBackward.to_string(),
            "the backward multiplier is zero everywhere on [-3.41, 3.50]: no gradient reaches \
             the layers below"
        );
    }

    #[test]
    fn rejections_serialise() {
        let r = Rejection::BlowUp { x: 5.0, y: 1e6 };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"blow_up":{"x":5.0,"y":1000000.0}}"#);
        assert_eq!(serde_json::from_str::<Rejection>(&json).unwrap(), r);
    }
}
