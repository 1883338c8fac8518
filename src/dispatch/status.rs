//! [`QueueStatus`]: what a coordinator last saw of its work queue (workers, jobs queued, in
//! flight, reclaimed, poisoned), saved in the run directory after each batch so that
//! `radact runs`, `radact inspect` and the desktop app can show it without reaching Redis (and
//! without the URL, which is never saved).

use crate::search::space::FieldError;
use serde::{Deserialize, Serialize};

/// What a worker last said about itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerReport {
    /// The consumer name (`HOST-PID-THREAD`, or `--name` and the thread).
    pub worker: String,
    /// When it reported, milliseconds since the Unix epoch.
    pub seen_ms: u64,
    /// Jobs it finished (trained or failed).
    pub jobs: u64,
    /// Seconds it spent training them.
    pub training_s: f64,
    /// The job it is on, if any (reported by the heartbeats of a job longer than a third of
    /// the lease).
    pub current: Option<String>,
}

impl WorkerReport {
    /// Mean seconds per finished job (its throughput), if it finished any.
    pub fn seconds_per_job(&self) -> Option<f64> {
        (self.jobs > 0).then(|| self.training_s / self.jobs as f64)
    }
}

/// The state of a work queue as its coordinator last read it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueStatus {
    /// The queue's name.
    pub queue: String,
    /// Jobs in the stream not yet taken by a worker.
    pub queued: u64,
    /// Jobs taken and not yet finished (leased).
    pub in_flight: u64,
    /// Jobs reclaimed from a worker whose lease expired, since the queue was created.
    pub reclaimed: u64,
    /// Jobs failed as poison (delivered too many times), since the queue was created.
    pub poisoned: u64,
    /// Workers that reported in the minute before, by name.
    pub workers: Vec<WorkerReport>,
    /// When this status was read, milliseconds since the Unix epoch.
    pub at_ms: u64,
}

impl QueueStatus {
    /// Checks a status read from a run: worker names are printable.
    pub fn check(&self) -> Result<(), FieldError> {
        if let Some(w) = self
            .workers
            .iter()
            .find(|w| w.worker.chars().any(char::is_control) || w.training_s.is_nan())
        {
            return Err(FieldError::new(
                "workers",
                format!("worker {:?}: control characters or no time", w.worker),
            ));
        }
        Ok(())
    }

    /// One line: `queue q: 3 workers, 2 queued, 3 in flight, 1 reclaimed, 0 poisoned`.
    pub fn summary(&self) -> String {
        format!(
            "queue {}: {} worker(s), {} queued, {} in flight, {} reclaimed, {} poisoned",
            self.queue,
            self.workers.len(),
            self.queued,
            self.in_flight,
            self.reclaimed,
            self.poisoned
        )
    }

    /// One line per worker: its jobs, seconds per job and what it is on.
    pub fn worker_lines(&self) -> Vec<String> {
        self.workers
            .iter()
            .map(|w| {
                let rate = w
                    .seconds_per_job()
                    .map_or("-".to_string(), |s| format!("{s:.2} s/job"));
                let on = w.current.as_deref().map_or("idle".to_string(), |j| {
                    format!("on job {}", &j[..12.min(j.len())])
                });
                format!("{:<24} {:>6} jobs {:>12}  {on}", w.worker, w.jobs, rate)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_reads_as_one_line_and_one_line_per_worker() {
        let s = QueueStatus {
            queue: "q".into(),
            queued: 2,
            in_flight: 3,
            reclaimed: 1,
            poisoned: 0,
            workers: vec![
                WorkerReport {
                    worker: "a-1-0".into(),
                    jobs: 4,
                    training_s: 2.0,
                    current: Some("0123456789abcdef".into()),
                    ..WorkerReport::default()
                },
                WorkerReport {
                    worker: "b-2-0".into(),
                    ..WorkerReport::default()
                },
            ],
            at_ms: 0,
        };
        assert_eq!(
            s.summary(),
            "queue q: 2 worker(s), 2 queued, 3 in flight, 1 reclaimed, 0 poisoned"
        );
        let lines = s.worker_lines();
        assert!(lines[0].contains("0.50 s/job") && lines[0].contains("on job 0123456789ab"));
        assert!(lines[1].contains("idle"));
        assert!(s.check().is_ok());
        let mut bad = s.clone();
        bad.workers[0].worker = "x\u{1b}[2J".into();
        assert!(bad.check().is_err());
    }
}
