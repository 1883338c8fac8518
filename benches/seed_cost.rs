//! The fixed cost of one trained seed on Fashion-MNIST: everything a seed costs apart from its
//! training steps (building the network and optimiser, the scoring passes over the splits, the
//! noise-robustness passes). Each iteration evaluates one seed with a budget of one step on the
//! task of `search-spaces/fashion.ron` (MLP 784-128-10, He, Adam, batch 128, split seed 0), so
//! it measures the fixed cost plus one step (about a millisecond, see `train_step_784` in
//! `benches/train_step.rs`).
//!
//! Group `seed_fixed_cost`, one benchmark per activation (`relu(x)` exact, whose hidden values
//! are all distinct, and `heaviside(x)` with its surrogate, whose hidden values take two) and
//! per set of measurements:
//!
//! - `all`: every metric, what `radact train` prints;
//! - `search`: what a search with `fashion.ron`'s objectives (validation accuracy, cost)
//!   measures: the validation and test splits;
//! - `robustness`: a search with the `robustness` objective: the test split and its two noisy
//!   copies;
//! - `test`: the test split only, what the final check measures.
//!
//! The dataset is loaded once, before timing. Times are the benchmark thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`, wall-clock time where the system lacks it): the seed runs on
//! the calling thread ([`Trainer::evaluate_here`]).
//!
//! Needs the Fashion-MNIST IDX files in [`DEFAULT_FASHION_MNIST_DIR`] (Debian's
//! `dataset-fashion-mnist`); without them the group is skipped with a message. Run with
//! `cargo bench --bench seed_cost`.

mod common;

use common::timed;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use radact::activation::Activation;
use radact::search::objective::measurements;
use radact::search::Objective;
use radact::train::{Budget, Measurements, Task, Trainer};
use std::hint::black_box;
use std::time::Duration;

/// The task of `search-spaces/fashion.ron` (its top rung's network, data and optimiser, on all
/// the training images) with one seed and a budget of one step.
fn fashion_task() -> Task {
    let space = radact::search::SearchSpace::shipped("fashion").expect("the shipped fashion space");
    Task {
        budget: Budget::Steps(1),
        seeds: vec![0],
        train_examples: None,
        ..space.task
    }
}

fn seed_fixed_cost(c: &mut Criterion) {
    let trainer = match Trainer::new(fashion_task()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("seed_fixed_cost skipped: {e}");
            return;
        }
    };
    let mut group = c.benchmark_group("seed_fixed_cost");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    for (name, forward, backward) in [
        ("relu", "relu(x)", "exact"),
        ("heaviside", "heaviside(x)", "surrogate"),
    ] {
        let act = Activation::parse(forward, backward).unwrap().compile();
        for (measured, what) in [
            ("all", Measurements::ALL),
            (
                "search",
                measurements(&[Objective::ValidationAccuracy, Objective::Cost]),
            ),
            ("robustness", measurements(&[Objective::Robustness])),
            ("test", Measurements::TEST),
        ] {
            let trainer = trainer.clone().measuring(what);
            group.bench_function(format!("{name}/{measured}"), |b| {
                b.iter_custom(|iters| {
                    timed(iters, || {
                        black_box(trainer.evaluate_here(&act).unwrap());
                    })
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, seed_fixed_cost);
criterion_main!(benches);
