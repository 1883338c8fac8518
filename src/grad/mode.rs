//! [`BackwardMode`]: how the backward multiplier is obtained, with its text form
//! (`exact`, `surrogate`, `direction`, `rect(-0.5, 0.5)`, `atan(alpha=3)`, `expr(1 - tanh(x)^2)`)
//! and its parser.

use super::rules::{rule, RuleSpec, RULES};
use crate::expr::parse::{parse_constant, parse_into};
use crate::expr::print::format_constant;
use crate::expr::{parse, Graph, NodeId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// How the backward multiplier `g(x)` of an activation is obtained.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum BackwardMode {
    /// Chain rule with the true derivatives: 0 on flat regions (what autograd does).
    Exact,
    /// Chain rule where every flat or non-differentiable primitive uses its surrogate.
    #[default]
    Surrogate,
    /// The sign of the surrogate multiplier: direction only, no magnitude.
    Direction,
    /// A named rule that replaces the whole backward.
    Rule(NamedRule),
    /// A user formula in `x` that replaces the whole backward.
    Expr(Graph),
}

/// A named backward rule with its parameter values.
#[derive(Clone, Debug)]
pub struct NamedRule {
    /// The rule from the library.
    pub spec: &'static RuleSpec,
    /// One value per parameter of `spec`, in order.
    pub params: Vec<f32>,
}

/// A backward mode that could not be read: what was wrong, at which column.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct RuleError {
    /// 1-based column in the mode's text.
    pub column: usize,
    /// What was wrong.
    pub message: String,
}

impl PartialEq for NamedRule {
    fn eq(&self, other: &Self) -> bool {
        self.spec.name == other.spec.name
            && self
                .params
                .iter()
                .map(|v| v.to_bits())
                .eq(other.params.iter().map(|v| v.to_bits()))
    }
}

impl NamedRule {
    /// Builds `g(x)` into `graph` with `x` bound to `x`.
    pub(crate) fn instantiate(&self, graph: &mut Graph, x: NodeId) -> NodeId {
        let mut vars = vec![("x", x)];
        for (spec, &v) in self.spec.params.iter().zip(&self.params) {
            let c = graph.constant(v);
            vars.push((spec.name, c));
        }
        parse_into(self.spec.formula, &vars, graph)
            .unwrap_or_else(|e| panic!("rule {} has an invalid formula: {e}", self.spec.name))
    }
}

impl fmt::Display for BackwardMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackwardMode::Exact => f.write_str("exact"),
            BackwardMode::Surrogate => f.write_str("surrogate"),
            BackwardMode::Direction => f.write_str("direction"),
            BackwardMode::Rule(r) => {
                f.write_str(r.spec.name)?;
                if !r.params.is_empty() {
                    let ps: Vec<String> = r.params.iter().map(|&v| format_constant(v)).collect();
                    write!(f, "({})", ps.join(", "))?;
                }
                Ok(())
            }
            BackwardMode::Expr(g) => write!(f, "expr({g})"),
        }
    }
}

fn err(column: usize, message: impl Into<String>) -> RuleError {
    RuleError {
        column,
        message: message.into(),
    }
}

