//! [`Workers`]: the training threads of a search, built once and reused for every candidate,
//! seed and final-check row.
//!
//! Each worker owns a one-thread rayon pool and runs its jobs inside it. The network's matrix
//! products run on the calling thread (`gemm::Parallelism::None`), so a result depends on its
//! seed only, never on how many workers there are; the one-thread pool also keeps any rayon
//! parallelism inside a job (dfdx's, in the reference code of the benchmarks) on that worker. Jobs are taken one at
//! a time by whichever worker is free (a shared counter), so a slow job does not hold up the
//! others, and results come back in job order.

use super::task::TrainError;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Most worker threads (a bound on `--threads`).
pub const MAX_WORKERS: usize = 1024;

/// A fixed set of training threads.
#[derive(Debug)]
pub struct Workers {
    pools: Vec<rayon::ThreadPool>,
}

impl Workers {
    /// `threads` workers (0 or more than [`MAX_WORKERS`] is an error).
    pub fn new(threads: usize) -> Result<Workers, TrainError> {
        if !(1..=MAX_WORKERS).contains(&threads) {
            return Err(TrainError::Thread(format!(
                "between 1 and {MAX_WORKERS} training threads are needed, got {threads}"
            )));
        }
        let pools = (0..threads)
            .map(|i| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .thread_name(move |_| format!("radact-train-{i}"))
                    .build()
                    .map_err(|e| TrainError::Thread(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Workers { pools })
    }

    /// How many workers there are.
    pub fn threads(&self) -> usize {
        self.pools.len()
    }

    /// Runs `job(i)` for every `i` in `0..count`, each on a free worker, and returns the
    /// results in index order. A job that panics makes the whole call an error (the other
    /// workers finish the job they are on and take no new one).
    pub fn map<T: Send>(
        &self,
        count: usize,
        job: impl Fn(usize) -> T + Sync,
    ) -> Result<Vec<T>, TrainError> {
        let next = AtomicUsize::new(0);
        let work = |pool: &rayon::ThreadPool| {
            pool.install(|| {
                let mut done = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        return done;
                    }
                    done.push((i, job(i)));
                }
            })
        };
        let used = &self.pools[..self.pools.len().min(count)];
        let mut results: Vec<(usize, T)> = std::thread::scope(|scope| {
            // Each worker's pool is driven from a scoped thread that only waits on it.
            let handles: Vec<_> = used.iter().map(|p| scope.spawn(|| work(p))).collect();
            let mut all = Vec::with_capacity(count);
            let mut panicked = None;
            for h in handles {
                match h.join() {
                    Ok(done) => all.extend(done),
                    Err(panic) => {
                        next.store(count, Ordering::Relaxed);
                        panicked.get_or_insert(panic_message(panic.as_ref()));
                    }
                }
            }
            match panicked {
                Some(message) => Err(TrainError::Thread(format!(
                    "a training thread panicked: {message}"
                ))),
                None => Ok(all),
            }
        })?;
        results.sort_by_key(|(i, _)| *i);
        Ok(results.into_iter().map(|(_, r)| r).collect())
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Mutex;

    #[test]
    fn results_come_back_in_job_order_from_every_worker() {
        let workers = Workers::new(3).unwrap();
        let names = Mutex::new(HashSet::new());
        let out = workers
            .map(40, |i| {
                names
                    .lock()
                    .unwrap()
                    .insert(std::thread::current().name().map(str::to_string));
                // Uneven jobs: later ones are quick, so workers overtake each other.
                std::thread::sleep(std::time::Duration::from_millis((40 - i as u64) / 8));
                i * i
            })
            .unwrap();
        assert_eq!(out, (0..40).map(|i| i * i).collect::<Vec<_>>());
        let names = names.into_inner().unwrap();
        assert!(names.len() > 1, "jobs ran on several workers: {names:?}");
        assert!(names
            .iter()
            .all(|n| n.as_deref().is_some_and(|n| n.starts_with("radact-train-"))));
    }

    #[test]
    fn each_job_sees_a_one_thread_pool() {
        let workers = Workers::new(2).unwrap();
        let seen = workers.map(4, |_| rayon::current_num_threads()).unwrap();
        assert_eq!(seen, vec![1; 4]);
    }

    #[test]
    fn a_panicking_job_is_an_error_not_a_crash() {
        let workers = Workers::new(2).unwrap();
        let e = workers
            .map(5, |i| if i == 3 { panic!("job three") } else { i })
            .unwrap_err();
        assert!(e.to_string().contains("job three"), "{e}");
    }

    #[test]
    fn no_workers_is_refused_and_no_jobs_is_nothing() {
        assert!(Workers::new(0).is_err());
        let workers = Workers::new(1).unwrap();
        assert!(workers.map(0, |i| i).unwrap().is_empty());
    }
}
