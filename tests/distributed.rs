//! Searches trained by `radact worker`s through a real Redis (Debian's `redis-server`, started
//! by each test on a free loopback port in a temp dir and killed at the end): the same journal
//! as a local run, a worker killed or stopped mid-job, the coordinator killed and resumed,
//! Redis restarted mid-run, poison and malformed jobs, and a password that never shows.

use radact::activation::Activation;
use radact::dispatch::job::{training_data_checksum, Job, JobOutcome, JobResult};
use radact::dispatch::queue::{run_token, Keys, GROUP};
use radact::train::{Budget, Task, Trainer};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{journal, ok, JournalLine, TINY};

/// A `redis-server` of the test's own: free port, temp dir, no persistence; killed on drop.
struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    password: Option<String>,
    /// Serves TLS only (`rediss://`), with a certificate for 127.0.0.1 in `dir`.
    tls: bool,
    child: Option<Child>,
}

impl RedisServer {
    fn start(password: Option<&str>) -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = RedisServer {
            port,
            dir: tempfile::tempdir().unwrap(),
            password: password.map(str::to_string),
            tls: false,
            child: None,
        };
        server.spawn();
        server
    }

    /// A server that speaks TLS only, with a certificate for 127.0.0.1 signed by a CA of the
    /// test's own (`ca.pem` in its dir, made with openssl).
    #[cfg(feature = "redis-tls")]
    fn start_tls() -> RedisServer {
        let mut server = RedisServer::start(None);
        server.kill();
        let dir = server.dir.path();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .expect("openssl runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "1",
            "-subj",
            "/CN=radact-test-ca",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "1",
            "-extfile",
            "san.ext",
        ]);
        server.tls = true;
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new("redis-server");
        if self.tls {
            let file = |name: &str| self.dir.path().join(name).to_str().unwrap().to_string();
            cmd.args(["--port", "0", "--tls-port", &self.port.to_string()])
                .args(["--tls-cert-file", &file("server.pem")])
                .args(["--tls-key-file", &file("server.key")])
                .args(["--tls-ca-cert-file", &file("ca.pem")])
                .args(["--tls-auth-clients", "no"]);
        } else {
            cmd.args(["--port", &self.port.to_string()]);
        }
        cmd.args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(p) = &self.password {
            cmd.args(["--requirepass", p]);
        }
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start redis-server ({e}): install Debian's redis-server (tests/run does)"
            )
        });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        match &self.password {
            Some(p) => format!("{scheme}://:{p}@127.0.0.1:{}/0", self.port),
            None => format!("{scheme}://127.0.0.1:{}/0", self.port),
        }
    }

    fn client(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `radact` process (worker or coordinator) whose standard error goes to a file; killed on
/// drop.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(args: &[&str], log: PathBuf) -> Proc {
        Proc::spawn_with(args, log, &[])
    }

    fn spawn_with(args: &[&str], log: PathBuf, env: &[(&str, &Path)]) -> Proc {
        let child = Command::new(env!("CARGO_BIN_EXE_radact"))
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v.as_os_str())))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Proc { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, signal: i32) {
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// Waits until the log holds `text` (or panics after `secs`).
    fn wait_for(&self, text: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !self.log().contains(text) {
            assert!(
                Instant::now() < deadline,
                "no `{text}` within {secs} s in:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the process to exit and asserts success.
    fn success(mut self, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}:\n{}", self.log());
                return;
            }
            assert!(
                Instant::now() < deadline,
                "still running after {secs} s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn worker(redis: &RedisServer, queue: &str, name: &str, lease: &str, dir: &Path) -> Proc {
    Proc::spawn(
        &[
            "worker",
            "--redis",
            &redis.url(),
            "--queue",
            queue,
            "--threads",
            "1",
            "--lease",
            lease,
            "--name",
            name,
        ],
        dir.join(format!("{name}.log")),
    )
}

fn search_args<'a>(space: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["search", "--space", space, "--out", out, "--json"];
    args.extend_from_slice(extra);
    args
}

/// `radact search` of `space` into `out`, its candidates trained through `redis`'s `queue`
/// (logged to `coordinator.log` in `dir`).
fn coordinator(space: &str, out: &Path, redis: &RedisServer, queue: &str, dir: &Path) -> Proc {
    let url = redis.url();
    Proc::spawn(
        &search_args(
            space,
            out.to_str().unwrap(),
            &["--dispatch", &url, "--queue", queue],
        ),
        dir.join("coordinator.log"),
    )
}

fn journal_len(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// The tiny space with slower training (wider layer, more epochs, fewer candidates): jobs long
/// enough to kill a worker in the middle of one.
fn slow_space(dir: &Path) -> String {
    let text = std::fs::read_to_string(TINY)
        .unwrap()
        .replace("hidden: [16]", "hidden: [64]")
        .replace("budget: epochs(2)", "budget: epochs(80)")
        .replace("evaluations: 14", "evaluations: 6")
        .replace("final_check: (top: 2,", "final_check: (top: 0,");
    let path = dir.join("slow-space.ron");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// The local run of `space` (one thread), for comparison.
fn local_journal(space: &str, dir: &Path) -> Vec<JournalLine> {
    let out = dir.join("local");
    ok(&search_args(
        space,
        out.to_str().unwrap(),
        &["--threads", "1"],
    ));
    journal(&out)
}

#[test]
fn three_workers_give_the_local_journal_and_the_password_never_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = "s3cret-pass";
    let redis = RedisServer::start(Some(secret));
    let workers: Vec<Proc> = (0..3)
        .map(|i| worker(&redis, "q3", &format!("w{i}"), "10", tmp.path()))
        .collect();
    let out = tmp.path().join("remote");
    let url = redis.url();
    let coordinator = Proc::spawn(
        &search_args(
            TINY,
            out.to_str().unwrap(),
            &["--threads", "1", "--dispatch", &url, "--queue", "q3"],
        ),
        tmp.path().join("coordinator.log"),
    );
    coordinator.wait_for("training on the workers of redis redis://***@127.0.0.1", 30);
    let log = coordinator.log.clone();
    coordinator.success(300);
    assert_eq!(journal(&out), local_journal(TINY, tmp.path()));
    // Every worker took part, and nothing anyone printed or wrote holds the password.
    for w in &workers {
        assert!(w.log().contains("trained in"), "{}", w.log());
        assert!(!w.log().contains(secret));
    }
    assert!(!std::fs::read_to_string(log).unwrap().contains(secret));
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(secret),
                "{} holds the password",
                path.display()
            );
            assert!(
                !text.contains("redis://"),
                "{} holds the URL",
                path.display()
            );
        }
    }
    // The run keeps the queue's status after each batch, which inspect and runs show.
    let inspect = ok(&["inspect", out.to_str().unwrap()]);
    assert!(
        inspect.contains("workers      queue q3: 3 worker(s), 0 queued, 0 in flight"),
        "{inspect}"
    );
    assert!(
        inspect.contains("w1-0") && inspect.contains("s/job"),
        "{inspect}"
    );
    // The queue holds no jobs and no results once the search is done.
    let mut con = redis.client();
    let keys = Keys::new("q3").unwrap();
    let len: u64 = redis::cmd("XLEN").arg(keys.jobs()).query(&mut con).unwrap();
    assert_eq!(len, 0);
    // A wrong password is refused with a clear error that does not print it.
    let wrong = format!("redis://:wrong-{secret}@127.0.0.1:{}/0", redis.port);
    let out2 = tmp.path().join("refused");
    let refused = common::radact(&search_args(
        TINY,
        out2.to_str().unwrap(),
        &["--dispatch", &wrong],
    ));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("redis://***@127.0.0.1"), "{stderr}");
    assert!(!stderr.contains(secret), "{stderr}");
}

