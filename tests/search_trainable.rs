//! A search whose space weights `toggle_trainable` makes constants trainable: such candidates
//! are trained with one value per hidden layer and seed, recorded in the journal with as many
//! values per layer as their recorded formula has `param`s, and exported with the values of
//! their best seed.

use radact::export::ExportedActivation;
use radact::run::{Run, RunConfig};
use radact::search::engine::{Engine, EngineState};
use radact::search::SearchSpace;
use radact::train::Status;

const SPACE: &str = r#"(
    name: "trainable",
    description: "constants made trainable",
    primitives: { "tanh": 1.0, "sigmoid": 1.0, "add": 1.0, "mul": 1.0 },
    limits: (max_ops: 4, max_depth: 4),
    constants: (min: -2.0, max: 2.0, probability: 0.6),
    backward: (modes: ["exact"], evolve: false),
    mutation: (replace_op: 1.0, insert_node: 1.0, delete_node: 0.5, replace_subtree: 0.5,
               perturb_constant: 0.5, resample_constant: 0.5, change_backward: 0.0,
               crossover: 0.5, toggle_trainable: 8.0),
    task: (
        dataset: (name: "digits"),
        split_seed: 0,
        network: (hidden: [8, 8], init: he, normalize: false),
        optimizer: (
            kind: (kind: "adam", beta1: 0.9, beta2: 0.999, eps: 1e-8),
            learning_rate: 0.01,
            weight_decay: 0.0,
            clip_norm: None,
        ),
        batch_size: 64,
        budget: steps(40),
        seeds: [0, 1],
    ),
    objectives: [validation_accuracy],
    algorithm: regularized_evolution(population: 6, tournament: 2),
    seed_baselines: false,
    evaluations: 36,
    batch: 6,
    hall_of_fame: 3,
    final_check: (top: 0, seeds: [], baselines: []),
)"#;

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
