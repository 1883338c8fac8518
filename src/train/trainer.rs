//! The training loop: a [`Trainer`] holds a [`Task`] with its loaded data and turns a compiled
//! activation into an [`Evaluation`], one [`Score`] per seed (the measurements themselves are in
//! `measure.rs`, the task and its errors in `task.rs`).
//!
//! Seeds train in parallel on [`Workers`]: a search hands its own (built once) to
//! [`Trainer::evaluate_all`]; [`Trainer::evaluate`] builds as many as the current rayon pool
//! has threads; a job already on a worker uses [`Trainer::evaluate_here`]. Every result depends
//! on the seed only, not on the machine's cores.
//!
//! ```no_run
//! use radact::activation::Activation;
//! use radact::train::{Task, Trainer};
//! let trainer = Trainer::new(Task::default()).unwrap();
//! let act = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap().compile();
//! let evaluation = trainer.evaluate(&act).unwrap();
//! println!("{:?}", evaluation.summary.median_test_accuracy());
//! ```

use super::dataset::Dataset;
use super::measure::{accuracy_and_loss, distinct_values, forward_cost_ns};
use super::network::Mlp;
use super::op::ActivationOp;
use super::optimizer::Optimizer;
use super::score::{Evaluation, Metrics, Score, Status, Summary};
use super::task::{Budget, Task, TrainError};
use super::workers::Workers;
use crate::activation::CompiledActivation;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::time::Instant;

/// Weights larger than this in magnitude count as exploded.
pub const MAX_WEIGHT: f32 = 1e6;
/// Standard deviations of the input noise for the robustness scores.
pub const NOISE_LEVELS: [f32; 2] = [0.1, 0.3];
/// Steps between progress reports (and weight checks).
const REPORT_EVERY: u64 = 25;

/// A progress report from one seed's training.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// The seed reporting.
    pub seed: u64,
    /// Steps this seed has taken.
    pub steps_done: u64,
    /// Steps this seed's budget allows.
    pub steps_total: u64,
    /// Steps to add to a progress bar since this seed's previous report. The final report of a
    /// run that stopped early includes the skipped steps, so that the reports of a seed always
    /// add up to `steps_total`.
    pub new_steps: u64,
    /// The loss of the latest batch.
    pub loss: f32,
    /// Whether this is the seed's last report.
    pub finished: bool,
}

/// A task with its data loaded, ready to evaluate any number of activations.
#[derive(Clone, Debug)]
pub struct Trainer {
    task: Task,
    data: Dataset,
}

/// Where the seeds of one evaluation spent their time, summed over the seeds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SeedTimes {
    /// Seconds the seeds took, training and scoring.
    pub seconds: f64,
    /// Seconds of those spent scoring the trained networks.
    pub scoring_s: f64,
}

/// An activation set up for training by [`Trainer::prepare`].
struct Prepared {
    /// Its activation operation, or why it could not be built (every seed then fails with it).
    op: Result<ActivationOp, String>,
    /// Its measured forward cost per element.
    forward_ns: f64,
}

impl Prepared {
    /// The evaluation of the seeds' scores, in seed order.
    fn evaluation(&self, seeds: Vec<Score>) -> Result<Evaluation, TrainError> {
        Ok(Evaluation {
            summary: Summary::of(&seeds, self.forward_ns),
            seeds,
        })
    }
}

/// Evaluates `activation` on `task`, loading the dataset first. To evaluate several
/// activations, build a [`Trainer`] once instead.
pub fn evaluate(activation: &CompiledActivation, task: &Task) -> Result<Evaluation, TrainError> {
    Trainer::new(task.clone())?.evaluate(activation)
}

impl Trainer {
    /// Validates the task and loads its dataset.
    pub fn new(task: Task) -> Result<Self, TrainError> {
        task.validate()?;
        let data = task.dataset.load(task.split_seed)?;
        Trainer::with_data(task, data)
    }

    /// Validates the task and pairs it with already loaded data (`task.dataset` is then only a
    /// label).
    pub(crate) fn with_data(task: Task, data: Dataset) -> Result<Self, TrainError> {
        task.validate()?;
        if data.train.is_empty() || data.test.is_empty() || data.validation.is_empty() {
            return Err(TrainError::InvalidTask(format!(
                "dataset {} has an empty split ({} train, {} validation, {} test)",
                data.name,
                data.train.len(),
                data.validation.len(),
                data.test.len()
            )));
        }
        Ok(Trainer { task, data })
    }

