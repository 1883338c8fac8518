//! Numeric arguments are bounded: a typo such as `--points 1000000000000` or `--seeds 1e18`
//! is a clear error with exit code 2, never an overflow or a multi-gigabyte allocation. The same
//! bounds hold in space files.

mod common;

use common::radact;

/// Runs `radact args`, asserts exit code 2 and that standard error contains every `want`.
fn rejected(args: &[&str], want: &[&str]) {
    let out = radact(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for w in want {
        assert!(err.contains(w), "{args:?}: `{w}` not in: {err}");
    }
}

#[test]
fn eval_points_are_bounded() {
    rejected(
        &["eval", "x", "--points", "1000000000000"],
        &["--points", "1000000000000 is not in 1..=1000000"],
    );
    rejected(
        &["eval", "x", "--points", "0"],
        &["0 is not in 1..=1000000"],
    );
    rejected(
        &["eval", "x", "--points", "99999999999999999999999"],
        &["--points"],
    );
    let out = radact(&["eval", "x", "--points", "1000000", "--json"]);
    assert!(out.status.success(), "the largest value is accepted");
}

#[test]
fn train_sizes_are_bounded() {
    rejected(
        &[
            "train",
            "--act",
            "relu(x)",
            "--seeds",
            "1000000000000000000",
        ],
        &["--seeds", "is not in 1..=1000"],
    );
    rejected(
        &["train", "--act", "relu(x)", "--epochs", "0"],
        &["--epochs", "0 is not in 1..=100000"],
    );
    rejected(
        &[
            "train",
            "--act",
            "relu(x)",
            "--steps",
            "18446744073709551615",
        ],
        &["--steps", "is not in 1..=100000000"],
    );
    rejected(
        &["train", "--act", "relu(x)", "--batch", "6400000"],
        &["--batch", "6400000 is not in 1..=8192"],
    );
    rejected(
        &["train", "--act", "relu(x)", "--hidden", "64,640000"],
        &["--hidden", "640000 is not in 1..=4096"],
    );
    let layers = vec!["8"; 17].join(",");
    rejected(
        &[
            "train", "--act", "relu(x)", "--hidden", &layers, "--steps", "1",
        ],
        &["at most 16 hidden layers, got 17"],
    );
}

#[test]
fn search_budget_generations_and_threads_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let out = out.to_str().unwrap();
    rejected(
        &["search", "--out", out, "--budget", "100000000"],
        &["--budget", "100000000 is not in 1..=10000000"],
    );
    rejected(
        &["search", "--out", out, "--generations", "0"],
        &["--generations", "0 is not in 1..=10000000"],
    );
    // Within its own bound, but times the space's batch of 8 it is too many.
    rejected(
        &["search", "--out", out, "--generations", "9000000"],
        &["--generations 9000000 of 8 candidates is more than 10000000 candidates"],
    );
    rejected(
        &["search", "--out", out, "--threads", "1000000"],
        &["--threads", "1000000 is not in 1..=1024"],
    );
    rejected(
        &["resume", out, "--threads", "0"],
        &["--threads", "0 is not in 1..=1024"],
    );
    rejected(
        &["export", out, "--top", "0"],
        &["--top", "0 is not in 1..=10000"],
    );
    assert!(!dir.path().join("run").exists(), "nothing was written");
}

#[test]
fn space_files_are_bounded_too() {
    let dir = tempfile::tempdir().unwrap();
    let space = dir.path().join("space.ron");
    let text =
        radact::search::space::DEFAULT_SPACE.replacen("batch_size: 64", "batch_size: 10000000", 1);
    std::fs::write(&space, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("task:"))
        .expect("the space has a task")
        + 1;
    let out = dir.path().join("run");
    rejected(
        &[
            "search",
            "--space",
            space.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &[
            &format!("space.ron:{line}:"),
            "batch size must be in 1..=8192, got 10000000",
        ],
    );
}

#[test]
fn search_names_are_plain_directory_names() {
    for name in ["../escape", "a/b", ".."] {
        rejected(
            &["search", "--name", name, "--budget", "1"],
            &["--name", &format!("`{name}`"), "plain directory name"],
        );
    }
}
