//! A remote training worker (`radact worker`): joins the queue's consumer group, takes jobs
//! (reclaiming first any whose lease expired), trains them, and posts the results. It holds no
//! state a coordinator needs: killing one at any moment loses only the job in hand, which
//! another worker reclaims once its lease (the minimum idle time of `XAUTOCLAIM`) passes.
//!
//! While a job trains, a heartbeat thread extends its lease every third of it
//! (`XCLAIM ... JUSTID`, only while this worker still holds it), so long jobs are not
//! reclaimed. A job delivered more than [`MAX_DELIVERIES`] times is failed as poison without
//! being trained again. Each worker thread is one consumer with its own connection, trains one
//! seed at a time on the calling thread (as a local training thread does) and loads each
//! task's dataset once.

use super::job::{job_id_of, run_job, training_data_checksum, Job, JobOutcome, JobResult};
use super::queue::{is_run_token, now_ms, Notify, Queue, FINISH, GROUP, HEARTBEAT, MAX_DELIVERIES};
use super::status::WorkerReport;
use super::DispatchError;
use crate::train::{Trainer, Workers};
use redis::streams::{StreamAutoClaimReply, StreamId, StreamPendingCountReply, StreamReadReply};
use redis::{Connection, RedisResult, Script};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a worker waits for a new job in one blocking read.
const READ_BLOCK_MS: u64 = 1000;
/// Longest time between two looks for expired leases while new jobs keep coming.
const RECLAIM_EVERY: Duration = Duration::from_secs(1);
/// Trainers (loaded tasks) a worker thread keeps.
const MAX_TRAINERS: usize = 16;

/// How a worker runs.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// The Redis URL (`redis://[:PASSWORD@]HOST:PORT/DB`, or `rediss://` with the `redis-tls`
    /// feature).
    pub url: String,
    /// The queue's name.
    pub queue: String,
    /// Training threads, each a consumer of its own.
    pub threads: usize,
    /// The lease: a job whose worker has not reported for this long is reclaimed by another.
    pub lease: Duration,
    /// The consumers' name prefix (they are `NAME-0`, `NAME-1`, ...).
    pub name: String,
}

/// What a worker did before it stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WorkerTotals {
    /// Results posted.
    pub jobs: u64,
    /// Results dropped because the lease had been reclaimed meanwhile.
    pub lost_leases: u64,
}

/// The default consumer name prefix: the host's name and this process's id.
pub fn default_worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_string());
    format!("{host}-{}", std::process::id())
}

/// Runs `config.threads` consumers until `stop` is set (each finishes the job in hand first).
/// Connects once before starting: a URL that cannot be used is an error at once; a connection
/// lost later is made again with back-off.
pub fn run_worker(
    config: &WorkerConfig,
    stop: Arc<AtomicBool>,
    notify: Notify,
) -> Result<WorkerTotals, DispatchError> {
    if config.lease < Duration::from_millis(300) {
        return Err(DispatchError::Queue(format!(
            "a lease of {} ms is too short to extend by heartbeats (at least 300 ms)",
            config.lease.as_millis()
        )));
    }
    let queues = (0..config.threads)
        .map(|_| Queue::open(&config.url, &config.queue, notify.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let results: Vec<Result<WorkerTotals, DispatchError>> = std::thread::scope(|s| {
        let handles: Vec<_> = queues
            .into_iter()
            .enumerate()
            .map(|(i, queue)| {
                let stop = stop.clone();
                let name = format!("{}-{i}", config.name);
                let lease = config.lease;
                std::thread::Builder::new()
                    .name(format!("radact-worker-{i}"))
                    .spawn_scoped(s, move || Consumer::new(queue, name, lease)?.run(&stop))
                    .expect("a worker thread starts")
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(DispatchError::Queue("a worker thread panicked".to_string()))
                })
            })
            .collect()
    });
    let mut totals = WorkerTotals::default();
    for r in results {
        let t = r?;
        totals.jobs += t.jobs;
        totals.lost_leases += t.lost_leases;
    }
    Ok(totals)
}

/// Whether a script failed because the consumer group is gone (the error of a command inside
/// a script carries the script's error code, with NOGROUP in its message).
fn is_nogroup_script_error(e: &redis::RedisError) -> bool {
    e.to_string().contains("NOGROUP")
}

/// One consumer of the group: a connection, a name, its loaded tasks.
struct Consumer {
    queue: Queue,
    name: String,
    lease: Duration,
    finish: Script,
    trainers: HashMap<String, Result<(Trainer, String), String>>,
    pool: Workers,
    report: WorkerReport,
    totals: WorkerTotals,
    /// When to look for expired leases next.
    next_reclaim: Instant,
}

