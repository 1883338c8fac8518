//! The Redis Streams work queue that a coordinator ([`super::coordinator`]) and its workers
//! ([`super::worker`]) share: [`Queue`], a connection that reconnects with back-off; the key
//! names ([`Keys`]); the atomic scripts; the queue's status; URL redaction.
//!
//! Layout under `radact:<queue>:` (see the README's "Training on many machines"):
//!
//! - `jobs`: the stream of jobs ([`Job`](super::job::Job)) (fields `run` and `job`), read by the consumer group
//!   `workers`. A worker acknowledges and deletes an entry in the same script that posts its
//!   result, and only while it still holds the entry's lease (is its consumer in the pending
//!   list): a late result of a worker whose lease was reclaimed is dropped there.
//! - `results:<run>`: one stream of results ([`JobResult`](super::job::JobResult)) per run, read by its coordinator, which
//!   deletes what it has read. Results are matched by job id: a second result for an id, or one
//!   for a job this coordinator is not waiting for (already journalled), is ignored.
//! - `index:<run>`: job id to stream entry, written with the entry: a coordinator restarted by
//!   `radact resume`, or one that lost its connection, publishes again only the jobs that have
//!   neither a result nor a live entry (Redis restarted without its data), never one twice.
//! - `workers`: each worker's last report (JSON), `stats`: reclaimed and poisoned job counts.
//!
//! The URL may hold a password; it is shown only through [`redact`] and never written to a run.

use super::status::{QueueStatus, WorkerReport};
use super::DispatchError;
use redis::{Client, Connection, RedisError, RedisResult};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The consumer group of the workers.
pub const GROUP: &str = "workers";
/// A job delivered more than this many times (its workers died or lost it each time) is failed
/// as poison instead of being tried again.
pub const MAX_DELIVERIES: usize = 3;
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
