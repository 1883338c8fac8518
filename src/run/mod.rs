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
//! ```
//!
//! A process killed at any moment loses at most the candidates in flight: records are on disk
//! as soon as they are made, a torn last journal line is dropped when the run is opened, and
//! records newer than the checkpoint are replayed rather than retrained.

pub mod journal;

pub use journal::JournalReader;

use crate::search::engine::{Engine, EngineState, Recorder, SearchError};
use crate::search::final_check::{final_check, FinalReport};
use crate::search::hall_of_fame::HallOfFame;
use crate::search::record::Record;
use crate::search::SearchSpace;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
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

/// A default run name: the space's name and the current UTC time, `default-20261129-204501`.
pub fn default_name(space: &str) -> String {
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let digits: String = now.chars().filter(char::is_ascii_digit).collect();
    format!("{space}-{}-{}", &digits[..8], &digits[8..14])
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
    /// A new run would overwrite an existing one.
    #[error("{0} already exists and is not empty; choose another --name or --out, or continue it with `radact resume {0}`")]
    Exists(PathBuf),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, synced, then
/// renamed over the target.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_data()?;
    }
    fs::rename(&tmp, path)
}

fn to_ron<T: Serialize>(value: &T) -> String {
    ron::ser::to_string_pretty(value, ron::ser::PrettyConfig::default())
        .expect("run files serialise")
}

/// Reads a RON file; errors carry file, line and column.
pub fn read_ron<T: DeserializeOwned>(path: &Path) -> Result<T, RunError> {
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    ron::from_str(&text).map_err(|e| RunError::Invalid {
        path: path.to_path_buf(),
        line: e.position.line,
        column: e.position.col,
        message: e.code.to_string(),
    })
}

fn read_optional<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, RunError> {
    if !path.exists() {
        return Ok(None);
    }
    read_ron(path).map(Some)
}

/// An open run directory.
pub struct Run {
    dir: PathBuf,
    config: RunConfig,
    journal: File,
}

impl Run {
    /// Creates a new run directory (which must not exist or be empty).
    pub fn create(dir: &Path, config: RunConfig) -> Result<Run, RunError> {
        if dir.exists() && fs::read_dir(dir).map_err(io_err(dir))?.next().is_some() {
            return Err(RunError::Exists(dir.to_path_buf()));
        }
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = dir.join(CONFIG);
        write_atomic(&path, to_ron(&config).as_bytes()).map_err(io_err(&path))?;
        Run::open(dir)
    }

    /// Opens an existing run, dropping a torn last journal line left by a killed process.
    pub fn open(dir: &Path) -> Result<Run, RunError> {
        let config_path = dir.join(CONFIG);
        if !config_path.exists() {
            return Err(RunError::NotARun(dir.to_path_buf()));
        }
        let config: RunConfig = read_ron(&config_path)?;
        let journal_path = dir.join(JOURNAL);
        let journal = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&journal_path)
            .map_err(io_err(&journal_path))?;
        journal::repair(&journal_path, &journal).map_err(io_err(&journal_path))?;
        Ok(Run {
            dir: dir.to_path_buf(),
            config,
            journal,
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

    /// Every record in the journal.
    pub fn records(&self) -> Result<Vec<Record>, RunError> {
        JournalReader::new(&self.dir.join(JOURNAL)).read_new()
    }

    /// The last checkpoint, if one was written.
    pub fn checkpoint(&self) -> Result<Option<EngineState>, RunError> {
        read_optional(&self.dir.join(CHECKPOINT))
    }

    /// The hall of fame, if one was written.
    pub fn hall_of_fame(&self) -> Result<Option<HallOfFame>, RunError> {
        read_optional(&self.dir.join(HALL_OF_FAME))
    }

    /// The final check, if it ran.
    pub fn final_report(&self) -> Result<Option<FinalReport>, RunError> {
        read_optional(&self.dir.join(FINAL_CHECK))
    }

    /// An engine that continues this run: from its last checkpoint (or from the start), knowing
    /// every journal record, so that nothing already trained is trained again.
    pub fn engine(&self, threads: usize) -> Result<Engine, RunError> {
        let config = &self.config;
        let state = self
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

    /// Runs the final check when it is due (the space asks for one, it has not run yet and a
    /// candidate was trained), saves it, and returns it.
    pub fn final_check_if_due(&self, hall: &HallOfFame) -> Result<Option<FinalReport>, RunError> {
        let space = &self.config.space;
        if space.final_check.top == 0 || hall.best().is_none() || self.final_report()?.is_some() {
            return Ok(None);
        }
        let report = final_check(space, hall)?;
        self.save_final_report(&report)?;
        Ok(Some(report))
    }

    /// Saves the final check.
    pub fn save_final_report(&self, report: &FinalReport) -> Result<(), RunError> {
        let path = self.dir.join(FINAL_CHECK);
        write_atomic(&path, to_ron(report).as_bytes()).map_err(io_err(&path))
    }
}

impl Recorder for Run {
    fn record(&mut self, record: &Record) -> std::io::Result<()> {
        let mut line = serde_json::to_string(record)?;
        line.push('\n');
        // One write call per record: a kill leaves either the whole line or a torn tail that
        // `open` drops.
        self.journal.write_all(line.as_bytes())?;
        self.journal.flush()
    }

    fn checkpoint(&mut self, state: &EngineState, hall: &HallOfFame) -> std::io::Result<()> {
        self.journal.sync_data()?;
        write_atomic(&self.dir.join(HALL_OF_FAME), to_ron(hall).as_bytes())?;
        write_atomic(&self.dir.join(CHECKPOINT), to_ron(state).as_bytes())
    }
}

/// One line of `radact runs`.
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    /// Run name.
    pub name: String,
    /// Directory.
    pub dir: PathBuf,
    /// Search space name.
    pub space: String,
    /// Candidates trained.
    pub trained: usize,
    /// Budget.
    pub evaluations: usize,
    /// `finished`, `stopped` (resumable) or `new` (no checkpoint yet).
    pub state: String,
    /// Main objective and the best candidate's value, formula and backward mode.
    pub best: Option<(String, f64, String, String)>,
}

/// Summaries of the runs directly under `root`, by name.
pub fn list_runs(root: &Path) -> Result<Vec<RunSummary>, RunError> {
    let mut out = Vec::new();
    if !root.exists() {
        return Ok(out);
    }
    let mut dirs: Vec<PathBuf> = fs::read_dir(root)
        .map_err(io_err(root))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join(CONFIG).exists())
        .collect();
    dirs.sort();
    for dir in dirs {
        let run = Run::open(&dir)?;
        let checkpoint = run.checkpoint()?;
        let hall = run.hall_of_fame()?;
        let state = match &checkpoint {
            None => "new",
            Some(s) if s.finished.is_some() => "finished",
            Some(_) => "stopped",
        };
        let objective = run.config.space.main_objective().to_string();
        out.push(RunSummary {
            name: run.config.name.clone(),
            dir: dir.clone(),
            space: run.config.space.name.clone(),
            trained: checkpoint.as_ref().map_or(0, |s| s.trained),
            evaluations: run.config.evaluations,
            state: state.to_string(),
            best: hall.as_ref().and_then(|h| h.best()).map(|e| {
                (
                    objective.clone(),
                    e.values[0],
                    e.formula.clone(),
                    e.backward.to_string(),
                )
            }),
        });
    }
    Ok(out)
}
