//! Run integrity: a search killed at any point resumes to the journal of an uninterrupted run,
//! record for record; readers never change a run; a second writer is refused; damaged run files
//! are reported with file, line and column, never with a panic.
//!
//! The kill matrix injects faults through the engine's `Recorder` (the process "dies" after the
//! k-th record, in the middle of a record, just before a checkpoint, in the middle of a
//! checkpoint) for every k of a small run; the real-process test kills `radact search` /
//! `radact resume` with SIGKILL 20 times at random moments (a random number of candidates into
//! each life of the process, plus a random delay) while `radact inspect` and `radact runs` read
//! the run in a loop.

mod common;

use common::{radact, TINY, TINY_LADDER};
use radact::run::{Run, RunConfig, RunView, CHECKPOINT, CONFIG, HALL_OF_FAME, JOURNAL};
use radact::search::engine::{EngineState, Recorder};
use radact::search::hall_of_fame::HallOfFame;
use radact::search::record::Record;
use radact::search::SearchSpace;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn tiny() -> SearchSpace {
    SearchSpace::load(Path::new(TINY)).unwrap()
}

/// The tiny space with a three-rung successive-halving ladder.
fn tiny_ladder() -> SearchSpace {
    SearchSpace::load(Path::new(TINY_LADDER)).unwrap()
}

/// A journal line without what measures time (wall times, evaluator speed), which differs from
/// run to run.
fn without_timings(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for key in ["seconds", "wall_time_s", "forward_ns_per_element"] {
                    map.remove(key);
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

/// The journal's lines, each parsed and without timings; panics on a torn or invalid line.
fn journal(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join(JOURNAL))
        .unwrap()
        .lines()
        .map(|l| without_timings(serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))))
        .collect()
}

/// Where the simulated process dies.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// After `k` complete records, before the next one is written.
    AfterRecords(usize),
    /// In the middle of writing record `k` (1-based): half its line reaches the file.
    TornRecord(usize),
    /// Just before checkpoint `c` (1-based): the batch's records are written, the state is not.
    BeforeCheckpoint(usize),
    /// In the middle of checkpoint `c`: the hall of fame is written, the checkpoint's temporary
    /// file is half written, the checkpoint itself is not replaced.
    DuringCheckpoint(usize),
}

/// A recorder that writes through to the run until its fault, then fails every call, as a
/// killed process would stop writing.
struct Faulty<'a> {
    run: &'a mut Run,
    fault: Fault,
    records: usize,
    checkpoints: usize,
    dead: bool,
}

fn killed() -> std::io::Error {
    std::io::Error::other("injected kill")
}

impl Recorder for Faulty<'_> {
    fn record(&mut self, record: &Record) -> std::io::Result<()> {
        if self.dead {
            return Err(killed());
        }
        match self.fault {
            Fault::AfterRecords(k) if self.records == k => {
                self.dead = true;
                return Err(killed());
            }
            Fault::TornRecord(k) if self.records + 1 == k => {
                let line = serde_json::to_string(record)?;
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(self.run.dir().join(JOURNAL))?;
                f.write_all(&line.as_bytes()[..line.len() / 2])?;
                self.dead = true;
                return Err(killed());
            }
            _ => {}
        }
        self.records += 1;
        self.run.record(record)
    }

    fn checkpoint(&mut self, state: &EngineState, hall: &HallOfFame) -> std::io::Result<()> {
        if self.dead {
            return Err(killed());
        }
        self.checkpoints += 1;
        match self.fault {
            Fault::BeforeCheckpoint(c) if self.checkpoints == c => {
                self.dead = true;
                Err(killed())
            }
            Fault::DuringCheckpoint(c) if self.checkpoints == c => {
                let dir = self.run.dir();
                let hall_text = ron::to_string(hall).unwrap();
                radact::run::write_atomic(&dir.join(HALL_OF_FAME), hall_text.as_bytes())?;
                let state_text = ron::to_string(state).unwrap();
                std::fs::write(
                    dir.join(format!("{CHECKPOINT}.tmp")),
                    &state_text.as_bytes()[..state_text.len() / 2],
                )?;
                self.dead = true;
                Err(killed())
            }
            _ => self.run.checkpoint(state, hall),
        }
    }
}

