//! [`RedisDispatcher`]: the coordinator's side of the Redis work queue. It publishes each
//! (candidate, seed) of a batch as a [`Job`], collects the results from the run's own results
//! stream (the first per job id counts), publishes again what was lost, and returns the
//! evaluations in job order; the run directory stays the coordinator's alone.

use super::job::{training_data_checksum, Job, JobOutcome, JobResult};
use super::queue::{is_run_token, queue_status, Notify, Queue, PUBLISH};
use super::status::QueueStatus;
use super::{CandidateJob, DispatchError, Dispatcher};
use crate::train::{forward_cost_ns, Dataset, Evaluation, Score, SeedTimes, Summary, Trainer};
use redis::streams::{StreamId, StreamRangeReply, StreamReadReply};
use redis::Script;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// After this long without a result, a waiting coordinator says so.
const QUIET_NOTICE: Duration = Duration::from_secs(30);
/// How often a waiting coordinator checks that its outstanding jobs still exist.
const RECONCILE_EVERY: Duration = Duration::from_secs(5);
/// How long a coordinator waits for results in one blocking read.
const READ_BLOCK: Duration = Duration::from_millis(500);
/// The coordinator's dispatcher: publishes each (candidate, seed) of a batch as a [`Job`] on
/// the queue and waits for the results, which come back in any order and are returned in job
/// order; the run directory stays the coordinator's alone.
pub struct RedisDispatcher {
    queue: Queue,
    name: String,
    run: String,
    publish: Script,
    /// Distinct workers that sent results in the last batch.
    last_workers: usize,
}

impl RedisDispatcher {
    /// A dispatcher for run `run_token` ([`run_token`](super::queue::run_token)) on queue `name` at `url`, which is
    /// reached once now (an error if it cannot be).
    pub fn new(
        url: &str,
        name: &str,
        run_token: &str,
        notify: Notify,
    ) -> Result<RedisDispatcher, DispatchError> {
        if !is_run_token(run_token) {
            return Err(DispatchError::Queue(format!(
                "run token `{run_token}` is not 16 hex digits"
            )));
        }
        Ok(RedisDispatcher {
            queue: Queue::open(url, name, notify)?,
            name: name.to_string(),
            run: run_token.to_string(),
            publish: Script::new(PUBLISH),
            last_workers: 1,
        })
    }

    /// The queue's status now.
    pub fn status(&mut self) -> Result<QueueStatus, DispatchError> {
        queue_status(&mut self.queue, &self.name)
    }

    /// Reads the results posted so far (blocking up to `block` when there are none), keeps the
    /// ones for `outstanding` jobs and deletes what it read; returns how many it read.
    fn read_results(
        &mut self,
        block: Option<Duration>,
        outstanding: &mut HashMap<String, Job>,
        results: &mut HashMap<String, JobResult>,
    ) -> Result<usize, DispatchError> {
        let key = self.queue.keys().results(&self.run);
        let index = self.queue.keys().index(&self.run);
        let reply: Option<StreamReadReply> = self.queue.run(|con| {
            let mut cmd = redis::cmd("XREAD");
            cmd.arg("COUNT").arg(1024);
            if let Some(b) = block {
                cmd.arg("BLOCK").arg(b.as_millis() as u64);
            }
            cmd.arg("STREAMS").arg(&key).arg("0-0").query(con)
        })?;
        let entries: Vec<StreamId> = reply
            .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect())
            .unwrap_or_default();
        if entries.is_empty() {
            return Ok(0);
        }
        let mut accepted = Vec::new();
        for entry in &entries {
            let text: Option<String> = entry.get("result");
            match text.as_deref().map(JobResult::parse) {
                Some(Ok(result)) => {
                    if outstanding.remove(&result.id).is_some() {
                        accepted.push(result.id.clone());
                        results.insert(result.id.clone(), result);
                    }
                    // Otherwise a duplicate, or a late result of a job already journalled.
                }
                Some(Err(e)) => self
                    .queue
                    .notify(&format!("ignoring a malformed result {}: {e}", entry.id)),
                None => self.queue.notify(&format!(
                    "ignoring result entry {} without a result",
                    entry.id
                )),
            }
        }
        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        self.queue.run(|con| {
            let mut p = redis::pipe();
            p.cmd("XDEL").arg(&key).arg(&ids).ignore();
            if !accepted.is_empty() {
                p.cmd("HDEL").arg(&index).arg(&accepted).ignore();
            }
            p.query::<()>(con)
        })?;
        Ok(entries.len())
    }

    /// Makes sure every outstanding job is either answered or in the stream: reads the results
    /// there are, then publishes each job whose entry is not in the stream (never published,
    /// or lost with a restarted Redis's data) and has no result either.
    fn reconcile(
        &mut self,
        outstanding: &mut HashMap<String, Job>,
        results: &mut HashMap<String, JobResult>,
        order: &[String],
    ) -> Result<(), DispatchError> {
        while self.read_results(None, outstanding, results)? > 0 {}
        let ids: Vec<String> = order
            .iter()
            .filter(|id| outstanding.contains_key(*id))
            .cloned()
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let jobs_key = self.queue.keys().jobs();
        let index = self.queue.keys().index(&self.run);
        let entries: Vec<Option<String>> = self.queue.run(|con| {
            let mut p = redis::pipe();
            for id in &ids {
                p.cmd("HGET").arg(&index).arg(id);
            }
            p.query(con)
        })?;
        let live: Vec<bool> = self.queue.run(|con| {
            let mut p = redis::pipe();
            for e in &entries {
                match e {
                    Some(e) => p.cmd("XRANGE").arg(&jobs_key).arg(e).arg(e),
                    None => p.cmd("XRANGE").arg(&jobs_key).arg("0-0").arg("0-0"),
                };
            }
            let ranges: Vec<StreamRangeReply> = p.query(con)?;
            Ok(ranges.into_iter().map(|r| !r.ids.is_empty()).collect())
        })?;
        let lost: Vec<String> = ids
            .into_iter()
            .zip(live)
            .filter(|(_, live)| !live)
            .map(|(id, _)| id)
            .collect();
        if lost.is_empty() {
            return Ok(());
        }
        // A worker deletes an entry in the same step that posts its result: a result for an
        // entry found missing above is in the stream now.
        while self.read_results(None, outstanding, results)? > 0 {}
        let mut args: Vec<String> = vec![self.run.clone()];
        for id in lost {
            if let Some(job) = outstanding.get(&id) {
                args.push(id);
                args.push(job.to_json());
            }
        }
        let script = &self.publish;
        self.queue.run(|con| {
            script
                .key(&jobs_key)
                .key(&index)
                .arg(&args)
                .invoke::<u64>(con)
        })?;
        Ok(())
    }
}