    /// The task.
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// The loaded dataset.
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// Optimiser steps each seed takes when it does not stop early.
    pub fn steps_per_seed(&self) -> u64 {
        match self.task.budget {
            Budget::Steps(s) => s,
            Budget::Epochs(e) => {
                let n = self.data.train.len() as u64;
                e * n.div_ceil(self.task.batch_size as u64)
            }
        }
    }

    /// Trains and scores one network per seed.
    pub fn evaluate(&self, activation: &CompiledActivation) -> Result<Evaluation, TrainError> {
        self.evaluate_with_progress(activation, &|_| {})
    }

    /// Like [`Trainer::evaluate`], calling `progress` every few steps of every seed (from
    /// several threads).
    pub fn evaluate_with_progress(
        &self,
        activation: &CompiledActivation,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<Evaluation, TrainError> {
        let threads = rayon::current_num_threads();
        let workers = Workers::new(threads.clamp(1, self.task.seeds.len()))?;
        self.evaluate_on(&workers, activation, progress)
    }

    /// Like [`Trainer::evaluate`], training the seeds one after the other on the calling
    /// thread: for a job that already runs on one of the [`Workers`] (a final-check row), where
    /// building more threads would only oversubscribe the cores.
    pub fn evaluate_here(&self, activation: &CompiledActivation) -> Result<Evaluation, TrainError> {
        let prepared = self.prepare(activation);
        let scores = self
            .task
            .seeds
            .iter()
            .map(|&seed| self.train_seed(&prepared, seed, &|_| {}).map(|(s, _)| s))
            .collect::<Result<_, _>>()?;
        prepared.evaluation(scores)
    }

    /// Like [`Trainer::evaluate_with_progress`], training the seeds on `workers`.
    pub fn evaluate_on(
        &self,
        workers: &Workers,
        activation: &CompiledActivation,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<Evaluation, TrainError> {
        let prepared = self.prepare(activation);
        let seeds = &self.task.seeds;
        let scores = workers.map(seeds.len(), |i| {
            self.train_seed(&prepared, seeds[i], progress)
                .map(|(score, _)| score)
        })?;
        prepared.evaluation(scores.into_iter().collect::<Result<_, _>>()?)
    }

    /// Evaluates several activations on `workers`, every (activation, seed) pair a job of its
    /// own, so that both the seeds of one activation and different activations train at once.
    /// Each evaluation comes with the seconds its seeds took, summed, and how many of them were
    /// spent scoring. A task error (as opposed to a candidate failing) fails the whole call.
    pub fn evaluate_all(
        &self,
        workers: &Workers,
        activations: &[&CompiledActivation],
    ) -> Result<Vec<(Evaluation, SeedTimes)>, TrainError> {
        let prepared: Vec<Prepared> = activations.iter().map(|a| self.prepare(a)).collect();
        let seeds = &self.task.seeds;
        let per = seeds.len();
        let mut scores = workers
            .map(prepared.len() * per, |job| {
                let started = Instant::now();
                let score = self.train_seed(&prepared[job / per], seeds[job % per], &|_| {});
                score.map(|(score, scoring_s)| {
                    let times = SeedTimes {
                        seconds: started.elapsed().as_secs_f64(),
                        scoring_s,
                    };
                    (score, times)
                })
            })?
            .into_iter();
        prepared
            .iter()
            .map(|p| {
                let timed: Vec<(Score, SeedTimes)> =
                    scores.by_ref().take(per).collect::<Result<_, _>>()?;
                let times = SeedTimes {
                    seconds: timed.iter().map(|(_, t)| t.seconds).sum(),
                    scoring_s: timed.iter().map(|(_, t)| t.scoring_s).sum(),
                };
                let evaluation = p.evaluation(timed.into_iter().map(|(s, _)| s).collect())?;
                Ok((evaluation, times))
            })
            .collect()
    }

    /// Sets up an activation for training: its activation operation (standardised when the network
    /// asks for it; a failure is kept and fails every seed with its reason) and its measured
    /// forward cost.
    fn prepare(&self, activation: &CompiledActivation) -> Prepared {
        Prepared {
            op: if self.task.network.normalize {
                ActivationOp::standardized(activation).map_err(|e| e.to_string())
            } else {
                Ok(ActivationOp::new(activation))
            },
            forward_ns: forward_cost_ns(&activation.forward),
        }
    }

    /// Trains and scores one seed; the activation was set up (or failed to) by the caller.
    /// Also returns the seconds the scoring passes took.
    fn train_seed(
        &self,
        prepared: &Prepared,
        seed: u64,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<(Score, f64), TrainError> {
        let start = Instant::now();
        let total = self.steps_per_seed();
        let failed = |reason: String, steps: u64| Score {
            seed,
            status: Status::Failed { reason },
            steps,
            wall_time_s: start.elapsed().as_secs_f64(),
            metrics: None,
            constants: Vec::new(),
        };
        let op = match &prepared.op {
            Ok(op) => op.clone(),
            Err(reason) => {
                progress(&Progress {
                    seed,
                    steps_done: 0,
                    steps_total: total,
                    new_steps: total,
                    loss: f32::NAN,
                    finished: true,
                });
                return Ok((failed(reason.clone(), 0), 0.0));
            }
        };
        let train = &self.data.train;
        let mut net = Mlp::new(
            &self.task.network,
            self.data.n_features(),
            self.data.n_classes,
            op,
            &mut rng(seed, 0),
        )?;
        let mut optimizer = Optimizer::new(&self.task.optimizer, net.parameters());
        let mut order_rng = rng(seed, 1);
        let mut order: Vec<usize> = (0..train.len()).collect();
        let mut next = train.len();
        let batch = self.task.batch_size.min(train.len());
        let mut xb = Vec::with_capacity(batch * train.n_features);
        let mut yb = Vec::with_capacity(batch);
        let (mut steps, mut reported, mut loss) = (0u64, 0u64, f32::NAN);
        let mut failure = None;
        while steps < total {
            if next >= order.len() {
                order.shuffle(&mut order_rng);
                next = 0;
            }
            let end = (next + batch).min(order.len());
            xb.clear();
            yb.clear();
            for &i in &order[next..end] {
                xb.extend_from_slice(train.row(i));
                yb.push(train.labels[i]);
            }
            next = end;
            loss = net.train_step(&xb, &yb, &mut optimizer)?;
            steps += 1;
            if !loss.is_finite() {
                failure = Some(format!("loss became {loss} at step {steps}"));
                break;
            }
            if steps % REPORT_EVERY == 0 || steps == total {
                if let Some(problem) = weight_problem(net.parameters()) {
                    failure = Some(format!("{problem} at step {steps}"));
                    break;
                }
                if steps < total {
                    progress(&Progress {
                        seed,
                        steps_done: steps,
                        steps_total: total,
                        new_steps: steps - reported,
                        loss,
                        finished: false,
                    });
                    reported = steps;
                }
            }
        }
        progress(&Progress {
            seed,
            steps_done: steps,
            steps_total: total,
            new_steps: total - reported,
            loss,
            finished: true,
        });
        if let Some(reason) = failure {
            return Ok((failed(reason, steps), 0.0));
        }
        let scoring = Instant::now();
        let measured = self.measure(&net, &mut rng(seed, 2))?;
        let scoring_s = scoring.elapsed().as_secs_f64();
        let score = match measured {
            Ok(metrics) => Score {
                seed,
                status: Status::Completed,
                steps,
                wall_time_s: start.elapsed().as_secs_f64(),
                metrics: Some(metrics),
                constants: net.constants().to_vec(),
            },
            Err(reason) => failed(reason, steps),
        };
        Ok((score, scoring_s))
    }

    /// Scores a trained network; the inner error is a reason for a failed status.
    fn measure(
        &self,
        net: &Mlp,
        noise_rng: &mut ChaCha8Rng,
    ) -> Result<Result<Metrics<f64>, String>, TrainError> {
        let d = &self.data;
        let mut hidden = Vec::new();
        let (train_accuracy, train_loss) =
            accuracy_and_loss(&net.infer(&d.train.features, None)?, &d.train);
        let (validation_accuracy, validation_loss) =
            accuracy_and_loss(&net.infer(&d.validation.features, None)?, &d.validation);
        let (test_accuracy, test_loss) =
            accuracy_and_loss(&net.infer(&d.test.features, Some(&mut hidden))?, &d.test);
        for (name, loss) in [
            ("training", train_loss),
            ("validation", validation_loss),
            ("test", test_loss),
        ] {
            if !loss.is_finite() {
                return Ok(Err(format!(
                    "the network's outputs on the {name} set are not finite"
                )));
            }
        }
        let zeros = hidden.iter().filter(|&&h| h == 0.0).count();
        let sparsity = zeros as f64 / hidden.len().max(1) as f64;
        let mut noisy = [0.0f64; NOISE_LEVELS.len()];
        for (acc, sigma) in noisy.iter_mut().zip(NOISE_LEVELS) {
            let normal = Normal::new(0.0f32, sigma).expect("positive sigma");
            let x: Vec<f32> = d
                .test
                .features
                .iter()
                .map(|&v| v + normal.sample(noise_rng))
                .collect();
            *acc = accuracy_and_loss(&net.infer(&x, None)?, &d.test).0;
        }
        Ok(Ok(Metrics {
            train_accuracy,
            train_loss,
            validation_accuracy,
            validation_loss,
            test_accuracy,
            test_loss,
            sparsity,
            distinct_values: distinct_values(&hidden) as f64,
            noisy_accuracy_0_1: noisy[0],
            noisy_accuracy_0_3: noisy[1],
        }))
    }
}

/// The random stream `stream` of a seed: 0 initialisation, 1 batch order, 2 input noise.
fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// What is wrong with the weights, if anything: not finite, or larger than [`MAX_WEIGHT`].
fn weight_problem(params: &[Vec<f32>]) -> Option<String> {
    let mut largest = 0.0f32;
    for &w in params.iter().flatten() {
        if !w.is_finite() {
            return Some(format!("a weight became {w}"));
        }
        largest = largest.max(w.abs());
    }
    (largest > MAX_WEIGHT).then(|| format!("weights exploded (largest |w| = {largest:e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::train::optimizer::{OptimizerConfig, OptimizerKind};

    #[test]
    fn weight_problems_are_named() {
        assert!(weight_problem(&[vec![1.0, -2.0]]).is_none());
        assert!(weight_problem(&[vec![f32::NAN]]).unwrap().contains("NaN"));
        assert!(weight_problem(&[vec![2e6]]).unwrap().contains("exploded"));
    }

    #[test]
    fn a_diverging_run_fails_with_a_reason_instead_of_panicking() {
        let task = Task {
            optimizer: OptimizerConfig {
                kind: OptimizerKind::sgd(0.0),
                learning_rate: 1e4,
                weight_decay: 0.0,
                clip_norm: None,
            },
            budget: Budget::Steps(200),
            seeds: vec![1],
            ..Task::default()
        };
        let act = Activation::parse("exp(x)", "exact").unwrap().compile();
        let e = evaluate(&act, &task).unwrap();
        let s = &e.seeds[0];
        match &s.status {
            Status::Failed { reason } => assert!(
                reason.contains("loss became") || reason.contains("weight"),
                "{reason}"
            ),
            Status::Completed => panic!("expected a failure, got {s:?}"),
        }
        assert!(s.metrics.is_none() && s.steps < 200);
        assert_eq!((e.summary.failed, e.summary.completed), (1, 0));
    }

    #[test]
    fn progress_reports_add_up_to_the_budget() {
        let task = Task {
            budget: Budget::Steps(60),
            seeds: vec![4, 5],
            ..Task::default()
        };
        let act = Activation::parse("relu(x)", "exact").unwrap().compile();
        let total = std::sync::atomic::AtomicU64::new(0);
        let finished = std::sync::atomic::AtomicU64::new(0);
        Trainer::new(task)
            .unwrap()
            .evaluate_with_progress(&act, &|p| {
                total.fetch_add(p.new_steps, std::sync::atomic::Ordering::Relaxed);
                finished.fetch_add(u64::from(p.finished), std::sync::atomic::Ordering::Relaxed);
            })
            .unwrap();
        assert_eq!(total.into_inner(), 120);
        assert_eq!(finished.into_inner(), 2);
    }
}