#[test]
fn a_killed_workers_job_is_reclaimed_and_finished_elsewhere() {
    let tmp = tempfile::tempdir().unwrap();
    let space = slow_space(tmp.path());
    let redis = RedisServer::start(None);
    let first = worker(&redis, "qk", "first", "1", tmp.path());
    let out = tmp.path().join("remote");
    let coordinator = coordinator(&space, &out, &redis, "qk", tmp.path());
    first.wait_for("started", 60);
    first.signal(libc::SIGKILL);
    let killed = Instant::now();
    let second = worker(&redis, "qk", "second", "1", tmp.path());
    second.wait_for("reclaimed job entry", 30);
    let reclaimed_after = killed.elapsed();
    eprintln!(
        "a killed worker's job was reclaimed {:.2} s after the kill (lease 1 s)",
        reclaimed_after.as_secs_f64()
    );
    coordinator.success(300);
    assert!(second.log().contains("trained in"), "{}", second.log());
    assert_eq!(journal(&out), local_journal(&space, tmp.path()));
    let runs = common::runs_json(tmp.path());
    let remote = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dir"].as_str().unwrap().ends_with("remote"))
        .unwrap();
    assert!(
        remote["dispatch"]["reclaimed"].as_u64().unwrap() >= 1,
        "{remote}"
    );
}

