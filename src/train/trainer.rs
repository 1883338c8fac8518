//! The training loop and scoring: a [`Task`] says what to train (dataset, network, optimiser,
//! budget, seeds); a [`Trainer`] holds a task with its loaded data and turns a compiled
//! activation into an [`Evaluation`], one [`Score`] per seed.
//!
//! Seeds train in parallel on [`Workers`]: a search hands its own (built once) to
//! [`Trainer::evaluate_all`]; [`Trainer::evaluate`] builds as many as the current rayon pool
//! has threads (or as [`Trainer::with_threads`] says). Every result depends on the seed only,
//! not on the machine's cores.
//!
//! ```no_run
//! use radact::activation::Activation;
//! use radact::train::{Task, Trainer};
//! let trainer = Trainer::new(Task::default()).unwrap();
//! let act = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap().compile();
//! let evaluation = trainer.evaluate(&act).unwrap();
//! println!("{:?}", evaluation.summary.median_test_accuracy());
//! ```

use super::dataset::{Dataset, DatasetError, DatasetSpec, Examples};
use super::network::{Mlp, NetworkConfig, NetworkError};
use super::op::ActivationOp;
use super::optimizer::{HyperParameterError, Optimizer, OptimizerConfig};
use super::score::{Evaluation, Metrics, Score, Status, Summary, DISTINCT_VALUES_CAP};
use super::workers::Workers;
use crate::activation::CompiledActivation;
use crate::expr::Program;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::hint::black_box;
use std::time::Instant;

/// Weights larger than this in magnitude count as exploded.
pub const MAX_WEIGHT: f32 = 1e6;
/// Standard deviations of the input noise for the robustness scores.
pub const NOISE_LEVELS: [f32; 2] = [0.1, 0.3];
/// Steps between progress reports (and weight checks).
const REPORT_EVERY: u64 = 25;
/// Elements in the buffer used to time the forward program.
const COST_ELEMENTS: usize = 4096;

/// How long to train each seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Budget {
    /// Passes over the training set (the last batch of an epoch may be smaller).
    Epochs(u64),
    /// Optimiser steps, continuing across epochs.
    Steps(u64),
}

/// Everything that defines how an activation is trained and scored, apart from the activation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The dataset.
    pub dataset: DatasetSpec,
    /// Seed of the train/validation/test split (the same for all training seeds).
    pub split_seed: u64,
    /// Network shape and initialisation.
    pub network: NetworkConfig,
    /// Optimiser and its hyper-parameters.
    pub optimizer: OptimizerConfig,
    /// Examples per optimiser step.
    pub batch_size: usize,
    /// Training length per seed.
    pub budget: Budget,
    /// One training run per seed (initialisation, batch order, input noise).
    pub seeds: Vec<u64>,
}

impl Default for Task {
    /// DIGITS, MLP 64 -> 64 -> 10 (He), SGD (lr 0.05, momentum 0.9), batch 64, 100 epochs,
    /// seeds 0..5: about a second on one core.
    fn default() -> Self {
        Task {
            dataset: DatasetSpec::Digits,
            split_seed: 0,
            network: NetworkConfig::default(),
            optimizer: OptimizerConfig::default(),
            batch_size: 64,
            budget: Budget::Epochs(100),
            seeds: (0..5).collect(),
        }
    }
}

/// Most examples per step (a typo such as `--batch 640000` would claim gigabytes).
pub const MAX_BATCH: usize = 8192;
/// Widest hidden layer.
pub const MAX_HIDDEN_WIDTH: usize = 4096;
/// Most hidden layers.
pub const MAX_HIDDEN_LAYERS: usize = 16;
/// Most epochs per seed.
pub const MAX_EPOCHS: u64 = 100_000;
/// Most optimiser steps per seed.
pub const MAX_STEPS: u64 = 100_000_000;
/// Most training seeds (runs) per task.
pub const MAX_SEEDS: usize = 1000;

