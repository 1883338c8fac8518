//! Export from a finished run, import and train again: `radact export` in every format,
//! `radact inspect FILE.ron`, `radact train --act-file`, and README's PyTorch training script on
//! the PyTorch export, in real PyTorch.

use radact::export::{candidate_name, ExportedActivation};
use radact::run::RunView;
use serde_json::Value;

mod common;
mod support;

use common::{ok, radact, TINY};

#[test]
fn export_then_import_then_train() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let run_s = run.to_str().unwrap();
    ok(&["search", "--space", TINY, "--out", run_s, "--json"]);

    // RON: the top 2, readable, loadable, and trainable again.
    let file = tmp.path().join("best.ron");
    ok(&[
        "export",
        run_s,
        "--top",
        "2",
        "--format",
        "ron",
        "-o",
        file.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&file).unwrap();
    for field in [
        "formula:",
        "backward_formula:",
        "activation:",
        "scores:",
        "task:",
        "provenance:",
        "radact_version:",
    ] {
        assert!(text.contains(field), "{field} missing:\n{text}");
    }
    let shown = ok(&["inspect", file.to_str().unwrap()]);
    assert!(
        shown.contains("forward   f(x) =") && shown.contains("origin    run"),
        "{shown}"
    );

    let one = tmp.path().join("one.ron");
    ok(&[
        "export",
        run_s,
        "--format",
        "ron",
        "-o",
        one.to_str().unwrap(),
    ]);
    let trained: Value = serde_json::from_str(&ok(&[
        "train",
        "--act-file",
        one.to_str().unwrap(),
        "--hidden",
        "16",
        "--epochs",
        "2",
        "--seeds",
        "1",
        "--json",
    ]))
    .unwrap();
    let acc = trained["summary"]["metrics"]["test_accuracy"]["median"]
        .as_f64()
        .unwrap();
    assert!(acc > 0.5, "retrained accuracy {acc}");

    // A candidate by id: the library's export record of it, the one the desktop app writes too.
    let view = RunView::open(&run).unwrap();
    let records = view.records().unwrap();
    let trained = records.iter().rev().find(|r| r.is_trained()).unwrap();
    let text = ok(&["export", run_s, "--id", &trained.id.to_string()]);
    let back = ExportedActivation::from_ron_str(&text, "stdout").unwrap();
    let expected = ExportedActivation::of_candidate(view.config(), trained).unwrap();
    assert_eq!(back, expected);
    assert_eq!(back.name(), candidate_name(view.config(), trained.id));

    // Code: Rust and PyTorch carry the forward, the backward and the provenance.
    let rust = ok(&["export", run_s, "--format", "rust"]);
    assert!(
        rust.contains("pub fn tiny_0(x: f32) -> f32")
            && rust.contains("pub fn tiny_0_backward(x: f32) -> f32"),
        "{rust}"
    );
    let py = ok(&["export", run_s, "--format", "pytorch"]);
    assert!(
        py.contains("torch.autograd.Function") && py.contains("torch.nn.Module"),
        "{py}"
    );
    readme_script_trains_with_the_export(&py);
    let np = ok(&["export", run_s, "--format", "numpy"]);
    assert!(
        np.contains("def tiny_0(x):") && np.contains("def tiny_0_backward(x):"),
        "{np}"
    );
    let jx = ok(&["export", run_s, "--format", "jax"]);
    assert!(jx.contains("@jax.custom_vjp\ndef tiny_0(x):"), "{jx}");

    // A candidate that was not trained cannot be exported; an unknown id neither.
    let journal = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
    if let Some(rejected) = journal
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["status"] != "trained")
    {
        let id = rejected["id"].as_u64().unwrap().to_string();
        let out = radact(&["export", run_s, "--id", &id]);
        assert_eq!(out.status.code(), Some(2));
    }
    let out = radact(&["export", run_s, "--id", "99999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no candidate 99999"));
}

/// The Python block after README's "Using an export in PyTorch" heading.
fn readme_script() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("## Using an export in PyTorch")
        .nth(1)
        .expect("README has the PyTorch section");
    let block = section
        .split("```python\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a python block in that section");
    block.to_string()
}

/// Runs README's training script with `module` saved as `best.py`: the loss must fall.
fn readme_script_trains_with_the_export(module: &str) {
    let script = readme_script();
    assert!(
        script.lines().count() <= 10,
        "README's script has more than ten lines:\n{script}"
    );
    let python = support::require(&["torch"]);
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("best.py"), module).expect("write best.py");
    let out = support::run_script(&python, dir.path(), &script, &[]);
    let losses: Vec<f64> = out
        .lines()
        .filter_map(|l| l.split("loss ").nth(1))
        .map(|v| v.trim().parse().expect("a loss"))
        .collect();
    assert_eq!(losses.len(), 4, "{out}");
    assert!(losses.iter().all(|l| l.is_finite()), "{out}");
    assert!(losses[3] < losses[0], "the loss did not fall:\n{out}");
}
