//! `radact train` as a user runs it: JSON and table output, exit codes for bad input.

use std::process::{Command, Output};

fn radact(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radact"))
        .arg("train")
        .args(args)
        .output()
        .expect("radact runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn json_output_has_a_summary_and_one_score_per_seed() {
    let out = radact(&[
        "--act",
        "heaviside(x)",
        "--grad",
        "rect(-0.5, 0.5)",
        "--steps",
        "150",
        "--seeds",
        "2",
        "--seed",
        "10",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["activation"]["backward"], "rect(-0.5, 0.5)");
    assert_eq!(v["task"]["budget"]["steps"], 150);
    let seeds = v["seeds"].as_array().unwrap();
    assert_eq!(seeds.len(), 2);
    assert_eq!(seeds[0]["seed"], 10);
    assert_eq!(seeds[1]["seed"], 11);
    assert!(seeds
        .iter()
        .all(|s| s["status"] == "completed" && s["steps"] == 150));
    let summary = &v["summary"];
    assert_eq!(summary["completed"], 2);
    let median = summary["metrics"]["test_accuracy"]["median"]
        .as_f64()
        .unwrap();
    assert!(median > 0.5, "median test accuracy {median}");
    assert_eq!(summary["metrics"]["distinct_values"]["max"], 2.0);
    assert!(summary["forward_ns_per_element"].as_f64().unwrap() > 0.0);
    // No progress bar when stderr is not a terminal.
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn table_output_lists_seeds_and_the_summary() {
    let out = radact(&[
        "--act",
        "relu(x)",
        "--grad",
        "exact",
        "--optimizer",
        "adam",
        "--hidden",
        "32,16",
        "--epochs",
        "2",
        "--seeds",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("MLP 64-32-16-10"), "{text}");
    assert!(text.contains("lr 0.001"), "{text}");
    assert_eq!(text.matches("completed").count(), 2 + 1, "{text}");
    assert!(
        text.contains("summary over 2 seeds (2 completed, 0 failed)"),
        "{text}"
    );
    assert!(text.contains("test accuracy"), "{text}");
}

#[test]
fn a_diverging_run_is_reported_not_a_crash() {
    let out = radact(&[
        "--act",
        "exp(x)",
        "--grad",
        "exact",
        "--lr",
        "10000",
        "--momentum",
        "0",
        "--steps",
        "100",
        "--seeds",
        "1",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["seeds"][0]["status"], "failed");
    assert!(v["seeds"][0]["reason"].as_str().unwrap().contains("step"));
    assert_eq!(v["summary"]["failed"], 1);
    assert!(v["summary"]["metrics"].is_null());
}

#[test]
fn bad_input_exits_with_code_2_and_a_message() {
    let missing = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--act", "heaviside(x"], "activation formula"),
        (vec!["--act", "x", "--grad", "nope"], "backward mode"),
        (
            vec![
                "--act",
                "x",
                "--dataset",
                "fashion-mnist",
                "--data-dir",
                missing.path().to_str().unwrap(),
            ],
            "train-images-idx3-ubyte",
        ),
        (vec!["--act", "x", "--lr=-1"], "learning rate"),
        (
            vec!["--act", "x", "--hidden", "8,0"],
            "--hidden <WIDTHS>': 0 is not in 1..=4096",
        ),
        (
            vec!["--act", "x", "--batch", "0"],
            "--batch <SIZE>': 0 is not in 1..=8192",
        ),
        (vec!["--act", "x", "--dataset", "cifar"], "cifar"),
        (
            vec!["--act", "x", "--epochs", "3", "--steps", "4"],
            "--steps",
        ),
    ];
    for (args, expected) in cases {
        let out = radact(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn the_gan_task_prints_its_scores_per_seed_and_their_medians() {
    let args = [
        "--task", "gan-ring", "--act", "tanh(x)", "--grad", "exact", "--steps", "40", "--seeds",
        "2",
    ];
    let out = radact(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("gan-ring: generator 2-64-64-2 (relu), discriminator 2-64-64-1"),
        "{text}"
    );
    assert!(text.contains("modes  high quality  reverse KL"), "{text}");
    assert!(
        text.contains("median over 2 seeds (2 completed, 0 failed)"),
        "{text}"
    );
    for row in ["modes", "high quality", "reverse KL"] {
        assert!(text.contains(&format!("\n  {row:<20} ")), "{row}: {text}");
    }
    let out = radact(&[&args[..], &["--json"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["task"]["dataset"]["name"], "gan-ring");
    assert_eq!(v["task"]["batch_size"], 128);
    let seeds = v["seeds"].as_array().unwrap();
    assert_eq!(seeds.len(), 2);
    let m = &seeds[0]["metrics"];
    assert!(m["modes"].as_f64().is_some() && m["reverse_kl"].as_f64().is_some());
    assert!(m.get("test_accuracy").is_none(), "{m}");
    assert!(v["summary"]["metrics"]["high_quality"]["median"].is_number());
    assert_eq!(seeds[0]["generated"].as_array().unwrap().len(), 256);
    // The classifier's settings do not apply to the GAN task.
    let out = radact(&[&args[..], &["--hidden", "8"]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
