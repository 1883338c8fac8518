//! The RON export record as users see it: round trips with and without scores, files holding
//! one record or a list, errors naming file, line and column, and edits of derived fields
//! caught by name.

use radact::activation::Activation;
use radact::export::{ExportError, ExportedActivation, RADACT_VERSION};
use radact::expr::Fingerprint;
use radact::train::{Metrics, Score, Status, Summary, Task};
use std::path::Path;

fn swish() -> ExportedActivation {
    let act = Activation::parse("x * sigmoid(1.702 * x)", "exact").unwrap();
    ExportedActivation::new("swish 1.702", act)
}

fn step() -> ExportedActivation {
    let act = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap();
    ExportedActivation::new("step", act)
}

fn summary() -> Summary {
    let metrics = |acc: f64| Metrics {
        train_accuracy: Some(acc),
        train_loss: Some(0.1234567890123),
        validation_accuracy: Some(acc - 0.01),
        validation_loss: Some(0.2),
        test_accuracy: Some(acc - 0.02),
        test_loss: Some(0.25),
        sparsity: 0.5,
        distinct_values: 2.0,
        noisy_accuracy_0_1: Some(acc - 0.03),
        noisy_accuracy_0_3: Some(1.0 / 3.0),
        modes: None,
        high_quality: None,
        reverse_kl: None,
    };
    let scores = [
        Score {
            seed: 0,
            status: Status::Completed,
            steps: 2800,
            wall_time_s: 0.75,
            metrics: Some(metrics(0.97)),
            constants: Vec::new(),
            generated: Vec::new(),
        },
        Score {
            seed: 1,
            status: Status::Failed {
                reason: "loss became NaN at step 12".into(),
            },
            steps: 12,
            wall_time_s: 0.01,
            metrics: None,
            constants: Vec::new(),
            generated: Vec::new(),
        },
        Score {
            seed: 2,
            status: Status::Completed,
            steps: 2800,
            wall_time_s: 0.8,
            metrics: Some(metrics(0.95)),
            constants: Vec::new(),
            generated: Vec::new(),
        },
    ];
    Summary::of(&scores, 3.25)
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn records_round_trip_without_and_with_scores() {
    let plain = step();
    let full = swish()
        .with_scores(summary())
        .with_task(Task::default())
        .with_origin("runs/demo", Some(17))
        .with_seed(2);
    for record in [plain, full] {
        let text = record.to_ron();
        let back = ExportedActivation::from_ron_str(&text, "mem.ron").unwrap();
        assert_eq!(back, record, "{text}");
        assert_eq!(back.to_ron(), text, "writing is stable");
    }
}

#[test]
fn the_record_holds_what_users_need() {
    let r = swish()
        .with_scores(summary())
        .with_origin("runs/demo", Some(17));
    assert_eq!(r.name(), "swish 1.702");
    assert_eq!(r.formula(), "x * sigmoid(1.702 * x)");
    assert_eq!(
        r.backward_formula(),
        r.activation().backward_graph().to_string()
    );
    assert_eq!(r.provenance().radact_version, RADACT_VERSION);
    assert_eq!(
        r.provenance().fingerprint,
        radact::expr::fingerprint(&r.activation().forward)
    );
    let text = r.to_ron();
    for field in [
        "name: \"swish 1.702\"",
        "formula: \"x * sigmoid(1.702 * x)\"",
        "backward_formula: \"",
        "backward: \"exact\"",
        "nodes: [",
        "scores: Some(",
        "run: Some(\"runs/demo\")",
        "candidate: Some(17)",
        "radact_version: \"",
        "fingerprint: \"",
    ] {
        assert!(text.contains(field), "no `{field}` in\n{text}");
    }
    assert!(
        !text.contains("task:"),
        "absent parts are left out:\n{text}"
    );
}

#[test]
fn files_hold_one_record_or_a_list() {
    let dir = tempfile::tempdir().unwrap();
    let one = write(dir.path(), "one.ron", &swish().to_ron());
    let list = write(
        dir.path(),
        "top2.ron",
        &ExportedActivation::list_to_ron(&[swish(), step()]),
    );
    let single_list = write(
        dir.path(),
        "top1.ron",
        &format!(
            "// the best one\n{}",
            ExportedActivation::list_to_ron(&[step()])
        ),
    );

    assert_eq!(ExportedActivation::load(&one).unwrap(), swish());
    assert_eq!(ExportedActivation::load_all(&one).unwrap(), vec![swish()]);
    assert_eq!(
        ExportedActivation::load_all(&list).unwrap(),
        vec![swish(), step()]
    );
    assert_eq!(ExportedActivation::load(&single_list).unwrap(), step());
    match ExportedActivation::load(&list) {
        Err(ExportError::NotOne { count: 2, origin }) => assert!(origin.ends_with("top2.ron")),
        other => panic!("expected NotOne, got {other:?}"),
    }
    match ExportedActivation::load(&dir.path().join("missing.ron")) {
        Err(e @ ExportError::Read { .. }) => assert!(e.to_string().contains("missing.ron")),
        other => panic!("expected Read, got {other:?}"),
    }
}

#[test]
fn a_hand_written_record_needs_only_name_and_activation() {
    let text = r#"(
    name: "my step",
    activation: (
        forward: (formula: "heaviside(x)"),
        backward: "rect(-0.5, 0.5)",
    ),
)"#;
    let r = ExportedActivation::from_ron_str(text, "mine.ron").unwrap();
    assert_eq!(r.formula(), "heaviside(x)");
    assert_eq!(r.backward_formula(), step().backward_formula());
    assert_eq!(r.provenance().fingerprint, step().provenance().fingerprint);
    assert_eq!(r.provenance().radact_version, RADACT_VERSION);
    assert!(r.scores().is_none() && r.task().is_none() && r.provenance().run.is_none());
}

