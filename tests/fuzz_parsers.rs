//! Structured random-input fuzzing of every input parser (formulas, backward modes, space RON,
//! exported activations, run files, the journal, IDX files): each case takes a valid seed input
//! (`tests/fuzz_seeds/`) and applies random byte and token mutations, or is arbitrary bytes. A
//! parser must return an error, never panic. The targets live in `fuzz_targets/`, shared with the
//! coverage-guided AFL++ targets in `fuzz/`.
//!
//! `cargo test --test fuzz_parsers` runs 128 cases a target; `RADACT_FUZZ_CASES=100000 cargo
//! test --release --test fuzz_parsers -- --nocapture` runs a long campaign and prints the
//! executions and time per target. Below them, the crashes found while building the fuzz
//! targets (by the campaigns, or by probing the inputs they exercise), each kept as a named
//! regression test with its input, run through the target.

mod fuzz_targets;

use fuzz_targets::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::Path;
use std::time::Instant;

/// The seeds of `target` in this repository.
fn seeds_of(target: &str) -> Vec<Vec<u8>> {
    seeds(Path::new(env!("CARGO_MANIFEST_DIR")), target)
}

/// Bytes that often matter to the parsers, inserted as mutations.
const TOKENS: &[&str] = &[
    "(",
    ")",
    ",",
    "[",
    "]",
    "-",
    "+",
    "*",
    "^",
    "=",
    "\"",
    ":",
    "x",
    "0",
    "-1",
    "1e38",
    "1e39",
    "NaN",
    "inf",
    "-inf",
    "4294967296",
    "18446744073709551615",
    "-9223372036854775808",
    "3.4028235e38",
    "()",
    "[]",
    "Some(",
    "None",
    "sum_n(",
    "expr(",
    "\n",
    "//",
    "/*",
    "é",
    "\0",
];

