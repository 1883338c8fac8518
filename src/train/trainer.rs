//! The training loop: a [`Trainer`] holds a [`Task`] with its loaded data and turns a compiled
//! activation into an [`Evaluation`], one [`Score`] per seed (the measurements themselves are in
//! `measure.rs`, the task and its errors in `task.rs`). One loop runs every kind of task: a
//! classifier's steps over its training split, or a GAN's (`gan.rs`) on the ring; it reports
//! progress, stops a seed whose loss or weights stop being finite, and then scores it.
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

use super::dataset::{Dataset, Examples};
use super::gan::Gan;
use super::measure::{forward_cost_ns, measure, measure_gan, Measurements};
use super::network::{Mlp, NetworkError};
use super::op::ActivationOp;
use super::optimizer::Optimizer;
use super::score::{Evaluation, Score, Status, Summary};
use super::task::{Budget, Task, TrainError};
use super::workers::Workers;
use crate::activation::CompiledActivation;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;
use std::time::Instant;

/// Weights larger than this in magnitude count as exploded.
pub const MAX_WEIGHT: f32 = 1e6;
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
///
/// The dataset is shared: every trainer of the same dataset and split seed in a process holds
/// the one decoded copy ([`DatasetSpec::load_shared`](super::DatasetSpec::load_shared)), and
/// cloning a trainer clones a pointer to it. A GAN task (`gan-ring`) has no dataset: it
/// samples the ring as it trains.
#[derive(Clone, Debug)]
pub struct Trainer {
    task: Task,
    /// The loaded dataset; `None` for a GAN task.
    data: Option<Arc<Dataset>>,
    /// The training examples used: all of the training split, or the task's subset of it.
    train_rows: Vec<usize>,
    measurements: Measurements,
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
    /// How long a seed of this activation is expected to take, relative to the others of a
    /// batch: its forward cost per element (every candidate of a task takes the same steps
    /// through the same products; the activation's programs are what differ), or nothing for
    /// one that fails before training. Only the order of jobs depends on it, never a result.
    fn expected_cost(&self) -> f64 {
        match &self.op {
            Ok(_) => self.forward_ns,
            Err(_) => 0.0,
        }
    }

    /// The evaluation of the seeds' scores, in seed order.
    fn evaluation(&self, seeds: Vec<Score>) -> Result<Evaluation, TrainError> {
        Ok(Evaluation {
            summary: Summary::of(&seeds, self.forward_ns),
            seeds,
        })
    }
}

/// Like [`Trainer::evaluate_all`] with a trainer per activation (the rungs of a multi-fidelity
/// ladder: other budgets, seeds or training subsets): every (activation, seed) pair is one job,
/// whichever trainer it belongs to, so a batch mixing rungs keeps every worker busy.
pub fn evaluate_jobs(
    workers: &Workers,
    jobs: &[(&Trainer, &CompiledActivation)],
) -> Result<Vec<(Evaluation, SeedTimes)>, TrainError> {
    let prepared: Vec<Prepared> = jobs.iter().map(|(t, a)| t.prepare(a)).collect();
    // Longest first (more steps, then a slower activation), so that a long job does not start
    // last and keep the other workers waiting at the end of a batch; only the order of the
    // jobs depends on it, never a result.
    let mut longest_first: Vec<usize> = (0..jobs.len()).collect();
    let expected = |j: usize| (jobs[j].0.steps_per_seed(), prepared[j].expected_cost());
    longest_first.sort_by(|&a, &b| {
        let ((sa, ca), (sb, cb)) = (expected(a), expected(b));
        sb.cmp(&sa).then(cb.total_cmp(&ca))
    });
    // The (job, seed index) of every flat job, in the order they start.
    let flat: Vec<(usize, usize)> = longest_first
        .iter()
        .flat_map(|&j| (0..jobs[j].0.task.seeds.len()).map(move |k| (j, k)))
        .collect();
    let done = workers.map(flat.len(), |i| {
        let (j, k) = flat[i];
        let trainer = jobs[j].0;
        let started = Instant::now();
        let score = trainer.train_seed(&prepared[j], trainer.task.seeds[k], &|_| {});
        score.map(|(score, scoring_s)| {
            let times = SeedTimes {
                seconds: started.elapsed().as_secs_f64(),
                scoring_s,
            };
            (score, times)
        })
    })?;
    // Back in the order of the jobs, each one's seeds in its task's order.
    let mut by_job: Vec<Vec<Result<(Score, SeedTimes), TrainError>>> = jobs
        .iter()
        .map(|(t, _)| Vec::with_capacity(t.task.seeds.len()))
        .collect();
    for (&(j, _), result) in flat.iter().zip(done) {
        by_job[j].push(result);
    }
    prepared
        .iter()
        .zip(by_job)
        .map(|(p, results)| {
            let timed: Vec<(Score, SeedTimes)> = results.into_iter().collect::<Result<_, _>>()?;
            let times = SeedTimes {
                seconds: timed.iter().map(|(_, t)| t.seconds).sum(),
                scoring_s: timed.iter().map(|(_, t)| t.scoring_s).sum(),
            };
            let evaluation = p.evaluation(timed.into_iter().map(|(s, _)| s).collect())?;
            Ok((evaluation, times))
        })
        .collect()
}