/// A job taken from the stream.
struct Taken {
    entry: StreamId,
    /// Times it has been delivered, this delivery included.
    deliveries: usize,
}

impl Consumer {
    fn new(queue: Queue, name: String, lease: Duration) -> Result<Consumer, DispatchError> {
        Ok(Consumer {
            queue,
            report: WorkerReport {
                worker: name.clone(),
                ..WorkerReport::default()
            },
            name,
            lease,
            finish: Script::new(FINISH),
            trainers: HashMap::new(),
            pool: Workers::new(1)?,
            totals: WorkerTotals::default(),
            next_reclaim: Instant::now(),
        })
    }

    fn run(mut self, stop: &AtomicBool) -> Result<WorkerTotals, DispatchError> {
        self.queue.notify(&format!(
            "worker {} waiting for jobs on {} queue {}",
            self.name,
            self.queue.shown(),
            self.queue.keys().jobs()
        ));
        self.send_report()?;
        while !stop.load(Ordering::SeqCst) {
            if let Some(taken) = self.take()? {
                self.handle(taken)?;
            }
        }
        Ok(self.totals)
    }

    fn send_report(&mut self) -> Result<(), DispatchError> {
        self.report.seen_ms = now_ms();
        let key = self.queue.keys().workers();
        let text = serde_json::to_string(&self.report).expect("a report serialises");
        let name = self.name.clone();
        self.queue.run(|con| {
            redis::cmd("HSET")
                .arg(&key)
                .arg(&name)
                .arg(&text)
                .query::<()>(con)
        })
    }

    /// Creates the consumer group (reading the stream from its start) unless it exists.
    fn create_group(con: &mut Connection, jobs: &str) -> RedisResult<()> {
        match redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(jobs)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query::<()>(con)
        {
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => other,
        }
    }

    /// The next job: one whose lease expired (reclaimed), else a new one (waiting up to a
    /// second), else none.
    fn take(&mut self) -> Result<Option<Taken>, DispatchError> {
        let jobs = self.queue.keys().jobs();
        let stats = self.queue.keys().stats();
        let name = self.name.clone();
        let lease_ms = self.lease.as_millis() as u64;
        // Expired leases are looked for between jobs at most every RECLAIM_EVERY (and whenever
        // the stream had nothing new), not before every job: one round trip less per job.
        let reclaim = Instant::now() >= self.next_reclaim;
        if reclaim {
            self.next_reclaim = Instant::now() + RECLAIM_EVERY.min(self.lease / 2);
        }
        let (entry, reclaimed) = self.queue.run(|con| {
            if !reclaim {
                return Self::read_new(con, &jobs, &name);
            }
            let claimed = redis::cmd("XAUTOCLAIM")
                .arg(&jobs)
                .arg(GROUP)
                .arg(&name)
                .arg(lease_ms)
                .arg("0-0")
                .arg("COUNT")
                .arg(1)
                .query::<StreamAutoClaimReply>(con);
            let claimed = match claimed {
                Err(e) if e.code() == Some("NOGROUP") => {
                    Self::create_group(con, &jobs)?;
                    return Ok((None, false));
                }
                other => other?,
            };
            if let Some(entry) = claimed.claimed.into_iter().next() {
                redis::cmd("HINCRBY")
                    .arg(&stats)
                    .arg("reclaimed")
                    .arg(1)
                    .query::<()>(con)?;
                return Ok((Some(entry), true));
            }
            Self::read_new(con, &jobs, &name)
        })?;
        let Some(entry) = entry else {
            // Nothing new: look for expired leases next time.
            self.next_reclaim = Instant::now();
            return Ok(None);
        };
        if !reclaimed {
            // A first delivery (XREADGROUP `>`).
            return Ok(Some(Taken {
                deliveries: 1,
                entry,
            }));
        }
        self.taken_reclaimed(entry)
    }

    /// A new entry for this consumer, waiting up to a second; none when the group is missing
    /// (then created).
    fn read_new(
        con: &mut Connection,
        jobs: &str,
        name: &str,
    ) -> RedisResult<(Option<StreamId>, bool)> {
        let read = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(GROUP)
            .arg(name)
            .arg("COUNT")
            .arg(1)
            .arg("BLOCK")
            .arg(READ_BLOCK_MS)
            .arg("STREAMS")
            .arg(jobs)
            .arg(">")
            .query::<Option<StreamReadReply>>(con);
        match read {
            Err(e) if e.code() == Some("NOGROUP") => {
                Self::create_group(con, jobs)?;
                Ok((None, false))
            }
            Err(e) => Err(e),
            Ok(reply) => Ok((
                reply.and_then(|r| r.keys.into_iter().flat_map(|k| k.ids).next()),
                false,
            )),
        }
    }

