//! [`Engine`]: the search loop. Each batch it asks the algorithm for proposals, drops the ones a
//! pre-filter rejects or that were already trained (same forward and backward fingerprints),
//! trains the rest in parallel, records every candidate, tells the algorithm, and checkpoints.
//!
//! With a multi-fidelity ladder ([`super::fidelity`]) each batch first takes the promotions the
//! [`Ladder`] asks for (candidates trained again at the next rung, recorded under their id with
//! the rung), then fills up with new proposals trained at rung 0; the budget counts candidates,
//! that is rung-0 trainings.
//!
//! The engine does no file I/O: it writes through a [`Recorder`] (the run directory implements
//! it) and reports [`Event`]s to a callback. Proposals are made and results are processed in
//! proposal order, and batches have a fixed size, so a run depends on its seed and not on the
//! number of threads.

use super::algorithm::{Algorithm, Member, Proposal};
use super::event::{Event, StopReason};
use super::fidelity::{Ladder, Promotion};
use super::genome::baselines;
use super::hall_of_fame::{HallOfFame, LiveHallOfFame};
use super::objective::{graph_cost, measurements, scores, values};
use super::prefilter::prefilter;
use super::record::{Origin, Outcome, Record};
use super::space::FieldError;
use super::space::SearchSpace;
use super::throughput::Throughput;
use crate::activation::{Activation, CompiledActivation};
use crate::dispatch::{CandidateJob, DispatchError, Dispatcher, Local, QueueStatus};
use crate::expr::fingerprint::fingerprint_program;
use crate::expr::print::print_node;
use crate::expr::{simplify, Fingerprint};
use crate::grad::derive_joint;
use crate::train::{Evaluation, Status, TrainError, Trainer, Workers};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Batches in a row without a newly trained candidate after which the space counts as exhausted.
const MAX_IDLE_BATCHES: usize = 50;

/// Where the engine writes what it learns.
pub trait Recorder {
    /// Appends one candidate's record (durably enough that a killed process keeps it).
    fn record(&mut self, record: &Record) -> std::io::Result<()>;
    /// Saves the engine state and the hall of fame after a batch.
    fn checkpoint(&mut self, state: &EngineState, hall: &HallOfFame) -> std::io::Result<()>;
    /// Saves what the dispatcher reports of its queue after a batch (remote training only; by
    /// default not kept).
    fn dispatch_status(&mut self, status: &QueueStatus) -> std::io::Result<()> {
        let _ = status;
        Ok(())
    }
}

/// Everything needed to continue a search exactly where it stopped (with the journal).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EngineState {
    /// The random generator.
    #[serde(with = "rng_state")]
    pub rng: ChaCha8Rng,
    /// The algorithm's population and settings.
    pub algorithm: Algorithm,
    /// Id of the next proposal.
    pub next_id: u64,
    /// Batches completed.
    pub batches: u64,
    /// Candidates trained (the budget counts these).
    pub trained: usize,
    /// Baselines proposed so far.
    pub baselines_done: usize,
    /// Batches in a row that trained nothing new.
    pub idle_batches: usize,
    /// The best candidate so far: id and main score (larger is better), at rung `best_rung`.
    pub best: Option<(u64, f64)>,
    /// The rung of the best candidate's score (a higher rung ranks first; 0 without a ladder).
    #[serde(default)]
    pub best_rung: u32,
    /// Trainings of promoted candidates at higher rungs of a ladder (not counted in `trained`).
    #[serde(default)]
    pub promotions: usize,
    /// Set when the loop ended for good (budget, exhaustion or time limit).
    pub finished: Option<StopReason>,
    /// Wall-clock seconds the search loop has run, over all sessions up to the last checkpoint
    /// (what a time limit counts; 0 in checkpoints written before it was kept).
    #[serde(default)]
    pub elapsed_s: f64,
}

impl EngineState {
    /// The state of a new run.
    pub fn new(space: &SearchSpace, seed: u64) -> EngineState {
        EngineState {
            rng: ChaCha8Rng::seed_from_u64(seed),
            algorithm: Algorithm::new(space),
            next_id: 0,
            batches: 0,
            trained: 0,
            baselines_done: 0,
            idle_batches: 0,
            best: None,
            best_rung: 0,
            promotions: 0,
            finished: None,
            elapsed_s: 0.0,
        }
    }
}

