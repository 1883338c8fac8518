//! The named backward-rule library: straight-through and surrogate-gradient rules from the
//! binary-network and spiking-network literature, each a formula in `x` with named parameters.
//!
//! A named rule replaces the whole backward multiplier: `g(x)` is the rule's formula, whatever
//! the forward function is.

use crate::expr::primitive::ParamSpec;

/// A named backward rule: its name, parameters (with defaults) and formula.
#[derive(Clone, Copy, Debug)]
pub struct RuleSpec {
    /// Name used on the command line and in files.
    pub name: &'static str,
    /// Parameters, positional in this order or by name.
    pub params: &'static [ParamSpec],
    /// `g(x)` as a formula over `x`, the parameter names and `pi`.
    pub formula: &'static str,
    /// Where the rule comes from or what it is for.
    pub doc: &'static str,
}

const fn positive(name: &'static str, default: f32) -> ParamSpec {
    ParamSpec {
        name,
        default,
        min: 1e-6,
        max: 1e6,
        integer: false,
    }
}

const fn any(name: &'static str, default: f32) -> ParamSpec {
    ParamSpec {
        name,
        default,
        min: -1e6,
        max: 1e6,
        integer: false,
    }
}

/// Every named rule.
pub static RULES: &[RuleSpec] = &[
    RuleSpec {
        name: "ste",
        params: &[],
        formula: "1",
        doc: "straight-through estimator (Bengio et al. 2013): pass the gradient unchanged",
    },
    RuleSpec {
        name: "rect",
        params: &[any("a", -0.5), any("b", 0.5)],
        formula: "heaviside(x - a) * heaviside(b - x)",
        doc: "rectangular window: 1 on a <= x <= b (Troiano et al. 2025)",
    },
    RuleSpec {
        name: "tri",
        params: &[positive("w", 1.0)],
        formula: "relu(1 - abs(x) / w)",
        doc: "triangular window max(0, 1 - |x|/w) (Bellec et al. 2018)",
    },
    RuleSpec {
        name: "atan",
        params: &[positive("alpha", 2.0)],
        formula: "(alpha / 2) / (1 + (pi * alpha * x / 2)^2)",
        doc: "derivative of the arctan surrogate (Fang et al. 2021, SpikingJelly)",
    },
    RuleSpec {
        name: "fast_sigmoid",
        params: &[positive("slope", 25.0)],
        formula: "1 / (slope * abs(x) + 1)^2",
        doc: "SuperSpike fast sigmoid (Zenke & Ganguli 2018, snnTorch)",
    },
    RuleSpec {
        name: "sigmoid",
        params: &[positive("slope", 4.0)],
        formula: "slope * sigmoid(slope * x) * (1 - sigmoid(slope * x))",
        doc: "derivative of a steep sigmoid",
    },
    RuleSpec {
        name: "erf",
        params: &[positive("alpha", 2.0)],
        formula: "alpha / sqrt(pi) * exp(-(alpha * x)^2)",
        doc: "derivative of 0.5 (1 + erf(alpha x)), a Gaussian window",
    },
    RuleSpec {
        name: "piecewise_quadratic",
        params: &[positive("alpha", 1.0)],
        formula: "relu(alpha - alpha^2 * abs(x))",
        doc: "alpha - alpha^2 |x| on |x| <= 1/alpha, else 0 (Esser et al. 2016)",
    },
    RuleSpec {
        name: "ste_sign",
        params: &[positive("clip", 1.0)],
        formula: "heaviside(clip - abs(x))",
        doc: "clipped straight-through for sign: 1 on |x| <= clip (Hubara et al. 2016)",
    },
    RuleSpec {
        name: "approx_sign",
        params: &[],
        formula: "relu(2 - 2 * abs(x))",
        doc: "ApproxSign of Bi-Real Net (Liu et al. 2018): 2 - 2|x| on |x| <= 1",
    },
    RuleSpec {
        name: "swish_sign",
        params: &[positive("beta", 5.0)],
        formula: "beta * (2 - beta * x * tanh(beta * x / 2)) / (1 + cosh(beta * x))",
        doc: "SignSwish derivative (Darabi et al. 2018)",
    },
];

/// The rule named `name`.
pub fn rule(name: &str) -> Option<&'static RuleSpec> {
    RULES.iter().find(|r| r.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse::parse_into;
    use crate::expr::Graph;

    #[test]
    fn every_rule_formula_parses_with_its_parameters() {
        for r in RULES {
            let mut g = Graph::new();
            let mut vars = vec![("x", g.input())];
            for p in r.params {
                vars.push((p.name, g.constant(p.default)));
            }
            parse_into(r.formula, &vars, &mut g).unwrap_or_else(|e| panic!("{}: {e}", r.name));
        }
    }
}
