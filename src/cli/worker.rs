//! `radact worker`: a remote training worker for searches run with `--dispatch redis://...`;
//! takes jobs from a Redis stream until stopped (Ctrl-C finishes the jobs in hand).

use super::{input_error, CliError};
use anyhow::anyhow;
use clap::builder::RangedU64ValueParser;
use radact::dispatch::queue::Notify;
use radact::dispatch::worker::{default_worker_name, run_worker, WorkerConfig};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `radact worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// The Redis server: redis://[:PASSWORD@]HOST:PORT/DB (rediss:// for TLS in builds with
    /// the `redis-tls` feature). Also read from RADACT_REDIS, which keeps a password out of
    /// the process list.
    #[arg(long, env = "RADACT_REDIS", hide_env_values = true)]
    pub redis: String,
    /// Training threads, each taking jobs of its own (default: all cores; at most 1024).
    #[arg(long, value_parser = RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub threads: Option<usize>,
    /// The queue's name (the coordinator's --queue).
    #[arg(long, default_value = "radact")]
    pub queue: String,
    /// Seconds after which a job whose worker stopped reporting is reclaimed by another worker
    /// (heartbeats extend it for long jobs).
    #[arg(long, default_value_t = 30.0)]
    pub lease: f64,
    /// This worker's name in the queue's status (default: HOST-PID).
    #[arg(long)]
    pub name: Option<String>,
}

/// Runs `radact worker`.
pub fn run(args: WorkerArgs) -> Result<(), CliError> {
    if !(args.lease.is_finite() && (0.3..=86_400.0).contains(&args.lease)) {
        return Err(input_error(anyhow!(
            "--lease {}: give seconds between 0.3 and 86400",
            args.lease
        )));
    }
    let name = args.name.unwrap_or_else(default_worker_name);
    if name.is_empty() || name.len() > 100 || name.chars().any(|c| c.is_control()) {
        return Err(input_error(anyhow!(
            "--name: 1 to 100 printable characters"
        )));
    }
    let config = WorkerConfig {
        url: args.redis,
        queue: args.queue,
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        lease: Duration::from_secs_f64(args.lease),
        name,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\nstopping after the jobs in hand (Ctrl-C again to quit now)...");
    });
    let notify: Notify = Arc::new(|m: &str| eprintln!("{m}"));
    let totals = run_worker(&config, stop, notify).map_err(|e| input_error(anyhow!(e)))?;
    eprintln!(
        "worker stopped: {} results posted, {} dropped after their lease expired",
        totals.jobs, totals.lost_leases
    );
    Ok(())
}