impl EngineState {
    /// Checks a state read from a checkpoint against the run's space and budget; on error, the
    /// field to point at and what is wrong.
    pub fn check(&self, space: &SearchSpace) -> Result<(), FieldError> {
        if self.trained as u64 > self.next_id {
            return Err(FieldError::new(
                "trained",
                format!(
                    "{} candidates trained but only {} proposed",
                    self.trained, self.next_id
                ),
            ));
        }
        let baselines = if space.seed_baselines {
            baselines(space).len()
        } else {
            0
        };
        if self.baselines_done > baselines {
            return Err(FieldError::new(
                "baselines_done",
                format!(
                    "{} baselines proposed but the space has {baselines}",
                    self.baselines_done
                ),
            ));
        }
        if !(self.elapsed_s.is_finite() && self.elapsed_s >= 0.0) {
            return Err(FieldError::new(
                "elapsed_s",
                format!("elapsed time {} s is not a duration", self.elapsed_s),
            ));
        }
        if let Some((id, score)) = self.best {
            if id >= self.next_id || score.is_nan() {
                return Err(FieldError::new(
                    "best",
                    format!(
                        "best candidate #{id} with score {score}: not one of the {} proposed, or not a number",
                        self.next_id
                    ),
                ));
            }
        }
        self.algorithm.check(space)
    }
}