/// One edit of an input.
#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Delete { at: usize, len: usize },
    Duplicate { at: usize, len: usize, to: usize },
    Insert { at: usize, token: usize },
    Byte { at: usize, value: u8 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        (at, 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (at, 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (at, 1usize..64, any::<usize>()).prop_map(|(at, len, to)| Mutation::Duplicate {
            at,
            len,
            to
        }),
        (at, 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        (at, any::<u8>()).prop_map(|(at, value)| Mutation::Byte { at, value }),
    ]
}

fn apply(mut data: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = data.len();
        let pos = |at: usize| if n == 0 { 0 } else { at % (n + 1) };
        match *m {
            Mutation::Flip { at, bit } if n > 0 => data[at % n] ^= 1 << bit,
            Mutation::Byte { at, value } if n > 0 => data[at % n] = value,
            Mutation::Delete { at, len } => {
                let start = pos(at);
                let end = (start + len).min(n);
                data.drain(start..end);
            }
            Mutation::Duplicate { at, len, to } => {
                let start = pos(at);
                let piece = data[start..(start + len).min(n)].to_vec();
                let to = pos(to);
                data.splice(to..to, piece);
            }
            Mutation::Insert { at, token } => {
                let at = pos(at);
                data.splice(at..at, TOKENS[token].bytes());
            }
            _ => {}
        }
    }
    data
}

/// Cases per target: `RADACT_FUZZ_CASES`, else 128.
fn cases() -> u32 {
    std::env::var("RADACT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

/// Runs `target` on mutated seeds and arbitrary bytes; a panic fails with the shrunk input.
fn fuzz(name: &str) {
    let target = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .expect("a target of that name");
    let seeds = seeds_of(name);
    assert!(!seeds.is_empty(), "{name} has seed inputs");
    let input = prop_oneof![
        9 => (0..seeds.len(), prop::collection::vec(mutation(), 1..8))
            .prop_map(move |(s, ms)| apply(seeds[s].clone(), &ms)),
        1 => prop::collection::vec(any::<u8>(), 0..256),
    ];
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let start = Instant::now();
    let result = TestRunner::new(config).run(&input, |data| {
        target(&data);
        Ok(())
    });
    eprintln!(
        "fuzz {name}: {} cases in {:.1} s",
        cases(),
        start.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("fuzz target {name}: {e}");
    }
}

#[test]
fn fuzz_formula() {
    fuzz("formula");
}

#[test]
fn fuzz_backward_mode() {
    fuzz("backward_mode");
}

#[test]
fn fuzz_space() {
    fuzz("space");
}

#[test]
fn fuzz_activation() {
    fuzz("activation");
}

#[test]
fn fuzz_run_config() {
    fuzz("run_config");
}

#[test]
fn fuzz_checkpoint() {
    fuzz("checkpoint");
}

#[test]
fn fuzz_hall_of_fame() {
    fuzz("hall_of_fame");
}

#[test]
fn fuzz_final_check() {
    fuzz("final_check");
}

#[test]
fn fuzz_journal() {
    fuzz("journal");
}

#[test]
fn fuzz_idx() {
    fuzz("idx");
}

#[test]
fn mutations_change_the_seeds() {
    let seed = b"x * sigmoid(x)".to_vec();
    let out = apply(
        seed.clone(),
        &[
            Mutation::Insert { at: 0, token: 0 },
            Mutation::Delete { at: 3, len: 2 },
        ],
    );
    assert_eq!(out, b"(x sigmoid(x)");
    assert_eq!(apply(Vec::new(), &[Mutation::Flip { at: 5, bit: 1 }]), b"");
}

// Regression tests: crashes fuzzing found, with their inputs.

/// The seed checkpoint with `text` replaced by `by`.
fn edited(name: &str, text: &str, by: &str) -> Vec<u8> {
    let seed = String::from_utf8(seeds_of(name).into_iter().next().expect("a seed")).unwrap();
    assert!(seed.contains(text), "the seed of {name} has `{text}`");
    seed.replacen(text, by, 1).into_bytes()
}

#[test]
fn checkpoint_with_a_tournament_of_zero() {
    checkpoint(&edited("checkpoint", "tournament: 3", "tournament: 0"));
}

#[test]
fn checkpoint_members_without_scores() {
    let text = String::from_utf8(seeds_of("checkpoint").remove(0)).unwrap();
    let emptied = regex_free_replace_all(&text, "scores: [", "]", "scores: []");
    assert_ne!(emptied, text);
    checkpoint(emptied.as_bytes());
}

#[test]
fn journal_record_without_objective_values() {
    let text = String::from_utf8(seeds_of("journal").remove(0)).unwrap();
    let emptied = regex_free_replace_all(&text, "\"objectives\":[", "]", "\"objectives\":[]");
    assert_ne!(emptied, text);
    journal(emptied.as_bytes());
}

#[test]
fn formula_with_a_60000_term_operator_chain() {
    // Overflowed the stack when the tree was lowered and dropped.
    formula(vec!["x"; 60_000].join(" + ").as_bytes());
    formula(vec!["x"; 60_000].join(" * ").as_bytes());
}

#[test]
fn formula_prod_n_of_10000_arguments() {
    // Its exact derivative has 10000 products of 9999 factors: a minute and gigabytes.
    let start = Instant::now();
    formula(format!("prod_n({})", vec!["sin(x)"; 10_000].join(", ")).as_bytes());
    assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
}

#[test]
fn activation_with_a_100000_node_chain() {
    // Overflowed the stack when compared with its formula.
    let chain: Vec<String> = (0..100_000)
        .map(|i| format!("Op(op: \"neg\", args: [{i}])"))
        .collect();
    let forward = format!(
        "(formula: \"x\", nodes: [Input, {}], root: 100000)",
        chain.join(", ")
    );
    let text = String::from_utf8(seeds_of("activation").remove(0)).unwrap();
    let start = text.find("forward: (").expect("an exported forward graph") + "forward: ".len();
    let end =
        start + text[start..].find("\n            ),").expect("its end") + "\n            )".len();
    let edited = format!("{}{forward}{}", &text[..start], &text[end..]);
    assert!(edited.contains("root: 100000"));
    let e = radact::export::ExportedActivation::all_from_ron_str(&edited, "x.ron").unwrap_err();
    assert!(e.to_string().contains("deeper than 200"), "{e}");
    activation(edited.as_bytes());
}

/// Replaces every span from `open` to the next `close` (inclusive) by `by`.
fn regex_free_replace_all(text: &str, open: &str, close: &str, by: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(open) {
        out.push_str(&rest[..i]);
        let after = &rest[i + open.len()..];
        let j = after.find(close).expect("closed span");
        out.push_str(by);
        rest = &after[j + close.len()..];
    }
    out.push_str(rest);
    out
}
