//! The support functions of generated Rust: std-only versions of the functions radact's kernels
//! call that std lacks (`erff`, `erfcf` and `asinhf` from the `libm` crate, the Bessel
//! approximation of [`crate::expr::kernels`]) and the small helpers the kernel bodies share.
//!
//! `erff`, `erfcf` and `asinhf` are the `libm` crate's algorithms (from FreeBSD's msun and
//! musl) with `libm`'s `expf`, `logf` and `log1pf` replaced by std's, which round the same or
//! differ in the last bit; the Bessel functions are radact's own approximation, verbatim.

use super::helper::Helper;
use super::kernel::CONSTANTS;
use super::listing::literal;

/// The support functions, each with its source (unindented).
const FUNCTIONS: &[(&str, &str)] = &[
    (
        "sat",
        "/// Saturates ±inf to ±`f32::MAX`, as radact does after every primitive; NaN stays NaN.
fn sat(y: f32) -> f32 {
    y.clamp(-f32::MAX, f32::MAX)
}",
    ),
    (
        "sigmoid_of",
        "fn sigmoid_of(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}",
    ),
    (
        "softplus_of",
        "/// `ln(1 + e^x)`, computed stably.
fn softplus_of(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}",
    ),
    (
        "reciprocal_of",
        "/// Protected `1/x`: `x / (x^2 + RECIPROCAL_EPS)`, 0 at 0.
fn reciprocal_of(x: f32) -> f32 {
    x / (x * x + RECIPROCAL_EPS)
}",
    ),
    (
        "floored_mod",
        "/// Floored modulus `x - c floor(x / c)`, with `|c|` at least `MOD_EPS`.
fn floored_mod(x: f32, c: f32) -> f32 {
    let c = if c.abs() < MOD_EPS { MOD_EPS.copysign(c) } else { c };
    x - c * (x / c).floor()
}",
    ),
    (
        "poly",
        "/// `c[0] + s (c[1] + s (c[2] + ...))`, evaluated from the innermost term.
fn poly(s: f32, c: &[f32]) -> f32 {
    match c.split_last() {
        Some((&last, rest)) => rest.iter().rev().fold(last, |acc, &k| k + s * acc),
        None => 0.0,
    }
}",
    ),
    (
        "erf_ratio",
        "/// `(erf(x) - x) / x` for `|x| < 0.84375`, as a rational function of `z = x^2`.
fn erf_ratio(z: f32) -> f32 {
    const PP: [f32; 5] = [
        1.2837916613e-01, -3.2504209876e-01, -2.8481749818e-02, -5.7702702470e-03,
        -2.3763017452e-05,
    ];
    const QQ: [f32; 5] = [
        3.9791721106e-01, 6.5022252500e-02, 5.0813062117e-03, 1.3249473704e-04,
        -3.9602282413e-06,
    ];
    poly(z, &PP) / (1.0 + z * poly(z, &QQ))
}",
    ),
    (
        "erfc1",
        "/// `erfc(|x|)` for `0.84375 <= |x| < 1.25`.
fn erfc1(x: f32) -> f32 {
    const ERX: f32 = 8.4506291151e-01;
    const PA: [f32; 7] = [
        -2.3621185683e-03, 4.1485610604e-01, -3.7220788002e-01, 3.1834661961e-01,
        -1.1089469492e-01, 3.5478305072e-02, -2.1663755178e-03,
    ];
    const QA: [f32; 6] = [
        1.0642088205e-01, 5.4039794207e-01, 7.1828655899e-02, 1.2617121637e-01,
        1.3637083583e-02, 1.1984500103e-02,
    ];
    let s = x.abs() - 1.0;
    1.0 - ERX - poly(s, &PA) / (1.0 + s * poly(s, &QA))
}",
    ),
    (
        "erfc2",
        "/// `erfc(|x|)` for `0.84375 <= |x| < 28`; `ix` is the bit pattern of `|x|`.
fn erfc2(ix: u32, x: f32) -> f32 {
    const RA: [f32; 8] = [
        -9.8649440333e-03, -6.9385856390e-01, -1.0558626175e+01, -6.2375331879e+01,
        -1.6239666748e+02, -1.8460508728e+02, -8.1287437439e+01, -9.8143291473e+00,
    ];
    const SA: [f32; 8] = [
        1.9651271820e+01, 1.3765776062e+02, 4.3456588745e+02, 6.4538726807e+02,
        4.2900814819e+02, 1.0863500214e+02, 6.5702495575e+00, -6.0424413532e-02,
    ];
    const RB: [f32; 7] = [
        -9.8649431020e-03, -7.9928326607e-01, -1.7757955551e+01, -1.6063638306e+02,
        -6.3756646729e+02, -1.0250950928e+03, -4.8351919556e+02,
    ];
    const SB: [f32; 7] = [
        3.0338060379e+01, 3.2579251099e+02, 1.5367296143e+03, 3.1998581543e+03,
        2.5530502930e+03, 4.7452853394e+02, -2.2440952301e+01,
    ];
    if ix < 0x3fa0_0000 {
        return erfc1(x);
    }
    let x = x.abs();
    let s = 1.0 / (x * x);
    let (r, big_s) = if ix < 0x4036_db6d {
        (poly(s, &RA), 1.0 + s * poly(s, &SA))
    } else {
        (poly(s, &RB), 1.0 + s * poly(s, &SB))
    };
    let z = f32::from_bits(x.to_bits() & 0xffff_e000);
    (-z * z - 0.5625).exp() * ((z - x) * (z + x) + r / big_s).exp() / x
}",
    ),
    (
        "erff",
        "/// The error function (the `libm` crate's `erff`).
fn erff(x: f32) -> f32 {
    const EFX8: f32 = 1.0270333290e+00;
    let ix = x.to_bits() & 0x7fff_ffff;
    let negative = x.to_bits() >> 31 != 0;
    if ix >= 0x7f80_0000 {
        return if negative { -1.0 } else { 1.0 } + 1.0 / x;
    }
    if ix < 0x3f58_0000 {
        if ix < 0x3180_0000 {
            return 0.125 * (8.0 * x + EFX8 * x);
        }
        return x + x * erf_ratio(x * x);
    }
    let y = if ix < 0x40c0_0000 {
        1.0 - erfc2(ix, x)
    } else {
        1.0 - f32::from_bits(0x0380_0000)
    };
    if negative {
        -y
    } else {
        y
    }
}",
    ),
    (
        "erfcf",
        "/// The complementary error function (the `libm` crate's `erfcf`).
fn erfcf(x: f32) -> f32 {
    let ix = x.to_bits() & 0x7fff_ffff;
    let negative = x.to_bits() >> 31 != 0;
    if ix >= 0x7f80_0000 {
        return if negative { 2.0 } else { 0.0 } + 1.0 / x;
    }
    if ix < 0x3f58_0000 {
        if ix < 0x2380_0000 {
            return 1.0 - x;
        }
        let y = erf_ratio(x * x);
        if negative || ix < 0x3e80_0000 {
            return 1.0 - (x + x * y);
        }
        return 0.5 - (x - 0.5 + x * y);
    }
    if ix < 0x41e0_0000 {
        return if negative { 2.0 - erfc2(ix, x) } else { erfc2(ix, x) };
    }
    let tiny = f32::from_bits(0x0380_0000);
    if negative {
        2.0 - tiny
    } else {
        tiny * tiny
    }
}",
    ),
    (
        "asinhf",
        "/// The inverse hyperbolic sine (the `libm` crate's `asinhf`).
fn asinhf(x: f32) -> f32 {
    let bits = x.to_bits() & 0x7fff_ffff;
    let a = f32::from_bits(bits);
    let y = if bits >= 0x3f80_0000 + (12 << 23) {
        a.ln() + std::f32::consts::LN_2
    } else if bits >= 0x3f80_0000 + (1 << 23) {
        (2.0 * a + 1.0 / ((a * a + 1.0).sqrt() + a)).ln()
    } else if bits >= 0x3f80_0000 - (12 << 23) {
        (a + a * a / ((a * a + 1.0).sqrt() + 1.0)).ln_1p()
    } else {
        a
    };
    if x.to_bits() >> 31 != 0 {
        -y
    } else {
        y
    }
}",
    ),
    (
        "bessel_scaled",
        "/// `(e^-|x| I0(x), e^-|x| I1(x))` by Abramowitz and Stegun 9.8.1-9.8.4, computed in f64.
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
}",
    ),
];

/// Every helper generated Rust may use: radact's named constants, then the support functions.
pub fn helpers() -> Vec<Helper> {
    let constants = CONSTANTS.iter().map(|c| {
        let value = c.rust.map_or_else(|| literal(c.value), str::to_string);
        Helper::new(c.name, format!("const {}: f32 = {value};", c.name))
    });
    let functions = FUNCTIONS
        .iter()
        .map(|&(name, source)| Helper::new(name, source));
    constants.chain(functions).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_defines_its_name() {
        for (name, source) in FUNCTIONS {
            assert!(
                source.contains(&format!("fn {name}(")),
                "{name} is not defined by its source"
            );
        }
    }
}