    /// A reclaimed entry with its delivery count (none if another worker took it meanwhile).
    fn taken_reclaimed(&mut self, entry: StreamId) -> Result<Option<Taken>, DispatchError> {
        let (jobs, name) = (self.queue.keys().jobs(), self.name.clone());
        let id = entry.id.clone();
        let pending: StreamPendingCountReply = self.queue.run(|con| {
            let reply = redis::cmd("XPENDING")
                .arg(&jobs)
                .arg(GROUP)
                .arg(&id)
                .arg(&id)
                .arg(1)
                .arg(&name)
                .query(con);
            match reply {
                // The group went away with a restarted Redis's data.
                Err(e) if e.code() == Some("NOGROUP") => Ok(StreamPendingCountReply::default()),
                other => other,
            }
        })?;
        let Some(p) = pending.ids.first() else {
            // Taken by another worker in between: not ours.
            return Ok(None);
        };
        self.queue.notify(&format!(
            "worker {}: reclaimed job entry {id} (delivery {})",
            self.name, p.times_delivered
        ));
        Ok(Some(Taken {
            deliveries: p.times_delivered,
            entry,
        }))
    }

    /// Trains (or fails) a taken job and posts its result.
    fn handle(&mut self, taken: Taken) -> Result<(), DispatchError> {
        let entry_id = taken.entry.id.clone();
        let run: Option<String> = taken.entry.get("run");
        let text: Option<String> = taken.entry.get("job");
        let (run, text) = match (run, text) {
            (Some(run), Some(text)) if is_run_token(&run) => (run, text),
            _ => {
                self.queue.notify(&format!(
                    "worker {}: dropping job entry {entry_id}: no valid `run` and `job` fields",
                    self.name
                ));
                return self.post(&entry_id, None, None, true);
            }
        };
        let results = self.queue.keys().results(&run);
        if taken.deliveries > MAX_DELIVERIES {
            let Some(id) = job_id_of(&text) else {
                return self.post(&entry_id, None, None, true);
            };
            let stats = self.queue.keys().stats();
            self.queue.run(|con| {
                redis::cmd("HINCRBY")
                    .arg(&stats)
                    .arg("poisoned")
                    .arg(1)
                    .query::<()>(con)
            })?;
            self.queue.notify(&format!(
                "worker {}: job {id} delivered {} times: failed as poison",
                self.name, taken.deliveries
            ));
            let reason = format!(
                "poison: delivered {} times (more than {MAX_DELIVERIES}) without a result; the \
                 workers that took it died or lost it",
                taken.deliveries
            );
            let result = self.result(id, JobOutcome::Failed { reason });
            return self.post(&entry_id, Some(&results), Some(&result), true);
        }
        let (job, activation) = match Job::parse(&text) {
            Ok(parsed) => parsed,
            Err(e) => {
                self.queue
                    .notify(&format!("worker {}: job entry {entry_id}: {e}", self.name));
                return match job_id_of(&text) {
                    Some(id) => {
                        let result = self.result(
                            id,
                            JobOutcome::Failed {
                                reason: e.to_string(),
                            },
                        );
                        self.post(&entry_id, Some(&results), Some(&result), false)
                    }
                    None => self.post(&entry_id, None, None, true),
                };
            }
        };
        self.queue.notify(&format!(
            "worker {}: job {} (seed {}) started",
            self.name,
            &job.id[..12],
            job.seed
        ));
        let started = Instant::now();
        let outcome = self.train(&entry_id, &job, &activation)?;
        let seconds = started.elapsed().as_secs_f64();
        self.report.training_s += seconds;
        self.queue.notify(&format!(
            "worker {}: job {} (seed {}) {} in {seconds:.2} s",
            self.name,
            &job.id[..12],
            job.seed,
            match &outcome {
                JobOutcome::Trained { .. } => "trained".to_string(),
                JobOutcome::Failed { reason } => format!("failed ({reason})"),
            }
        ));
        let result = self.result(job.id.clone(), outcome);
        self.post(&entry_id, Some(&results), Some(&result), false)
    }

    fn result(&self, id: String, outcome: JobOutcome) -> JobResult {
        JobResult {
            id,
            worker: self.name.clone(),
            outcome,
        }
    }

