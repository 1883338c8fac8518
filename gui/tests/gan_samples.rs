//! A GAN run (`gan-ring`): the selected candidate's generated samples are scattered over the
//! ring's centres next to its f(x) and g(x) plots; a classification run has no such plot.

mod common;

use common::{fixture_run, harness, step_until};
use egui_kittest::kittest::Queryable;
use radact::run::{Run, RunConfig};
use radact::search::engine::{Engine, EngineState};
use radact::search::Objective;
use radact::search::SearchSpace;
use radact::train::{Budget, KEPT_SAMPLES};
use radact_gui::row::Metric;
use radact_gui::RadactApp;
use std::time::Duration;

/// The shipped gan-ring space, a few candidates of 30 steps on one seed, no final check.
fn tiny_gan_space() -> SearchSpace {
    let mut space = SearchSpace::shipped("gan-ring").unwrap();
    space.task.budget = Budget::Steps(30);
    space.task.seeds = vec![0];
    space.evaluations = 4;
    space.batch = 2;
    space.max_time = None;
    space.final_check.top = 0;
    space
}

#[test]
fn a_gan_candidate_shows_its_generated_samples_over_the_ring() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("gan");
    let space = tiny_gan_space();
    let config = RunConfig::new("gan", space.clone(), 1, space.evaluations);
    let mut run = Run::create(&dir, config, "test").unwrap();
    let state = EngineState::new(&space, 1);
    let mut engine = Engine::new(space.clone(), "gan", 1, 4, 1, state, Vec::new()).unwrap();
    engine.run(&mut run, &mut |_| {}).unwrap();
    let records = run.records().unwrap();
    drop(run);
    let chosen = records
        .iter()
        .filter(|r| records.iter().filter(|o| o.formula == r.formula).count() == 1)
        .find(|r| {
            r.outcome
                .evaluation()
                .is_some_and(|e| !e.seeds[0].generated.is_empty())
        })
        .expect("a trained candidate with a unique formula");
    let generated = &chosen.outcome.evaluation().unwrap().seeds[0].generated;
    assert_eq!(generated.len(), KEPT_SAMPLES);

    let app = RadactApp::new(tmp.path(), &tmp.path().join("no-spaces")).with_run(&dir);
    let mut h = harness(app);
    step_until(&mut h, Duration::from_secs(20), "the journal", |app| {
        app.population.len() == records.len()
    });
    h.step();
    assert!(!h.state().samples.shown(), "nothing selected, no scatter");
    // The table and the Pareto scatter show what a GAN run measures, not accuracies.
    assert!(h.query_by_label("rev KL").is_some());
    assert!(h.query_by_label("modes").is_some());
    assert!(h.query_by_label("val acc").is_none());
    assert_eq!(h.state().pareto.y, Metric::Objective(Objective::ReverseKl));
    assert_eq!(h.state().pareto.x, Metric::Objective(Objective::Cost));
    h.get_by_label(&chosen.formula).click();
    h.step();
    h.step();
    assert_eq!(h.state().population.selected(), [chosen.id]);
    let title = format!(
        "generated samples of #{} (seed 0, {KEPT_SAMPLES} points)",
        chosen.id
    );
    assert!(
        h.query_by_label(&title).is_some(),
        "no plot titled `{title}`"
    );
    let shown = h.state().samples.points();
    assert_eq!(shown.len(), generated.len());
    assert_eq!(
        shown[0],
        [f64::from(generated[0][0]), f64::from(generated[0][1])]
    );
    // The f(x) and g(x) plots are still there.
    assert!(h.query_by_label("forward f(x)").is_some());
    assert!(h.query_by_label("backward multiplier g(x)").is_some());
}

#[test]
fn a_classification_candidate_has_no_sample_plot() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fixture");
    let records = fixture_run(&dir);
    let chosen = records
        .iter()
        .filter(|r| records.iter().filter(|o| o.formula == r.formula).count() == 1)
        .find(|r| r.outcome.evaluation().is_some())
        .expect("a trained candidate with a unique formula");
    let app = RadactApp::new(tmp.path(), &tmp.path().join("no-spaces")).with_run(&dir);
    let mut h = harness(app);
    step_until(&mut h, Duration::from_secs(20), "the journal", |app| {
        app.population.len() == records.len()
    });
    h.step();
    assert!(h.query_by_label("val acc").is_some());
    assert!(h.query_by_label("rev KL").is_none());
    assert_eq!(
        h.state().pareto.y,
        Metric::Objective(Objective::ValidationAccuracy)
    );
    h.get_by_label(&chosen.formula).click();
    h.step();
    h.step();
    assert_eq!(h.state().population.selected(), [chosen.id]);
    assert!(!h.state().samples.shown());
    assert!(h.query_by_label_contains("generated samples").is_none());
}
