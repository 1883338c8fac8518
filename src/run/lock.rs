//! [`RunLock`]: the single-writer guarantee of a run directory. The writer (a search, a resume,
//! the GUI's Start or Resume) holds an exclusive OS advisory lock on `run.lock` for as long as it
//! writes; the file also says who holds it, so that a second writer gets an error naming that
//! process. The operating system releases the lock when the process dies, however it dies, so a
//! lock left by a killed process is simply taken over.
//!
//! Readers never take this lock for longer than a probe ([`holder`]): they only ask whether a
//! writer is there.

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The lock file of a run directory.
pub(crate) const LOCK: &str = "run.lock";

/// How long a writer retries when the lock is busy: a reader's probe holds a shared lock for
/// microseconds, a writer for the whole run.
const RETRY_FOR: Duration = Duration::from_secs(2);

/// The process that writes a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// The machine it runs on.
    pub host: String,
    /// What it is (`radact search`, `radact resume`, `radact-gui` …).
    pub command: String,
    /// When it took the run (RFC 3339, UTC).
    pub since: String,
}

impl Holder {
    /// A holder whose lock file says nothing readable yet (it is being written).
    fn unknown() -> Holder {
        Holder {
            pid: 0,
            host: "unknown host".into(),
            command: "a process starting up".into(),
            since: "now".into(),
        }
    }

    fn this_process(command: &str) -> Holder {
        Holder {
            pid: std::process::id(),
            host: host_name(),
            command: command.to_string(),
            since: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        }
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "process {} ({}) on {} since {}",
            self.pid, self.command, self.host, self.since
        )
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown host".to_string())
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process writes the run.
    #[error("{dir} is being written by {holder}; wait for it to stop (or stop it) before writing this run")]
    Held {
        /// The run directory.
        dir: PathBuf,
        /// Who holds it.
        holder: Holder,
    },
    /// The lock file could not be created, read or locked.
    #[error("{path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// An exclusive lock on a run directory, held until dropped (or until the process ends).
#[derive(Debug)]
pub struct RunLock {
    file: File,
}

impl RunLock {
    /// Takes the lock of the run directory `dir` for `command`, or says who holds it.
    pub fn acquire(dir: &Path, command: &str) -> Result<RunLock, LockError> {
        let path = dir.join(LOCK);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if started.elapsed() < RETRY_FOR => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(TryLockError::WouldBlock) => {
                    let holder = read_holder(&mut file).unwrap_or_else(Holder::unknown);
                    return Err(LockError::Held {
                        dir: dir.to_path_buf(),
                        holder,
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        let me = serde_json::to_string(&Holder::this_process(command)).map_err(|e| io(e.into()))?;
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(me.as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(RunLock { file })
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes it explicit.
        let _ = self.file.unlock();
    }
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// The process writing the run in `dir` now, if any. Never creates or changes a file: it opens
/// the lock file read-only and probes it with a shared lock that it drops at once.
pub fn holder(dir: &Path) -> Option<Holder> {
    let mut file = File::open(dir.join(LOCK)).ok()?;
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            None
        }
        Err(TryLockError::WouldBlock) => {
            Some(read_holder(&mut file).unwrap_or_else(Holder::unknown))
        }
        Err(TryLockError::Error(_)) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_with_the_holder_named_and_the_lock_is_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(holder(dir.path()), None, "no lock file: no writer");
        let lock = RunLock::acquire(dir.path(), "radact search").unwrap();
        let h = holder(dir.path()).expect("a writer is there");
        assert_eq!(h.pid, std::process::id());
        assert_eq!(h.command, "radact search");
        // A probe does not disturb the writer, and a second writer is refused.
        match RunLock::acquire(dir.path(), "radact resume") {
            Err(LockError::Held { holder, .. }) => {
                assert_eq!(holder.command, "radact search");
                let msg = LockError::Held {
                    dir: dir.path().to_path_buf(),
                    holder,
                }
                .to_string();
                assert!(msg.contains("being written by process"), "{msg}");
            }
            other => panic!("expected Held, got {other:?}"),
        }
        drop(lock);
        assert_eq!(holder(dir.path()), None, "released on drop");
        let again = RunLock::acquire(dir.path(), "radact resume").unwrap();
        assert_eq!(holder(dir.path()).unwrap().command, "radact resume");
        drop(again);
    }
}