impl Task {
    /// Checks every setting, including the upper bounds ([`MAX_BATCH`], [`MAX_HIDDEN_WIDTH`],
    /// [`MAX_HIDDEN_LAYERS`], [`MAX_EPOCHS`], [`MAX_STEPS`], [`MAX_SEEDS`]); the message names the
    /// offending one.
    pub fn validate(&self) -> Result<(), TrainError> {
        let invalid = |m: String| Err(TrainError::InvalidTask(m));
        if !(1..=MAX_BATCH).contains(&self.batch_size) {
            return invalid(format!(
                "batch size must be in 1..={MAX_BATCH}, got {}",
                self.batch_size
            ));
        }
        if let Some(w) = self
            .network
            .hidden
            .iter()
            .find(|w| !(1..=MAX_HIDDEN_WIDTH).contains(*w))
        {
            return invalid(format!(
                "hidden layer width must be in 1..={MAX_HIDDEN_WIDTH}, got {w}"
            ));
        }
        if self.network.hidden.len() > MAX_HIDDEN_LAYERS {
            return invalid(format!(
                "at most {MAX_HIDDEN_LAYERS} hidden layers, got {}",
                self.network.hidden.len()
            ));
        }
        match self.budget {
            Budget::Epochs(e) if !(1..=MAX_EPOCHS).contains(&e) => {
                return invalid(format!("epochs must be in 1..={MAX_EPOCHS}, got {e}"))
            }
            Budget::Steps(s) if !(1..=MAX_STEPS).contains(&s) => {
                return invalid(format!("steps must be in 1..={MAX_STEPS}, got {s}"))
            }
            _ => {}
        }
        if self.seeds.is_empty() || self.seeds.len() > MAX_SEEDS {
            return invalid(format!(
                "between 1 and {MAX_SEEDS} seeds are needed, got {}",
                self.seeds.len()
            ));
        }
        Ok(self.optimizer.validate()?)
    }
}

