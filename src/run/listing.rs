//! [`list_runs`]: one line per run under a directory, for `radact runs` and the GUI's run list.
//! A run whose files cannot be read is listed as damaged with the reason; the others are listed
//! as usual.

use super::{files::io_err, lock::Holder, RunError, RunView, CONFIG};
use crate::dispatch::QueueStatus;
use crate::search::record::Outcome;
use serde::Serialize;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Where a run stands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum RunState {
    /// Nothing trained yet (no checkpoint and no journal record).
    New,
    /// Stopped or killed before the end: `radact resume` continues it.
    Stopped,
    /// Ended (budget used, space exhausted or time limit reached).
    Finished,
    /// A file of the run cannot be read or is invalid: the reason.
    Damaged(String),
}

impl std::fmt::Display for RunState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RunState::New => "new",
            RunState::Stopped => "stopped",
            RunState::Finished => "finished",
            RunState::Damaged(_) => "damaged",
        })
    }
}

/// One line of `radact runs`.
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    /// Run name (the directory's name when the configuration cannot be read).
    pub name: String,
    /// Directory.
    pub dir: PathBuf,
    /// Search space name.
    pub space: String,
    /// Candidates trained.
    pub trained: usize,
    /// Budget.
    pub evaluations: usize,
    /// Where it stands.
    #[serde(flatten)]
    pub state: RunState,
    /// The process writing it now, if any.
    pub writer: Option<Holder>,
    /// Main objective and the best candidate's value, formula and backward mode.
    pub best: Option<(String, f64, String, String)>,
    /// The work queue after the last batch, for a search trained by remote workers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispatch: Option<QueueStatus>,
}

impl RunSummary {
    /// The summary of one run, read-only; a damaged run gives a summary saying why.
    pub fn of(dir: &Path) -> RunSummary {
        let writer = super::lock::holder(dir);
        match summarise(dir) {
            Ok(mut s) => {
                s.writer = writer;
                s
            }
            Err(e) => RunSummary {
                name: dir
                    .file_name()
                    .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into()),
                dir: dir.to_path_buf(),
                space: "?".into(),
                trained: 0,
                evaluations: 0,
                state: RunState::Damaged(e.to_string()),
                writer,
                best: None,
                dispatch: None,
            },
        }
    }
}

fn summarise(dir: &Path) -> Result<RunSummary, RunError> {
    let run = RunView::open(dir)?;
    // Every file is read, so that a damaged one shows here rather than on resume.
    let records = run.records()?;
    run.final_report()?;
    let checkpoint = run.checkpoint()?;
    let hall = run.hall_of_fame()?;
    let config = run.config();
    // The journal is ahead of the checkpoint (written after each batch): while a search runs,
    // and after a kill, it is what has been trained.
    let trained: HashSet<u64> = records
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Trained { .. } | Outcome::Failed { .. }))
        .map(|r| r.id)
        .collect();
    let state = match &checkpoint {
        Some(s) if s.finished.is_some() => RunState::Finished,
        None if records.is_empty() => RunState::New,
        _ => RunState::Stopped,
    };
    let dispatch = run.dispatch_status()?;
    let objective = config.space.main_objective().to_string();
    Ok(RunSummary {
        name: config.name.clone(),
        dir: dir.to_path_buf(),
        space: config.space.name.clone(),
        trained: trained
            .len()
            .max(checkpoint.as_ref().map_or(0, |s| s.trained)),
        evaluations: config.evaluations,
        state,
        writer: None,
        best: hall.as_ref().and_then(|h| h.best()).map(|e| {
            (
                objective,
                e.values[0],
                e.formula.clone(),
                e.backward.to_string(),
            )
        }),
        dispatch,
    })
}

/// Summaries of the runs directly under `root` (directories with a `config.ron`), by directory
/// name. Only an unreadable `root` is an error.
pub fn list_runs(root: &Path) -> Result<Vec<RunSummary>, RunError> {
    if !root.exists() {
        return Ok(Vec::new());
    }
    let mut dirs: Vec<PathBuf> = fs::read_dir(root)
        .map_err(io_err(root))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join(CONFIG).exists())
        .collect();
    dirs.sort();
    Ok(dirs.iter().map(|d| RunSummary::of(d)).collect())
}
