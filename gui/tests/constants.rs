//! A candidate with trainable constants (`param(c)`): its details show the values trained per
//! hidden layer, those of every seed and those an export carries.

mod common;

use common::{harness, step_until};
use egui_kittest::kittest::Queryable;
use radact::run::{Run, RunConfig};
use radact::search::engine::{Engine, EngineState};
use radact::search::{AlgorithmConfig, Limits, SearchSpace};
use radact::train::Budget;
use radact_gui::RadactApp;
use std::time::Duration;

/// The space of the library's trainable-constants test: constants are common and
/// `toggle_trainable` is weighted, so the search trains some.
const SPACE: &str = include_str!("../../tests/fixtures/trainable-space.ron");

#[test]
fn details_show_the_trained_constants_per_layer() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("trainable");
    let mut space = SearchSpace::from_ron(SPACE, "trainable.ron").unwrap();
    // Smaller and shorter than the library's test: a few trainable candidates are enough.
    space.limits = Limits {
        max_ops: 3,
        max_depth: 3,
    };
    space.task.budget = Budget::Steps(20);
    space.algorithm = AlgorithmConfig::RegularizedEvolution {
        population: 4,
        tournament: 2,
    };
    space.evaluations = 18;
    let config = RunConfig::new("trainable", space.clone(), 3, space.evaluations);
    let mut run = Run::create(&dir, config, "test").unwrap();
    let mut engine = Engine::new(
        space.clone(),
        "trainable",
        3,
        space.evaluations,
        1,
        EngineState::new(&space, 3),
        Vec::new(),
    )
    .unwrap();
    engine.run(&mut run, &mut |_| {}).unwrap();
    let records = run.records().unwrap();
    drop(run);
    let chosen = records
        .iter()
        .filter(|r| r.formula.contains("param("))
        .filter(|r| {
            r.outcome
                .evaluation()
                .and_then(|e| e.best_constants())
                .is_some()
        })
        .find(|r| records.iter().filter(|o| o.formula == r.formula).count() == 1)
        .expect("a trained candidate with trainable constants and a unique formula");
    let evaluation = chosen.outcome.evaluation().unwrap();
    let best = evaluation.best_constants().unwrap();

    let app = RadactApp::new(tmp.path(), &tmp.path().join("no-spaces")).with_run(&dir);
    let mut h = harness(app);
    step_until(&mut h, Duration::from_secs(20), "the journal", |app| {
        app.population.len() == records.len()
    });
    h.step();
    h.get_by_label(&chosen.formula).click();
    h.step();
    h.step();
    assert_eq!(h.state().population.selected(), [chosen.id]);
    let exported = format!(
        "{} (seed {}, the one exported)",
        best.constants_text().unwrap(),
        best.seed
    );
    assert!(exported.contains("layer 2 ["), "{exported}");
    assert!(
        h.query_by_label(&exported).is_some(),
        "the details do not show `{exported}`"
    );
    // Each seed's line lists its own values (the seed list is collapsed until opened).
    h.get_by_label(&format!("{} seed(s)", evaluation.seeds.len()))
        .click();
    h.step();
    h.step();
    for s in &evaluation.seeds {
        let Some(values) = s.constants_text() else {
            continue;
        };
        let m = s.metrics.as_ref().expect("a seed with constants completed");
        let line = format!(
            "seed {}: test accuracy {:.3}, loss {:.3}, {} steps; constants {values}",
            s.seed,
            m.test_accuracy.unwrap(),
            m.test_loss.unwrap(),
            s.steps
        );
        assert!(h.query_by_label(&line).is_some(), "no line `{line}`");
    }
}