/// Runs the tiny space into `dir` until `fault` (or the end), then resumes it to the end as
/// `radact resume` does, and returns the journal.
fn run_with_fault(dir: &Path, space: &SearchSpace, fault: Option<Fault>) -> Vec<Value> {
    let space = space.clone();
    let config = RunConfig::new("kill-matrix", space.clone(), 7, space.evaluations);
    let mut run = Run::create(dir, config, "test").unwrap();
    let mut engine = run.engine(1).unwrap();
    match fault {
        None => {
            engine.run(&mut run, &mut |_| {}).unwrap();
        }
        Some(fault) => {
            let mut faulty = Faulty {
                run: &mut run,
                fault,
                records: 0,
                checkpoints: 0,
                dead: false,
            };
            if engine.run(&mut faulty, &mut |_| {}).is_ok() {
                return journal(dir); // the fault lies beyond the end of the run
            }
            drop(engine);
            drop(run); // the "process" is gone: its lock with it
            let mut run = Run::open(dir, "test resume").unwrap();
            let mut engine = run.engine(1).unwrap();
            engine.run(&mut run, &mut |_| {}).unwrap();
        }
    }
    journal(dir)
}

#[test]
fn a_fault_at_any_record_or_checkpoint_resumes_to_the_uninterrupted_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = run_with_fault(&tmp.path().join("reference"), &tiny(), None);
    // The tiny run has a duplicate inside a batch (the case a replay once got wrong).
    assert!(
        reference.iter().any(|r| {
            r["status"] == "duplicate"
                && reference.iter().any(|o| {
                    Some(o["id"].as_u64().unwrap()) == r["of"].as_u64() && o["batch"] == r["batch"]
                })
        }),
        "the test run should contain a duplicate of a candidate of the same batch"
    );
    kill_matrix(tmp.path(), &tiny(), &reference);
}

#[test]
fn a_killed_multi_fidelity_run_resumes_to_the_uninterrupted_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let space = tiny_ladder();
    let reference = run_with_fault(&tmp.path().join("reference"), &space, None);
    // Promotions happened, up to the top rung, interleaved with new candidates.
    let at_rung = |k: u64| {
        reference
            .iter()
            .filter(|r| r["rung"].as_u64() == Some(k))
            .count()
    };
    assert!(
        at_rung(1) >= 3 && at_rung(2) >= 1,
        "promotions: {} to rung 1, {} to rung 2",
        at_rung(1),
        at_rung(2)
    );
    let rung0 = reference.iter().filter(|r| r.get("rung").is_none()).count();
    assert!(rung0 >= space.evaluations, "{rung0} rung-0 records");
    kill_matrix(tmp.path(), &space, &reference);
}

/// Kills a run of `space` at every record and checkpoint and checks each resumes to
/// `reference`.
fn kill_matrix(tmp: &Path, space: &SearchSpace, reference: &[Value]) {
    let records = reference.len();
    let batches = reference
        .iter()
        .filter_map(|r| r["batch"].as_u64())
        .max()
        .unwrap() as usize
        + 1;
    let mut faults: Vec<Fault> = (0..=records).map(Fault::AfterRecords).collect();
    faults.extend((1..=records).map(Fault::TornRecord));
    faults.extend((1..=batches).map(Fault::BeforeCheckpoint));
    faults.extend((1..=batches).map(Fault::DuringCheckpoint));
    for (i, fault) in faults.iter().enumerate() {
        let dir = tmp.join(format!("fault-{i}"));
        let resumed = run_with_fault(&dir, space, Some(*fault));
        assert_eq!(resumed.len(), records, "{fault:?}: record count");
        for (a, b) in resumed.iter().zip(reference) {
            assert_eq!(a, b, "{fault:?}: record {} differs", b["id"]);
        }
    }
    eprintln!(
        "kill matrix: {} faults ({} records, {} checkpoints), each resumed to the same {} records",
        faults.len(),
        records,
        batches,
        records
    );
}

