//! A tiny search of the shipped `gan-ring` space end to end (`radact search`, then `inspect`):
//! candidates are scored by the GAN's reverse KL and modes, the journal keeps generated
//! samples, and the final check compares by reverse KL with the space's GAN baselines.

use serde_json::Value;

mod common;

use common::ok;

/// The shipped space, shrunk: 40 steps on one seed, 8 candidates, a final check of the best
/// one and the three baselines on two seeds.
fn tiny_gan_space() -> String {
    let text = include_str!("../search-spaces/gan-ring.ron");
    let mut tiny = text.to_string();
    for (from, to) in [
        ("budget: steps(3000)", "budget: steps(40)"),
        ("seeds: [0, 1, 2],", "seeds: [0],"),
        ("evaluations: 5000,", "evaluations: 8,"),
        ("max_time: Some(\"1h\"),", ""),
        ("batch: 8,", "batch: 4,"),
        ("top: 5,", "top: 1,"),
        (
            "seeds: [100, 101, 102, 103, 104, 105, 106, 107, 108, 109],",
            "seeds: [100, 101],",
        ),
    ] {
        assert!(tiny.contains(from), "the shipped space has `{from}`");
        tiny = tiny.replacen(from, to, 1);
    }
    tiny
}

#[test]
fn a_tiny_gan_ring_search_runs_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let space = tmp.path().join("gan.ron");
    std::fs::write(&space, tiny_gan_space()).unwrap();
    let run = tmp.path().join("run");
    let args = ["search", "--space", space.to_str().unwrap(), "--out"];
    let stdout = ok(&[&args[..], &[run.to_str().unwrap(), "--json"]].concat());
    let events: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["event"], "started");
    assert!(events.iter().any(|e| e["event"] == "finished"));
    let journal = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
    let trained: Vec<Value> = journal
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["status"] == "trained")
        .collect();
    assert!(trained.len() >= 4, "{journal}");
    for r in &trained {
        let Some(values) = r["objectives"].as_array() else {
            continue; // every seed failed
        };
        let (kl, modes) = (values[0].as_f64().unwrap(), values[1].as_f64().unwrap());
        assert!((0.0..=8f64.ln() + 1e-9).contains(&kl), "{r}");
        assert!((0.0..=8.0).contains(&modes) && modes.fract() == 0.0, "{r}");
        let seed = &r["evaluation"]["seeds"][0];
        assert_eq!(seed["generated"].as_array().unwrap().len(), 256, "{r}");
        assert_eq!(seed["metrics"]["reverse_kl"].as_f64(), Some(kl));
    }
    let report = std::fs::read_to_string(run.join("final_check.ron")).unwrap();
    let report: radact::search::final_check::FinalReport = ron::from_str(&report).unwrap();
    assert_eq!(report.metric, radact::search::Objective::ReverseKl);
    let baselines: Vec<&str> = report
        .baselines
        .iter()
        .map(|b| b.formula.as_str())
        .collect();
    assert_eq!(baselines.len(), 3, "{baselines:?}");
    assert!(report.baselines.iter().all(|b| b.values.len() == 2));
    // The other objective (modes) is shown next to the compared one.
    for row in report.baselines.iter().chain(&report.candidates) {
        let (objective, modes) = row.also[0];
        assert_eq!(objective, radact::search::Objective::Modes);
        assert!((0.0..=8.0).contains(&modes), "{row:?}");
    }
    let inspect = ok(&["inspect", run.to_str().unwrap()]);
    assert!(
        inspect.contains("Hall of fame (reverse_kl, modes, high-quality share)"),
        "{inspect}"
    );
    // Each entry: id, reverse KL, modes, then the median high-quality share (3 decimals).
    let first = inspect
        .lines()
        .skip_while(|l| !l.starts_with("Hall of fame"))
        .nth(1)
        .unwrap();
    let share = first.split_whitespace().nth(3).unwrap();
    assert_eq!(share.split('.').nth(1).map(str::len), Some(3), "{first}");
    assert!(
        (0.0..=1.0).contains(&share.parse::<f64>().unwrap()),
        "{first}"
    );
    assert!(
        inspect.contains("Final check: reverse KL over 2 new seeds"),
        "{inspect}"
    );
}
