//! C99 export of a saved model (`radact export-model model.ron --format c -o net.h`): one
//! self-contained header with the weights as `static const` arrays, no dynamic allocation, and
//! `static int predict(const float *x)`, which scales the raw inputs as in training, runs the
//! network and returns the class.
//!
//! After a hidden layer whose activation takes only two values (heaviside, sign, a two-level
//! quantiser; [`SavedModel::two_values`]), the outputs are bit-packed 32 to a `uint32_t`, bit 1
//! for the lower value (the Larq Compute Engine convention), and the next layer multiplies
//! nothing: with `h_i = hi - (hi - lo) b_i`, its output is
//! `z_j = (b_j + hi sum_i W_ij) - (hi - lo) sum_{i: b_i = 1} W_ij`, the first term precomputed.
//! A value other than the two (`sign(0) = 0`) counts as the nearer one.
//!
//! With [`Weights::Int8`] every weight matrix is stored as `int8_t` with one `float` scale per
//! output unit (symmetric, `scale_j = max_i |W_ij| / 127`); the products and sums of a dense
//! layer are `float`, those of a packed layer integer.

use super::{ModelError, SavedModel};
use crate::export::c::{forward_function, literal};
use crate::export::RADACT_VERSION;
use std::fmt::Write;

/// How the weights are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Weights {
    /// `float`, as trained.
    #[default]
    F32,
    /// `int8_t` with a `float` scale per output unit.
    Int8,
}

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct COptions {
    /// How the weights are stored.
    pub weights: Weights,
    /// Bit-pack the outputs of two-valued hidden layers (otherwise every layer multiplies).
    pub pack_binary: bool,
}

impl Default for COptions {
    /// `float` weights, two-valued layers packed.
    fn default() -> Self {
        COptions {
            weights: Weights::F32,
            pack_binary: true,
        }
    }
}

/// A layer's weights as generated: `float`, or `int8_t` with per-unit scales.
enum Stored {
    F32(Vec<f32>),
    Int8 { q: Vec<i8>, scales: Vec<f32> },
}

impl Stored {
    fn new(weights: &[f32], fan_out: usize, kind: Weights) -> Stored {
        match kind {
            Weights::F32 => Stored::F32(weights.to_vec()),
            Weights::Int8 => {
                let (q, scales) = quantize(weights, fan_out);
                Stored::Int8 { q, scales }
            }
        }
    }

    /// The weight of input `i` to unit `j` as the generated code uses it.
    fn value(&self, i: usize, j: usize, fan_out: usize) -> f64 {
        match self {
            Stored::F32(w) => f64::from(w[i * fan_out + j]),
            Stored::Int8 { q, scales } => f64::from(q[i * fan_out + j]) * f64::from(scales[j]),
        }
    }

    /// Bytes of the generated arrays.
    fn bytes(&self) -> usize {
        match self {
            Stored::F32(w) => 4 * w.len(),
            Stored::Int8 { q, scales } => q.len() + 4 * scales.len(),
        }
    }
}

/// Symmetric per-column int8 quantisation of a `fan_in x fan_out` row-major matrix.
pub fn quantize(weights: &[f32], fan_out: usize) -> (Vec<i8>, Vec<f32>) {
    let mut scales = vec![0.0f32; fan_out];
    for row in weights.chunks_exact(fan_out) {
        for (s, &w) in scales.iter_mut().zip(row) {
            *s = s.max(w.abs());
        }
    }
    for s in &mut scales {
        *s = if *s > 0.0 { *s / 127.0 } else { 1.0 };
    }
    let q = weights
        .chunks_exact(fan_out)
        .flat_map(|row| {
            row.iter()
                .zip(&scales)
                .map(|(&w, &s)| (w / s).round().clamp(-127.0, 127.0) as i8)
        })
        .collect();
    (q, scales)
}

/// Sizes of a generated header's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footprint {
    /// Bytes of the weight, scale, bias and precomputed arrays.
    pub parameter_bytes: usize,
    /// Bytes of `predict`'s stack buffers for the activations.
    pub activation_bytes: usize,
    /// Hidden layers whose outputs are bit-packed.
    pub packed_layers: usize,
}

