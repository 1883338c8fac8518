//! Scalar kernels of the primitives: the forward function of every primitive on one `f32`.
//!
//! Each kernel is total: any `f32` in (NaN, ±inf and subnormals included), never a panic. The
//! callers ([`super::primitive::Op::eval`] and the batch loops of [`super::Program`]) pass every
//! result through `saturate`, so outputs are NaN or finite. The primitive table
//! (`catalogue.rs`) names each primitive's kernel once, with the bodies of generated code that
//! follow it operation for operation; both the scalar evaluator and the batch evaluator reach
//! the kernels through it ([`super::Op`]'s `dispatch`), so the two cannot disagree.

use super::graph::Params;
use std::f32::consts::PI;

/// Protection of `reciprocal` and `div`: `1/x` is computed as `x / (x^2 + RECIPROCAL_EPS)`.
pub const RECIPROCAL_EPS: f32 = 1e-12;
/// Protection of `log`: `ln(|x| + LOG_EPS)`.
pub const LOG_EPS: f32 = 1e-6;
/// Smallest modulus magnitude of `mod`; smaller ones are replaced by this (keeping the sign).
pub const MOD_EPS: f32 = 1e-6;
/// Period of `sawtooth`, `square_wave` and `triangle_wave` (scipy.signal's convention).
pub const WAVE_PERIOD: f32 = 2.0 * PI;
/// Negative slope of `leaky_relu`.
pub const LEAKY_SLOPE: f32 = 0.01;
/// `selu`'s scale (Klambauer et al. 2017).
pub const SELU_SCALE: f32 = 1.050_701;
/// `selu`'s alpha (Klambauer et al. 2017).
pub const SELU_ALPHA: f32 = 1.673_263_2;

/// Maps ±inf to ±`f32::MAX`; NaN and finite values pass unchanged.
#[inline(always)]
pub(crate) fn saturate(y: f32) -> f32 {
    y.clamp(-f32::MAX, f32::MAX)
}

#[inline(always)]
fn heaviside_of(x: f32) -> f32 {
    if x >= 0.0 {
        1.0
    } else if x < 0.0 {
        0.0
    } else {
        x
    }
}

