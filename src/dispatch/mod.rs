//! Where candidates are trained: a [`Dispatcher`] takes a batch's (candidate, trainer) jobs
//! and returns their evaluations in job order.
//!
//! [`Local`] trains on this process's [`Workers`] (the engine's default path). With the `redis`
//! feature, `coordinator::RedisDispatcher` hands every (candidate, seed) pair to
//! `radact worker` processes (`worker`) on any machine through a Redis stream (`queue`) and
//! collects their results. Either way the caller (the search engine, the coordinator) stays
//! the only writer of the run directory; a dispatcher decides where to train, never what.
//!
//! The wire form of a remote job and its result, and the checks applied to them, are in
//! [`job`].

#[cfg(feature = "redis")]
pub mod coordinator;
pub mod job;
#[cfg(feature = "redis")]
pub mod queue;
pub mod status;
#[cfg(feature = "redis")]
pub mod worker;

pub use status::{QueueStatus, WorkerReport};

use crate::activation::{Activation, CompiledActivation};
use crate::train::{evaluate_jobs, Evaluation, SeedTimes, TrainError, Trainer, Workers};

/// One candidate to train at one rung: its trainer (task and data), the activation and its
/// compiled programs.
#[derive(Clone, Copy, Debug)]
pub struct CandidateJob<'a> {
    /// The trainer of the candidate's rung.
    pub trainer: &'a Trainer,
    /// The activation (what a remote worker is sent).
    pub activation: &'a Activation,
    /// Its compiled programs (what a local worker trains).
    pub compiled: &'a CompiledActivation,
}

/// Why a batch could not be trained.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The training task could not be run (as opposed to a candidate failing).
    #[error(transparent)]
    Train(#[from] TrainError),
    /// The queue could not be reached or used; the message names it (without credentials).
    #[error("dispatch: {0}")]
    Queue(String),
    /// The search was asked to stop while jobs were still out.
    #[error("dispatch: stopped while {0} job(s) were still being trained")]
    Stopped(usize),
}

/// Trains batches of candidates somewhere and returns their evaluations.
pub trait Dispatcher: Send {
    /// Evaluates every job (each of its trainer's seeds), returning the evaluations and the
    /// seconds their seeds took, in the order of `jobs`. A candidate that fails is a failed
    /// evaluation; an error means the batch as a whole could not be trained.
    fn evaluate(
        &mut self,
        jobs: &[CandidateJob<'_>],
    ) -> Result<Vec<(Evaluation, SeedTimes)>, DispatchError>;

    /// How many training threads the last batch ran on (for throughput reports).
    fn threads(&self) -> usize;

    /// The state of the queue the jobs go through, for the run's status (none for the local
    /// pool, or when it cannot be read now).
    fn status(&mut self) -> Option<QueueStatus> {
        None
    }

    /// A short description for messages (`local, 4 threads`, `redis 127.0.0.1:6379/0 queue q`),
    /// without credentials.
    fn describe(&self) -> String;
}

/// The local dispatcher: this process's training threads.
#[derive(Debug)]
pub struct Local<'w> {
    workers: &'w Workers,
}

impl<'w> Local<'w> {
    /// Trains on `workers`.
    pub fn new(workers: &'w Workers) -> Self {
        Local { workers }
    }
}

impl Dispatcher for Local<'_> {
    fn evaluate(
        &mut self,
        jobs: &[CandidateJob<'_>],
    ) -> Result<Vec<(Evaluation, SeedTimes)>, DispatchError> {
        let pairs: Vec<(&Trainer, &CompiledActivation)> =
            jobs.iter().map(|j| (j.trainer, j.compiled)).collect();
        Ok(evaluate_jobs(self.workers, &pairs)?)
    }

    fn threads(&self) -> usize {
        self.workers.threads()
    }

    fn describe(&self) -> String {
        format!("local, {} threads", self.workers.threads())
    }
}