impl FromStr for BackwardMode {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, RuleError> {
        let lead = text.len() - text.trim_start().len();
        let s = text.trim();
        let col = |offset: usize| text[..lead + offset].chars().count() + 1;
        if s.is_empty() {
            return Err(err(1, "empty backward mode"));
        }
        let (name, rest) = match s.find('(') {
            Some(i) => (s[..i].trim_end(), Some(i)),
            None => (s, None),
        };
        match (name, rest) {
            ("exact", None) => return Ok(BackwardMode::Exact),
            ("surrogate", None) => return Ok(BackwardMode::Surrogate),
            ("direction", None) => return Ok(BackwardMode::Direction),
            ("expr", Some(open)) => {
                if !s.ends_with(')') {
                    return Err(err(col(s.len()), "expected `)` to close `expr(`"));
                }
                let inner = &s[open + 1..s.len() - 1];
                let graph = parse(inner).map_err(|e| {
                    let offset = open + 1 + line_offset(inner, e.line) + e.column - 1;
                    err(col(offset), e.message)
                })?;
                if !graph.params().is_empty() {
                    let at = inner.find(crate::expr::parse::PARAM).unwrap_or(0);
                    return Err(err(
                        col(open + 1 + at),
                        "a backward formula cannot hold trainable constants (`param`): put them in the forward formula",
                    ));
                }
                return Ok(BackwardMode::Expr(graph));
            }
            ("exact" | "surrogate" | "direction", Some(open)) => {
                return Err(err(col(open), format!("`{name}` takes no parameters")));
            }
            _ => {}
        }
        let Some(spec) = rule(name) else {
            let mut names: Vec<&str> = vec!["exact", "surrogate", "direction", "expr"];
            names.extend(RULES.iter().map(|r| r.name));
            let nearest = names
                .iter()
                .map(|n| (strsim::damerau_levenshtein(name, n), *n))
                .filter(|(d, n)| *d <= 2.max(n.len() / 3))
                .min_by_key(|(d, _)| *d)
                .map(|(_, n)| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            return Err(err(
                col(0),
                format!(
                    "unknown backward rule `{name}`{nearest}; the modes are {}",
                    names.join(", ")
                ),
            ));
        };
        let mut params: Vec<Option<f32>> = vec![None; spec.params.len()];
        if let Some(open) = rest {
            if !s.ends_with(')') {
                return Err(err(
                    col(s.len()),
                    format!("expected `)` to close `{name}(`"),
                ));
            }
            let body = &s[open + 1..s.len() - 1];
            if !body.trim().is_empty() {
                let mut offset = open + 1;
                for (i, part) in body.split(',').enumerate() {
                    let at = offset + (part.len() - part.trim_start().len());
                    offset += part.len() + 1;
                    let (pname, value_text) = match part.split_once('=') {
                        Some((n, v)) => (Some(n.trim()), v),
                        None => (None, part),
                    };
                    let index = match pname {
                        Some(n) => {
                            spec.params
                                .iter()
                                .position(|p| p.name == n)
                                .ok_or_else(|| {
                                    err(
                                        col(at),
                                        format!(
                                            "`{name}` has no parameter `{n}`{}",
                                            param_list(spec)
                                        ),
                                    )
                                })?
                        }
                        None => i,
                    };
                    if index >= spec.params.len() {
                        return Err(err(
                            col(at),
                            format!("too many parameters for `{name}`{}", param_list(spec)),
                        ));
                    }
                    if params[index].is_some() {
                        return Err(err(
                            col(at),
                            format!("parameter `{}` given twice", spec.params[index].name),
                        ));
                    }
                    let value = parse_constant(value_text.trim()).map_err(|e| {
                        err(
                            col(at),
                            format!("parameter `{}`: {}", spec.params[index].name, e.message),
                        )
                    })?;
                    spec.params[index]
                        .check(value)
                        .map_err(|m| err(col(at), format!("`{name}`: {m}")))?;
                    params[index] = Some(value);
                }
            }
        }
        let params: Vec<f32> = params
            .iter()
            .zip(spec.params)
            .map(|(v, p)| v.unwrap_or(p.default))
            .collect();
        if spec.name == "rect" && params[0] >= params[1] {
            return Err(err(
                col(0),
                format!("`rect`: a = {} must be below b = {}", params[0], params[1]),
            ));
        }
        Ok(BackwardMode::Rule(NamedRule { spec, params }))
    }
}

fn param_list(spec: &RuleSpec) -> String {
    if spec.params.is_empty() {
        " (it takes none)".to_string()
    } else {
        let names: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
        format!(" (it takes {})", names.join(", "))
    }
}

/// Byte offset of the start of 1-based `line` in `text`.
fn line_offset(text: &str, line: usize) -> usize {
    text.split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum()
}

impl Serialize for BackwardMode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for BackwardMode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(|e: RuleError| {
            serde::de::Error::custom(format!("backward mode `{text}`: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_print_and_parse_back() {
        for text in [
            "exact",
            "surrogate",
            "direction",
            "ste",
            "rect(-0.5, 0.5)",
            "tri(1)",
            "atan(3)",
            "approx_sign",
            "expr(1 - tanh(x)^2)",
        ] {
            let m: BackwardMode = text.parse().unwrap();
            assert_eq!(m.to_string(), text);
            assert_eq!(m.to_string().parse::<BackwardMode>().unwrap(), m);
        }
        let m: BackwardMode = "atan(alpha=3)".parse().unwrap();
        assert_eq!(m.to_string(), "atan(3)");
        let m: BackwardMode = "rect".parse().unwrap();
        assert_eq!(m.to_string(), "rect(-0.5, 0.5)");
        let m: BackwardMode = "rect(b = 1, a = -pi)".parse().unwrap();
        assert_eq!(m.to_string(), "rect(-3.1415927, 1)");
    }

    #[test]
    fn bad_modes_name_the_column() {
        let e = "rectt(1)".parse::<BackwardMode>().unwrap_err();
        assert_eq!(e.column, 1);
        assert!(e.message.contains("did you mean `rect`"), "{}", e.message);
        let e = "atan(beta=1)".parse::<BackwardMode>().unwrap_err();
        assert_eq!(e.column, 6);
        assert!(e.message.contains("no parameter `beta`"), "{}", e.message);
        let e = "atan(1, 2)".parse::<BackwardMode>().unwrap_err();
        assert_eq!(e.column, 9);
        assert!(e.message.contains("too many"), "{}", e.message);
        let e = "tri(-1)".parse::<BackwardMode>().unwrap_err();
        assert!(e.message.contains("outside"), "{}", e.message);
        let e = "tri(1e99)".parse::<BackwardMode>().unwrap_err();
        assert!(e.message.contains("finite"), "{}", e.message);
        let e = "rect(1, 0)".parse::<BackwardMode>().unwrap_err();
        assert!(e.message.contains("below"), "{}", e.message);
        let e = "expr(1 + tanhh(x))".parse::<BackwardMode>().unwrap_err();
        assert_eq!(e.column, 10);
        let e = "exact(1)".parse::<BackwardMode>().unwrap_err();
        assert!(e.message.contains("no parameters"));
        assert!("".parse::<BackwardMode>().is_err());
        assert!("atan(".parse::<BackwardMode>().is_err());
    }
}