/// Why a task could not be run (as opposed to a candidate failing, which is a [`Status`]).
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A setting of the task is out of range.
    #[error("invalid training task: {0}")]
    InvalidTask(String),
    /// A hyper-parameter of the optimiser is out of range.
    #[error("invalid training task: {0}")]
    Optimizer(#[from] HyperParameterError),
    /// The dataset could not be loaded.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// The network could not be built or run (out of memory, inconsistent data).
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// A worker thread could not be started.
    #[error("cannot start a training thread: {0}")]
    Thread(String),
}

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
    /// Seeds trained at once; 0: as many as the current rayon pool has threads.
    threads: usize,
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
        Ok(Trainer {
            task,
            data,
            threads: 0,
        })
    }

    /// Trains at most `threads` seeds at once (0, the default: as many as the current rayon
    /// pool has threads). A search that evaluates several candidates in parallel would use 1.
    /// Results do not depend on it.
    pub(crate) fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
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
        let threads = match self.threads {
            0 => rayon::current_num_threads(),
            n => n,
        };
        let workers = Workers::new(threads.clamp(1, self.task.seeds.len()))?;
        self.evaluate_on(&workers, activation, progress)
    }

    /// Like [`Trainer::evaluate_with_progress`], training the seeds on `workers`.
    pub(crate) fn evaluate_on(
        &self,
        workers: &Workers,
        activation: &CompiledActivation,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<Evaluation, TrainError> {
        let prepared = self.prepare(activation);
        let seeds = &self.task.seeds;
        let scores = workers.map(seeds.len(), |i| {
            self.train_seed(&prepared, seeds[i], progress)
        })?;
        prepared.evaluation(scores.into_iter().collect::<Result<_, _>>()?)
    }

    /// Evaluates several activations on `workers`, every (activation, seed) pair a job of its
    /// own, so that both the seeds of one activation and different activations train at once.
    /// Each evaluation comes with the seconds its seeds took, summed. A task error (as opposed
    /// to a candidate failing) fails the whole call.
    pub(crate) fn evaluate_all(
        &self,
        workers: &Workers,
        activations: &[&CompiledActivation],
    ) -> Result<Vec<(Evaluation, f64)>, TrainError> {
        let prepared: Vec<Prepared> = activations.iter().map(|a| self.prepare(a)).collect();
        let seeds = &self.task.seeds;
        let per = seeds.len();
        let mut scores = workers
            .map(prepared.len() * per, |job| {
                let started = Instant::now();
                let score = self.train_seed(&prepared[job / per], seeds[job % per], &|_| {});
                score.map(|score| (score, started.elapsed().as_secs_f64()))
            })?
            .into_iter();
        prepared
            .iter()
            .map(|p| {
                let timed: Vec<(Score, f64)> =
                    scores.by_ref().take(per).collect::<Result<_, _>>()?;
                let seconds = timed.iter().map(|(_, s)| s).sum();
                let evaluation = p.evaluation(timed.into_iter().map(|(s, _)| s).collect())?;
                Ok((evaluation, seconds))
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
    fn train_seed(
        &self,
        prepared: &Prepared,
        seed: u64,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<Score, TrainError> {
        let start = Instant::now();
        let total = self.steps_per_seed();
        let failed = |reason: String, steps: u64| Score {
            seed,
            status: Status::Failed { reason },
            steps,
            wall_time_s: start.elapsed().as_secs_f64(),
            metrics: None,
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
                return Ok(failed(reason.clone(), 0));
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
            return Ok(failed(reason, steps));
        }
        match self.measure(&net, &mut rng(seed, 2))? {
            Ok(metrics) => Ok(Score {
                seed,
                status: Status::Completed,
                steps,
                wall_time_s: start.elapsed().as_secs_f64(),
                metrics: Some(metrics),
            }),
            Err(reason) => Ok(failed(reason, steps)),
        }
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

/// Accuracy and mean softmax cross-entropy (in f64) of row-major `logits` on `examples`.
/// The loss is NaN if any logit is not finite.
fn accuracy_and_loss(logits: &[f32], examples: &Examples) -> (f64, f64) {
    let classes = logits.len() / examples.len().max(1);
    let mut correct = 0usize;
    let mut loss = 0.0f64;
    for (row, &label) in logits.chunks_exact(classes).zip(&examples.labels) {
        if row.iter().any(|v| !v.is_finite()) {
            return (f64::NAN, f64::NAN);
        }
        let (best, _) = row
            .iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
                if v > bv {
                    (i, v)
                } else {
                    (bi, bv)
                }
            });
        correct += usize::from(best == usize::from(label));
        let max = f64::from(row[best]);
        let sum: f64 = row.iter().map(|&v| (f64::from(v) - max).exp()).sum();
        loss += max + sum.ln() - f64::from(row[usize::from(label)]);
    }
    let n = examples.len().max(1) as f64;
    (correct as f64 / n, loss / n)
}

/// Number of distinct values (`-0` counted as `0`), counted up to [`DISTINCT_VALUES_CAP`];
/// more are reported as `DISTINCT_VALUES_CAP + 1`.
pub fn distinct_values(values: &[f32]) -> usize {
    let mut seen = HashSet::new();
    for &v in values {
        seen.insert(if v == 0.0 { 0 } else { v.to_bits() });
        if seen.len() > DISTINCT_VALUES_CAP {
            return DISTINCT_VALUES_CAP + 1;
        }
    }
    seen.len()
}

/// Nanoseconds per element of `program` on a fixed buffer of 4096 points spread over
/// `[-4, 4]`: the best of 5 timings of 8 evaluations each (machine-dependent).
pub fn forward_cost_ns(program: &Program) -> f64 {
    let x: Vec<f32> = (0..COST_ELEMENTS)
        .map(|i| -4.0 + 8.0 * i as f32 / (COST_ELEMENTS - 1) as f32)
        .collect();
    let mut y = vec![0.0f32; COST_ELEMENTS];
    program.eval(&x, &mut y);
    const REPS: usize = 8;
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..REPS {
            program.eval(black_box(&x), black_box(&mut y));
        }
        best = best.min(t.elapsed().as_nanos() as f64 / (REPS * COST_ELEMENTS) as f64);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::train::optimizer::OptimizerKind;

    fn examples(labels: Vec<u8>) -> Examples {
        Examples {
            features: vec![0.0; labels.len()],
            labels,
            n_features: 1,
        }
    }

    #[test]
    fn accuracy_and_loss_by_hand() {
        let logits = [2.0, 0.0, 0.0, 1.0];
        let (acc, loss) = accuracy_and_loss(&logits, &examples(vec![0, 0]));
        assert_eq!(acc, 0.5);
        let want = ((1.0 + (-2.0f64).exp()).ln() + (1.0 + 1f64.exp()).ln()) / 2.0;
        assert!((loss - want).abs() < 1e-9, "{loss} vs {want}");
        assert!(accuracy_and_loss(&[f32::NAN, 0.0], &examples(vec![0]))
            .1
            .is_nan());
    }

    #[test]
    fn distinct_values_are_capped_and_merge_signed_zeros() {
        assert_eq!(distinct_values(&[0.0, -0.0, 1.0, 1.0]), 2);
        let many: Vec<f32> = (0..5000).map(|i| i as f32).collect();
        assert_eq!(distinct_values(&many), DISTINCT_VALUES_CAP + 1);
    }

    #[test]
    fn weight_problems_are_named() {
        assert!(weight_problem(&[vec![1.0, -2.0]]).is_none());
        assert!(weight_problem(&[vec![f32::NAN]]).unwrap().contains("NaN"));
        assert!(weight_problem(&[vec![2e6]]).unwrap().contains("exploded"));
    }

    #[test]
    fn invalid_tasks_are_rejected_with_a_reason() {
        let bad = |f: fn(&mut Task)| {
            let mut t = Task::default();
            f(&mut t);
            t.validate().unwrap_err().to_string()
        };
        assert!(bad(|t| t.batch_size = 0).contains("batch size"));
        assert!(bad(|t| t.network.hidden = vec![8, 0]).contains("width"));
        assert!(bad(|t| t.budget = Budget::Steps(0)).contains("steps"));
        assert!(bad(|t| t.seeds.clear()).contains("seed"));
        assert!(bad(|t| t.optimizer.learning_rate = f32::NAN).contains("learning rate"));
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
