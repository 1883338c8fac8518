//! [`Job`] and [`JobResult`]: what a coordinator sends a remote worker (one candidate, one seed)
//! and what comes back, in their wire form (JSON), with the checks a worker and a coordinator
//! apply to what they receive.
//!
//! A job carries the activation in RON (the forward graph's node list and formula, the backward
//! mode), the whole training task, what to measure, the seed, and a checksum of the dataset the
//! coordinator loaded. Its id is a hash of all of that, so the same work always has the same id:
//! a result is matched to its job by id alone, and a second result for an id is a duplicate.
//! Reading a job checks its size, its id, the activation (every primitive name, arity and index,
//! through the graph's RON reader) and the task's bounds; nothing in a job is ever run as code.

use crate::activation::{Activation, CompiledActivation};
use crate::train::{Measurements, Score, SeedTimes, Status, Task, Trainer};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_128, Xxh3};

/// Largest job or result accepted, in bytes of JSON (a job holds a graph of at most a few
/// hundred nodes and a task; a result one seed's scores).
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// The measurements a job asks for (the serialisable form of [`Measurements`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasurementsSpec {
    /// Accuracy and loss on the training split.
    pub training: bool,
    /// Accuracy and loss on the validation split.
    pub validation: bool,
    /// Test accuracy under input noise.
    pub robustness: bool,
}

impl From<Measurements> for MeasurementsSpec {
    fn from(m: Measurements) -> Self {
        MeasurementsSpec {
            training: m.training,
            validation: m.validation,
            robustness: m.robustness,
        }
    }
}

impl From<MeasurementsSpec> for Measurements {
    fn from(m: MeasurementsSpec) -> Self {
        Measurements {
            training: m.training,
            validation: m.validation,
            robustness: m.robustness,
        }
    }
}

/// One seed of one candidate to train, as sent to a worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The content hash of every other field ([`Job::content_id`]), 32 hex digits.
    pub id: String,
    /// The activation in RON ([`Activation`]'s serialised form).
    pub activation: String,
    /// The training task (dataset, network, optimiser, budget, its seeds).
    pub task: Task,
    /// What to measure of the trained network.
    pub measurements: MeasurementsSpec,
    /// The seed to train, one of `task.seeds`.
    pub seed: u64,
    /// [`training_data_checksum`] of the data the coordinator loaded for `task`.
    pub dataset_checksum: String,
}

/// A job that a worker refuses, with the reason (sent back as the job's failure when its id is
/// known).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("malformed job: {0}")]
pub struct JobError(pub String);

impl Job {
    /// The job for `seed` of `activation` trained by `trainer`; `checksum` is
    /// [`training_data_checksum`] of the trainer's data (computed once per dataset by the caller).
    pub fn new(trainer: &Trainer, activation: &Activation, seed: u64, checksum: &str) -> Job {
        let mut job = Job {
            id: String::new(),
            activation: ron::to_string(activation).expect("an activation serialises to RON"),
            task: trainer.task().clone(),
            measurements: trainer.measurements().into(),
            seed,
            dataset_checksum: checksum.to_string(),
        };
        job.id = job.content_id();
        job
    }

    /// The hash of everything but the id: the same work has the same id on every machine.
    pub fn content_id(&self) -> String {
        let content = serde_json::to_string(&(
            &self.activation,
            &self.task,
            &self.measurements,
            self.seed,
            &self.dataset_checksum,
        ))
        .expect("a job serialises");
        format!("{:032x}", xxh3_128(content.as_bytes()))
    }

    /// The wire form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a job serialises")
    }

    /// Reads and checks a job received from the queue: its size, its fields, that its id is the
    /// hash of its content, that the task is within bounds and trains `seed`, and that the
    /// activation reads back (every primitive name, arity, parameter and index checked) and
    /// compiles. On error, the reason; [`job_id_of`] may still recover the id to report it.
    pub fn parse(text: &str) -> Result<(Job, Activation), JobError> {
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(JobError(format!(
                "{} bytes, more than the {MAX_MESSAGE_BYTES} a job may have",
                text.len()
            )));
        }
        let job: Job = serde_json::from_str(text).map_err(|e| JobError(e.to_string()))?;
        let expected = job.content_id();
        if job.id != expected {
            return Err(JobError(format!(
                "id {} is not the hash of the job's content ({expected})",
                job.id
            )));
        }
        job.task
            .validate()
            .map_err(|e| JobError(format!("task: {e}")))?;
        if !job.task.seeds.contains(&job.seed) {
            return Err(JobError(format!(
                "seed {} is not one of the task's seeds",
                job.seed
            )));
        }
        let activation: Activation =
            ron::from_str(&job.activation).map_err(|e| JobError(format!("activation: {e}")))?;
        Ok((job, activation))
    }
}