/// A search that could not go on.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The training task could not be set up or run (dataset missing, invalid settings).
    #[error(transparent)]
    Train(#[from] TrainError),
    /// Writing the run failed.
    #[error("cannot write the run: {0}")]
    Io(#[from] std::io::Error),
    /// The worker threads could not be started.
    #[error("cannot start {threads} worker threads: {message}")]
    Threads {
        /// Requested threads.
        threads: usize,
        /// The cause.
        message: String,
    },
    /// The dispatcher could not hand out the batch or collect its results (the queue is
    /// unusable).
    #[error("{0}")]
    Dispatch(String),
}

impl From<DispatchError> for SearchError {
    fn from(e: DispatchError) -> Self {
        match e {
            DispatchError::Train(e) => SearchError::Train(e),
            other => SearchError::Dispatch(other.to_string()),
        }
    }
}

/// What is known about a trained function-and-backward pair, for deduplication.
#[derive(Clone, Debug)]
struct Known {
    id: u64,
    objectives: Option<Vec<f64>>,
}

/// A proposal (or a promotion) ready to train.
struct Candidate {
    id: u64,
    /// The rung it trains at.
    rung: u32,
    genome: Activation,
    compiled: CompiledActivation,
    origin: Origin,
    fingerprint: Fingerprint,
    backward_fingerprint: Fingerprint,
    backward_formula: String,
    cost: f64,
}

impl Candidate {
    fn key(&self) -> (Fingerprint, Fingerprint) {
        (self.fingerprint, self.backward_fingerprint)
    }
}

/// The search loop over a space.
pub struct Engine {
    space: SearchSpace,
    run_name: String,
    seed: u64,
    evaluations: usize,
    /// One trainer per rung (one without a ladder), sharing the loaded data.
    trainers: Vec<Trainer>,
    ladder: Ladder,
    state: EngineState,
    hall: LiveHallOfFame,
    known: HashMap<(Fingerprint, Fingerprint), Known>,
    /// Records newer than the checkpoint, by (id, rung): work to reuse when it comes up again.
    replay: HashMap<(u64, u32), Record>,
    stop: Arc<AtomicBool>,
    workers: Workers,
    /// Where batches train when not on `workers` (set by [`Engine::dispatch_to`]).
    remote: Option<Box<dyn Dispatcher>>,
    throughput: Throughput,
}

impl Engine {
    /// An engine for a new run, or for resuming one: `state` is the last checkpoint (or a new
    /// state) and `records` the journal. Records newer than the checkpoint (of a batch it does
    /// not count: work that finished after it) are replayed, not retrained, when the same
    /// proposals or promotions come up again.
    pub fn new(
        space: SearchSpace,
        run_name: &str,
        seed: u64,
        evaluations: usize,
        threads: usize,
        state: EngineState,
        records: Vec<Record>,
    ) -> Result<Engine, SearchError> {
        // Every (candidate, seed) pair of a batch is a job for the engine's workers; each
        // trained seed is measured as far as the objectives need. The rungs share one loaded
        // dataset.
        let tasks = space.rung_tasks();
        let first = Trainer::new(tasks[0].clone())?.measuring(measurements(&space.objectives));
        let mut trainers = vec![first];
        for task in &tasks[1..] {
            trainers.push(trainers[0].for_task(task.clone())?);
        }
        let eta = space.fidelity.as_ref().map_or(2, |f| f.eta);
        let ladder = Ladder::new(eta, trainers.len(), &space.objectives);
        let workers = Workers::new(threads).map_err(|e| SearchError::Threads {
            threads,
            message: e.to_string(),
        })?;
        let hall = LiveHallOfFame::new(&space.objectives, space.hall_of_fame);
        let mut engine = Engine {
            space,
            run_name: run_name.to_string(),
            seed,
            evaluations,
            trainers,
            ladder,
            state,
            hall,
            known: HashMap::new(),
            replay: HashMap::new(),
            stop: Arc::new(AtomicBool::new(false)),
            workers,
            remote: None,
            throughput: Throughput::default(),
        };
        for r in records {
            if r.batch >= engine.state.batches {
                engine.replay.insert((r.id, r.rung), r);
            } else {
                engine.learn(&r);
            }
        }
        Ok(engine)
    }

    /// A flag that stops the loop after the batch in flight when set.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// The current state.
    pub fn state(&self) -> &EngineState {
        &self.state
    }

    /// The space being searched.
    pub fn space(&self) -> &SearchSpace {
        &self.space
    }

    /// The hall of fame of the candidates trained so far.
    pub fn hall_of_fame(&self) -> HallOfFame {
        self.hall.hall().clone()
    }

    /// The training threads, built once for the engine; the final check trains on them too.
    pub fn workers(&self) -> &Workers {
        &self.workers
    }

    /// Trains the batches on `dispatcher` (Redis workers, say) instead of this engine's
    /// threads, which still run the final check. Results do not depend on where they train.
    pub fn dispatch_to(&mut self, dispatcher: Box<dyn Dispatcher>) {
        self.remote = Some(dispatcher);
    }

    fn learn(&mut self, r: &Record) {
        self.ladder.add(r);
        if let Outcome::Trained { .. } | Outcome::Failed { .. } = &r.outcome {
            if r.rung > 0 {
                // A promotion: duplicates of the candidate keep its rung-0 values.
                self.hall.add(r);
                return;
            }
            self.known.insert(
                (r.fingerprint, r.backward_fingerprint),
                Known {
                    id: r.id,
                    objectives: r.objectives.clone(),
                },
            );
            self.hall.add(r);
        }
    }

    /// Runs batches until the budget is used, the space is exhausted or a stop is requested.
    pub fn run(
        &mut self,
        recorder: &mut dyn Recorder,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<StopReason, SearchError> {
        on_event(Event::Started {
            run: self.run_name.clone(),
            space: self.space.name.clone(),
            evaluations: self.evaluations,
            trained: self.state.trained,
            seed: self.seed,
            threads: self.workers.threads(),
        });
        // The time limit counts the time of earlier sessions (kept in the checkpoint) and this
        // one's; a batch in flight when it passes finishes.
        let session = Instant::now();
        let trained_at_start = self.state.trained;
        self.throughput = Throughput::default();
        let spent_before = self.state.elapsed_s;
        let limit = self.space.max_time.map(|t| t.seconds());
        let elapsed = move || spent_before + session.elapsed().as_secs_f64();
        let out_of_time = move || limit.is_some_and(|l| elapsed() >= l);
        let reason = loop {
            if let Some(reason) = self.state.finished {
                break reason;
            }
            if self.state.trained >= self.evaluations {
                self.state.finished = Some(StopReason::Budget);
                continue;
            }
            if self.stop.load(Ordering::SeqCst) {
                break StopReason::Interrupted;
            }
            if out_of_time() {
                self.state.finished = Some(StopReason::TimeLimit);
                self.state.elapsed_s = elapsed();
                recorder.checkpoint(&self.state, &self.hall_of_fame())?;
                continue;
            }
            let trained_before = self.state.trained;
            let proposed = self.batch(recorder, on_event)?;
            self.state.batches += 1;
            if self.state.trained == trained_before {
                self.state.idle_batches += 1;
            } else {
                self.state.idle_batches = 0;
            }
            if proposed == 0 || self.state.idle_batches >= MAX_IDLE_BATCHES {
                self.state.finished = Some(StopReason::Exhausted);
            } else if self.state.trained >= self.evaluations {
                self.state.finished = Some(StopReason::Budget);
            } else if out_of_time() {
                self.state.finished = Some(StopReason::TimeLimit);
            }
            self.state.elapsed_s = elapsed();
            let writing = Instant::now();
            recorder.checkpoint(&self.state, &self.hall_of_fame())?;
            if let Some(status) = self.remote.as_mut().and_then(|r| r.status()) {
                recorder.dispatch_status(&status)?;
            }
            self.throughput.writing_s += writing.elapsed().as_secs_f64();
            on_event(Event::Checkpoint {
                trained: self.state.trained,
                proposed: self.state.next_id,
            });
        };
        self.throughput.trained = self.state.trained - trained_at_start;
        self.throughput.wall_s = session.elapsed().as_secs_f64();
        on_event(Event::Finished {
            reason,
            trained: self.state.trained,
            proposed: self.state.next_id,
            throughput: self.throughput,
        });
        Ok(reason)
    }

    /// Up to `n` proposals: baselines first (when the space seeds them), then the algorithm's.
    fn propose(&mut self, n: usize) -> Vec<(Activation, Origin)> {
        let mut proposals: Vec<(Activation, Origin)> = Vec::with_capacity(n);
        if self.space.seed_baselines {
            let base = baselines(&self.space);
            while proposals.len() < n && self.state.baselines_done < base.len() {
                let a = base[self.state.baselines_done].clone();
                let name = a.forward.to_string();
                proposals.push((a, Origin::Baseline { name }));
                self.state.baselines_done += 1;
            }
        }
        let rest = n - proposals.len();
        let enumerated = matches!(self.state.algorithm, Algorithm::Exhaustive { .. });
        let made = self
            .state
            .algorithm
            .propose(&self.space, &mut self.state.rng, rest);
        for Proposal { genome, parents } in made {
            let origin = match parents {
                Some((parents, variation)) => Origin::Child { parents, variation },
                None if enumerated => Origin::Enumerated,
                None => Origin::Random,
            };
            proposals.push((genome, origin));
        }
        proposals
    }

    /// Canonical form, compiled programs, fingerprints and cost of a proposal.
    fn prepare(&mut self, genome: Activation, origin: Origin) -> Candidate {
        let id = self.state.next_id;
        self.state.next_id += 1;
        let genome = Activation::new(simplify(&genome.forward), genome.backward);
        Self::candidate(id, 0, genome, origin)
    }

    /// A promoted candidate, ready to train at its new rung (its genome is already canonical).
    fn prepare_promotion(p: Promotion) -> Candidate {
        Self::candidate(p.id, p.rung, p.activation, p.origin)
    }

    fn candidate(id: u64, rung: u32, genome: Activation, origin: Origin) -> Candidate {
        let compiled = genome.compile();
        let (joint, y, g) = derive_joint(&genome.forward, &genome.backward);
        Candidate {
            id,
            rung,
            backward_formula: print_node(&joint, g),
            cost: graph_cost(&joint, &[y, g]),
            fingerprint: fingerprint_program(&compiled.forward),
            backward_fingerprint: fingerprint_program(&compiled.backward),
            genome,
            compiled,
            origin,
        }
    }

    /// Proposes, filters, trains and records one batch; returns the number proposed.
    fn batch(
        &mut self,
        recorder: &mut dyn Recorder,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<usize, SearchError> {
        let phase = Instant::now();
        // Promotions first (ASHA: a free slot goes to a promotable candidate), then new
        // candidates within the budget.
        let promotions = self.ladder.promote(self.space.batch);
        let new = (self.space.batch - promotions.len()).min(self.evaluations - self.state.trained);
        let proposals = self.propose(new);
        self.throughput.selecting_s += phase.elapsed().as_secs_f64();
        let phase = Instant::now();
        let proposed = proposals.len() + promotions.len();
        let batch = self.state.batches;

        // Sequential and cheap: canonical form, fingerprints, pre-filters, deduplication.
        let mut done: Vec<Record> = Vec::new();
        let mut replayed: HashSet<(u64, u32)> = HashSet::new();
        let mut to_train: Vec<Candidate> = Vec::new();
        for p in promotions {
            let candidate = Self::prepare_promotion(p);
            let at = (candidate.id, candidate.rung);
            match self.replay.remove(&at) {
                Some(r) => {
                    replayed.insert(at);
                    done.push(r);
                }
                None => to_train.push(candidate),
            }
        }
        // The first candidate of this batch trained for each key, whether it is trained now or
        // was trained before a kill (replayed): later copies in the batch are its duplicates.
        let mut trained_in_batch: HashMap<(Fingerprint, Fingerprint), u64> = HashMap::new();
        for (genome, origin) in proposals {
            let started = Instant::now();
            let candidate = self.prepare(genome, origin);
            let key = candidate.key();
            let formula = candidate.genome.forward.to_string();
            if let Some(r) = self
                .replay
                .remove(&(candidate.id, 0))
                .filter(|r| (r.fingerprint, r.backward_fingerprint) == key && r.formula == formula)
            {
                // Finished before the process stopped: reuse, already in the journal.
                if matches!(r.outcome, Outcome::Trained { .. } | Outcome::Failed { .. }) {
                    trained_in_batch.entry(key).or_insert(r.id);
                }
                replayed.insert((r.id, 0));
                done.push(r);
                continue;
            }
            let earlier_in_batch = trained_in_batch.get(&key).copied();
            let outcome = if let Err(rejection) = prefilter(&candidate.compiled) {
                Some((
                    Outcome::Rejected {
                        reason: rejection.to_string(),
                    },
                    None,
                ))
            } else if let Some(k) = self.known.get(&key) {
                Some((Outcome::Duplicate { of: k.id }, k.objectives.clone()))
            } else {
                // Same function as one earlier in this batch: train it once (the objectives
                // are filled in once that one is trained).
                earlier_in_batch.map(|of| (Outcome::Duplicate { of }, None))
            };
            match outcome {
                Some((outcome, objectives)) => {
                    let mut r = self.record_of(&candidate, outcome, objectives, batch);
                    r.seconds = started.elapsed().as_secs_f64();
                    done.push(r);
                }
                None => {
                    trained_in_batch.insert(key, candidate.id);
                    to_train.push(candidate);
                }
            }
        }

        // Parallel: training, every candidate at its rung.
        let jobs: Vec<CandidateJob> = to_train
            .iter()
            .map(|c| CandidateJob {
                trainer: &self.trainers[c.rung as usize],
                activation: &c.genome,
                compiled: &c.compiled,
            })
            .collect();
        self.throughput.preparing_s += phase.elapsed().as_secs_f64();
        let phase = Instant::now();
        let (results, threads) = match &mut self.remote {
            Some(remote) => (remote.evaluate(&jobs)?, remote.threads()),
            None => {
                let mut local = Local::new(&self.workers);
                (local.evaluate(&jobs)?, local.threads())
            }
        };
        self.throughput.add_training(
            phase.elapsed(),
            threads,
            results.iter().map(|(_, t)| t.seconds).sum(),
            results.iter().map(|(_, t)| t.scoring_s).sum(),
        );
        for (c, (evaluation, times)) in to_train.iter().zip(results) {
            let seconds = times.seconds;
            let objectives = values(&self.space.objectives, &evaluation, c.cost);
            let outcome = match (&evaluation.summary.metrics, objectives.is_some()) {
                (Some(_), true) => Outcome::Trained { evaluation },
                _ => Outcome::Failed {
                    reason: first_failure(&evaluation),
                    evaluation,
                },
            };
            let mut r = self.record_of(c, outcome, objectives, batch);
            r.seconds = seconds;
            done.push(r);
        }

        // Sequential again, in id order (promotions have earlier ids): resolve duplicates within
        // the batch, record, tell.
        done.sort_by_key(|r| (r.id, r.rung));
        let mut members = Vec::new();
        for i in 0..done.len() {
            if let Outcome::Duplicate { of } = done[i].outcome {
                if done[i].objectives.is_none() {
                    done[i].objectives = done
                        .iter()
                        .find(|r| r.id == of && r.rung == 0)
                        .and_then(|r| r.objectives.clone());
                }
            }
            let r = done[i].clone();
            if !replayed.contains(&(r.id, r.rung)) {
                let writing = Instant::now();
                recorder.record(&r)?;
                self.throughput.writing_s += writing.elapsed().as_secs_f64();
            }
            if matches!(r.outcome, Outcome::Trained { .. } | Outcome::Failed { .. }) {
                if r.rung == 0 {
                    self.state.trained += 1;
                } else {
                    self.state.promotions += 1;
                }
            }
            self.learn(&r);
            let ranked = r
                .objectives
                .as_ref()
                .filter(|_| r.rung == 0 || r.is_trained());
            if let (Some(objectives), Ok(genome)) = (ranked, r.activation()) {
                let s = scores(&self.space.objectives, objectives);
                // A higher rung ranks first: its score comes from a larger training budget.
                let better = self
                    .state
                    .best
                    .is_none_or(|(_, b)| (r.rung, s[0]) > (self.state.best_rung, b));
                if better {
                    self.state.best = Some((r.id, s[0]));
                    self.state.best_rung = r.rung;
                    on_event(Event::NewBest {
                        id: r.id,
                        rung: r.rung,
                        formula: r.formula.clone(),
                        backward: r.backward.to_string(),
                        objective: self.space.main_objective().to_string(),
                        value: objectives[0],
                    });
                }
                members.push(Member {
                    id: r.id,
                    rung: r.rung,
                    genome,
                    scores: s,
                });
            }
            on_event(Event::Candidate {
                record: Box::new(r),
                trained: self.state.trained,
            });
        }
        let telling = Instant::now();
        self.state.algorithm.tell(members);
        self.throughput.selecting_s += telling.elapsed().as_secs_f64();
        Ok(proposed)
    }

    fn record_of(
        &self,
        c: &Candidate,
        outcome: Outcome,
        objectives: Option<Vec<f64>>,
        batch: u64,
    ) -> Record {
        Record {
            id: c.id,
            batch,
            rung: c.rung,
            formula: c.genome.forward.to_string(),
            backward: c.genome.backward.clone(),
            backward_formula: c.backward_formula.clone(),
            origin: c.origin.clone(),
            fingerprint: c.fingerprint,
            backward_fingerprint: c.backward_fingerprint,
            outcome,
            objectives,
            seconds: 0.0,
        }
    }
}

/// Serialises a ChaCha8 generator as its seed, stream and word position (the word position is
/// a `u128`, which RON cannot hold as a number, so it is written as decimal text).
mod rng_state {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct State {
        seed: [u8; 32],
        stream: u64,
        word_pos: String,
    }

    pub(crate) fn serialize<S: Serializer>(rng: &ChaCha8Rng, s: S) -> Result<S::Ok, S::Error> {
        State {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos().to_string(),
        }
        .serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ChaCha8Rng, D::Error> {
        let state = State::deserialize(d)?;
        let word_pos: u128 = state
            .word_pos
            .parse()
            .map_err(|e| serde::de::Error::custom(format!("word_pos `{}`: {e}", state.word_pos)))?;
        let mut rng = ChaCha8Rng::from_seed(state.seed);
        rng.set_stream(state.stream);
        rng.set_word_pos(word_pos);
        Ok(rng)
    }
}

fn first_failure(e: &Evaluation) -> String {
    e.seeds
        .iter()
        .find_map(|s| match &s.status {
            Status::Failed { reason } => Some(format!("seed {}: {reason}", s.seed)),
            Status::Completed => None,
        })
        .unwrap_or_else(|| "no objective value (non-finite scores)".to_string())
}