#[inline(always)]
fn sign_of(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

#[inline(always)]
fn sigmoid_of(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[inline(always)]
fn softplus_of(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

#[inline(always)]
fn reciprocal_of(x: f32) -> f32 {
    x / (x * x + RECIPROCAL_EPS)
}

/// Floored modulus `x - c * floor(x / c)`, with `|c|` at least [`MOD_EPS`].
#[inline(always)]
fn floored_mod(x: f32, c: f32) -> f32 {
    let c = if c.abs() < MOD_EPS {
        MOD_EPS.copysign(c)
    } else {
        c
    };
    x - c * (x / c).floor()
}

// ---- unary kernels: fn(x, params) -> y ----

/// `0`.
pub(crate) fn zero(_: f32, _: &Params) -> f32 {
    0.0
}
/// `1`.
pub(crate) fn one(_: f32, _: &Params) -> f32 {
    1.0
}
/// `x`.
pub(crate) fn identity(x: f32, _: &Params) -> f32 {
    x
}
/// `-x`.
pub(crate) fn negative(x: f32, _: &Params) -> f32 {
    -x
}
/// `|x|`.
pub(crate) fn abs(x: f32, _: &Params) -> f32 {
    x.abs()
}
/// Protected `1/x = x / (x^2 + 1e-12)`.
pub(crate) fn reciprocal(x: f32, _: &Params) -> f32 {
    reciprocal_of(x)
}
/// `x^2`.
pub(crate) fn square(x: f32, _: &Params) -> f32 {
    x * x
}
/// `x^3`.
pub(crate) fn cube(x: f32, _: &Params) -> f32 {
    x * x * x
}
/// `sqrt(|x|)`.
pub(crate) fn sqrt(x: f32, _: &Params) -> f32 {
    x.abs().sqrt()
}
/// `ln(|x| + 1e-6)`.
pub(crate) fn log(x: f32, _: &Params) -> f32 {
    (x.abs() + LOG_EPS).ln()
}
/// `e^x`.
pub(crate) fn exp(x: f32, _: &Params) -> f32 {
    x.exp()
}
/// `e^x - 1`.
pub(crate) fn expm1(x: f32, _: &Params) -> f32 {
    x.exp_m1()
}
/// `sin x`.
pub(crate) fn sin(x: f32, _: &Params) -> f32 {
    x.sin()
}
/// `cos x`.
pub(crate) fn cos(x: f32, _: &Params) -> f32 {
    x.cos()
}
/// `sin(x)/x`, 1 at 0.
pub(crate) fn sinc(x: f32, _: &Params) -> f32 {
    if x == 0.0 {
        1.0
    } else {
        x.sin() / x
    }
}
/// `sinh x`.
pub(crate) fn sinh(x: f32, _: &Params) -> f32 {
    x.sinh()
}
/// `cosh x`.
pub(crate) fn cosh(x: f32, _: &Params) -> f32 {
    x.cosh()
}
/// `tanh x`.
pub(crate) fn tanh(x: f32, _: &Params) -> f32 {
    x.tanh()
}
/// `asinh x`.
pub(crate) fn arcsinh(x: f32, _: &Params) -> f32 {
    libm::asinhf(x)
}
/// `atan x`.
pub(crate) fn arctan(x: f32, _: &Params) -> f32 {
    x.atan()
}
/// Error function.
pub(crate) fn erf(x: f32, _: &Params) -> f32 {
    libm::erff(x)
}
/// Complementary error function.
pub(crate) fn erfc(x: f32, _: &Params) -> f32 {
    libm::erfcf(x)
}
/// `1 / (1 + e^-x)`.
pub(crate) fn sigmoid(x: f32, _: &Params) -> f32 {
    sigmoid_of(x)
}
/// `ln sigmoid(x) = min(x, 0) - ln(1 + e^-|x|)`.
pub(crate) fn log_sigmoid(x: f32, _: &Params) -> f32 {
    x.min(0.0) - (-x.abs()).exp().ln_1p()
}
/// `ln(1 + e^x)`, computed stably.
pub(crate) fn softplus(x: f32, _: &Params) -> f32 {
    softplus_of(x)
}
/// `x / (1 + |x|)`.
pub(crate) fn softsign(x: f32, _: &Params) -> f32 {
    x / (1.0 + x.abs())
}
/// `ln((1 + e^x) / (1 + e^(x - 1)))`, a smooth clip to `[0, 1]` (the soft clipping of Klimek
/// and Perelstein 2020), computed at `m = min(x, 1 - x)` by its symmetry `f(x) = 1 - f(1 - x)`:
/// there neither exponential overflows nor the two logarithms cancel.
pub(crate) fn softclip(x: f32, _: &Params) -> f32 {
    let m = if x < 0.5 { x } else { 1.0 - x };
    let s = m.exp().ln_1p() - (m - 1.0).exp().ln_1p();
    if x < 0.5 {
        s
    } else {
        1.0 - s
    }
}
/// `max(x, 0)`; NaN stays NaN.
pub(crate) fn relu(x: f32, _: &Params) -> f32 {
    if x <= 0.0 {
        0.0
    } else {
        x
    }
}
/// `x` for `x > 0`, else `0.01 x`.
pub(crate) fn leaky_relu(x: f32, _: &Params) -> f32 {
    if x > 0.0 {
        x
    } else {
        LEAKY_SLOPE * x
    }
}
/// `x` for `x > 0`, else `e^x - 1`.
pub(crate) fn elu(x: f32, _: &Params) -> f32 {
    if x > 0.0 {
        x
    } else {
        x.exp_m1()
    }
}
/// `scale * (x` for `x > 0`, else `alpha (e^x - 1))`.
pub(crate) fn selu(x: f32, _: &Params) -> f32 {
    SELU_SCALE * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() }
}
/// `x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))`.
pub(crate) fn gelu(x: f32, _: &Params) -> f32 {
    0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))
}
/// `x sigmoid(x)` (also called silu).
pub(crate) fn swish(x: f32, _: &Params) -> f32 {
    x * sigmoid_of(x)
}
/// `x tanh(softplus(x))`.
pub(crate) fn mish(x: f32, _: &Params) -> f32 {
    x * softplus_of(x).tanh()
}
/// `x sigmoid(x)` for `x >= 0`, else `(e^x - 1) sigmoid(x)`.
pub(crate) fn elish(x: f32, _: &Params) -> f32 {
    if x >= 0.0 {
        x * sigmoid_of(x)
    } else {
        x.exp_m1() * sigmoid_of(x)
    }
}
/// `clamp(x + 3, 0, 6) / 6`.
pub(crate) fn hard_sigmoid(x: f32, _: &Params) -> f32 {
    (x + 3.0).clamp(0.0, 6.0) / 6.0
}
/// `x hard_sigmoid(x)`.
pub(crate) fn hard_swish(x: f32, p: &Params) -> f32 {
    x * hard_sigmoid(x, p)
}
/// `clamp(x, 0, 6)`.
pub(crate) fn relu6(x: f32, _: &Params) -> f32 {
    x.clamp(0.0, 6.0)
}
/// `e^(-x^2)`.
pub(crate) fn gaussian(x: f32, _: &Params) -> f32 {
    (-(x * x)).exp()
}
/// Exponentially scaled modified Bessel function of order 0, `e^-|x| I0(x)`.
pub(crate) fn bessel_i0e(x: f32, _: &Params) -> f32 {
    bessel_scaled(x).0
}
/// Exponentially scaled modified Bessel function of order 1, `e^-|x| I1(x)`.
pub(crate) fn bessel_i1e(x: f32, _: &Params) -> f32 {
    bessel_scaled(x).1
}
/// `min(x, 0)`.
pub(crate) fn min0(x: f32, _: &Params) -> f32 {
    if x >= 0.0 {
        0.0
    } else {
        x
    }
}
/// `max(x, 0)`.
pub(crate) fn max0(x: f32, _: &Params) -> f32 {
    if x <= 0.0 {
        0.0
    } else {
        x
    }
}
/// `b x` (`b` = `params[0]`).
pub(crate) fn scale(x: f32, p: &Params) -> f32 {
    p[0] * x
}
/// `x + b` (`b` = `params[0]`).
pub(crate) fn shift(x: f32, p: &Params) -> f32 {
    x + p[0]
}
/// 1 for `x >= 0`, else 0.
pub(crate) fn heaviside(x: f32, _: &Params) -> f32 {
    heaviside_of(x)
}
/// -1, 0 or 1.
pub(crate) fn sign(x: f32, _: &Params) -> f32 {
    sign_of(x)
}
/// Largest integer `<= x`.
pub(crate) fn floor(x: f32, _: &Params) -> f32 {
    x.floor()
}
/// Smallest integer `>= x`.
pub(crate) fn ceil(x: f32, _: &Params) -> f32 {
    x.ceil()
}
/// Nearest integer, ties to even (as PyTorch and NumPy).
pub(crate) fn round(x: f32, _: &Params) -> f32 {
    x.round_ties_even()
}
/// `x - floor(x)`, in `[0, 1)`.
pub(crate) fn frac(x: f32, _: &Params) -> f32 {
    x - x.floor()
}
/// Uniform quantiser of `clamp(x, -1, 1)` onto `levels` (= `params[0]`) evenly spaced values.
pub(crate) fn quantize(x: f32, p: &Params) -> f32 {
    let steps = (p[0].round() - 1.0).max(1.0);
    let c = x.clamp(-1.0, 1.0);
    ((c + 1.0) * 0.5 * steps).round_ties_even() / steps * 2.0 - 1.0
}
/// `min(max(x, lo), hi)` with `lo` = `params[0]`, `hi` = `params[1]`.
#[allow(clippy::manual_clamp)] // f32::clamp panics when lo > hi; this must not
pub(crate) fn clamp(x: f32, p: &Params) -> f32 {
    x.max(p[0]).min(p[1])
}
/// 0 where `|x| <= t`, else `x` (`t` = `params[0]`; PyTorch's hardshrink).
pub(crate) fn deadzone(x: f32, p: &Params) -> f32 {
    if x.abs() <= p[0] {
        0.0
    } else {
        x
    }
}
/// `x` where `x > t`, else 0 (`t` = `params[0]`).
pub(crate) fn threshold(x: f32, p: &Params) -> f32 {
    if x > p[0] || x.is_nan() {
        x
    } else {
        0.0
    }
}
/// Floored modulus `x mod c` (`c` = `params[0]`).
pub(crate) fn modulo(x: f32, p: &Params) -> f32 {
    floored_mod(x, p[0])
}
/// Sawtooth wave of period 2 pi rising from -1 to 1 (scipy.signal.sawtooth).
pub(crate) fn sawtooth(x: f32, _: &Params) -> f32 {
    floored_mod(x, WAVE_PERIOD) / PI - 1.0
}
/// Square wave of period 2 pi: 1 on `[0, pi)`, -1 on `[pi, 2 pi)` (scipy.signal.square).
pub(crate) fn square_wave(x: f32, _: &Params) -> f32 {
    let t = floored_mod(x, WAVE_PERIOD);
    if t < PI {
        1.0
    } else if t >= PI {
        -1.0
    } else {
        t
    }
}
/// Triangle wave of period 2 pi: -1 at 0, 1 at pi (scipy.signal.sawtooth with width 0.5).
pub(crate) fn triangle_wave(x: f32, _: &Params) -> f32 {
    let t = floored_mod(x, WAVE_PERIOD);
    if t < PI {
        -1.0 + 2.0 * t / PI
    } else {
        3.0 - 2.0 * t / PI
    }
}
/// 1 on `|x| <= 0.5`, else 0.
pub(crate) fn bump(x: f32, _: &Params) -> f32 {
    if x.abs() <= 0.5 {
        1.0
    } else if x.is_nan() {
        x
    } else {
        0.0
    }
}

