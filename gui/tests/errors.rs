//! Bad input is reported in the UI, never a panic: a space file that does not parse, a
//! directory that is not a run, a journal with a corrupt line, a start with bad settings.

mod common;

use common::{fixture_run, harness, step_until};
use egui_kittest::kittest::Queryable;
use radact_gui::RadactApp;
use std::io::Write;
use std::time::Duration;

#[test]
fn a_bad_space_file_shows_its_error_and_disables_start() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.ron");
    std::fs::write(
        &bad,
        "(\n    name: \"bad\",\n    primitives: { \"tanhh\": 1.0 },\n)\n",
    )
    .unwrap();
    let mut h = harness(RadactApp::new(&tmp.path().join("runs"), tmp.path()));
    h.step();
    h.state_mut().launch.path = bad.display().to_string();
    h.get_by_label("Load").click();
    h.step();
    h.step();
    let error = h.state().launch.error().expect("an error").to_string();
    assert!(error.contains("bad.ron:3:"), "{error}");
    assert!(error.contains("tanhh"), "{error}");
    // On screen, and Start is disabled.
    assert!(h.query_by_label(&error).is_some(), "the error is not shown");
    h.get_by_label("Start").click();
    h.step();
    assert!(!h.state().is_searching());

    // A file that does not exist.
    h.state_mut().launch.path = tmp.path().join("missing.ron").display().to_string();
    h.get_by_label("Load").click();
    h.step();
    h.step();
    let error = h.state().launch.error().expect("an error").to_string();
    assert!(error.contains("missing.ron"), "{error}");
    assert!(h.query_by_label(&error).is_some());
}

#[test]
fn bad_runs_and_settings_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = harness(RadactApp::new(&tmp.path().join("runs"), tmp.path()));
    h.step();

    // Not a run.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let ctx = h.ctx.clone();
    h.state_mut().open_run(&empty, &ctx);
    step_until(&mut h, Duration::from_secs(10), "the error", |app| {
        !app.errors().is_empty()
    });
    h.step();
    let error = h.state().errors()[0].clone();
    assert!(error.contains("is not a radact run"), "{error}");
    assert!(h.query_by_label(&error).is_some(), "the error is not shown");

    // A journal with a corrupt line.
    let dir = tmp.path().join("corrupt");
    let records = fixture_run(&dir);
    let mut journal = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("journal.jsonl"))
        .unwrap();
    writeln!(journal, "{{\"id\": \"not a record\"}}").unwrap();
    drop(journal);
    h.state_mut().open_run(&dir, &ctx);
    step_until(
        &mut h,
        Duration::from_secs(10),
        "the journal error",
        |app| app.errors().iter().any(|e| e.contains("journal.jsonl")),
    );
    assert!(!records.is_empty());
    h.step();
    let error = h.state().errors().last().unwrap().clone();
    assert!(h.query_by_label(&error).is_some(), "the error is not shown");

    // Bad settings: an unparsable training seed.
    h.state_mut().launch.load_builtin("default");
    h.state_mut().launch.training_seeds = "0, one".into();
    h.get_by_label("Start").click();
    h.step();
    h.step();
    assert!(!h.state().is_searching());
    let last = h.state().errors().last().unwrap().clone();
    assert!(last.contains("training seed `one`"), "{last}");
}
