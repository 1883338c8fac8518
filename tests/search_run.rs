//! `radact search`, `resume`, `runs` and `inspect` end to end on a tiny space: run layout, event
//! stream, determinism across thread counts, resumption after SIGKILL, bad space files.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

mod common;

use common::{journal, ok, radact, runs_json, tiny_search, TINY};

fn events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn a_tiny_search_runs_end_to_end_and_is_reproducible_across_thread_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let stdout = ok(&[
        "search",
        "--space",
        TINY,
        "--out",
        a.to_str().unwrap(),
        "--threads",
        "2",
        "--json",
    ]);
    let ev = events(&stdout);
    assert_eq!(ev[0]["event"], "started");
    let candidates: Vec<&Value> = ev.iter().filter(|e| e["event"] == "candidate").collect();
    let trained = candidates
        .iter()
        .filter(|e| e["record"]["status"] == "trained" || e["record"]["status"] == "failed")
        .count();
    assert_eq!(trained, 14, "the budget counts trained candidates");
    let finished = ev.iter().find(|e| e["event"] == "finished").unwrap();
    assert_eq!(finished["reason"], "budget");
    // Where the session's time went: every candidate trained counted, the shares within the
    // wall-clock time.
    let t = &finished["throughput"];
    assert_eq!(t["trained"], 14, "{t}");
    let wall = t["wall_s"].as_f64().unwrap();
    let parts: Vec<f64> = [
        "training_s",
        "scoring_s",
        "waiting_s",
        "preparing_s",
        "selecting_s",
        "writing_s",
    ]
    .iter()
    .map(|k| t[*k].as_f64().unwrap())
    .collect();
    assert!(parts.iter().all(|p| *p >= 0.0), "{t}");
    assert!(parts.iter().sum::<f64>() <= wall * 1.01, "{t}");
    assert!(
        parts[0] > 0.0 && parts[1] > 0.0,
        "training and scoring are measured: {t}"
    );
    let check = ev
        .iter()
        .find(|e| e["event"] == "final_check")
        .expect("final check event");
    assert_eq!(check["report"]["baselines"][0]["formula"], "relu(x)");
    assert!(!check["report"]["candidates"].as_array().unwrap().is_empty());
    for f in [
        "config.ron",
        "journal.jsonl",
        "checkpoint.ron",
        "hall_of_fame.ron",
        "final_check.ron",
    ] {
        assert!(a.join(f).exists(), "{f} missing");
    }
    // Baselines come first, and candidates are real, trained networks (better than chance).
    let j = journal(&a);
    assert_eq!(j[0].formula, "relu(x)");
    let best = j
        .iter()
        .filter_map(|r| r.objectives.as_ref().map(|o| o[0]))
        .fold(0.0, f64::max);
    assert!(best > 0.5, "best validation accuracy {best}");

    // Same seed, one thread: the same run.
    let b = tmp.path().join("b");
    ok(&[
        "search",
        "--space",
        TINY,
        "--out",
        b.to_str().unwrap(),
        "--threads",
        "1",
        "--json",
    ]);
    assert_eq!(journal(&a), journal(&b));

    // `runs` and `inspect` see it.
    let runs: Value = runs_json(tmp.path());
    assert_eq!(runs.as_array().unwrap().len(), 2);
    assert_eq!(runs[0]["state"], "finished");
    assert_eq!(runs[0]["trained"], 14);
    let text = ok(&["inspect", a.to_str().unwrap()]);
    assert!(
        text.contains("Hall of fame") && text.contains("Final check"),
        "{text}"
    );

    // Resuming a finished run does nothing more.
    let again = ok(&["resume", a.to_str().unwrap(), "--json"]);
    assert_eq!(journal(&a).len(), j.len());
    assert!(again.contains("\"finished\""));
}

