//! Shared pieces of the app tests: a tiny search space, a run fixture made with the library,
//! and a harness that drives the app without a window.

#![allow(dead_code)]

use egui_kittest::Harness;
use radact::run::{Run, RunConfig};
use radact::search::engine::{Engine, EngineState};
use radact::search::record::Record;
use radact::search::{FinalCheckConfig, SearchSpace};
use radact_gui::RadactApp;
use std::path::Path;
use std::time::{Duration, Instant};

/// A space that trains in milliseconds: DIGITS, one hidden layer of 8, one epoch, one seed,
/// 6 evaluations in batches of 3, no final check.
pub const TINY_SPACE: &str = r#"(
    name: "tiny",
    description: "test space",
    primitives: { "tanh": 1.0, "relu": 1.0, "heaviside": 1.0, "sign": 0.5, "add": 1.0, "mul": 1.0 },
    limits: (max_ops: 3, max_depth: 3),
    constants: (min: -2.0, max: 2.0, probability: 0.15),
    backward: (modes: ["surrogate", "exact", "ste"], evolve: true),
    task: (
        dataset: (name: "digits"),
        split_seed: 0,
        network: (hidden: [8], init: he, normalize: false),
        optimizer: (
            kind: (kind: "sgd", momentum: 0.9),
            learning_rate: 0.05,
            weight_decay: 0.0,
            clip_norm: Some(5.0),
        ),
        batch_size: 64,
        budget: epochs(1),
        seeds: [0],
    ),
    objectives: [validation_accuracy, cost],
    algorithm: regularized_evolution(population: 4, tournament: 2),
    seed_baselines: true,
    evaluations: 6,
    batch: 3,
    hall_of_fame: 3,
    final_check: (top: 0, seeds: [], baselines: []),
)
"#;

/// The tiny space.
pub fn tiny_space() -> SearchSpace {
    SearchSpace::from_ron(TINY_SPACE, "tiny.ron").expect("the test space is valid")
}

/// Runs the tiny space to completion into `dir` with the library (as `radact search` does) and
/// returns the journal.
pub fn fixture_run(dir: &Path) -> Vec<Record> {
    let space = tiny_space();
    let config = RunConfig::new("fixture", space.clone(), 0, space.evaluations);
    let mut run = Run::create(dir, config, "test").expect("create the run");
    let state = EngineState::new(&space, 0);
    let mut engine = Engine::new(
        space.clone(),
        "fixture",
        0,
        space.evaluations,
        1,
        state,
        Vec::new(),
    )
    .expect("engine");
    engine
        .run(&mut run, &mut |_| {})
        .expect("the fixture search runs");
    run.records().expect("journal")
}

/// A run of the tiny space like [`fixture_run`], then its final check (2 candidates against
/// relu on 2 seeds); returns the report's verdict lines.
pub fn fixture_run_checked(dir: &Path) -> Vec<String> {
    let mut space = tiny_space();
    space.final_check = FinalCheckConfig {
        top: 2,
        seeds: vec![100, 101],
        baselines: vec!["relu(x)".into()],
    };
    let config = RunConfig::new("fixture", space.clone(), 0, space.evaluations);
    let mut run = Run::create(dir, config, "test").expect("create the run");
    let mut engine = run.engine(1).expect("engine");
    engine
        .run(&mut run, &mut |_| {})
        .expect("the fixture search runs");
    let hall = run
        .view()
        .hall_of_fame()
        .expect("hall")
        .expect("a hall of fame");
    let report = run
        .final_check_if_due(&hall, engine.workers())
        .expect("the final check runs")
        .expect("a final check is due");
    report.verdicts().iter().map(|v| v.to_string()).collect()
}

/// A harness around `app`, large enough to show the whole table.
pub fn harness(app: RadactApp) -> Harness<'static, RadactApp> {
    Harness::builder()
        .with_size(egui::vec2(1700.0, 1100.0))
        .build_ui_state(|ui, app: &mut RadactApp| app.show(ui), app)
}

/// Steps the harness (frames 20 ms apart) until `done` holds; panics after `timeout`.
pub fn step_until(
    harness: &mut Harness<'static, RadactApp>,
    timeout: Duration,
    what: &str,
    done: impl Fn(&RadactApp) -> bool,
) {
    let start = Instant::now();
    loop {
        harness.step();
        if done(harness.state()) {
            return;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}; status: {}; errors: {:?}",
            harness.state().status(),
            harness.state().errors()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
