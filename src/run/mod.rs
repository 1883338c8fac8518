//! The run directory: everything a search writes, so that it can be inspected, resumed after a
//! stop or a kill, and exported.
//!
//! ```text
//! runs/<name>/
//!   config.ron          the space, seed and budget: everything needed to reproduce the run
//!   journal.jsonl       one record per candidate, one JSON object a line, appended and flushed
//!   checkpoint.ron      the engine state after the last batch (written atomically)
//!   hall_of_fame.ron    the best candidates and the Pareto front (written atomically)
//!   final_check.ron     the retraining of the best candidates against the baselines
//!   final_check.partial.ron   its rows while it runs (a killed check keeps them)
//!   run.lock            held by the one process that writes the run, naming it
//! ```
//!
//! Two types, two roles. [`RunView`] reads a run and never creates, repairs or writes a file:
//! `radact runs`, `inspect`, `export` and the GUI use it, also on read-only storage and while
//! another process writes the run. [`Run`] is the writer (search, resume, the GUI's Start and
//! Resume): it holds the run's [`RunLock`], so there is one at a time, and it is the only code
//! that repairs the journal.
//!
//! Durability: each record is written to the journal with one `write` as soon as it is made, so
//! a killed process keeps it; it reaches the disk (survives a power loss) at the latest at the
//! next checkpoint, which syncs the journal before it writes the checkpoint atomically (temporary
//! file, sync, rename, directory sync). A kill at any moment loses at most the candidates in
//! flight: the writer drops a torn last journal line when it opens the run, and records newer
//! than the checkpoint are replayed rather than retrained, so the resumed run ends with the same
//! journal as an uninterrupted one.
//!
//! Every file is validated when it is read (a run's `config.ron` exactly like a space file),
//! with errors naming the file, line and column; [`list_runs`] lists a damaged run with its
//! reason and goes on.

pub(crate) mod files;
pub(crate) mod journal;
pub(crate) mod listing;
pub(crate) mod lock;
pub(crate) mod name;

pub use files::{read_ron, sync_dir, write_atomic, write_new};
pub use journal::JournalReader;
pub use listing::{list_runs, RunState, RunSummary};
pub use lock::{Holder, LockError, RunLock};
pub use name::{check_name, default_name, RunNameError};

use crate::dispatch::QueueStatus;
use crate::search::engine::{Engine, EngineState, Recorder, SearchError};
use crate::search::final_check::{final_check, Checked, FinalReport};
use crate::search::hall_of_fame::HallOfFame;
use crate::search::record::Record;
use crate::search::space::FieldError;
use crate::search::SearchSpace;
use crate::train::Workers;
use files::{io_err, read_checked, read_optional, to_ron};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The run configuration file.
pub const CONFIG: &str = "config.ron";
/// The journal.
pub const JOURNAL: &str = "journal.jsonl";
/// The checkpoint.
pub const CHECKPOINT: &str = "checkpoint.ron";
/// The hall of fame.
pub const HALL_OF_FAME: &str = "hall_of_fame.ron";
/// The final check.
pub const FINAL_CHECK: &str = "final_check.ron";
/// The state of the work queue of a search trained by remote workers, after its last batch.
pub const DISPATCH: &str = "dispatch.ron";
/// The rows of a final check still running (or killed before it ended).
pub const FINAL_CHECK_PARTIAL: &str = "final_check.partial.ron";

/// What defines a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The run's name (its directory's name).
    pub name: String,
    /// The search space, in full.
    pub space: SearchSpace,
    /// Seed of the search.
    pub seed: u64,
    /// Candidates to train.
    pub evaluations: usize,
    /// radact version that started the run.
    pub radact_version: String,
    /// When the run was started (RFC 3339, UTC).
    pub created: String,
}

impl RunConfig {
    /// A configuration for a new run started now.
    pub fn new(name: &str, space: SearchSpace, seed: u64, evaluations: usize) -> RunConfig {
        RunConfig {
            name: name.to_string(),
            space,
            seed,
            evaluations,
            radact_version: env!("CARGO_PKG_VERSION").to_string(),
            created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        }
    }
}

