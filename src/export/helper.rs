//! Helpers of generated code (support functions and named constants) and the choice of which
//! ones a piece of generated code needs: those it names, and those they name in turn.

/// A named item of generated code: a function or a constant, with its full source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Helper {
    /// The identifier other code calls it by.
    pub name: String,
    /// Its definition.
    pub source: String,
}

impl Helper {
    /// A helper named `name` defined by `source`.
    pub fn new(name: impl Into<String>, source: impl Into<String>) -> Helper {
        Helper {
            name: name.into(),
            source: source.into(),
        }
    }
}

/// The helpers of `available` that `code` needs, directly or through other helpers, in the
/// order of `available`.
pub fn needed<'a>(code: &str, available: &'a [Helper]) -> Vec<&'a Helper> {
    let mut wanted = vec![false; available.len()];
    let mut pending = vec![code];
    while let Some(text) = pending.pop() {
        for word in identifiers(text) {
            if let Some(i) = available.iter().position(|h| h.name == word) {
                if !wanted[i] {
                    wanted[i] = true;
                    pending.push(&available[i].source);
                }
            }
        }
    }
    available
        .iter()
        .zip(wanted)
        .filter_map(|(h, w)| w.then_some(h))
        .collect()
}

/// The identifier-like words of source text.
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_are_transitive_and_ordered() {
        let helpers = [
            Helper::new("EPS", "const EPS: f32 = 1e-12;"),
            Helper::new("sat", "fn sat(y: f32) -> f32 { y }"),
            Helper::new("recip", "fn recip(x: f32) -> f32 { x / (x * x + EPS) }"),
            Helper::new("unused", "fn unused() {}"),
        ];
        let names: Vec<&str> = needed("sat(recip(x))", &helpers)
            .iter()
            .map(|h| h.name.as_str())
            .collect();
        assert_eq!(names, ["EPS", "sat", "recip"]);
        assert!(needed("saturate(x) + EPS2", &helpers).is_empty());
    }
}
