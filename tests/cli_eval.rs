//! The `radact eval` and `radact primitives` commands as a user runs them.

use std::process::{Command, Output};

fn radact(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radact"))
        .args(args)
        .output()
        .expect("radact runs")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = radact(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn eval_json_reports_canonical_formula_mode_and_points() {
    let v = json(&[
        "eval",
        "sigmoid(x) * x",
        "--grad",
        "exact",
        "--at=-1,0,2",
        "--json",
    ]);
    assert_eq!(v["expr"], "x * sigmoid(x)");
    assert_eq!(v["grad"], "exact");
    let pts = v["points"].as_array().unwrap();
    assert_eq!(pts.len(), 3);
    assert_eq!(pts[1]["x"], 0.0);
    assert_eq!(pts[1]["y"], 0.0);
    assert!((pts[1]["dy"].as_f64().unwrap() - 0.5).abs() < 1e-6);
    let s = 1.0 / (1.0 + (-2.0f64).exp());
    assert!((pts[2]["dy"].as_f64().unwrap() - (s + 2.0 * s * (1.0 - s))).abs() < 1e-5);
}

#[test]
fn eval_range_and_backward_modes() {
    let v = json(&[
        "eval",
        "heaviside(x)",
        "--from",
        "-1",
        "--to",
        "1",
        "--points",
        "5",
        "--grad",
        "rect(-0.5, 0.5)",
        "--json",
    ]);
    let dy: Vec<f64> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["dy"].as_f64().unwrap())
        .collect();
    assert_eq!(dy, [0.0, 1.0, 1.0, 1.0, 0.0]);
    let v = json(&[
        "eval",
        "heaviside(x)",
        "--at=0.3",
        "--grad",
        "exact",
        "--json",
    ]);
    assert_eq!(v["points"][0]["dy"], 0.0);
    let v = json(&[
        "eval",
        "sign(x)",
        "--at=-0.3",
        "--grad",
        "direction",
        "--json",
    ]);
    assert_eq!(v["points"][0]["dy"], 1.0);
    let v = json(&[
        "eval",
        "x",
        "--at=0.5",
        "--grad-expr",
        "1 - tanh(x)^2",
        "--json",
    ]);
    assert_eq!(v["grad"], "expr(1 - tanh(x)^2)");
    assert!((v["points"][0]["dy"].as_f64().unwrap() - (1.0 - 0.5f64.tanh().powi(2))).abs() < 1e-6);
}

#[test]
fn eval_table_has_a_row_per_point() {
    let out = radact(&["eval", "relu(x)", "--points", "11"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows = text.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(rows, 12, "header + 11 rows:\n{text}");
    assert!(text.contains("# g(x) = sign(relu(x))"), "{text}");
}

#[test]
fn bad_input_exits_2_with_a_located_message() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["eval", "tanhh(x)"],
            "column 1: unknown function `tanhh` (did you mean `tanh`?)",
        ),
        (&["eval", "sin(x, x)"], "takes 1 argument"),
        (&["eval", "(x + 1"], "column 7: expected `)`"),
        (&["eval", ""], "empty formula"),
        (&["eval", "x * 1e99"], "not a finite"),
        (&["eval", "x", "--grad", "rectt"], "did you mean `rect`"),
        (&["eval", "x", "--grad", "tri(w=0)"], "outside"),
    ];
    for (args, want) in cases {
        let out = radact(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let out = radact(&["eval", "x", "--at=1,nan"]);
    assert_eq!(out.status.code(), Some(2));
    let out = radact(&["eval", "x", "--points", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn primitives_lists_the_catalogue_and_rules() {
    let v = json(&["primitives", "--json"]);
    let names: Vec<&str> = v["primitives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for want in [
        "relu",
        "swish",
        "heaviside",
        "quantize",
        "bessel_i1e",
        "sum_n",
        "lerp",
        "bump",
    ] {
        assert!(names.contains(&want), "{want} missing");
    }
    let heaviside = v["primitives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "heaviside")
        .unwrap();
    assert_eq!(heaviside["surrogate"][0], "bump(a)");
    assert!(heaviside["flags"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("flat")));
    let rules: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"rect") && rules.contains(&"swish_sign"));
    let out = radact(&["primitives"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("heaviside(x)  (also step)"), "{text}");
}
