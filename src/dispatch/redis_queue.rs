//! The Redis Streams work queue: [`Queue`] (a connection that reconnects with back-off, the
//! key names and the atomic scripts coordinator and workers share) and [`RedisDispatcher`],
//! the coordinator's side (publish jobs, collect results).
//!
//! Layout under `radact:<queue>:` (see the README's "Training on many machines"):
//!
//! - `jobs`: the stream of [`Job`]s (fields `run` and `job`), read by the consumer group
//!   `workers`. A worker acknowledges and deletes an entry in the same script that posts its
//!   result, and only while it still holds the entry's lease (is its consumer in the pending
//!   list): a late result of a worker whose lease was reclaimed is dropped there.
//! - `results:<run>`: one stream of [`JobResult`]s per run, read by its coordinator, which
//!   deletes what it has read. Results are matched by job id: a second result for an id, or one
//!   for a job this coordinator is not waiting for (already journalled), is ignored.
//! - `index:<run>`: job id to stream entry, written with the entry: a coordinator restarted by
//!   `radact resume`, or one that lost its connection, publishes again only the jobs that have
//!   neither a result nor a live entry (Redis restarted without its data), never one twice.
//! - `workers`: each worker's last report (JSON), `stats`: reclaimed and poisoned job counts.
//!
//! The URL may hold a password; it is shown only through [`redact`] and never written to a run.

use super::job::{Job, JobResult};
use super::status::{QueueStatus, WorkerReport};
use super::{CandidateJob, DispatchError, Dispatcher};
use crate::train::{forward_cost_ns, Evaluation, Score, SeedTimes, Summary, Trainer};
use redis::streams::{StreamId, StreamReadReply};
use redis::{Client, Connection, RedisError, RedisResult, Script};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The consumer group of the workers.
pub const GROUP: &str = "workers";
/// A job delivered more than this many times (its workers died or lost it each time) is failed
/// as poison instead of being tried again.
pub const MAX_DELIVERIES: usize = 3;
/// How long a coordinator waits for results in one blocking read.
const READ_BLOCK: Duration = Duration::from_millis(500);
/// How often a waiting coordinator checks that its outstanding jobs still exist.
const RECONCILE_EVERY: Duration = Duration::from_secs(5);
/// After this long without a result, a waiting coordinator says so.
const QUIET_NOTICE: Duration = Duration::from_secs(30);
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Receives progress messages (reconnections, dropped results) for the user.
pub type Notify = Arc<dyn Fn(&str) + Send + Sync>;

/// `url` with any user name and password replaced by `***` and any query left out: what
/// messages show.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s, r),
        None => return "<not a redis:// URL>".to_string(),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    match rest.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://***@{host}"),
        None => format!("{scheme}://{rest}"),
    }
}

/// Checks a queue name: 1 to 64 of `A-Z a-z 0-9 _ - .`.
pub fn check_queue_name(name: &str) -> Result<(), DispatchError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(DispatchError::Queue(format!(
            "queue name `{name}`: use 1 to 64 letters, digits, `_`, `-` or `.`"
        )))
    }
}

/// The key names of one queue.
#[derive(Clone, Debug)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// The keys of queue `name` (checked by [`check_queue_name`]).
    pub fn new(name: &str) -> Result<Keys, DispatchError> {
        check_queue_name(name)?;
        Ok(Keys {
            prefix: format!("radact:{name}"),
        })
    }
    /// The stream of jobs.
    pub fn jobs(&self) -> String {
        format!("{}:jobs", self.prefix)
    }
    /// The stream of results of run `run` (a run token: hex digits).
    pub fn results(&self, run: &str) -> String {
        format!("{}:results:{run}", self.prefix)
    }
    /// The job id to entry id map of run `run`.
    pub fn index(&self, run: &str) -> String {
        format!("{}:index:{run}", self.prefix)
    }
    /// The workers' last reports.
    pub fn workers(&self) -> String {
        format!("{}:workers", self.prefix)
    }
    /// Reclaimed and poisoned counts.
    pub fn stats(&self) -> String {
        format!("{}:stats", self.prefix)
    }
}

/// Whether `token` has the form of a run token (16 lowercase hex digits): a worker posts
/// results only under such a name.
pub fn is_run_token(token: &str) -> bool {
    token.len() == 16
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The run token of a run (its name and creation time): names its results stream.
pub fn run_token(name: &str, created: &str) -> String {
    format!(
        "{:016x}",
        xxhash_rust::xxh3::xxh3_64(format!("{name}\n{created}").as_bytes())
    )
}

/// Publishes jobs (ARGV: the run token, then id and job text of each): adds each to the stream
/// and notes its entry in the run's index, atomically, in one round trip.
pub(crate) const PUBLISH: &str = r"
for i = 2, #ARGV, 2 do
  local e = redis.call('XADD', KEYS[1], '*', 'run', ARGV[1], 'job', ARGV[i + 1])
  redis.call('HSET', KEYS[2], ARGV[i], e)
end
return (#ARGV - 1) / 2";

/// Extends a lease (`XCLAIM ... JUSTID` resets the idle time) if the caller still holds it.
pub(crate) const HEARTBEAT: &str = r"
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3])
if #p == 0 then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'JUSTID')
return 1";

