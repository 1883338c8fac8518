//! Command-line habits users bring from other tools: a bare function name as a formula,
//! negative numbers as flag values, each error position printed once, shell completions and a
//! man page generated from the parser's own definitions.

use std::process::{Command, Output};

fn radact(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radact"))
        .args(args)
        .output()
        .expect("radact runs")
}

fn stdout_of(args: &[&str]) -> String {
    let out = radact(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&stdout_of(args)).expect("one JSON object")
}

#[test]
fn a_bare_primitive_name_means_the_function_of_x() {
    let bare = json(&["eval", "relu", "--grad", "exact", "--at=-1,2", "--json"]);
    let call = json(&["eval", "relu(x)", "--grad", "exact", "--at=-1,2", "--json"]);
    assert_eq!(bare, call);
    assert_eq!(bare["expr"], "relu(x)");
    assert_eq!(bare["points"][1]["y"], 2.0);
    let out = radact(&["eval", "relu + 1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`relu` is a function"));
}

#[test]
fn train_accepts_a_bare_name() {
    let out = radact(&[
        "train", "--act", "relu", "--grad", "exact", "--steps", "3", "--seeds", "1", "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["seeds"].as_array().map(Vec::len), Some(1));
}

#[test]
fn negative_numbers_are_values_not_flags() {
    let spaced = json(&["eval", "x", "--at", "-1,0,1", "--json"]);
    let joined = json(&["eval", "x", "--at=-1,0,1", "--json"]);
    assert_eq!(spaced, joined);
    let xs: Vec<f64> = spaced["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["x"].as_f64().unwrap())
        .collect();
    assert_eq!(xs, [-1.0, 0.0, 1.0]);
    let v = json(&[
        "eval", "x", "--from", "-2", "--to", "-1", "--points", "2", "--json",
    ]);
    assert_eq!(v["points"][0]["x"], -2.0);
    assert_eq!(v["points"][1]["x"], -1.0);
    let out = radact(&["eval", "x", "--at", "-1,oops"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("oops"));
}

#[test]
fn an_error_position_is_printed_once() {
    for args in [
        &["train", "--act", "tanhh(x)"][..],
        &["train", "--act", "tanhh"][..],
        &["eval", "tanhh(x)"][..],
    ] {
        let out = radact(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err.matches("line 1, column 1").count(),
            1,
            "{args:?}: {err}"
        );
        assert_eq!(
            err.matches("did you mean `tanh`").count(),
            1,
            "{args:?}: {err}"
        );
    }
}

#[test]
fn completions_cover_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        for sub in ["eval", "train", "search", "export", "completions"] {
            assert!(script.contains(sub), "{shell} script lacks {sub}");
        }
        assert!(script.contains("--grad"), "{shell} script lacks --grad");
    }
    let bash = stdout_of(&["completions", "bash"]);
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("radact.bash");
    std::fs::write(&path, &bash).expect("write the script");
    match Command::new("bash").arg("-n").arg(&path).output() {
        Ok(out) => assert!(
            out.status.success(),
            "bash -n rejects the script: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => println!("note: bash not available ({e}), syntax check skipped"),
    }
    let out = radact(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bash"));
}

#[test]
fn the_man_page_is_roff_and_lists_the_subcommands() {
    let page = stdout_of(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH radact"),
        "{page}"
    );
    assert!(page.contains(".TH radact"), "{page}");
    for sub in [
        "eval",
        "train",
        "search",
        "resume",
        "export",
        "completions",
        "man",
    ] {
        assert!(page.contains(sub), "the man page lacks {sub}");
    }
}
