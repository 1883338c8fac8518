//! The fuzz targets: one function per input parser, taking arbitrary bytes, feeding them to the
//! parser exactly as the program reads them, and then using what parsed the way the program
//! does next (printing, compiling, evaluating, proposing candidates from a checkpoint). A target
//! must never panic, whatever the bytes: every error is a returned `Err`.
//!
//! Shared by the structured random-input test (`tests/fuzz_parsers.rs`) and the coverage-guided
//! AFL++ targets (`fuzz/`, which includes this file by path).

#![allow(dead_code)] // each user calls a different subset

use radact::activation::Activation;
use radact::export::ExportedActivation;
use radact::expr::{parse, simplify};
use radact::grad::BackwardMode;
use radact::run::{read_ron, JournalReader, RunConfig};
use radact::search::algorithm::{Algorithm, Member};
use radact::search::engine::EngineState;
use radact::search::final_check::FinalReport;
use radact::search::hall_of_fame::HallOfFame;
use radact::search::SearchSpace;
use radact::train::idx::read_idx;
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// A target: bytes in, no panic out.
pub type Target = fn(&[u8]);

/// Every target by name, as the fuzz crate's binaries and the test name them.
pub const TARGETS: &[(&str, Target)] = &[
    ("formula", formula),
    ("backward_mode", backward_mode),
    ("space", space),
    ("activation", activation),
    ("run_config", run_config),
    ("checkpoint", checkpoint),
    ("hall_of_fame", hall_of_fame),
    ("final_check", final_check),
    ("journal", journal),
    ("idx", idx),
];