/// The id of a job that failed [`Job::parse`], when its text is JSON with a well-formed `id`
/// (so that its failure can be reported against it).
pub fn job_id_of(text: &str) -> Option<String> {
    if text.len() > MAX_MESSAGE_BYTES {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let id = value.get("id")?.as_str()?;
    is_job_id(id).then(|| id.to_string())
}

/// Whether `id` has the form of a job id (32 lowercase hex digits).
pub fn is_job_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// How a job ended on a worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum JobOutcome {
    /// The seed was trained (its score may still say the training failed, as on one machine).
    Trained {
        /// The seed's score (boxed: it is large, a failure is small).
        score: Box<Score>,
        /// Seconds the seed took, training and scoring.
        seconds: f64,
        /// Seconds of those spent scoring.
        scoring_s: f64,
    },
    /// The job could not be run: malformed, another dataset, or delivered too often.
    Failed {
        /// Why.
        reason: String,
    },
}

/// A worker's answer to a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    /// The job's id.
    pub id: String,
    /// The worker (consumer) that ran it.
    pub worker: String,
    /// What happened.
    pub outcome: JobOutcome,
}

impl JobResult {
    /// The wire form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a result serialises")
    }

    /// Reads a result received from the queue (its size, its fields, the form of its id).
    pub fn parse(text: &str) -> Result<JobResult, String> {
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(format!(
                "{} bytes, more than the {MAX_MESSAGE_BYTES} a result may have",
                text.len()
            ));
        }
        let result: JobResult = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if !is_job_id(&result.id) {
            return Err(format!("`{}` is not a job id", result.id));
        }
        Ok(result)
    }

    /// The seed's score and times for the job of `seed`: a worker's failure becomes a failed
    /// seed with its reason, as a candidate that cannot be trained fails on one machine.
    pub fn score(&self, seed: u64) -> Result<(Score, SeedTimes), String> {
        match &self.outcome {
            JobOutcome::Trained {
                score,
                seconds,
                scoring_s,
            } => {
                if score.seed != seed {
                    return Err(format!(
                        "result of job {} is for seed {}, the job trains seed {seed}",
                        self.id, score.seed
                    ));
                }
                Ok((
                    Score::clone(score),
                    SeedTimes {
                        seconds: *seconds,
                        scoring_s: *scoring_s,
                    },
                ))
            }
            JobOutcome::Failed { reason } => Ok((
                Score {
                    seed,
                    status: Status::Failed {
                        reason: format!("worker {}: {reason}", self.worker),
                    },
                    steps: 0,
                    wall_time_s: 0.0,
                    metrics: None,
                    constants: Vec::new(),
                    generated: Vec::new(),
                },
                SeedTimes::default(),
            )),
        }
    }
}

/// A checksum of the data `trainer` trains on: for a loaded dataset, its name, classes and every
/// split's features and labels, so that a worker whose files differ from the coordinator's
/// computes another and refuses the job; for a task whose samples are generated by its own code
/// (the GAN ring), the task's dataset name, since the samples follow from the seed.
pub fn training_data_checksum(trainer: &Trainer) -> String {
    match trainer.data() {
        Some(data) => data.checksum(),
        None => {
            let mut h = Xxh3::new();
            h.update(b"generated:");
            h.update(trainer.task().dataset.name().as_bytes());
            format!("{:032x}", h.digest128())
        }
    }
}