/// Starts `radact` with `args`, its JSON events piped.
fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_radact"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn twenty_sigkills_with_readers_running_end_with_the_uninterrupted_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let (reference, killed) = (tmp.path().join("reference"), tmp.path().join("killed"));
    let args = |dir: &Path| {
        vec![
            "--threads".to_string(),
            "2".to_string(),
            "--budget".to_string(),
            "150".to_string(),
            "--seed".to_string(),
            "5".to_string(),
            "--out".to_string(),
            dir.display().to_string(),
            "--space".to_string(),
            TINY.to_string(),
            "--json".to_string(),
        ]
    };
    let reference_args = args(&reference);
    let mut search = vec!["search"];
    search.extend(reference_args.iter().map(String::as_str));
    let out = radact(&search);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Readers: `inspect` and `runs` in a loop for the whole test; none may fail or change the
    // run.
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (stop, dir) = (stop.clone(), killed.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(Ordering::SeqCst) {
                if dir.join(CONFIG).exists() {
                    for args in [
                        vec!["inspect", dir.to_str().unwrap()],
                        vec!["runs", "--dir", dir.parent().unwrap().to_str().unwrap()],
                    ] {
                        let out = radact(&args);
                        assert!(
                            out.status.success(),
                            "{args:?} failed while the run was written: {}",
                            String::from_utf8_lossy(&out.stderr)
                        );
                        reads += 1;
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            reads
        })
    };

    let killed_args = args(&killed);
    let mut rng = rand::rngs::StdRng::seed_from_u64(8);
    let (mut kills, mut finished) = (0, false);
    for attempt in 0..400 {
        let mut command = vec![if attempt == 0 { "search" } else { "resume" }];
        if attempt == 0 {
            command.extend(killed_args.iter().map(String::as_str));
        } else {
            command.extend([killed.to_str().unwrap(), "--threads", "2", "--json"]);
        }
        let mut child = spawn(&command);
        let mut events = BufReader::new(child.stdout.take().expect("piped")).lines();
        // A random moment inside the run: after a few candidates (so that every life of the
        // process makes progress, whatever the machine's speed), then 0 to 40 ms more, which
        // lands in training, in a record, between records or in a checkpoint.
        let wanted = rng.gen_range(1..=6);
        let reached = kills < 20
            && events
                .by_ref()
                .map_while(Result::ok)
                .filter(|line| line.contains("\"event\":\"candidate\""))
                .take(wanted)
                .count()
                == wanted;
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..40)));
        if reached && child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;
            continue;
        }
        events.for_each(drop); // read to the end, so the process never blocks on a full pipe
        let status = child.wait().unwrap();
        assert!(status.success(), "attempt {attempt}: {status}");
        if RunView::open(&killed)
            .unwrap()
            .checkpoint()
            .unwrap()
            .is_some_and(|s| s.finished.is_some())
        {
            finished = true;
            break;
        }
    }
    stop.store(true, Ordering::SeqCst);
    let reads = reader.join().expect("the reader never failed");
    assert!(finished, "the run did not finish after {kills} kills");
    assert!(
        kills >= 20,
        "only {kills} kills happened before the run ended"
    );
    assert!(reads > 0, "the reader never ran");
    let (a, b) = (journal(&killed), journal(&reference));
    assert_eq!(a.len(), b.len(), "record count after {kills} kills");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "record {} differs after {kills} kills", y["id"]);
    }
    eprintln!(
        "{kills} SIGKILLs, {reads} reads by inspect/runs, {} records identical to the uninterrupted run",
        a.len()
    );
}

#[test]
fn a_final_check_killed_midway_keeps_its_finished_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let space = tiny();
    let config = RunConfig::new("final-check", space.clone(), 7, space.evaluations);
    let mut run = Run::create(&dir, config, "test").unwrap();
    let mut engine = run.engine(1).unwrap();
    engine.run(&mut run, &mut |_| {}).unwrap();
    let hall = engine.hall_of_fame();
    // The rows a killed check had finished: the baseline relu, with accuracies no training
    // gives, so that reuse is visible.
    let seeds = space.final_check.seeds.len();
    let kept = radact::search::final_check::Checked {
        id: None,
        formula: "relu(x)".into(),
        backward: radact::grad::BackwardMode::Exact,
        values: vec![0.125; seeds],
        median: Some(0.125),
        also: Vec::new(),
        against: Vec::new(),
    };
    let partial = dir.join(radact::run::FINAL_CHECK_PARTIAL);
    std::fs::write(&partial, ron::to_string(&vec![kept]).unwrap()).unwrap();
    let report = run
        .final_check_if_due(&hall, &radact::train::Workers::new(2).unwrap())
        .unwrap()
        .expect("the check is due");
    assert_eq!(report.baselines[0].formula, "relu(x)");
    assert_eq!(
        report.baselines[0].values,
        vec![0.125; seeds],
        "kept row reused"
    );
    assert!(report
        .candidates
        .iter()
        .all(|c| c.values.iter().all(|a| *a > 0.3)));
    assert!(
        !partial.exists(),
        "the partial file is removed once the report is saved"
    );
    assert_eq!(
        RunView::open(&dir).unwrap().final_report().unwrap(),
        Some(report.clone())
    );

    // Each trained row is handed over as soon as it is trained (what the partial file keeps).
    let told = std::sync::Mutex::new(Vec::new());
    let again = radact::search::final_check::final_check(
        &space,
        &hall,
        &[],
        &|row| told.lock().unwrap().push(row.formula.clone()),
        &radact::train::Workers::new(2).unwrap(),
    )
    .unwrap();
    let mut told = told.into_inner().unwrap();
    let mut all: Vec<String> = again
        .baselines
        .iter()
        .chain(&again.candidates)
        .map(|c| c.formula.clone())
        .collect();
    told.sort();
    all.sort();
    assert_eq!(told, all);
    assert_eq!(
        again.candidates, report.candidates,
        "candidates retrain identically"
    );
}
