//! Identifiers for generated code: an activation's free-form name (`"GELU ≈ x·σ(1.702x)"`,
//! `"run 3 / #17"`) turned into names that are valid in both Rust and Python.
//!
//! The snake-case form names functions (`gelu_1_702x`, `gelu_1_702x_backward`); the camel-case
//! form names Python classes (`Gelu1702x`, `Gelu1702xFunction`). Both avoid the keywords of
//! either language, so one name serves every generator.

/// Keywords (strict, reserved and contextual) of Rust 2021 and Python 3, lower-case ones only:
/// a snake-case identifier never has capitals.
const KEYWORDS: &[&str] = &[
    // Rust
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
    // Python (those not above)
    "and", "assert", "case", "class", "def", "del", "elif", "except", "finally", "from", "global",
    "import", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "with",
];

/// Python's capitalised keywords, which a camel-case identifier could spell.
const CAPITALISED_KEYWORDS: &[&str] = &["False", "None", "True", "Self"];

/// Prefix for names that would start with a digit or be a keyword.
const PREFIX: &str = "act";

/// The identifiers generated code uses for one activation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identifiers {
    /// Lower-case words joined by `_`, starting with a letter: function names.
    pub snake: String,
    /// The same words capitalised and joined: class names.
    pub camel: String,
}

impl Identifiers {
    /// Derives both identifiers from a free-form name: runs of ASCII letters and digits are the
    /// words, everything else separates them. An empty result becomes `activation`; a result
    /// that starts with a digit or is a keyword gets the prefix `act_`.
    pub fn new(name: &str) -> Identifiers {
        let words: Vec<String> = name
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let mut snake = words.join("_");
        if snake.is_empty() {
            snake = "activation".to_string();
        }
        if snake.starts_with(|c: char| c.is_ascii_digit()) || KEYWORDS.contains(&snake.as_str()) {
            snake = format!("{PREFIX}_{snake}");
        }
        let mut camel: String = snake.split('_').map(capitalise).collect();
        if CAPITALISED_KEYWORDS.contains(&camel.as_str()) {
            camel = format!("{}{camel}", capitalise(PREFIX));
        }
        Identifiers { snake, camel }
    }

    /// Identifiers for several names, made distinct by numbering repeats (`relu`, `relu_2`).
    pub fn distinct(names: &[&str]) -> Vec<Identifiers> {
        let mut taken: Vec<String> = Vec::new();
        names
            .iter()
            .map(|name| {
                let base = Identifiers::new(name);
                let mut ids = base.clone();
                let mut n = 1;
                while taken.contains(&ids.snake) {
                    n += 1;
                    ids = Identifiers::new(&format!("{}_{n}", base.snake));
                }
                taken.push(ids.snake.clone());
                ids
            })
            .collect()
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(name: &str) -> (String, String) {
        let i = Identifiers::new(name);
        (i.snake, i.camel)
    }

    #[test]
    fn free_form_names_become_identifiers() {
        assert_eq!(ids("swish"), ("swish".into(), "Swish".into()));
        assert_eq!(
            ids("GELU ≈ x·σ(1.702x)"),
            ("gelu_x_1_702x".into(), "GeluX1702x".into())
        );
        assert_eq!(ids("run 3 / #17"), ("run_3_17".into(), "Run317".into()));
        assert_eq!(ids("__a__b__"), ("a_b".into(), "AB".into()));
    }

    #[test]
    fn degenerate_names_get_a_valid_form() {
        assert_eq!(ids(""), ("activation".into(), "Activation".into()));
        assert_eq!(ids("σ"), ("activation".into(), "Activation".into()));
        assert_eq!(ids("17"), ("act_17".into(), "Act17".into()));
        assert_eq!(ids("fn"), ("act_fn".into(), "ActFn".into()));
        assert_eq!(ids("lambda"), ("act_lambda".into(), "ActLambda".into()));
        assert_eq!(ids("None"), ("none".into(), "ActNone".into()));
        assert_eq!(ids("self"), ("act_self".into(), "ActSelf".into()));
    }

    #[test]
    fn identifiers_are_valid_in_both_languages() {
        for name in ["x", "a-b", "Ω9", "3", "class", "True", "ReLU6", "mod"] {
            let i = Identifiers::new(name);
            for id in [&i.snake, &i.camel] {
                assert!(id.starts_with(|c: char| c.is_ascii_alphabetic()), "{id}");
                assert!(
                    id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{id}"
                );
            }
            assert!(!KEYWORDS.contains(&i.snake.as_str()), "{name}");
            assert!(!CAPITALISED_KEYWORDS.contains(&i.camel.as_str()), "{name}");
        }
    }

    #[test]
    fn repeated_names_are_numbered() {
        let all = Identifiers::distinct(&["relu", "ReLU", "relu 2", "relu"]);
        let snakes: Vec<&str> = all.iter().map(|i| i.snake.as_str()).collect();
        assert_eq!(snakes, ["relu", "relu_2", "relu_2_2", "relu_3"]);
    }
}