impl Dispatcher for RedisDispatcher {
    fn evaluate(
        &mut self,
        jobs: &[CandidateJob<'_>],
    ) -> Result<Vec<(Evaluation, SeedTimes)>, DispatchError> {
        // One checksum per loaded dataset (the rungs of a ladder share theirs).
        let mut checksums: HashMap<*const Dataset, String> = HashMap::new();
        let mut slots: Vec<Vec<(u64, String)>> = Vec::with_capacity(jobs.len());
        let mut outstanding: HashMap<String, Job> = HashMap::new();
        // Published longest first (most steps), as the local pool starts them.
        let mut order: Vec<(u64, String)> = Vec::new();
        for j in jobs {
            let trainer: &Trainer = j.trainer;
            let data = trainer
                .data()
                .map_or(std::ptr::null(), |d| d as *const Dataset);
            let sum = checksums
                .entry(data)
                .or_insert_with(|| training_data_checksum(trainer))
                .clone();
            let mut seeds = Vec::new();
            for &seed in &trainer.task().seeds {
                let job = Job::new(trainer, j.activation, seed, &sum);
                seeds.push((seed, job.id.clone()));
                if !outstanding.contains_key(&job.id) {
                    order.push((trainer.steps_per_seed(), job.id.clone()));
                    outstanding.insert(job.id.clone(), job);
                }
            }
            slots.push(seeds);
        }
        order.sort_by_key(|o| std::cmp::Reverse(o.0));
        let order: Vec<String> = order.into_iter().map(|(_, id)| id).collect();
        let mut results: HashMap<String, JobResult> = HashMap::new();
        self.queue.take_reconnected();
        self.reconcile(&mut outstanding, &mut results, &order)?;
        let mut checked = Instant::now();
        let mut progress = Instant::now();
        while !outstanding.is_empty() {
            if self.read_results(Some(READ_BLOCK), &mut outstanding, &mut results)? > 0 {
                progress = Instant::now();
            } else if progress.elapsed() >= QUIET_NOTICE {
                progress = Instant::now();
                let workers = self.status().map_or(0, |s| s.workers.len());
                self.queue.notify(&format!(
                    "waiting for {} job(s) on {} queue {}: no result for {} s, {workers} \
                     worker(s) reported in the last minute (start some with `radact worker \
                     --redis URL --queue {}`)",
                    outstanding.len(),
                    self.queue.shown(),
                    self.name,
                    QUIET_NOTICE.as_secs(),
                    self.name
                ));
            }
            if self.queue.take_reconnected() || checked.elapsed() >= RECONCILE_EVERY {
                self.reconcile(&mut outstanding, &mut results, &order)?;
                checked = Instant::now();
            }
        }
        let workers: HashSet<&str> = results.values().map(|r| r.worker.as_str()).collect();
        self.last_workers = workers.len().max(1);
        jobs.iter()
            .zip(slots)
            .map(|(j, seeds)| {
                let mut scores: Vec<Score> = Vec::with_capacity(seeds.len());
                let mut times = SeedTimes::default();
                for (seed, id) in seeds {
                    let result = &results[&id];
                    let (score, t) = result.score(seed).unwrap_or_else(|reason| {
                        let failed = JobResult {
                            id: id.clone(),
                            worker: result.worker.clone(),
                            outcome: JobOutcome::Failed { reason },
                        };
                        failed.score(seed).expect("a failure scores")
                    });
                    times.seconds += t.seconds;
                    times.scoring_s += t.scoring_s;
                    scores.push(score);
                }
                let evaluation = Evaluation {
                    summary: Summary::of(&scores, forward_cost_ns(&j.compiled.forward)),
                    seeds: scores,
                };
                Ok((evaluation, times))
            })
            .collect()
    }

    fn threads(&self) -> usize {
        self.last_workers
    }

    fn status(&mut self) -> Option<QueueStatus> {
        match RedisDispatcher::status(self) {
            Ok(s) => Some(s),
            Err(e) => {
                self.queue
                    .notify(&format!("cannot read the queue's status: {e}"));
                None
            }
        }
    }

    fn describe(&self) -> String {
        format!("redis {} queue {}", self.queue.shown(), self.name)
    }
}
