//! Helpers shared by the integration tests: running the built `radact` binary.

#![allow(dead_code)] // each test file uses a different subset

use std::process::{Command, Output};

/// The tiny search space of the integration tests.
pub const TINY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny-space.ron");
/// The tiny space with a three-rung multi-fidelity ladder.
pub const TINY_LADDER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/tiny-ladder-space.ron"
);

/// Runs `radact` with `args`.
pub fn radact(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radact"))
        .args(args)
        .output()
        .expect("radact runs")
}

/// Runs `radact` with `args`, asserts success and returns standard output.
pub fn ok(args: &[&str]) -> String {
    let out = radact(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `radact search` on the tiny space into `dir` with `--json` and `extra` arguments; asserts
/// success and returns standard output (the events).
pub fn tiny_search(dir: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec![
        "search",
        "--space",
        TINY,
        "--out",
        dir.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    ok(&args)
}

/// `radact runs --dir ROOT --json`, parsed.
pub fn runs_json(root: &std::path::Path) -> serde_json::Value {
    let text = ok(&["runs", "--dir", root.to_str().unwrap(), "--json"]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// One journal record reduced to what must be reproducible.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalLine {
    pub id: u64,
    /// The rung it was trained at (0 without a ladder).
    pub rung: u64,
    pub formula: String,
    pub backward: String,
    pub status: String,
    /// The objective values, when trained.
    pub objectives: Option<Vec<f64>>,
}

/// The journal of the run in `dir` as comparable lines.
pub fn journal(dir: &std::path::Path) -> Vec<JournalLine> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            JournalLine {
                id: v["id"].as_u64().unwrap(),
                rung: v["rung"].as_u64().unwrap_or(0),
                formula: v["formula"].as_str().unwrap().to_string(),
                backward: v["backward"].as_str().unwrap().to_string(),
                status: v["status"].as_str().unwrap().to_string(),
                objectives: v["objectives"]
                    .as_array()
                    .map(|a| a.iter().map(|x| x.as_f64().unwrap()).collect()),
            }
        })
        .collect()
}