/// Points where compiled programs are evaluated: ordinary values, zero, extremes, NaN.
const PROBES: [f32; 7] = [
    -3.0,
    0.0,
    0.5,
    1e30,
    f32::NEG_INFINITY,
    f32::NAN,
    f32::MIN_POSITIVE / 2.0,
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Compiles an activation and evaluates forward, backward and the joint program.
fn exercise(act: &Activation) {
    let compiled = act.compile();
    let mut y = [0.0; PROBES.len()];
    let mut g = [0.0; PROBES.len()];
    compiled.forward.eval(&PROBES, &mut y);
    compiled.backward.eval(&PROBES, &mut g);
    compiled.joint.eval_many(&PROBES, &mut [&mut y, &mut g]);
    let _ = act.backward_graph().to_string();
}

/// A formula as `radact eval` and `--act` read it: parse, print, reparse (the printed form must
/// mean the same), simplify, and compile with the surrogate and exact backward.
pub fn formula(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(graph) = parse(text) else { return };
    let printed = graph.to_string();
    let again = parse(&printed)
        .unwrap_or_else(|e| panic!("`{text}` prints as `{printed}`, which does not parse: {e}"));
    assert!(
        again.same_expression(&graph),
        "`{text}` prints as `{printed}`, which reads back as `{again}`"
    );
    let simple = simplify(&graph);
    for mode in [BackwardMode::Surrogate, BackwardMode::Exact] {
        exercise(&Activation::new(simple.clone(), mode));
    }
}

/// A backward mode as `--grad` reads it, then applied to a flat forward.
pub fn backward_mode(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(mode) = text.parse::<BackwardMode>() else {
        return;
    };
    let printed = mode.to_string();
    let again: BackwardMode = printed
        .parse()
        .unwrap_or_else(|e| panic!("`{text}` prints as `{printed}`, which does not parse: {e}"));
    assert_eq!(again.to_string(), printed, "`{text}`");
    let forward = parse("heaviside(x) + 0.5 * x").expect("valid formula");
    exercise(&Activation::new(forward, mode));
}

/// The default space, loaded once per thread.
fn default_space() -> SearchSpace {
    thread_local! {
        static SPACE: SearchSpace = SearchSpace::default_space();
    }
    SPACE.with(Clone::clone)
}

/// A search space as `--space FILE` reads it; a valid one then proposes a first batch.
pub fn space(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(space) = SearchSpace::from_ron(text, "fuzz.ron") else {
        return;
    };
    propose(&space, EngineState::new(&space, 7));
}

/// Proposes a batch from `state` in `space`, tells the algorithm a member, and proposes again.
fn propose(space: &SearchSpace, mut state: EngineState) {
    let batch = space.batch.min(4);
    let proposals = state.algorithm.propose(space, &mut state.rng, batch);
    let members: Vec<Member> = proposals
        .into_iter()
        .enumerate()
        .map(|(i, p)| Member {
            id: 1000 + i as u64,
            rung: 0,
            genome: p.genome,
            scores: vec![0.5; space.objectives.len()],
        })
        .collect();
    state.algorithm.tell(members);
    let _ = state.algorithm.propose(space, &mut state.rng, batch);
    let _ = state.algorithm.members();
}

/// Exported activations as `radact train --act-file` and `radact inspect` read them.
pub fn activation(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(all) = ExportedActivation::all_from_ron_str(text, "fuzz.ron") else {
        return;
    };
    for a in &all {
        let _ = a.describe();
        let again = ExportedActivation::from_ron_str(&a.to_ron(), "again.ron")
            .unwrap_or_else(|e| panic!("an export does not read back: {e}"));
        assert_eq!(again.formula(), a.formula());
        exercise(a.activation());
    }
}

/// Writes `data` to a file in this thread's scratch directory and returns its path.
fn scratch(name: &str, data: &[u8]) -> PathBuf {
    thread_local! {
        static DIR: RefCell<Option<tempfile::TempDir>> = const { RefCell::new(None) };
    }
    DIR.with(|d| {
        let mut d = d.borrow_mut();
        let dir = d.get_or_insert_with(|| tempfile::tempdir().expect("a scratch directory"));
        let path = dir.path().join(name);
        std::fs::write(&path, data).expect("scratch file written");
        path
    })
}

fn read<T: serde::de::DeserializeOwned>(name: &str, data: &[u8]) -> Option<T> {
    read_ron(&scratch(name, data)).ok()
}

/// `config.ron` as `radact resume`, `export`, `inspect` and `runs` read it: deserialised, its
/// space validated, and (when valid) a first batch proposed from it.
pub fn run_config(data: &[u8]) {
    let Some(config) = read::<RunConfig>("config.ron", data) else {
        return;
    };
    if config.space.validate().is_ok() {
        propose(&config.space, EngineState::new(&config.space, config.seed));
    }
}

/// `checkpoint.ron` as `radact resume` reads it: deserialised, then its algorithm state proposes
/// candidates in the default space and is told their scores.
pub fn checkpoint(data: &[u8]) {
    let Some(state) = read::<EngineState>("checkpoint.ron", data) else {
        return;
    };
    let space = default_space();
    // An invalid enumeration may be astronomically long (not a crash: validation rejects it);
    // every other state, valid or not, must propose without panicking.
    let exhaustive = matches!(state.algorithm, Algorithm::Exhaustive { .. });
    if !exhaustive || state.algorithm.check(&space).is_ok() {
        propose(&space, state);
    }
}

/// `hall_of_fame.ron` as `radact inspect` and `export` read it.
pub fn hall_of_fame(data: &[u8]) {
    let Some(hall) = read::<HallOfFame>("hall_of_fame.ron", data) else {
        return;
    };
    let _ = hall.table();
    let _ = hall.best();
}

/// `final_check.ron` as `radact inspect` reads it.
pub fn final_check(data: &[u8]) {
    let Some(report) = read::<FinalReport>("final_check.ron", data) else {
        return;
    };
    let _ = report.table();
}

/// `journal.jsonl` as every viewer reads it, then the hall of fame built from its records.
pub fn journal(data: &[u8]) {
    let path = scratch("journal.jsonl", data);
    let space = default_space();
    let Ok(records) = JournalReader::new(&path, space.objectives.len()).read_new() else {
        return;
    };
    let hall = HallOfFame::build(&space.objectives, 5, &records);
    let _ = hall.table();
}

/// An IDX file (gzipped or plain) as the Fashion-MNIST loader reads it.
pub fn idx(data: &[u8]) {
    let _ = read_idx(&scratch("data.idx", data));
}

/// The committed seed inputs of a target (`tests/fuzz_seeds/` under the repository `root`).
pub fn seeds(root: &Path, target: &str) -> Vec<Vec<u8>> {
    let dir = root.join("tests/fuzz_seeds");
    let file = |name: &str| std::fs::read(dir.join(name)).expect("seed file");
    let lines = |name: &str| -> Vec<Vec<u8>> {
        String::from_utf8(file(name))
            .expect("UTF-8 seeds")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.as_bytes().to_vec())
            .collect()
    };
    match target {
        "formula" => lines("formulas.txt"),
        "backward_mode" => lines("backward_modes.txt"),
        "space" => radact::search::space::SHIPPED_SPACES
            .iter()
            .map(|(_, t)| t.as_bytes().to_vec())
            .chain([file("tiny-space.ron")])
            .collect(),
        "activation" => vec![file("activations.ron")],
        "run_config" => vec![file("config.ron")],
        "checkpoint" => vec![file("checkpoint.ron"), file("checkpoint-nsga2.ron")],
        "hall_of_fame" => vec![file("hall_of_fame.ron")],
        "final_check" => vec![file("final_check.ron")],
        "journal" => vec![file("journal.jsonl")],
        "idx" => vec![file("images.idx"), file("labels.idx.gz")],
        other => panic!("no target `{other}`"),
    }
}