/// The rows of a training split of `len` examples a task trains on: all of them, or
/// `examples` of them drawn by `split_seed` (the same for every training seed), in split order.
fn training_subset(
    len: usize,
    examples: Option<usize>,
    split_seed: u64,
) -> Result<Vec<usize>, String> {
    let mut rows: Vec<usize> = (0..len).collect();
    match examples {
        None => Ok(rows),
        Some(n) if n > len => Err(format!(
            "train_examples is {n} but the training split has only {len} examples"
        )),
        Some(n) => {
            // A stream of its own, so the subset does not depend on anything else drawn.
            let mut rng = ChaCha8Rng::seed_from_u64(split_seed);
            rng.set_stream(SUBSET_STREAM);
            rows.shuffle(&mut rng);
            rows.truncate(n);
            rows.sort_unstable();
            Ok(rows)
        }
    }
}

/// The random stream the training subset is drawn from.
const SUBSET_STREAM: u64 = 0x5ab5e7;

/// Evaluates `activation` on `task`, loading the dataset first. To evaluate several
/// activations, build a [`Trainer`] once instead.
pub fn evaluate(activation: &CompiledActivation, task: &Task) -> Result<Evaluation, TrainError> {
    Trainer::new(task.clone())?.evaluate(activation)
}

impl Trainer {
    /// Validates the task and loads its dataset, or shares the copy another trainer in this
    /// process loaded. It measures every metric ([`Measurements::ALL`]) until told otherwise
    /// with [`Trainer::measuring`].
    pub fn new(task: Task) -> Result<Self, TrainError> {
        task.validate()?;
        let data = match task.dataset.is_gan() {
            true => None,
            false => Some(task.dataset.load_shared(task.split_seed)?),
        };
        Trainer::with_data(task, data)
    }

    /// A trainer for another task on the same data (a rung of a multi-fidelity ladder, the
    /// final check's seeds): `task` must name the same dataset and split seed; the loaded data
    /// is shared, not copied.
    pub fn for_task(&self, task: Task) -> Result<Self, TrainError> {
        if task.dataset != self.task.dataset || task.split_seed != self.task.split_seed {
            return Err(TrainError::InvalidTask(format!(
                "a trainer for {} (split seed {}) cannot train on {} (split seed {})",
                self.task.dataset.name(),
                self.task.split_seed,
                task.dataset.name(),
                task.split_seed
            )));
        }
        Ok(Trainer::with_data(task, self.data.clone())?.measuring(self.measurements))
    }

    /// Validates the task and pairs it with already loaded data (`task.dataset` is then only a
    /// label), or none for a GAN task.
    fn with_data(task: Task, data: Option<Arc<Dataset>>) -> Result<Self, TrainError> {
        task.validate()?;
        let mut train_rows = Vec::new();
        if let Some(data) = &data {
            if data.train.is_empty() || data.test.is_empty() || data.validation.is_empty() {
                return Err(TrainError::InvalidTask(format!(
                    "dataset {} has an empty split ({} train, {} validation, {} test)",
                    data.name,
                    data.train.len(),
                    data.validation.len(),
                    data.test.len()
                )));
            }
            train_rows = training_subset(data.train.len(), task.train_examples, task.split_seed)
                .map_err(TrainError::InvalidTask)?;
        }
        Ok(Trainer {
            task,
            data,
            train_rows,
            measurements: Measurements::ALL,
        })
    }