/// The C99 header of `model`, with its footprint.
pub fn generate(model: &SavedModel, options: COptions) -> Result<(String, Footprint), ModelError> {
    let w = &model.widths;
    let layers = w.len() - 1;
    let widest = *w.iter().max().expect("at least two widths");
    // Per hidden layer: the two values its activation takes, when packed.
    let packed: Vec<Option<(f32, f32)>> = (0..layers - 1)
        .map(|l| {
            if options.pack_binary {
                model.two_values(l)
            } else {
                None
            }
        })
        .collect();
    let stored: Vec<Stored> = model
        .layers
        .iter()
        .zip(w.windows(2))
        .map(|(layer, pair)| Stored::new(&layer.weights, pair[1], options.weights))
        .collect();
    let mut data = String::new();
    let mut parameter_bytes = 0;
    let ctype = match options.weights {
        Weights::F32 => "float",
        Weights::Int8 => "int8_t",
    };
    for (l, (layer, st)) in model.layers.iter().zip(&stored).enumerate() {
        let (fan_in, fan_out) = (w[l], w[l + 1]);
        let values = match st {
            Stored::F32(v) => v.iter().map(|&x| literal(x)).collect::<Vec<_>>(),
            Stored::Int8 { q, .. } => q.iter().map(|v| v.to_string()).collect(),
        };
        let _ = writeln!(
            data,
            "static const {ctype} radact_w{l}[{fan_in} * {fan_out}] = {{{}}};",
            values.join(", ")
        );
        parameter_bytes += st.bytes();
        if let Stored::Int8 { scales, .. } = st {
            let _ = writeln!(
                data,
                "static const float radact_s{l}[{fan_out}] = {};",
                list(scales)
            );
        }
        // After a packed layer: `b_j + hi sum_i W_ij` instead of the bias.
        match l.checked_sub(1).and_then(|p| packed[p]) {
            Some((_, hi)) => {
                let base: Vec<f32> = (0..fan_out)
                    .map(|j| {
                        let sum: f64 = (0..fan_in).map(|i| st.value(i, j, fan_out)).sum();
                        (f64::from(layer.bias[j]) + f64::from(hi) * sum) as f32
                    })
                    .collect();
                let _ = writeln!(
                    data,
                    "/* b_j + {hi} * sum_i W_ij: the output when every input is {hi}. */\n\
                     static const float radact_base{l}[{fan_out}] = {};",
                    list(&base)
                );
            }
            None => {
                let _ = writeln!(
                    data,
                    "static const float radact_b{l}[{fan_out}] = {};",
                    list(&layer.bias)
                );
            }
        }
        parameter_bytes += 4 * fan_out;
    }
    for l in 0..layers - 1 {
        let c = model.layer_constants(l);
        if !c.is_empty() {
            let _ = writeln!(
                data,
                "static const float radact_c{l}[{}] = {};",
                c.len(),
                list(&c)
            );
            parameter_bytes += 4 * c.len();
        }
    }
    let n_in = model.n_inputs();
    let _ = writeln!(
        data,
        "static const float radact_divisor = {};",
        literal(model.input.divisor)
    );
    if let (Some(mean), Some(std)) = (&model.input.mean, &model.input.std) {
        let _ = writeln!(
            data,
            "static const float radact_mean[{n_in}] = {};",
            list(mean)
        );
        let _ = writeln!(
            data,
            "static const float radact_std[{n_in}] = {};",
            list(std)
        );
        parameter_bytes += 8 * n_in;
    }

    let mut body = String::new();
    let _ = writeln!(
        body,
        "static int predict(const float *x) {{\n    \
         float a[{widest}], z[{widest}];\n    \
         uint32_t bits[{words}];\n    \
         int i, j, k;\n    \
         (void)bits;\n    \
         (void)k;",
        words = widest.div_ceil(32)
    );
    let standardized = model.input.mean.is_some();
    let _ = writeln!(
        body,
        "    for (i = 0; i < {n_in}; i++) {{\n        a[i] = {};\n    }}",
        if standardized {
            "(x[i] / radact_divisor - radact_mean[i]) / radact_std[i]"
        } else {
            "x[i] / radact_divisor"
        }
    );
    for l in 0..layers {
        let (fan_in, fan_out) = (w[l], w[l + 1]);
        let input_packed = l.checked_sub(1).and_then(|p| packed[p]);
        let _ = writeln!(body, "    /* layer {l}: {fan_in} -> {fan_out} */");
        match (input_packed, options.weights) {
            (Some((lo, hi)), Weights::F32) => {
                let _ = writeln!(
                    body,
                    "    for (j = 0; j < {fan_out}; j++) {{\n        z[j] = 0.0f;\n    }}\n    \
                     for (k = 0; k < {words}; k++) {{\n        \
                     uint32_t word = bits[k];\n        \
                     for (i = 32 * k; word != 0; i++, word >>= 1) {{\n            \
                     if (word & 1u) {{\n                \
                     const float *row = &radact_w{l}[i * {fan_out}];\n                \
                     for (j = 0; j < {fan_out}; j++) {{\n                    \
                     z[j] += row[j];\n                }}\n            }}\n        }}\n    }}\n    \
                     for (j = 0; j < {fan_out}; j++) {{\n        \
                     z[j] = radact_base{l}[j] - {} * z[j];\n    }}",
                    literal(hi - lo),
                    words = fan_in.div_ceil(32)
                );
            }
            (Some((lo, hi)), Weights::Int8) => {
                let _ = writeln!(
                    body,
                    "    {{\n        int32_t sums[{fan_out}];\n        \
                     for (j = 0; j < {fan_out}; j++) {{\n            sums[j] = 0;\n        }}\n        \
                     for (k = 0; k < {words}; k++) {{\n            \
                     uint32_t word = bits[k];\n            \
                     for (i = 32 * k; word != 0; i++, word >>= 1) {{\n                \
                     if (word & 1u) {{\n                    \
                     const int8_t *row = &radact_w{l}[i * {fan_out}];\n                    \
                     for (j = 0; j < {fan_out}; j++) {{\n                        \
                     sums[j] += row[j];\n                    }}\n                }}\n            }}\n        }}\n        \
                     for (j = 0; j < {fan_out}; j++) {{\n            \
                     z[j] = radact_base{l}[j] - {} * radact_s{l}[j] * (float)sums[j];\n        }}\n    }}",
                    literal(hi - lo),
                    words = fan_in.div_ceil(32)
                );
            }
            (None, weights) => {
                let weight = match weights {
                    Weights::F32 => format!("radact_w{l}[i * {fan_out} + j]"),
                    Weights::Int8 => format!("(float)radact_w{l}[i * {fan_out} + j]"),
                };
                let finish = match weights {
                    Weights::F32 => format!("z[j] += radact_b{l}[j];"),
                    Weights::Int8 => format!("z[j] = z[j] * radact_s{l}[j] + radact_b{l}[j];"),
                };
                let _ = writeln!(
                    body,
                    "    for (j = 0; j < {fan_out}; j++) {{\n        z[j] = 0.0f;\n    }}\n    \
                     for (i = 0; i < {fan_in}; i++) {{\n        \
                     for (j = 0; j < {fan_out}; j++) {{\n            \
                     z[j] += a[i] * {weight};\n        }}\n    }}\n    \
                     for (j = 0; j < {fan_out}; j++) {{\n        {finish}\n    }}"
                );
            }
        }
        if l == layers - 1 {
            break;
        }
        let constants = if model.layer_constants(l).is_empty() {
            "0".to_string()
        } else {
            format!("radact_c{l}")
        };
        let value = match model.standardization {
            Some(a) => format!(
                "(radact_activation(z[j], {constants}) - {}) * {}",
                literal(a.shift),
                literal(a.scale)
            ),
            None => format!("radact_activation(z[j], {constants})"),
        };
        match packed[l] {
            Some((lo, hi)) => {
                let _ = writeln!(
                    body,
                    "    /* two-valued: bit 1 = {lo} (the lower value) */\n    \
                     for (k = 0; k < {}; k++) {{\n        bits[k] = 0u;\n    }}\n    \
                     for (j = 0; j < {fan_out}; j++) {{\n        \
                     if ({value} < {}) {{\n            \
                     bits[j / 32] |= 1u << (j % 32);\n        }}\n    }}",
                    fan_out.div_ceil(32),
                    literal(lo + (hi - lo) / 2.0)
                );
            }
            None => {
                let _ = writeln!(
                    body,
                    "    for (j = 0; j < {fan_out}; j++) {{\n        a[j] = {value};\n    }}"
                );
            }
        }
    }
    let _ = writeln!(
        body,
        "    k = 0;\n    for (j = 1; j < {}; j++) {{\n        \
         if (z[j] > z[k] || (z[k] != z[k] && z[j] == z[j])) {{\n            k = j;\n        }}\n    }}\n    \
         return k;\n}}",
        model.n_classes()
    );

    let activation = forward_function("radact_activation", &model.activation.activation().forward);
    let widths: Vec<String> = w.iter().map(|v| v.to_string()).collect();
    let packed_layers = packed.iter().filter(|p| p.is_some()).count();
    let mut notes = String::new();
    for (l, p) in packed.iter().enumerate() {
        if let Some((lo, hi)) = p {
            let _ = writeln!(
                notes,
                " * The outputs of layer {l} take two values ({lo}, {hi}): bit-packed, and layer {} \
                 adds the weights of set bits instead of multiplying.",
                l + 1
            );
        }
    }
    let header = format!(
        "/* Generated by radact {RADACT_VERSION} from a saved model: MLP {widths}, activation\n \
         * {formula} (trained with backward {backward}), {dataset} (split seed {split}, training seed\n \
         * {seed}); test accuracy {accuracy:.4} in radact. Weights: {weights}.\n \
         *\n \
         * int predict(const float *x): x holds {n_in} raw input values (as in the dataset's files;\n \
         * scaled here as in training); returns the class, 0 to {last}.\n{notes} \
         *\n \
         * C99, no dynamic allocation; compile without -ffast-math. */\n",
        widths = widths.join("-"),
        formula = model.activation.formula(),
        backward = model.activation.activation().backward,
        dataset = model.data.spec.name(),
        split = model.data.split_seed,
        seed = model.seed,
        accuracy = model.test_accuracy,
        weights = match options.weights {
            Weights::F32 => "float",
            Weights::Int8 => "int8 with a float scale per output unit",
        },
        last = model.n_classes() - 1,
    );
    let source = format!(
        "{header}#ifndef RADACT_MODEL_H\n#define RADACT_MODEL_H\n\n\
         #include <float.h>\n#include <math.h>\n#include <stdint.h>\n\n\
         #define RADACT_INPUTS {n_in}\n#define RADACT_CLASSES {}\n\n\
         {activation}\n{data}\n{body}\n#endif /* RADACT_MODEL_H */\n",
        model.n_classes()
    );
    let footprint = Footprint {
        parameter_bytes,
        activation_bytes: 8 * widest + 4 * widest.div_ceil(32),
        packed_layers,
    };
    Ok((source, footprint))
}

/// `{v0, v1, ...}` of C literals.
fn list(values: &[f32]) -> String {
    let items: Vec<String> = values.iter().map(|&v| literal(v)).collect();
    format!("{{{}}}", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_quantisation_is_symmetric_per_column() {
        let w = [1.0, -0.5, -2.0, 0.25, 0.0, 0.0];
        let (q, s) = quantize(&w, 2);
        assert_eq!(s, [2.0 / 127.0, 0.5 / 127.0]);
        assert_eq!(q, [64, -127, -127, 64, 0, 0]);
        let (q, s) = quantize(&[0.0, 0.0], 1);
        assert_eq!((q, s), (vec![0, 0], vec![1.0]));
    }
}
