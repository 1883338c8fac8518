//! What users do to run directories besides searching: read them while they are written, edit
//! or damage their files by hand, start a second writer, export over an existing file. Readers
//! never change a run, a damaged file is reported with file, line and column (never a panic),
//! one damaged run does not hide the others, a second writer is refused with the holder named.

mod common;

use common::{ok, radact, runs_json, tiny_search};
use radact::run::{RunLock, RunView, CHECKPOINT, CONFIG, JOURNAL};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A finished tiny run in `root/name`.
fn tiny_run(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    tiny_search(&dir, &["--budget", "6"]);
    dir
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Replaces the first occurrence of `from` in a run file.
fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn readers_never_change_a_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tiny_run(tmp.path(), "r");
    // A torn last line, as a writer leaves while it appends: readers ignore it, keep it.
    let journal = dir.join(JOURNAL);
    let mut bytes = std::fs::read(&journal).unwrap();
    let complete = String::from_utf8_lossy(&bytes).lines().count();
    bytes.extend_from_slice(b"{\"id\":99,\"batch\":");
    std::fs::write(&journal, &bytes).unwrap();
    let before: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();

    ok(&["inspect", dir.to_str().unwrap()]);
    ok(&["runs", "--dir", tmp.path().to_str().unwrap()]);
    ok(&["export", dir.to_str().unwrap(), "--top", "1"]);
    assert_eq!(
        RunView::open(&dir).unwrap().records().unwrap().len(),
        complete
    );

    for (path, bytes) in &before {
        assert_eq!(
            &std::fs::read(path).unwrap(),
            bytes,
            "{} changed",
            path.display()
        );
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), before.len());

    // A run without a journal yet: readers do not create one.
    std::fs::remove_file(&journal).unwrap();
    ok(&["inspect", dir.to_str().unwrap()]);
    assert!(!journal.exists(), "inspect created the journal");

    // The writer repairs the torn line when it resumes.
    std::fs::write(&journal, &bytes).unwrap();
    ok(&["resume", dir.to_str().unwrap(), "--json"]);
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.ends_with('\n') && !text.contains("{\"id\":99,"));
}

/// A run made when `test_accuracy` could still be a search objective: readers show and export
/// it, and it is not continued (the error points at the objectives of its config.ron).
#[test]
fn a_run_that_selected_on_the_test_split_is_readable_but_not_continued() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tiny_run(tmp.path(), "old");
    edit(&dir.join(CONFIG), "validation_accuracy,", "test_accuracy,");
    edit(
        &dir.join(radact::run::HALL_OF_FAME),
        "validation_accuracy,",
        "test_accuracy,",
    );
    edit(
        &dir.join(CHECKPOINT),
        "finished: Some(budget)",
        "finished: None",
    );
    let view = RunView::open(&dir).unwrap();
    assert!(view.hall_of_fame().unwrap().is_some());
    assert!(ok(&["inspect", dir.to_str().unwrap()]).contains("Hall of fame (test_accuracy"));
    assert_eq!(runs_json(tmp.path())[0]["state"], "stopped");
    let out_file = tmp.path().join("best.ron");
    ok(&[
        "export",
        dir.to_str().unwrap(),
        "--top",
        "1",
        "--output",
        out_file.to_str().unwrap(),
    ]);
    let out = radact(&["resume", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    let config = std::fs::read_to_string(dir.join(CONFIG)).unwrap();
    let line = config
        .lines()
        .position(|l| l.contains("objectives:"))
        .unwrap()
        + 1;
    assert!(
        message.contains(&format!("config.ron:{line}:"))
            && message.contains("`test_accuracy` cannot be a search objective")
            && message.contains("validation_loss")
            && message.contains("not continued"),
        "{message}"
    );
}

#[test]
fn a_second_writer_is_refused_and_named_and_viewers_see_the_writer() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tiny_run(tmp.path(), "w");
    edit(
        &dir.join(CHECKPOINT),
        "finished: Some(budget)",
        "finished: None",
    );
    let lock = RunLock::acquire(&dir, "another radact search").unwrap();
    let out = radact(&["resume", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("is being written by process")
            && message.contains(&std::process::id().to_string())
            && message.contains("another radact search"),
        "{message}"
    );
    let runs: Value = runs_json(tmp.path());
    assert_eq!(runs[0]["writer"]["command"], "another radact search");
    assert!(ok(&["runs", "--dir", tmp.path().to_str().unwrap()]).contains("live"));
    assert!(ok(&["inspect", dir.to_str().unwrap()]).contains("another radact search"));
    // Once the writer is gone (however it ended), the run can be taken.
    drop(lock);
    ok(&["resume", dir.to_str().unwrap(), "--json"]);
}

#[test]
fn the_run_list_counts_what_the_journal_holds_before_any_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tiny_run(tmp.path(), "killed-in-its-first-batch");
    let finished = runs_json(tmp.path());
    let trained = finished[0]["trained"].as_u64().unwrap();
    assert!(trained > 0, "{finished}");
    // A search killed (or still running) before its first checkpoint: the journal is all there is.
    std::fs::remove_file(dir.join("checkpoint.ron")).unwrap();
    std::fs::remove_file(dir.join("hall_of_fame.ron")).ok();
    std::fs::remove_file(dir.join("final_check.ron")).ok();
    let runs = runs_json(tmp.path());
    assert_eq!(runs[0]["trained"].as_u64(), Some(trained), "{runs}");
    assert_eq!(runs[0]["state"], "stopped", "{runs}");
}

