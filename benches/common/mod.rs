//! What the benches share: timing by the calling thread's CPU time, so that a noisy machine's
//! other load does not count (criterion's `iter_custom` takes the result).

use std::time::{Duration, Instant};

/// This thread's CPU time in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`), if the system has it.
fn thread_cpu_ns() -> Option<u64> {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes one `timespec` through the pointer, which points to a
    // live, writable one.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    (rc == 0).then(|| t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64)
}

/// Times `iters` calls of `run`: the thread's CPU time, or wall-clock time without it.
pub fn timed(iters: u64, mut run: impl FnMut()) -> Duration {
    let (wall, cpu) = (Instant::now(), thread_cpu_ns());
    for _ in 0..iters {
        run();
    }
    match (cpu, thread_cpu_ns()) {
        (Some(a), Some(b)) => Duration::from_nanos(b.saturating_sub(a)),
        _ => wall.elapsed(),
    }
}