    /// Trains a job on this thread's one-thread pool while a heartbeat extends its lease.
    fn train(
        &mut self,
        entry_id: &str,
        job: &Job,
        activation: &crate::Activation,
    ) -> Result<JobOutcome, DispatchError> {
        let key = serde_json::to_string(&(&job.task, &job.measurements)).expect("serialises");
        if self.trainers.len() >= MAX_TRAINERS && !self.trainers.contains_key(&key) {
            self.trainers.clear();
        }
        let loaded = self.trainers.entry(key).or_insert_with(|| {
            Trainer::new(job.task.clone())
                .map(|t| {
                    let t = t.measuring(job.measurements.into());
                    let sum = training_data_checksum(&t);
                    (t, sum)
                })
                .map_err(|e| format!("cannot set up the task on this worker: {e}"))
        });
        let (trainer, checksum) = match loaded {
            Ok(loaded) => (&loaded.0, loaded.1.as_str()),
            Err(reason) => {
                return Ok(JobOutcome::Failed {
                    reason: reason.clone(),
                })
            }
        };
        let mut beat = self.queue.reopen();
        let interval = self.lease / 3;
        let (jobs, name) = (self.queue.keys().jobs(), self.name.clone());
        let entry = entry_id.to_string();
        let workers = self.queue.keys().workers();
        let mut report = self.report.clone();
        report.current = Some(job.id.clone());
        let (done, wait) = channel::<()>();
        let pool = &self.pool;
        let outcome = std::thread::scope(|s| {
            s.spawn(move || {
                let script = Script::new(HEARTBEAT);
                while let Err(RecvTimeoutError::Timeout) = wait.recv_timeout(interval) {
                    // A failed beat (Redis away) is retried at the next one; the job goes on.
                    report.seen_ms = now_ms();
                    let text = serde_json::to_string(&report).expect("a report serialises");
                    let _ = beat.try_once(|con| {
                        script
                            .key(&jobs)
                            .arg(GROUP)
                            .arg(&entry)
                            .arg(&name)
                            .invoke::<i64>(con)?;
                        redis::cmd("HSET")
                            .arg(&workers)
                            .arg(&name)
                            .arg(&text)
                            .query::<()>(con)
                    });
                }
            });
            let outcome = pool.map(1, |_| run_job(trainer, checksum, job, activation));
            drop(done);
            outcome
        });
        Ok(match outcome {
            Ok(mut o) => o.pop().expect("one job"),
            Err(e) => JobOutcome::Failed {
                reason: e.to_string(),
            },
        })
    }

    /// Posts `result` to `results` and acknowledges and deletes the job entry, while this
    /// consumer still holds its lease (or regardless, with `force`); without a result, only
    /// acknowledges and deletes (a job that cannot be answered).
    fn post(
        &mut self,
        entry_id: &str,
        results: Option<&str>,
        result: Option<&JobResult>,
        force: bool,
    ) -> Result<(), DispatchError> {
        let jobs = self.queue.keys().jobs();
        let name = self.name.clone();
        let (Some(results), Some(result)) = (results, result) else {
            return self.queue.run(|con| {
                redis::pipe()
                    .cmd("XACK")
                    .arg(&jobs)
                    .arg(GROUP)
                    .arg(entry_id)
                    .ignore()
                    .cmd("XDEL")
                    .arg(&jobs)
                    .arg(entry_id)
                    .ignore()
                    .query::<()>(con)
            });
        };
        let text = result.to_json();
        self.report.jobs += 1;
        self.report.current = None;
        self.report.seen_ms = now_ms();
        let report = serde_json::to_string(&self.report).expect("a report serialises");
        let workers = self.queue.keys().workers();
        let script = &self.finish;
        let posted: i64 = self.queue.run(|con| {
            let posted = script
                .key(&jobs)
                .key(results)
                .key(&workers)
                .arg(GROUP)
                .arg(entry_id)
                .arg(&name)
                .arg(&text)
                .arg(if force { "1" } else { "0" })
                .arg(&report)
                .invoke(con);
            match posted {
                // The group went away with a restarted Redis's data, and the lease with it: the
                // coordinator publishes the job again.
                Err(e) if e.code() == Some("NOGROUP") || is_nogroup_script_error(&e) => Ok(0),
                other => other,
            }
        })?;
        if posted == 1 {
            self.totals.jobs += 1;
        } else {
            self.totals.lost_leases += 1;
            self.queue.notify(&format!(
                "worker {}: the lease of job {} expired and another worker took it: result \
                 dropped",
                self.name,
                &result.id[..12.min(result.id.len())]
            ));
        }
        Ok(())
    }
}