#[test]
fn a_stopped_workers_late_result_is_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let space = slow_space(tmp.path());
    let redis = RedisServer::start(None);
    let sleeper = worker(&redis, "qs", "sleeper", "1", tmp.path());
    let out = tmp.path().join("remote");
    let coordinator = coordinator(&space, &out, &redis, "qs", tmp.path());
    sleeper.wait_for("started", 60);
    sleeper.signal(libc::SIGSTOP);
    let other = worker(&redis, "qs", "other", "1", tmp.path());
    other.wait_for("reclaimed job entry", 30);
    // Let the other worker finish the reclaimed job, then wake the sleeper: its result comes
    // too late and is dropped.
    other.wait_for("trained in", 60);
    sleeper.signal(libc::SIGCONT);
    sleeper.wait_for("result dropped", 60);
    coordinator.success(300);
    assert_eq!(journal(&out), local_journal(&space, tmp.path()));
}

#[test]
fn a_coordinator_killed_and_resumed_ends_with_the_local_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let space = slow_space(tmp.path());
    let redis = RedisServer::start(None);
    let _workers: Vec<Proc> = (0..2)
        .map(|i| worker(&redis, "qr", &format!("w{i}"), "5", tmp.path()))
        .collect();
    let out = tmp.path().join("remote");
    let url = redis.url();
    let args = search_args(
        &space,
        out.to_str().unwrap(),
        &["--dispatch", &url, "--queue", "qr"],
    );
    let coordinator = Proc::spawn(&args, tmp.path().join("coordinator.log"));
    // Kill it once the first batch is journalled and the second is out.
    let deadline = Instant::now() + Duration::from_secs(120);
    while journal_len(&out) < 4 {
        assert!(Instant::now() < deadline, "{}", coordinator.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    coordinator.signal(libc::SIGKILL);
    drop(coordinator);
    let resumed = Proc::spawn(
        &[
            "resume",
            out.to_str().unwrap(),
            "--json",
            "--dispatch",
            &url,
            "--queue",
            "qr",
        ],
        tmp.path().join("resumed.log"),
    );
    resumed.success(300);
    assert_eq!(journal(&out), local_journal(&space, tmp.path()));
}

#[test]
fn redis_restarted_mid_run_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let space = slow_space(tmp.path());
    let mut redis = RedisServer::start(None);
    let workers: Vec<Proc> = (0..2)
        .map(|i| worker(&redis, "qx", &format!("w{i}"), "5", tmp.path()))
        .collect();
    let out = tmp.path().join("remote");
    let coordinator = coordinator(&space, &out, &redis, "qx", tmp.path());
    workers[0].wait_for("started", 60);
    // Redis goes away with all its data (no persistence), and comes back a second later.
    redis.kill();
    std::thread::sleep(Duration::from_secs(1));
    redis.spawn();
    coordinator.wait_for("reconnected", 60);
    let log = coordinator.log.clone();
    coordinator.success(300);
    assert!(workers.iter().any(|w| w.log().contains("reconnected")));
    assert!(std::fs::read_to_string(log)
        .unwrap()
        .contains("lost the connection"));
    assert_eq!(journal(&out), local_journal(&space, tmp.path()));
}

/// A job made as a coordinator makes it, added to the stream by hand.
fn publish(con: &mut redis::Connection, keys: &Keys, run: &str, job: &str) -> String {
    redis::cmd("XADD")
        .arg(keys.jobs())
        .arg("*")
        .arg("run")
        .arg(run)
        .arg("job")
        .arg(job)
        .query(con)
        .unwrap()
}