/// A run directory problem, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file's content is invalid.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// The directory is not a run.
    #[error("{0} is not a radact run (no {CONFIG})")]
    NotARun(PathBuf),
    /// The search could not be set up or run.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// The final check could not train.
    #[error("final check: {0}")]
    FinalCheck(#[from] crate::train::TrainError),
    /// Another process writes the run.
    #[error(transparent)]
    Locked(#[from] LockError),
    /// A new run's configuration is invalid, or cannot be searched (it selects on the test
    /// split).
    #[error("invalid run configuration: {0}")]
    Config(FieldError),
    /// A new run would overwrite an existing one.
    #[error("{0} already exists and is not empty; choose another --name or --out, or continue it with `radact resume {0}`")]
    Exists(PathBuf),
}

/// A read-only view of a run directory: it never creates, repairs or writes a file, so it is
/// safe beside a running writer and on read-only storage. A torn last journal line (a record
/// being written, or cut by a kill) is ignored, not removed.
#[derive(Clone, Debug)]
pub struct RunView {
    dir: PathBuf,
    config: RunConfig,
}

impl RunView {
    /// Opens the run in `dir`, reading and validating its configuration.
    pub fn open(dir: &Path) -> Result<RunView, RunError> {
        let config_path = dir.join(CONFIG);
        if !config_path.is_file() {
            return Err(RunError::NotARun(dir.to_path_buf()));
        }
        let config = read_checked(&config_path, RunConfig::check)?;
        Ok(RunView {
            dir: dir.to_path_buf(),
            config,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The configuration.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// A reader of the journal from its start that checks each record against the run.
    pub fn journal(&self) -> JournalReader {
        JournalReader::new(&self.dir.join(JOURNAL), self.config.space.objectives.len())
    }

    /// Every complete record in the journal.
    pub fn records(&self) -> Result<Vec<Record>, RunError> {
        self.journal().read_new()
    }

    /// The last checkpoint, if one was written, checked against the configuration.
    pub fn checkpoint(&self) -> Result<Option<EngineState>, RunError> {
        read_optional(&self.dir.join(CHECKPOINT), |s: &EngineState| {
            s.check(&self.config.space)
        })
    }

    /// The hall of fame, if one was written.
    pub fn hall_of_fame(&self) -> Result<Option<HallOfFame>, RunError> {
        read_optional(&self.dir.join(HALL_OF_FAME), |h: &HallOfFame| {
            h.check(&self.config.space.objectives)
        })
    }

    /// The final check, if it ran.
    pub fn final_report(&self) -> Result<Option<FinalReport>, RunError> {
        read_optional(&self.dir.join(FINAL_CHECK), FinalReport::check)
    }

    /// The work queue's state after the last batch, for a search trained by remote workers.
    pub fn dispatch_status(&self) -> Result<Option<QueueStatus>, RunError> {
        read_optional(&self.dir.join(DISPATCH), QueueStatus::check)
    }

    /// The process writing this run now, if any.
    pub fn writer(&self) -> Option<Holder> {
        lock::holder(&self.dir)
    }
}

impl RunConfig {
    /// Checks a configuration read from a run like a space file, plus its own fields. A run
    /// whose space selects on the test split (made before that was refused) passes, so that
    /// it can still be viewed and exported; [`Run`] refuses to continue it.
    pub fn check(&self) -> Result<(), FieldError> {
        self.space.validate_settings()?;
        if self.evaluations == 0 {
            return Err(FieldError::new(
                "evaluations",
                "the budget must be at least 1",
            ));
        }
        Ok(())
    }
}

/// The writer of a run directory: it holds the run's lock for as long as it lives, repairs the
/// journal when it opens the run, and appends records and checkpoints through [`Recorder`].
/// Everything a [`RunView`] reads it reads too (it dereferences to one).
#[derive(Debug)]
pub struct Run {
    view: RunView,
    journal: File,
    _lock: RunLock,
}

impl std::ops::Deref for Run {
    type Target = RunView;
    fn deref(&self) -> &RunView {
        &self.view
    }
}

impl Run {
    /// Creates a new run directory (which must not exist or be empty) and takes it for
    /// `command` (`radact search`, `radact-gui` …).
    pub fn create(dir: &Path, config: RunConfig, command: &str) -> Result<Run, RunError> {
        config
            .check()
            .and_then(|()| config.space.check_searchable())
            .map_err(RunError::Config)?;
        let occupied = |dir: &Path| -> Result<bool, RunError> {
            Ok(dir.exists()
                && fs::read_dir(dir)
                    .map_err(io_err(dir))?
                    .filter_map(Result::ok)
                    .any(|e| e.file_name() != lock::LOCK))
        };
        if occupied(dir)? {
            return Err(RunError::Exists(dir.to_path_buf()));
        }
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let lock = RunLock::acquire(dir, command)?;
        // Another process may have created the run between the check and the lock.
        if occupied(dir)? {
            return Err(RunError::Exists(dir.to_path_buf()));
        }
        let path = dir.join(CONFIG);
        write_atomic(&path, to_ron(&config).as_bytes()).map_err(io_err(&path))?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent).map_err(io_err(parent))?;
        }
        Run::open_locked(dir, lock)
    }

    /// Opens an existing run for writing, for `command`: takes its lock (or says who holds
    /// it) and drops a torn last journal line left by a killed process. A run whose space
    /// selects on the test split (made before that was refused) is not continued: the error
    /// points at its objectives.
    pub fn open(dir: &Path, command: &str) -> Result<Run, RunError> {
        // Validate before locking: a damaged run is reported as such, not as busy.
        let view = RunView::open(dir)?;
        if let Err(FieldError { field, message }) = view.config.space.check_searchable() {
            let path = dir.join(CONFIG);
            let text = fs::read_to_string(&path).map_err(io_err(&path))?;
            let (line, column) = crate::search::space::locate(&text, field);
            return Err(RunError::Invalid {
                path,
                line,
                column,
                message: format!(
                    "{message}. This run can still be inspected and exported, not continued; \
                     start a new search instead"
                ),
            });
        }
        let lock = RunLock::acquire(dir, command)?;
        Run::open_locked(dir, lock)
    }

    fn open_locked(dir: &Path, lock: RunLock) -> Result<Run, RunError> {
        let view = RunView::open(dir)?;
        let journal_path = dir.join(JOURNAL);
        let journal = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&journal_path)
            .map_err(io_err(&journal_path))?;
        journal::repair(&journal_path, &journal).map_err(io_err(&journal_path))?;
        sync_dir(dir).map_err(io_err(dir))?;
        Ok(Run {
            view,
            journal,
            _lock: lock,
        })
    }

    /// The read-only view of this run.
    pub fn view(&self) -> &RunView {
        &self.view
    }

    /// An engine that continues this run: from its last checkpoint (or from the start), knowing
    /// every journal record, so that nothing already trained is trained again.
    pub fn engine(&self, threads: usize) -> Result<Engine, RunError> {
        let config = &self.config;
        let state = self
            .view
            .checkpoint()?
            .unwrap_or_else(|| EngineState::new(&config.space, config.seed));
        Ok(Engine::new(
            config.space.clone(),
            &self.dir.display().to_string(),
            config.seed,
            config.evaluations,
            threads,
            state,
            self.records()?,
        )?)
    }

    /// Whether the final check should run now: the space asks for one, a candidate was
    /// trained, and it has not run yet.
    pub fn final_check_due(&self, hall: &HallOfFame) -> Result<bool, RunError> {
        let space = &self.config.space;
        Ok(space.final_check.top > 0 && hall.best().is_some() && self.final_report()?.is_none())
    }

    /// Runs the final check on `workers` (the engine's: [`Engine::workers`]) when it is due,
    /// saves it, and returns it.
    pub fn final_check_if_due(
        &self,
        hall: &HallOfFame,
        workers: &Workers,
    ) -> Result<Option<FinalReport>, RunError> {
        if !self.final_check_due(hall)? {
            return Ok(None);
        }
        // Rows of an earlier check killed before it ended are kept in a partial file.
        let partial = self.dir.join(FINAL_CHECK_PARTIAL);
        let done: Vec<Checked> =
            read_optional(&partial, |_: &Vec<Checked>| Ok(()))?.unwrap_or_default();
        let kept = std::sync::Mutex::new(done.clone());
        let save_row = |row: &Checked| {
            let mut rows = kept.lock().unwrap_or_else(|e| e.into_inner());
            rows.push(row.clone());
            // Best effort: a row that cannot be kept is trained again after a kill.
            let _ = write_atomic(&partial, to_ron(&*rows).as_bytes());
        };
        let report = final_check(&self.config.space, hall, &done, &save_row, workers)?;
        self.save_final_report(&report)?;
        fs::remove_file(&partial)
            .or_else(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Ok(()),
                _ => Err(e),
            })
            .map_err(io_err(&partial))?;
        Ok(Some(report))
    }

    /// Saves the final check.
    pub(crate) fn save_final_report(&self, report: &FinalReport) -> Result<(), RunError> {
        let path = self.dir.join(FINAL_CHECK);
        write_atomic(&path, to_ron(report).as_bytes()).map_err(io_err(&path))
    }
}

impl Recorder for Run {
    fn record(&mut self, record: &Record) -> std::io::Result<()> {
        let mut line = serde_json::to_string(record)?;
        line.push('\n');
        // One write call per record: a kill leaves either the whole line or a torn tail that
        // the next writer drops.
        self.journal.write_all(line.as_bytes())?;
        self.journal.flush()
    }

    fn checkpoint(&mut self, state: &EngineState, hall: &HallOfFame) -> std::io::Result<()> {
        // The records before the checkpoint that describes them.
        self.journal.sync_data()?;
        write_atomic(&self.dir.join(HALL_OF_FAME), to_ron(hall).as_bytes())?;
        write_atomic(&self.dir.join(CHECKPOINT), to_ron(state).as_bytes())
    }

    fn dispatch_status(&mut self, status: &QueueStatus) -> std::io::Result<()> {
        write_atomic(&self.dir.join(DISPATCH), to_ron(status).as_bytes())
    }
}