#[test]
fn damaged_run_files_are_reported_with_position_and_do_not_hide_other_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tiny_run(tmp.path(), "a-good");
    let template = tiny_run(tmp.path(), "template");
    // (file, text to replace, replacement, words the error must contain)
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            CONFIG,
            "objectives: [\n            validation_accuracy,\n            cost,\n        ]",
            "objectives: []",
            "at least one objective",
        ),
        (CONFIG, "tournament: 3", "tournament: 0", "tournament must be"),
        (
            CONFIG,
            "modes: [\n                \"surrogate\",\n                \"exact\",\n                \"rect(-0.5, 0.5)\",\n            ]",
            "modes: []",
            "backward mode",
        ),
        (CONFIG, "evaluations: 6", "evaluations: 0", "budget"),
        (CONFIG, "name: \"tiny\"", "name: 5", "Expected string"),
        (CHECKPOINT, "tournament: 3", "tournament: 0", "tournament"),
        (CHECKPOINT, "size: 6", "size: 2", "size"),
        (CHECKPOINT, "trained: 6,", "trained: 600,", "600 candidates trained"),
        (JOURNAL, "\"objectives\":[", "\"objectives\":[1.0,", "objective values"),
        (JOURNAL, "{\"id\":0", "{\"id\":\"zero\"", "journal.jsonl:1:"),
    ];
    for (i, (file, from, to, words)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("damaged-{i}"));
        std::fs::create_dir(&dir).unwrap();
        for f in [CONFIG, CHECKPOINT, JOURNAL, "hall_of_fame.ron"] {
            std::fs::copy(template.join(f), dir.join(f)).unwrap();
        }
        edit(&dir.join(file), from, to);
        let path = dir.to_str().unwrap();
        for args in [
            vec!["inspect", path],
            vec!["resume", path],
            vec!["export", path, "--top", "1"],
        ] {
            let out = radact(&args);
            let message = stderr(&out);
            assert_ne!(out.status.code(), Some(101), "{args:?} panicked: {message}");
            if args[0] == "export" && *file == CHECKPOINT {
                // Exports read the configuration and the journal only.
                assert!(out.status.success(), "{message}");
                continue;
            }
            assert!(
                !out.status.success(),
                "{args:?} on a damaged {file} succeeded"
            );
            assert!(
                message.contains(file) && message.contains(words),
                "{args:?} with {file}: `{to}`: {message}"
            );
            // file:line:column
            let at = message.find(file).unwrap() + file.len();
            assert!(
                message[at..].starts_with(':')
                    && message[at + 1..].chars().next().unwrap().is_ascii_digit(),
                "{args:?}: no position in {message}"
            );
        }
    }
    std::fs::remove_dir_all(&template).unwrap();
    // `radact runs` lists every run: the good one as usual, each damaged one with its reason.
    let runs: Value = runs_json(tmp.path());
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), cases.len() + 1);
    assert_eq!(runs[0]["dir"], good.to_str().unwrap());
    assert_eq!(runs[0]["state"], "finished");
    for r in &runs[1..] {
        assert_eq!(r["state"], "damaged", "{r}");
        assert!(r["reason"].as_str().unwrap().contains(':'), "{r}");
    }
    let table = ok(&["runs", "--dir", tmp.path().to_str().unwrap()]);
    assert!(
        table.contains("damaged") && table.contains("finished"),
        "{table}"
    );
}

#[test]
fn exports_do_not_replace_files_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tiny_run(tmp.path(), "e");
    let out_file = tmp.path().join("best.ron");
    std::fs::write(&out_file, "my notes").unwrap();
    let path = dir.to_str().unwrap();
    let target = out_file.to_str().unwrap();
    let out = radact(&["export", path, "-o", target]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "my notes");
    ok(&["export", path, "-o", target, "--force"]);
    assert!(std::fs::read_to_string(&out_file)
        .unwrap()
        .contains("formula"));
    assert!(!tmp.path().join("best.ron.tmp").exists());
}