/// Replaces `from` by `to` in `text`, which must contain it.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "`{from}` not in\n{text}");
    text.replacen(from, to, 1)
}

fn syntax_error(text: &str) -> (usize, usize, String) {
    match ExportedActivation::all_from_ron_str(text, "bad.ron") {
        Err(e @ ExportError::Syntax { .. }) => {
            let shown = e.to_string();
            let ExportError::Syntax { line, column, .. } = e else {
                unreachable!()
            };
            assert!(
                shown.starts_with(&format!("bad.ron:{line}:{column}: ")),
                "{shown}"
            );
            (line, column, shown)
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn load_errors_name_file_line_and_column() {
    let good = step().to_ron();
    // A missing comma after the name (line 2).
    let (line, column, _) = syntax_error(&edit(&good, "\"step\",", "\"step\""));
    assert_eq!(line, 3, "the parser stops at the next field");
    assert!(column > 1);
    // An unknown field, named in the message.
    let (line, _, shown) = syntax_error(&edit(&good, "    formula:", "    formulae:"));
    assert_eq!(line, 3);
    assert!(shown.contains("formulae"), "{shown}");
    // A forward formula that does not parse, in the activation's graph.
    let bad_graph = edit(
        &good,
        "forward: (\n            formula: \"heaviside(x)\"",
        "forward: (\n            formula: \"heavyside(x)\"",
    );
    let (_, _, shown) = syntax_error(&bad_graph);
    assert!(shown.contains("heavyside"), "{shown}");
    // A backward mode that does not parse.
    let (line, _, shown) = syntax_error(&edit(&good, "\"rect(-0.5, 0.5)\"", "\"rectt(1)\""));
    assert!(shown.contains("did you mean `rect`"), "{shown}");
    assert!(line > 3, "{shown}");
    // The position in a list counts from the file's start.
    let list = format!(
        "[\n{},\n{}\n]",
        swish().to_ron(),
        edit(&good, "\"step\",", "\"step\"")
    );
    let (line, _, _) = syntax_error(&list);
    assert!(
        line > good.lines().count(),
        "line {line} is in the second record"
    );
}

fn inconsistency(text: &str) -> (&'static str, String) {
    match ExportedActivation::from_ron_str(text, "edited.ron") {
        Err(e @ ExportError::Inconsistent { .. }) => {
            let shown = e.to_string();
            let ExportError::Inconsistent { field, .. } = e else {
                unreachable!()
            };
            (field, shown)
        }
        other => panic!("expected an inconsistency, got {other:?}"),
    }
}

#[test]
fn edited_derived_fields_are_caught_by_name() {
    let good = swish().to_ron();
    let (field, shown) = inconsistency(&edit(
        &good,
        "    formula: \"x * sigmoid(1.702 * x)\"",
        "    formula: \"x * sigmoid(2 * x)\"",
    ));
    assert_eq!(field, "formula");
    assert!(
        shown.starts_with("edited.ron: activation 0 (`swish 1.702`): `formula`"),
        "{shown}"
    );

    let derived = swish().backward_formula().to_string();
    let (field, shown) = inconsistency(&edit(
        &good,
        &format!("backward_formula: \"{derived}\""),
        "backward_formula: \"1\"",
    ));
    assert_eq!(field, "backward_formula");
    assert!(shown.contains("activation.backward"), "{shown}");

    let fp = swish().provenance().fingerprint.to_string();
    let (field, _) = inconsistency(&edit(
        &good,
        &fp,
        &Fingerprint(swish().provenance().fingerprint.0 ^ 1).to_string(),
    ));
    assert_eq!(field, "provenance.fingerprint");

    // In a list, the message names the record.
    let list = format!(
        "[{}, {}]",
        step().to_ron(),
        edit(
            &good,
            "\"x * sigmoid(1.702 * x)\",\n    backward",
            "\"x\",\n    backward"
        )
    );
    match ExportedActivation::all_from_ron_str(&list, "top.ron") {
        Err(ExportError::Inconsistent { index, name, .. }) => {
            assert_eq!((index, name.as_str()), (1, "swish 1.702"));
        }
        other => panic!("expected an inconsistency, got {other:?}"),
    }
}

#[test]
fn an_equivalent_backward_formula_is_accepted_and_rewritten() {
    let good = step().to_ron();
    let derived = step().backward_formula().to_string();
    let text = edit(
        &good,
        &format!("backward_formula: \"{derived}\""),
        "backward_formula: \"bump(x)\"",
    );
    let r = ExportedActivation::from_ron_str(&text, "old.ron").unwrap();
    assert_eq!(r.backward_formula(), derived);
    assert_eq!(r, step());
}