/// Saves the worker's report (KEYS[3], field ARGV[3]: ARGV[6]), then posts a result,
/// acknowledges and deletes the job entry, if the caller still holds its lease (or, with
/// ARGV[5] = 1, whoever holds it: a poison verdict).
pub(crate) const FINISH: &str = r"
redis.call('HSET', KEYS[3], ARGV[3], ARGV[6])
if ARGV[5] ~= '1' then
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3])
  if #p == 0 then return 0 end
end
redis.call('XADD', KEYS[2], '*', 'result', ARGV[4])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1";

/// Whether an error means the connection is gone (reconnect and retry) rather than a refusal.
fn is_transient(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
        || matches!(
            e.code(),
            Some("LOADING" | "BUSY" | "TRYAGAIN" | "MASTERDOWN")
        )
}

/// A connection to the queue's Redis that reconnects with back-off.
pub struct Queue {
    client: Client,
    shown: String,
    keys: Keys,
    con: Option<Connection>,
    notify: Notify,
    /// Set when a connection was lost and made again (cleared by [`Queue::take_reconnected`]).
    reconnected: bool,
}

impl Queue {
    /// Opens queue `name` on the Redis at `url` and connects once: a URL that does not parse or
    /// a server that cannot be reached is an error (naming the URL without its password).
    pub fn open(url: &str, name: &str, notify: Notify) -> Result<Queue, DispatchError> {
        let keys = Keys::new(name)?;
        let shown = redact(url);
        #[cfg(feature = "redis-tls")]
        {
            // `rediss://`: rustls needs a crypto provider for the process (an error only means
            // one is installed already).
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let client = Client::open(url).map_err(|e| {
            DispatchError::Queue(format!(
                "cannot use the Redis URL {shown}: {}",
                e.category()
            ))
        })?;
        let mut queue = Queue {
            client,
            shown,
            keys,
            con: None,
            notify,
            reconnected: false,
        };
        queue.connect().map_err(|e| {
            DispatchError::Queue(format!("cannot reach Redis at {}: {e}", queue.shown))
        })?;
        Ok(queue)
    }

    /// Another connection to the same queue (a worker's heartbeat thread).
    pub fn reopen(&self) -> Queue {
        Queue {
            client: self.client.clone(),
            shown: self.shown.clone(),
            keys: self.keys.clone(),
            con: None,
            notify: self.notify.clone(),
            reconnected: false,
        }
    }

    /// The key names.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The Redis URL without credentials.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Says something to the user.
    pub fn notify(&self, message: &str) {
        (self.notify)(message)
    }

    fn connect(&mut self) -> RedisResult<()> {
        let con = self
            .client
            .get_connection_with_timeout(Duration::from_secs(5))?;
        // Longer than any blocking read.
        con.set_read_timeout(Some(Duration::from_secs(30)))?;
        con.set_write_timeout(Some(Duration::from_secs(30)))?;
        self.con = Some(con);
        Ok(())
    }

    /// Whether the connection was lost and made again since the last call.
    pub fn take_reconnected(&mut self) -> bool {
        std::mem::take(&mut self.reconnected)
    }

    /// Runs `f` on the connection; when the connection is gone (Redis restarted, network
    /// down), reconnects with back-off (0.1 s doubling to 5 s) and runs `f` again, for as long
    /// as it takes. Other errors (a refused command, wrong password) are returned.
    pub fn run<T>(
        &mut self,
        mut f: impl FnMut(&mut Connection) -> RedisResult<T>,
    ) -> Result<T, DispatchError> {
        let mut backoff = Duration::from_millis(100);
        let mut since: Option<Instant> = None;
        loop {
            let result = match &mut self.con {
                Some(con) => f(con),
                None => self
                    .connect()
                    .and_then(|_| f(self.con.as_mut().expect("connected"))),
            };
            match result {
                Ok(v) => {
                    if let Some(t) = since {
                        self.reconnected = true;
                        self.notify(&format!(
                            "reconnected to {} after {:.1} s",
                            self.shown,
                            t.elapsed().as_secs_f64()
                        ));
                    }
                    return Ok(v);
                }
                Err(e) if is_transient(&e) => {
                    self.con = None;
                    if since.is_none() {
                        since = Some(Instant::now());
                        self.notify(&format!(
                            "lost the connection to {} ({e}); reconnecting with back-off",
                            self.shown
                        ));
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Err(e) => {
                    return Err(DispatchError::Queue(format!(
                        "Redis at {}: {e}",
                        self.shown
                    )))
                }
            }
        }
    }

    /// Runs `f` once, connecting first if needed; an error drops the connection (the next call
    /// connects again). For a heartbeat, which must not block its job's end.
    pub fn try_once<T>(
        &mut self,
        f: impl FnOnce(&mut Connection) -> RedisResult<T>,
    ) -> RedisResult<T> {
        if self.con.is_none() {
            self.connect()?;
        }
        let result = f(self.con.as_mut().expect("connected"));
        if result.is_err() {
            self.con = None;
        }
        result
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Reads the queue's status.
pub fn queue_status(queue: &mut Queue, name: &str) -> Result<QueueStatus, DispatchError> {
    let keys = queue.keys().clone();
    let (len, stats, workers): (u64, HashMap<String, u64>, HashMap<String, String>) =
        queue.run(|con| {
            redis::pipe()
                .cmd("XLEN")
                .arg(keys.jobs())
                .cmd("HGETALL")
                .arg(keys.stats())
                .cmd("HGETALL")
                .arg(keys.workers())
                .query(con)
        })?;
    // Entries delivered and not acknowledged; no group yet (no worker ever joined): none.
    let in_flight: u64 = queue.run(|con| {
        match redis::cmd("XPENDING")
            .arg(keys.jobs())
            .arg(GROUP)
            .query::<redis::streams::StreamPendingReply>(con)
        {
            Ok(p) => Ok(p.count() as u64),
            Err(e) if e.code() == Some("NOGROUP") => Ok(0),
            Err(e) => Err(e),
        }
    })?;
    let now = now_ms();
    let mut reports: Vec<WorkerReport> = workers
        .values()
        .filter_map(|v| serde_json::from_str::<WorkerReport>(v).ok())
        .filter(|r| now.saturating_sub(r.seen_ms) < 60_000)
        .collect();
    reports.sort_by(|a, b| a.worker.cmp(&b.worker));
    Ok(QueueStatus {
        queue: name.to_string(),
        queued: len.saturating_sub(in_flight),
        in_flight,
        reclaimed: stats.get("reclaimed").copied().unwrap_or(0),
        poisoned: stats.get("poisoned").copied().unwrap_or(0),
        workers: reports,
        at_ms: now,
    })
}

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
    /// A dispatcher for run `run_token` ([`run_token`]) on queue `name` at `url`, which is
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
            let ranges: Vec<redis::streams::StreamRangeReply> = p.query(con)?;
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
        let mut checksums: HashMap<*const crate::train::Dataset, String> = HashMap::new();
        let mut slots: Vec<Vec<(u64, String)>> = Vec::with_capacity(jobs.len());
        let mut outstanding: HashMap<String, Job> = HashMap::new();
        // Published longest first (most steps), as the local pool starts them.
        let mut order: Vec<(u64, String)> = Vec::new();
        for j in jobs {
            let trainer: &Trainer = j.trainer;
            let data = trainer.data() as *const _;
            let sum = checksums
                .entry(data)
                .or_insert_with(|| super::job::dataset_checksum(trainer.data()))
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
                            outcome: super::job::JobOutcome::Failed { reason },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_credentials() {
        assert_eq!(
            redact("redis://:s3cret@db.example:6380/2"),
            "redis://***@db.example:6380/2"
        );
        assert_eq!(
            redact("rediss://user:p@ss@host/0?password=x"),
            "rediss://***@host/0"
        );
        assert_eq!(
            redact("redis://127.0.0.1:6379/0"),
            "redis://127.0.0.1:6379/0"
        );
        assert!(!redact("s3cret").contains("s3cret"));
    }

    #[test]
    fn queue_names_and_run_tokens_are_checked() {
        assert!(check_queue_name("radact-1.fashion_q").is_ok());
        for bad in ["", "a b", "a:b", "x*", &"q".repeat(65)] {
            let e = check_queue_name(bad).unwrap_err().to_string();
            assert!(e.contains("queue name"), "{e}");
        }
        let t = run_token("demo", "2026-12-03T20:00:00Z");
        assert!(is_run_token(&t), "{t}");
        assert_ne!(t, run_token("demo", "2026-12-03T20:00:01Z"));
        assert!(!is_run_token("../../x"));
    }

    #[test]
    fn an_unusable_url_is_an_error_without_its_password() {
        let notify: Notify = Arc::new(|_| {});
        let e = Queue::open("redis://:hunter2@127.0.0.1:1/0", "q", notify.clone())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("cannot reach Redis"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = Queue::open("http://:hunter2@x", "q", notify)
            .err()
            .unwrap()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
