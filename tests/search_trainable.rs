//! A search whose space weights `toggle_trainable` makes constants trainable: such candidates
//! are trained with one value per hidden layer and seed, recorded in the journal with as many
//! values per layer as their recorded formula has `param`s, and exported with the values of
//! their best seed.

use radact::export::ExportedActivation;
use radact::run::{Run, RunConfig};
use radact::search::engine::{Engine, EngineState};
use radact::search::SearchSpace;
use radact::train::Status;

/// Constants are common and `toggle_trainable` is weighted, so the search trains some.
const SPACE: &str = include_str!("fixtures/trainable-space.ron");

#[test]
fn trainable_candidates_are_searched_trained_journaled_and_exported() {
    let space = SearchSpace::from_ron(SPACE, "trainable.ron").unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let config = RunConfig::new("trainable", space.clone(), 3, space.evaluations);
    let mut run = Run::create(&dir.path().join("run"), config.clone(), "test").unwrap();
    let state = EngineState::new(&space, 3);
    let mut engine = Engine::new(
        space.clone(),
        "trainable",
        3,
        space.evaluations,
        1,
        state,
        Vec::new(),
    )
    .unwrap();
    engine.run(&mut run, &mut |_| {}).unwrap();
    let records = run.records().unwrap();
    let mut trained = 0;
    for record in &records {
        let Some(evaluation) = record.outcome.evaluation() else {
            continue;
        };
        let activation = record.activation().unwrap();
        let count = activation.constants().len();
        assert_eq!(count, record.formula.matches("param(").count());
        for score in evaluation
            .seeds
            .iter()
            .filter(|s| s.status == Status::Completed)
        {
            if count == 0 {
                assert!(score.constants.is_empty(), "{}", record.formula);
                continue;
            }
            assert_eq!(
                score.constants.len(),
                2,
                "{}: one list per hidden layer",
                record.formula
            );
            for layer in &score.constants {
                assert_eq!(layer.len(), count, "{}", record.formula);
                assert!(layer.iter().all(|v| v.is_finite()));
            }
            trained += 1;
        }
        if count > 0 {
            let exported = ExportedActivation::of_candidate(&config, record).unwrap();
            let best = evaluation.best_constants().expect("a completed seed");
            let carried = exported
                .trained_constants()
                .expect("trained constants exported");
            assert_eq!(
                (carried.seed, &carried.layers),
                (best.seed, &best.constants)
            );
            let back = ExportedActivation::from_ron_str(&exported.to_ron(), "e.ron").unwrap();
            assert_eq!(back, exported);
        }
    }
    assert!(
        trained >= 4,
        "only {trained} trained seeds of candidates with trainable constants in {:?}",
        records.iter().map(|r| &r.formula).collect::<Vec<_>>()
    );
}