// ---- binary kernels: fn(a, b, params) -> y ----

/// `a + b`.
pub(crate) fn add(a: f32, b: f32, _: &Params) -> f32 {
    a + b
}
/// `a - b`.
pub(crate) fn sub(a: f32, b: f32, _: &Params) -> f32 {
    a - b
}
/// `a b`.
pub(crate) fn mul(a: f32, b: f32, _: &Params) -> f32 {
    a * b
}
/// Protected `a / b = a * reciprocal(b)`.
pub(crate) fn div(a: f32, b: f32, _: &Params) -> f32 {
    a * reciprocal_of(b)
}
/// Protected power: `a^b` for integer `b`, else `|a|^b`.
pub(crate) fn pow(a: f32, b: f32, _: &Params) -> f32 {
    if b == b.trunc() {
        a.powf(b)
    } else {
        a.abs().powf(b)
    }
}
/// `max(a, b)`.
pub(crate) fn max(a: f32, b: f32, _: &Params) -> f32 {
    a.max(b)
}
/// `min(a, b)`.
pub(crate) fn min(a: f32, b: f32, _: &Params) -> f32 {
    a.min(b)
}
/// `sigmoid(a) b`.
pub(crate) fn sigmoid_gate(a: f32, b: f32, _: &Params) -> f32 {
    sigmoid_of(a) * b
}
/// `e^(-(a - b)^2)`.
pub(crate) fn gauss_dist(a: f32, b: f32, _: &Params) -> f32 {
    let d = a - b;
    (-(d * d)).exp()
}
/// `e^(-|a - b|)`.
pub(crate) fn lap_dist(a: f32, b: f32, _: &Params) -> f32 {
    (-(a - b).abs()).exp()
}
/// `w a + (1 - w) b` (`w` = `params[0]`).
pub(crate) fn lerp(a: f32, b: f32, p: &Params) -> f32 {
    p[0] * a + (1.0 - p[0]) * b
}