#[test]
fn a_killed_search_resumes_where_it_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("reference");
    ok(&[
        "search",
        "--space",
        TINY,
        "--out",
        reference.to_str().unwrap(),
        "--threads",
        "1",
        "--json",
    ]);

    let killed = tmp.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_radact"))
        .args([
            "search",
            "--space",
            TINY,
            "--out",
            killed.to_str().unwrap(),
            "--threads",
            "1",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Kill it in the middle of the run, after a few candidates.
    let mut seen = 0;
    for line in lines.by_ref() {
        let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
        if v["event"] == "candidate" {
            seen += 1;
            if seen == 7 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let partial = journal(&killed);
    assert!(
        partial.len() >= 7 && partial.len() < journal(&reference).len(),
        "{}",
        partial.len()
    );

    ok(&[
        "resume",
        killed.to_str().unwrap(),
        "--threads",
        "2",
        "--json",
    ]);
    assert_eq!(
        journal(&killed),
        journal(&reference),
        "resumed run differs from an uninterrupted one"
    );
}

/// `--max-time`: the search stops proposing at the deadline, finishes the batch in flight, runs
/// the final check; the time spent is kept in the checkpoint, and a resumed run counts it.
#[test]
fn a_time_limit_stops_the_search_and_resume_counts_the_time_spent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("timed");
    let started = std::time::Instant::now();
    let stdout = tiny_search(&dir, &["--budget", "100000", "--max-time", "1s"]);
    assert!(started.elapsed().as_secs() < 120, "{:?}", started.elapsed());
    let ev = events(&stdout);
    let finished = ev.iter().find(|e| e["event"] == "finished").unwrap();
    assert_eq!(finished["reason"], "time_limit", "{finished}");
    let trained = finished["trained"].as_u64().unwrap();
    assert!(trained > 0 && trained < 100000, "{trained}");
    assert!(ev.iter().any(|e| e["event"] == "final_check"));
    let view = radact::run::RunView::open(&dir).unwrap();
    assert_eq!(
        view.config().space.max_time.map(|t| t.to_string()),
        Some("1s".to_string())
    );
    let state = view.checkpoint().unwrap().unwrap();
    assert!(state.elapsed_s >= 1.0, "{}", state.elapsed_s);
    assert!(
        ok(&["inspect", dir.to_str().unwrap()]).contains("finished (time_limit)"),
        "inspect shows why"
    );

    // Resumed as if it had been stopped before the end: the second already spent counts, so it
    // stops at once without proposing anything.
    let checkpoint = dir.join("checkpoint.ron");
    let text = std::fs::read_to_string(&checkpoint).unwrap();
    assert!(text.contains("finished: Some(time_limit)"), "{text}");
    std::fs::write(
        &checkpoint,
        text.replace("finished: Some(time_limit)", "finished: None"),
    )
    .unwrap();
    let before = journal(&dir);
    let again = events(&ok(&["resume", dir.to_str().unwrap(), "--json"]));
    let finished = again.iter().find(|e| e["event"] == "finished").unwrap();
    assert_eq!(finished["reason"], "time_limit");
    assert_eq!(finished["trained"].as_u64(), Some(trained));
    assert_eq!(journal(&dir), before, "nothing proposed after the deadline");

    // A bad limit is refused.
    let out = radact(&["search", "--space", TINY, "--max-time", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("soon"));
}

#[test]
fn bad_space_files_are_reported_with_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(TINY).unwrap();
    let cases = [
        (
            text.replace("\"tanh\"", "\"tanhh\""),
            "unknown primitive `tanhh` (did you mean `tanh`?)",
        ),
        (text.replace("batch: 4", "batch: 0"), "batch must be"),
        (
            text.replace("evaluations: 14,", "evaluations: 14"),
            "bad.ron:",
        ),
        (
            text.replace("\"rect(-0.5, 0.5)\"", "\"rect(1, 0)\""),
            "below",
        ),
    ];
    for (content, want) in cases {
        let path = tmp.path().join("bad.ron");
        std::fs::write(&path, content).unwrap();
        let out = radact(&[
            "search",
            "--space",
            path.to_str().unwrap(),
            "--out",
            tmp.path().join("r").to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{err}");
        let located = err
            .split(&format!("{}:", path.display()))
            .nth(1)
            .unwrap_or("");
        let mut parts = located.split(':');
        let line: usize = parts.next().unwrap_or("").parse().unwrap_or(0);
        let column: usize = parts.next().unwrap_or("").parse().unwrap_or(0);
        assert!(line > 0 && column > 0, "no line:column in {err}");
        assert!(
            !tmp.path().join("r").exists(),
            "no run is created for a bad space"
        );
    }
    let out = radact(&["search", "--space", "no-such-space"]);
    assert_eq!(out.status.code(), Some(2));
}