    /// This trainer, scoring each trained seed with the passes `measurements` asks for only
    /// (the test split's always): a search measures what its objectives need. A metric has the
    /// same value whichever others are measured with it.
    pub fn measuring(mut self, measurements: Measurements) -> Self {
        self.measurements = measurements;
        self
    }

    /// What this trainer measures of each trained seed.
    pub fn measurements(&self) -> Measurements {
        self.measurements
    }

    /// The task.
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// The loaded dataset; `None` for a GAN task, which samples its data as it trains.
    pub fn data(&self) -> Option<&Dataset> {
        self.data.as_deref()
    }

    /// Optimiser steps each seed takes when it does not stop early.
    pub fn steps_per_seed(&self) -> u64 {
        match self.task.budget {
            Budget::Steps(s) => s,
            Budget::Epochs(e) => {
                let n = self.train_rows.len() as u64;
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

    /// Like [`Trainer::evaluate_with_progress`], also returning each seed's trained network
    /// (in seed order; `None` for a seed that failed, and for every seed of a GAN task): what
    /// `radact train --save` keeps. The networks are those the scores were measured on.
    pub fn evaluate_keeping_networks(
        &self,
        activation: &CompiledActivation,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<(Evaluation, Vec<Option<Mlp>>), TrainError> {
        let threads = rayon::current_num_threads();
        let workers = Workers::new(threads.clamp(1, self.task.seeds.len()))?;
        let prepared = self.prepare(activation);
        let seeds = &self.task.seeds;
        let results = workers.map(seeds.len(), |i| {
            self.train_seed_keeping(&prepared, seeds[i], progress)
                .map(|(score, _, net)| (score, net))
        })?;
        let (scores, networks): (Vec<Score>, Vec<Option<Mlp>>) = results
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .unzip();
        Ok((prepared.evaluation(scores)?, networks))
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

    /// Trains and scores one seed of `activation` on the calling thread, with its times: one
    /// job of [`evaluate_jobs`] on its own (what a remote worker runs).
    pub(crate) fn train_one(
        &self,
        activation: &CompiledActivation,
        seed: u64,
    ) -> Result<(Score, SeedTimes), TrainError> {
        // The forward cost is the coordinator's to measure (once per candidate, not per seed).
        let prepared = Prepared {
            op: self.activation_op(activation),
            forward_ns: 0.0,
        };
        let started = Instant::now();
        let (score, scoring_s) = self.train_seed(&prepared, seed, &|_| {})?;
        let seconds = started.elapsed().as_secs_f64();
        Ok((score, SeedTimes { seconds, scoring_s }))
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
    /// own, so that both the seeds of one activation and different activations train at once;
    /// a free worker takes the next job, and the jobs expected to take longest go first (by the
    /// activation's measured forward cost; one that cannot be set up last), so that the last
    /// jobs of the call, while other workers may have none left, are short ones. Each evaluation comes with the seconds its seeds took,
    /// summed, and how many of them were spent scoring; evaluations are in the order of
    /// `activations`, and none depends on the order the jobs ran in. A task error (as opposed
    /// to a candidate failing) fails the whole call.
    pub fn evaluate_all(
        &self,
        workers: &Workers,
        activations: &[&CompiledActivation],
    ) -> Result<Vec<(Evaluation, SeedTimes)>, TrainError> {
        let jobs: Vec<(&Trainer, &CompiledActivation)> =
            activations.iter().map(|&a| (self, a)).collect();
        evaluate_jobs(workers, &jobs)
    }

    /// Sets up an activation for training: its activation operation (standardised when the network
    /// asks for it; a failure is kept and fails every seed with its reason) and its measured
    /// forward cost.
    fn prepare(&self, activation: &CompiledActivation) -> Prepared {
        Prepared {
            op: self.activation_op(activation),
            forward_ns: forward_cost_ns(&activation.forward),
        }
    }

    /// The activation operation of `activation` (standardised when the network asks for it),
    /// or why it cannot be built.
    fn activation_op(&self, activation: &CompiledActivation) -> Result<ActivationOp, String> {
        if self.task.network.normalize {
            ActivationOp::standardized(activation).map_err(|e| e.to_string())
        } else {
            Ok(ActivationOp::new(activation))
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
        self.train_seed_keeping(prepared, seed, progress)
            .map(|(score, scoring_s, _)| (score, scoring_s))
    }

    /// Like [`Trainer::train_seed`], also returning the trained classifier (none for a GAN
    /// task or a seed that failed).
    fn train_seed_keeping(
        &self,
        prepared: &Prepared,
        seed: u64,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<(Score, f64, Option<Mlp>), TrainError> {
        let start = Instant::now();
        let total = self.steps_per_seed();
        let failed = |reason: String, steps: u64| Score {
            seed,
            status: Status::Failed { reason },
            steps,
            wall_time_s: start.elapsed().as_secs_f64(),
            metrics: None,
            constants: Vec::new(),
            generated: Vec::new(),
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
                return Ok((failed(reason.clone(), 0), 0.0, None));
            }
        };
        let (steps, measured, constants, scoring, network) = match &self.data {
            Some(data) => {
                let net = Mlp::new(
                    &self.task.network,
                    data.n_features(),
                    data.n_classes,
                    op,
                    &mut rng(seed, 0),
                )?;
                let mut classifier = Classifier {
                    optimizer: Optimizer::new(&self.task.optimizer, net.parameters()),
                    net,
                    examples: &data.train,
                    order: self.train_rows.clone(),
                    next: usize::MAX,
                    order_rng: rng(seed, 1),
                    batch: self.task.batch_size.min(self.train_rows.len()),
                    x: Vec::new(),
                    y: Vec::new(),
                };
                let (steps, failure) = self.run_steps(&mut classifier, seed, progress)?;
                if let Some(reason) = failure {
                    return Ok((failed(reason, steps), 0.0, None));
                }
                let scoring = Instant::now();
                let net = classifier.net;
                let measured = measure(&net, data, self.measurements, &mut rng(seed, 2))?;
                let measured = measured.map(|m| (m, Vec::new()));
                (
                    steps,
                    measured,
                    net.constants().to_vec(),
                    scoring,
                    Some(net),
                )
            }
            None => {
                let mut gan = Gan::new(
                    &self.task.network,
                    &self.task.optimizer,
                    self.task.batch_size,
                    op,
                    &mut rng(seed, 0),
                    rng(seed, 1),
                )?;
                let (steps, failure) = self.run_steps(&mut gan, seed, progress)?;
                if let Some(reason) = failure {
                    return Ok((failed(reason, steps), 0.0, None));
                }
                let scoring = Instant::now();
                let measured = measure_gan(&gan, &mut rng(seed, 2))?;
                let constants = gan.discriminator().constants().to_vec();
                (steps, measured, constants, scoring, None)
            }
        };
        let scoring_s = scoring.elapsed().as_secs_f64();
        let (score, network) = match measured {
            Ok((metrics, generated)) => (
                Score {
                    seed,
                    status: Status::Completed,
                    steps,
                    wall_time_s: start.elapsed().as_secs_f64(),
                    metrics: Some(metrics),
                    constants,
                    generated,
                },
                network,
            ),
            Err(reason) => (failed(reason, steps), None),
        };
        Ok((score, scoring_s, network))
    }

    /// Takes `model`'s steps for this trainer's budget, reporting progress every few steps and
    /// checking the weights; returns the steps taken and, if the seed failed, why (the loss or
    /// a weight stopped being finite, or the weights exploded).
    fn run_steps(
        &self,
        model: &mut impl Training,
        seed: u64,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<(u64, Option<String>), TrainError> {
        let total = self.steps_per_seed();
        let (mut steps, mut reported, mut loss) = (0u64, 0u64, f32::NAN);
        let mut failure = None;
        while steps < total {
            loss = model.step()?;
            steps += 1;
            if !loss.is_finite() {
                failure = Some(format!("loss became {loss} at step {steps}"));
                break;
            }
            if steps % REPORT_EVERY == 0 || steps == total {
                if let Some(problem) = model.weight_problem() {
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
        Ok((steps, failure))
    }
}

/// What [`Trainer::run_steps`] trains: a classifier or a GAN.
trait Training {
    /// One optimiser step (a GAN: one of each network); returns the loss (a GAN: the sum of
    /// the discriminator's and the generator's). When it is not finite nothing more is
    /// updated, and training stops.
    fn step(&mut self) -> Result<f32, NetworkError>;

    /// What is wrong with the weights, if anything ([`weight_problem`]).
    fn weight_problem(&self) -> Option<String>;
}

/// A classifier in training: its network and optimiser, and the batch order over its
/// training rows (reshuffled at each epoch).
struct Classifier<'a> {
    net: Mlp,
    optimizer: Optimizer,
    examples: &'a Examples,
    /// The training rows, in this epoch's order.
    order: Vec<usize>,
    /// The position in `order` of the next batch (past the end: a new epoch is due).
    next: usize,
    order_rng: ChaCha8Rng,
    batch: usize,
    /// The batch's features and labels.
    x: Vec<f32>,
    y: Vec<u8>,
}

impl Training for Classifier<'_> {
    fn step(&mut self) -> Result<f32, NetworkError> {
        if self.next >= self.order.len() {
            self.order.shuffle(&mut self.order_rng);
            self.next = 0;
        }
        let end = (self.next + self.batch).min(self.order.len());
        self.x.clear();
        self.y.clear();
        for &i in &self.order[self.next..end] {
            self.x.extend_from_slice(self.examples.row(i));
            self.y.push(self.examples.labels[i]);
        }
        self.next = end;
        self.net.train_step(&self.x, &self.y, &mut self.optimizer)
    }

    fn weight_problem(&self) -> Option<String> {
        weight_problem(self.net.parameters())
    }
}

impl Training for Gan {
    fn step(&mut self) -> Result<f32, NetworkError> {
        let losses = Gan::step(self)?;
        Ok(losses.discriminator + losses.generator)
    }

    fn weight_problem(&self) -> Option<String> {
        weight_problem(self.generator().parameters())
            .map(|p| format!("generator: {p}"))
            .or_else(|| {
                weight_problem(self.discriminator().parameters())
                    .map(|p| format!("discriminator: {p}"))
            })
    }
}

/// The random stream `stream` of a seed: 0 initialisation, 1 batch order (a GAN: its latent
/// codes and ring samples in training), 2 input noise (a GAN: the latent codes it is scored on).
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

    #[test]
    fn a_training_subset_is_drawn_by_the_split_seed_and_bounds_the_epoch() {
        let task = |n: Option<usize>, split_seed: u64| Task {
            budget: Budget::Epochs(1),
            train_examples: n,
            split_seed,
            ..Task::default()
        };
        let all = Trainer::new(task(None, 0)).unwrap();
        let n_train = all.data().unwrap().train.len();
        assert_eq!(all.steps_per_seed(), n_train.div_ceil(64) as u64);
        let some = all.for_task(task(Some(100), 0)).unwrap();
        assert_eq!(some.steps_per_seed(), 2);
        assert_eq!(some.train_rows.len(), 100);
        assert!(some.train_rows.windows(2).all(|w| w[0] < w[1]));
        // Not the first 100 rows (the split is ordered by class), and the same every time.
        assert_ne!(some.train_rows, (0..100).collect::<Vec<_>>());
        assert_eq!(
            some.train_rows,
            all.for_task(task(Some(100), 0)).unwrap().train_rows
        );
        // The data is shared, not copied; another split is refused.
        assert!(Arc::ptr_eq(
            all.data.as_ref().unwrap(),
            some.data.as_ref().unwrap()
        ));
        assert!(all.for_task(task(Some(100), 1)).is_err());
        let too_many = all.for_task(task(Some(n_train + 1), 0)).unwrap_err();
        assert!(
            too_many.to_string().contains("train_examples"),
            "{too_many}"
        );
        let act = Activation::parse("relu(x)", "exact").unwrap().compile();
        let e = some.evaluate(&act).unwrap();
        assert_eq!(e.seeds[0].steps, 2);
    }
}
