//! Behavioural fingerprint: a hash of what a function computes, not of how it is written.
//!
//! The function is evaluated on fixed probe points (1000 samples of N(0, 1) clipped to ±5, from a
//! ChaCha8 generator with a fixed seed, so the points are the same on every machine and version),
//! each output is rounded to 10 bits of mantissa (about 3 significant digits; magnitudes below
//! 1e-6 count as 0, every NaN is one value) and the sequence is hashed with XXH3. Two graphs
//! that compute the same function share a fingerprint unless float rounding puts one of their
//! outputs across a rounding boundary, which is rare; two different functions collide only if
//! they agree to 3 digits on all 1000 points.
//!
//! A function with trainable constants is a family of functions: its fingerprint also hashes
//! the outputs with each constant moved in turn (to `1.25 c + 0.25`), so that `param(1) * x`
//! differs from `1 * x` although they agree at the start, while two spellings of one family
//! (`param(2) * x`, `x * param(2)`) still agree. Without trainable constants nothing else is
//! hashed: fingerprints stay what they were.

use super::graph::Graph;
use super::program::Program;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::OnceLock;

/// Number of probe points.
pub const PROBES: usize = 1000;
/// Seed of the probe-point generator.
pub(crate) const PROBE_SEED: u64 = 0x5ead_ac71;

/// A 64-bit behavioural hash, printed as 16 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Fingerprint(pub u64);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl From<Fingerprint> for String {
    fn from(f: Fingerprint) -> String {
        f.to_string()
    }
}

/// Text that is not a fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("fingerprint `{text}` is not 16 hex digits: {source}")]
pub struct FingerprintError {
    /// The text read.
    pub text: String,
    /// Why it is not a hexadecimal `u64`.
    pub source: std::num::ParseIntError,
}

impl TryFrom<String> for Fingerprint {
    type Error = FingerprintError;
    fn try_from(text: String) -> Result<Self, FingerprintError> {
        u64::from_str_radix(&text, 16)
            .map(Fingerprint)
            .map_err(|source| FingerprintError { text, source })
    }
}

/// The probe points, sorted ascending.
pub(crate) fn probe_points() -> &'static [f32] {
    static POINTS: OnceLock<Vec<f32>> = OnceLock::new();
    POINTS.get_or_init(|| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(PROBE_SEED);
        let mut v: Vec<f32> = (0..PROBES)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                z.clamp(-5.0, 5.0) as f32
            })
            .collect();
        v.sort_by(f32::total_cmp);
        v
    })
}

/// Rounds a value to the fingerprint's resolution and returns its bits.
fn quantise(y: f32) -> u32 {
    if y.is_nan() {
        return 0x7fc0_0000;
    }
    if y.abs() < 1e-6 {
        return 0;
    }
    const DROP: u32 = 13; // 23 mantissa bits - 10 kept
    (y.to_bits() + (1 << (DROP - 1))) & !((1 << DROP) - 1)
}

/// Hashes the outputs of a function on the probe points.
pub(crate) fn fingerprint_outputs(outputs: &[f32]) -> Fingerprint {
    let bytes: Vec<u8> = outputs
        .iter()
        .flat_map(|&y| quantise(y).to_le_bytes())
        .collect();
    Fingerprint(xxhash_rust::xxh3::xxh3_64(&bytes))
}

/// The fingerprint of a compiled program's first output (see the module documentation for
/// trainable constants).
pub(crate) fn fingerprint_program(program: &Program) -> Fingerprint {
    let x = probe_points();
    let mut y = vec![0.0; x.len()];
    program.eval(x, &mut y);
    let start = program.params();
    for k in 0..start.len() {
        let mut moved = start.to_vec();
        moved[k] = 1.25 * moved[k] + 0.25;
        let mut more = vec![0.0; x.len()];
        program.eval_many_with(x, &moved, &mut [&mut more]);
        y.extend(more);
    }
    fingerprint_outputs(&y)
}

/// The fingerprint of a graph.
pub fn fingerprint(graph: &Graph) -> Fingerprint {
    fingerprint_program(&Program::compile(graph))
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn fp(text: &str) -> Fingerprint {
        fingerprint(&parse(text).unwrap())
    }

    #[test]
    fn probes_are_fixed_and_clipped() {
        let p = probe_points();
        assert_eq!(p.len(), PROBES);
        assert!(p.iter().all(|v| v.abs() <= 5.0));
        let mean: f32 = p.iter().sum::<f32>() / PROBES as f32;
        assert!(mean.abs() < 0.1, "{mean}");
    }

    #[test]
    fn equivalent_spellings_share_a_fingerprint() {
        assert_eq!(fp("x * sigmoid(x)"), fp("swish(x)"));
        assert_eq!(fp("silu(x)"), fp("sigmoid(x) * x"));
        assert_eq!(fp("max(x, 0)"), fp("relu(x)"));
        assert_eq!(fp("2 * x"), fp("x + x"));
        assert_eq!(
            fp("heaviside(x)"),
            fp("(sign(x) + 1) / 2 + 0.5 * bump(x) * (1 - abs(sign(x)))")
        );
    }

    #[test]
    fn different_functions_differ() {
        let all = [
            "relu(x)",
            "x",
            "tanh(x)",
            "sigmoid(x)",
            "swish(x)",
            "gelu(x)",
            "heaviside(x)",
            "sign(x)",
            "elu(x)",
            "leaky_relu(x)",
        ];
        let fps: std::collections::HashSet<Fingerprint> = all.iter().map(|t| fp(t)).collect();
        assert_eq!(fps.len(), all.len());
    }

    #[test]
    fn trainable_constants_change_the_fingerprint_not_their_spelling() {
        assert_ne!(fp("param(1) * x"), fp("1 * x"));
        assert_ne!(fp("x * sigmoid(param(1) * x)"), fp("x * sigmoid(x)"));
        assert_eq!(fp("param(2) * x"), fp("x * param(2)"));
        assert_ne!(
            fp("tanh(param(1) * x)"),
            fp("tanh(x * param(1)) * param(1)")
        );
    }

    #[test]
    fn fingerprint_text_round_trips() {
        let f = fp("tanh(x)");
        assert_eq!(Fingerprint::try_from(f.to_string()).unwrap(), f);
        assert!(Fingerprint::try_from("xyz".to_string()).is_err());
    }
}
