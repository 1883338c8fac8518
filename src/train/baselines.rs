//! The standard activations that every candidate is compared with, as plain formulas in the
//! expression syntax (each trained with its exact derivative). The search seeds and reports
//! against this list; `radact train --act` accepts any of the formulas.

/// A reference activation: a short name and its forward formula.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Baseline {
    /// The usual name (`relu`, `gelu`, ...).
    pub name: &'static str,
    /// The forward formula, parseable by [`crate::expr::parse()`].
    pub formula: &'static str,
}

/// The baselines, each used with the `exact` backward mode.
pub const BASELINES: &[Baseline] = &[
    Baseline {
        name: "relu",
        formula: "relu(x)",
    },
    Baseline {
        name: "swish",
        formula: "swish(x)",
    },
    Baseline {
        name: "gelu",
        formula: "gelu(x)",
    },
    Baseline {
        name: "elu",
        formula: "elu(x)",
    },
    Baseline {
        name: "selu",
        formula: "selu(x)",
    },
    Baseline {
        name: "softplus",
        formula: "softplus(x)",
    },
    Baseline {
        name: "tanh",
        formula: "tanh(x)",
    },
    Baseline {
        name: "mish",
        formula: "mish(x)",
    },
    Baseline {
        name: "sigmoid",
        formula: "sigmoid(x)",
    },
];

/// The baseline called `name`, if any.
pub fn baseline(name: &str) -> Option<&'static Baseline> {
    BASELINES.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;

    /// Reference values at x = -1 and x = 1.5 (PyTorch's definitions).
    const REFERENCE: &[(&str, [f32; 2])] = &[
        ("relu", [0.0, 1.5]),
        ("swish", [-0.268_941_4, 1.226_361_7]),
        ("gelu", [-0.158_655_25, 1.399_789_2]),
        ("elu", [-0.632_120_6, 1.5]),
        ("selu", [-1.111_330_7, 1.576_051_5]),
        ("softplus", [0.313_261_7, 1.701_413]),
        ("tanh", [-0.761_594_2, 0.905_148_25]),
        ("mish", [-0.303_401_46, 1.403_378_3]),
        ("sigmoid", [0.268_941_4, 0.817_574_5]),
    ];

    #[test]
    fn every_baseline_parses_and_matches_reference_values() {
        assert_eq!(BASELINES.len(), REFERENCE.len());
        for (name, want) in REFERENCE {
            let b = baseline(name).unwrap_or_else(|| panic!("no baseline {name}"));
            let act = Activation::parse(b.formula, "exact").unwrap().compile();
            for (x, want) in [-1.0f32, 1.5].iter().zip(want) {
                let got = act.forward.eval_scalar(*x);
                assert!(
                    (got - want).abs() < 1e-4,
                    "{name}({x}) = {got}, want {want}"
                );
            }
        }
        assert!(baseline("nope").is_none());
    }
}