/// `(i0e(x), i1e(x))` by the polynomial approximations of Abramowitz and Stegun 9.8.1-9.8.4
/// (absolute error below 2e-7 on the scaled functions), computed in f64.
fn bessel_scaled(x: f32) -> (f32, f32) {
    let x = f64::from(x);
    let ax = x.abs();
    if ax.is_nan() {
        return (f32::NAN, f32::NAN);
    }
    if ax < 3.75 {
        let y = (x / 3.75) * (x / 3.75);
        let i0 = 1.0
            + y * (3.515_622_9
                + y * (3.089_942_4
                    + y * (1.206_749_2 + y * (0.265_973_2 + y * (0.036_076_8 + y * 0.004_581_3)))));
        let i1 = x
            * (0.5
                + y * (0.878_905_94
                    + y * (0.514_988_69
                        + y * (0.150_849_34
                            + y * (0.026_587_33 + y * (0.003_015_32 + y * 0.000_324_11))))));
        let e = (-ax).exp();
        ((i0 * e) as f32, (i1 * e) as f32)
    } else {
        let y = 3.75 / ax;
        let s = 1.0 / ax.sqrt();
        let i0 = 0.398_942_28
            + y * (0.013_285_92
                + y * (0.002_253_19
                    + y * (-0.001_575_65
                        + y * (0.009_162_81
                            + y * (-0.020_577_06
                                + y * (0.026_355_37 + y * (-0.016_476_33 + y * 0.003_923_77)))))));
        let i1 = 0.398_942_28
            + y * (-0.039_880_24
                + y * (-0.003_620_18
                    + y * (0.001_638_01
                        + y * (-0.010_315_55
                            + y * (0.022_829_67
                                + y * (-0.028_953_12 + y * (0.017_876_54 - y * 0.004_200_59)))))));
        ((i0 * s) as f32, (i1 * s * x.signum()) as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const P: Params = [0.0; 2];

    #[test]
    fn bessel_matches_reference_values() {
        // scipy.special.i0e / i1e
        assert!((bessel_i0e(0.0, &P) - 1.0).abs() < 1e-6);
        assert!((bessel_i0e(1.0, &P) - 0.465_759_6).abs() < 1e-6);
        assert!((bessel_i0e(5.0, &P) - 0.183_540_8).abs() < 1e-6);
        assert!((bessel_i1e(1.0, &P) - 0.207_910_4).abs() < 1e-6);
        assert!((bessel_i1e(-5.0, &P) + 0.163_972_2).abs() < 1e-6);
    }

    #[test]
    fn radical_kernels_follow_their_conventions() {
        assert_eq!(heaviside(0.0, &P), 1.0);
        assert_eq!(sign(0.0, &P), 0.0);
        assert_eq!(round(2.5, &P), 2.0);
        assert_eq!(quantize(0.2, &[3.0, 0.0]), 0.0);
        assert_eq!(quantize(0.6, &[3.0, 0.0]), 1.0);
        assert_eq!(deadzone(0.5, &[0.5, 0.0]), 0.0);
        assert_eq!(deadzone(-0.6, &[0.5, 0.0]), -0.6);
        assert_eq!(modulo(-0.25, &[1.0, 0.0]), 0.75);
        assert_eq!(square_wave(1.0, &P), 1.0);
        assert_eq!(square_wave(4.0, &P), -1.0);
        assert!((triangle_wave(PI, &P) - 1.0).abs() < 1e-6);
        assert!((sawtooth(0.0, &P) + 1.0).abs() < 1e-6);
        assert!(heaviside(f32::NAN, &P).is_nan());
    }

    #[test]
    fn protected_kernels_stay_finite_at_singularities() {
        assert_eq!(reciprocal(0.0, &P), 0.0);
        assert!((reciprocal(4.0, &P) - 0.25).abs() < 1e-6);
        assert!(log(0.0, &P).is_finite());
        assert_eq!(pow(-2.0, 3.0, &P), -8.0);
        assert_eq!(pow(-4.0, 0.5, &P), 2.0);
        assert!(modulo(3.0, &[0.0, 0.0]).is_finite());
    }

    #[test]
    fn softclip_is_a_smooth_clip_to_the_unit_interval() {
        let naive = |x: f64| ((1.0 + x.exp()) / (1.0 + (x - 1.0).exp())).ln();
        let mut last = 0.0;
        for i in -4000..=4000 {
            let x = i as f32 * 0.01;
            let y = softclip(x, &P);
            assert!(
                (f64::from(y) - naive(f64::from(x))).abs() < 1e-6,
                "{x}: {y}"
            );
            assert!(
                (y + softclip(1.0 - x, &P) - 1.0).abs() < 1e-6,
                "symmetry at {x}"
            );
            assert!(y >= last && y <= 1.0, "{x}: {y} after {last}");
            last = y;
        }
        assert!((softclip(0.5, &P) - 0.5).abs() < 1e-7);
        assert_eq!(softclip(f32::INFINITY, &P), 1.0);
        assert_eq!(softclip(1e30, &P), 1.0);
        assert_eq!(softclip(f32::NEG_INFINITY, &P), 0.0);
        assert_eq!(softclip(-1e30, &P), 0.0);
        assert!(softclip(f32::NAN, &P).is_nan());
    }
}