/// Trains a parsed job on a worker: `trainer` is one for the job's task (its data loaded by the
/// worker); a dataset checksum other than the job's fails the job with both checksums.
pub fn run_job(
    trainer: &Trainer,
    checksum: &str,
    job: &Job,
    activation: &Activation,
) -> JobOutcome {
    if checksum != job.dataset_checksum {
        return JobOutcome::Failed {
            reason: format!(
                "dataset mismatch: the job was made for {} data with checksum {}, this worker \
                 loaded data with checksum {checksum} (every machine needs the same files)",
                job.task.dataset.name(),
                job.dataset_checksum
            ),
        };
    }
    let compiled: CompiledActivation = activation.compile();
    match trainer.train_one(&compiled, job.seed) {
        Ok((score, times)) => JobOutcome::Trained {
            score: Box::new(score),
            seconds: times.seconds,
            scoring_s: times.scoring_s,
        },
        Err(e) => JobOutcome::Failed {
            reason: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Budget;

    fn trainer() -> Trainer {
        let task = Task {
            budget: Budget::Steps(3),
            seeds: vec![4, 5],
            ..Task::default()
        };
        Trainer::new(task).unwrap()
    }

    fn job() -> (Trainer, Job) {
        let t = trainer();
        let act = Activation::parse("x * sigmoid(param(1.5) * x)", "exact").unwrap();
        let sum = training_data_checksum(&t);
        let job = Job::new(&t, &act, 5, &sum);
        (t, job)
    }

    #[test]
    fn a_gan_job_trains_on_a_worker_as_locally_and_its_samples_come_back() {
        let task = Task {
            budget: Budget::Steps(20),
            seeds: vec![1],
            ..Task::gan_ring()
        };
        let t = Trainer::new(task).unwrap();
        let sum = training_data_checksum(&t);
        assert_eq!(
            sum,
            training_data_checksum(&Trainer::new(t.task().clone()).unwrap())
        );
        assert_ne!(sum, training_data_checksum(&trainer()));
        let act = Activation::parse("max(x, 0.2 * x)", "exact").unwrap();
        let job = Job::new(&t, &act, 1, &sum);
        let (back, parsed) = Job::parse(&job.to_json()).unwrap();
        assert_eq!(back, job);
        let outcome = run_job(&t, &sum, &back, &parsed);
        let result = JobResult {
            id: job.id.clone(),
            worker: "w".into(),
            outcome,
        };
        let (score, _) = JobResult::parse(&result.to_json())
            .unwrap()
            .score(1)
            .unwrap();
        let local = t.train_one(&act.compile(), 1).unwrap().0;
        assert!(score.metrics.is_some(), "{score:?}");
        assert_eq!(score.metrics, local.metrics);
        assert!(!score.generated.is_empty());
        assert_eq!(score.generated, local.generated);
    }

    #[test]
    fn a_job_round_trips_and_trains_as_locally() {
        let (t, job) = job();
        let (back, act) = Job::parse(&job.to_json()).unwrap();
        assert_eq!(back, job);
        let outcome = run_job(&t, &training_data_checksum(&t), &back, &act);
        let local = t
            .train_one(
                &Activation::parse("x * sigmoid(param(1.5) * x)", "exact")
                    .unwrap()
                    .compile(),
                5,
            )
            .unwrap()
            .0;
        match outcome {
            JobOutcome::Trained { score, .. } => {
                assert_eq!(score.metrics, local.metrics);
                assert_eq!(score.constants, local.constants);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_id_is_the_content_hash() {
        let (t, a) = job();
        let act = Activation::parse("x * sigmoid(param(1.5) * x)", "exact").unwrap();
        let b = Job::new(&t, &act, 5, &a.dataset_checksum);
        assert_eq!(a.id, b.id, "same work, same id");
        let c = Job::new(&t, &act, 4, &a.dataset_checksum);
        assert_ne!(a.id, c.id, "another seed, another id");
        assert!(is_job_id(&a.id));
    }

    #[test]
    fn malformed_or_tampered_jobs_are_refused_with_a_reason() {
        let (_, job) = job();
        let reason = |text: &str| Job::parse(text).unwrap_err().to_string();
        assert!(reason("not json").contains("malformed job"));
        let mut tampered = job.clone();
        tampered.activation = tampered.activation.replace("sigmoid", "tanh");
        assert!(reason(&tampered.to_json()).contains("not the hash"));
        // A hostile activation with a consistent id: an unknown primitive is refused by name.
        let mut hostile = job.clone();
        hostile.activation = hostile.activation.replace("sigmoid", "system");
        hostile.id = hostile.content_id();
        let r = reason(&hostile.to_json());
        assert!(r.contains("activation") && r.contains("system"), "{r}");
        let mut bad_task = job.clone();
        bad_task.task.batch_size = 0;
        bad_task.id = bad_task.content_id();
        assert!(reason(&bad_task.to_json()).contains("batch size"));
        let mut bad_seed = job.clone();
        bad_seed.seed = 99;
        bad_seed.id = bad_seed.content_id();
        assert!(reason(&bad_seed.to_json()).contains("seed 99"));
        assert!(reason(&" ".repeat(MAX_MESSAGE_BYTES + 1)).contains("bytes"));
        // The id of a refused job is still known when it is well-formed.
        assert_eq!(job_id_of(&tampered.to_json()), Some(tampered.id));
        assert_eq!(job_id_of("{\"id\": \"../../etc\"}"), None);
    }

    #[test]
    fn another_dataset_fails_the_job_with_both_checksums() {
        let (t, mut job) = job();
        job.dataset_checksum = "0".repeat(32);
        job.id = job.content_id();
        let (job, act) = Job::parse(&job.to_json()).unwrap();
        match run_job(&t, &training_data_checksum(&t), &job, &act) {
            JobOutcome::Failed { reason } => {
                assert!(reason.contains("dataset mismatch"), "{reason}");
                assert!(reason.contains(&"0".repeat(32)), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn results_are_checked_and_failures_become_failed_seeds() {
        let r = JobResult {
            id: "a".repeat(32),
            worker: "w1".into(),
            outcome: JobOutcome::Failed {
                reason: "poison".into(),
            },
        };
        let back = JobResult::parse(&r.to_json()).unwrap();
        assert_eq!(back, r);
        let (score, _) = back.score(3).unwrap();
        assert_eq!(score.seed, 3);
        assert!(
            matches!(score.status, Status::Failed { ref reason } if reason.contains("w1: poison"))
        );
        let mut bad = r.clone();
        bad.id = "x".into();
        assert!(JobResult::parse(&bad.to_json())
            .unwrap_err()
            .contains("job id"));
        assert!(JobResult::parse("[1, 2]").is_err());
    }
}