fn wait_results(con: &mut redis::Connection, key: &str, n: usize) -> Vec<JobResult> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(key)
            .arg("-")
            .arg("+")
            .query(con)
            .unwrap();
        if reply.ids.len() >= n {
            return reply
                .ids
                .iter()
                .map(|e| JobResult::parse(&e.get::<String>("result").unwrap()).unwrap())
                .collect();
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} results",
            reply.ids.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn poison_and_malformed_jobs_are_failed_with_a_reason_never_run() {
    let tmp = tempfile::tempdir().unwrap();
    let redis = RedisServer::start(None);
    let mut con = redis.client();
    let keys = Keys::new("qp").unwrap();
    let run = run_token("poison", "now");
    let task = Task {
        budget: Budget::Steps(5),
        seeds: vec![7],
        ..Task::default()
    };
    let trainer = Trainer::new(task).unwrap();
    let sum = training_data_checksum(&trainer);
    let act = Activation::parse("tanh(x)", "exact").unwrap();
    let good = Job::new(&trainer, &act, 7, &sum);
    redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(keys.jobs())
        .arg(GROUP)
        .arg("0")
        .arg("MKSTREAM")
        .query::<()>(&mut con)
        .unwrap();
    // Three workers take the job and die without a result: three deliveries.
    let entry = publish(&mut con, &keys, &run, &good.to_json());
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg(GROUP)
        .arg("dead-1")
        .arg("COUNT")
        .arg(1)
        .arg("STREAMS")
        .arg(keys.jobs())
        .arg(">")
        .query(&mut con)
        .unwrap();
    for dead in ["dead-2", "dead-3"] {
        let _: redis::Value = redis::cmd("XCLAIM")
            .arg(keys.jobs())
            .arg(GROUP)
            .arg(dead)
            .arg(0)
            .arg(&entry)
            .query(&mut con)
            .unwrap();
    }
    // A tampered job (its id no longer its content's hash), a hostile one with a consistent
    // id, and an entry that is not a job at all.
    let mut tampered = good.clone();
    tampered.seed = 8;
    tampered.id = format!("{:032x}", 1);
    publish(&mut con, &keys, &run, &tampered.to_json());
    let mut hostile = Job::new(&trainer, &act, 7, &sum);
    hostile.activation = hostile.activation.replace("tanh", "exec");
    hostile.id = hostile.content_id();
    publish(&mut con, &keys, &run, &hostile.to_json());
    publish(&mut con, &keys, &run, "rm -rf /");
    let w = worker(&redis, "qp", "w", "0.5", tmp.path());
    let results = wait_results(&mut con, &keys.results(&run), 3);
    let reason = |id: &str| {
        let r = results.iter().find(|r| r.id == id).unwrap();
        match &r.outcome {
            JobOutcome::Failed { reason } => reason.clone(),
            other => panic!("{other:?}"),
        }
    };
    assert!(
        reason(&good.id).contains("poison: delivered 4 times"),
        "{results:?}"
    );
    assert!(reason(&tampered.id).contains("not the hash"), "{results:?}");
    let r = reason(&hostile.id);
    assert!(r.contains("exec"), "{r}");
    // Nothing was trained, and every entry is gone from the stream.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let len: u64 = redis::cmd("XLEN").arg(keys.jobs()).query(&mut con).unwrap();
        if len == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{len} entries left: {}", w.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!w.log().contains("trained in"), "{}", w.log());
}

#[cfg(feature = "redis-tls")]
#[test]
fn a_search_over_tls_gives_the_local_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let redis = RedisServer::start_tls();
    let url = redis.url();
    assert!(url.starts_with("rediss://"));
    // The test's CA is trusted through SSL_CERT_FILE, as a private CA would be.
    let ca = redis.dir.path().join("ca.pem");
    let env = [("SSL_CERT_FILE", ca.as_path())];
    let _worker = Proc::spawn_with(
        &[
            "worker",
            "--redis",
            &url,
            "--queue",
            "qt",
            "--threads",
            "1",
            "--name",
            "tls",
        ],
        tmp.path().join("worker.log"),
        &env,
    );
    let out = tmp.path().join("remote");
    let coordinator = Proc::spawn_with(
        &search_args(
            TINY,
            out.to_str().unwrap(),
            &["--dispatch", &url, "--queue", "qt"],
        ),
        tmp.path().join("coordinator.log"),
        &env,
    );
    coordinator.success(300);
    assert_eq!(journal(&out), local_journal(TINY, tmp.path()));
    // Without the CA the certificate is refused, with a clear error.
    let refused = Command::new(env!("CARGO_BIN_EXE_radact"))
        .args(["worker", "--redis", &url, "--queue", "qt"])
        .env("SSL_CERT_FILE", tmp.path().join("no-such-ca.pem"))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("cannot reach Redis at rediss://127.0.0.1"),
        "{stderr}"
    );
}

#[test]
fn bad_worker_and_dispatch_flags_are_refused_with_a_reason() {
    let refused = |args: &[&str], expect: &str| {
        let out = common::radact(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
    };
    let url = "redis://:pw@127.0.0.1:1/0";
    refused(&["worker", "--redis", url, "--lease", "0"], "--lease 0");
    refused(
        &["worker", "--redis", url, "--queue", "a:b"],
        "queue name `a:b`",
    );
    refused(
        &["worker", "--redis", url],
        "cannot reach Redis at redis://***@127.0.0.1:1/0",
    );
    refused(
        &["worker", "--redis", "http://x"],
        "cannot use the Redis URL",
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("never");
    refused(
        &search_args(TINY, out.to_str().unwrap(), &["--dispatch", url]),
        "cannot reach Redis",
    );
    // The run is not created when the queue cannot be reached.
    assert!(!out.exists());
}
