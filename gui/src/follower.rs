//! [`Follower`]: watches a run directory from a background thread, including one that a
//! headless `radact search` is writing right now, and reports what is new over a channel.
//!
//! It only reads, through [`RunView`] (which never writes a file): the configuration once, then
//! in a loop the journal's new complete lines, the checkpoint and the final check when their
//! modification time changes, and which process holds the run's write lock.

use crate::row::Row;
use radact::dispatch::QueueStatus;
use radact::run::{Holder, RunConfig, RunView, CHECKPOINT, DISPATCH, FINAL_CHECK};
use radact::search::event::StopReason;
use radact::search::final_check::FinalReport;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, SystemTime};

/// A report from the follower thread.
#[derive(Debug)]
pub enum FollowUpdate {
    /// The run's configuration was read.
    Opened(Box<RunConfig>),
    /// Candidates appended to the journal since the last report.
    Rows(Vec<Row>),
    /// The checkpoint changed.
    Checkpoint {
        /// Candidates trained as of the checkpoint.
        trained: usize,
        /// Candidates proposed as of the checkpoint.
        proposed: u64,
        /// Set when the run ended for good.
        finished: Option<StopReason>,
    },
    /// The process writing the run changed (`None`: no process writes it now).
    Writer(Option<Holder>),
    /// The final check was written.
    FinalCheck(Box<FinalReport>),
    /// The work queue's state was written (a search trained by remote workers).
    Dispatch(Box<QueueStatus>),
    /// The run could not be read; following stopped.
    Failed(String),
}

/// Follows one run directory until dropped.
#[derive(Debug)]
pub struct Follower {
    dir: PathBuf,
    rx: Receiver<FollowUpdate>,
    stop: Arc<AtomicBool>,
}

impl Follower {
    /// Starts following `dir`, polling every `interval`; `ctx` is asked to repaint after each
    /// report.
    pub fn start(dir: &Path, interval: Duration, ctx: &egui::Context) -> Follower {
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let thread_dir = dir.to_path_buf();
        let ctx = ctx.clone();
        let spawned = thread::Builder::new()
            .name("radact-follow".into())
            .spawn(move || {
                let send = |u: FollowUpdate| -> bool {
                    let ok = tx.send(u).is_ok();
                    ctx.request_repaint();
                    ok
                };
                if let Err(message) = follow(&thread_dir, interval, &thread_stop, &send) {
                    send(FollowUpdate::Failed(message));
                }
            });
        if let Err(e) = spawned {
            let (tx, rx2): (Sender<FollowUpdate>, _) = mpsc::channel();
            let _ = tx.send(FollowUpdate::Failed(format!(
                "cannot start the follower thread: {e}"
            )));
            return Follower {
                dir: dir.to_path_buf(),
                rx: rx2,
                stop,
            };
        }
        Follower {
            dir: dir.to_path_buf(),
            rx,
            stop,
        }
    }

    /// The run directory followed.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The reports received since the last call, without waiting.
    pub fn poll(&mut self) -> Vec<FollowUpdate> {
        self.rx.try_iter().collect()
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The follower thread's loop; returns when stopped, when the app is gone, or with an error.
fn follow(
    dir: &Path,
    interval: Duration,
    stop: &AtomicBool,
    send: &dyn Fn(FollowUpdate) -> bool,
) -> Result<(), String> {
    let run = RunView::open(dir).map_err(|e| e.to_string())?;
    let objectives = run.config().space.objectives.clone();
    if !send(FollowUpdate::Opened(Box::new(run.config().clone()))) {
        return Ok(());
    }
    let mut journal = run.journal();
    let (checkpoint_path, final_path) = (dir.join(CHECKPOINT), dir.join(FINAL_CHECK));
    let dispatch_path = dir.join(DISPATCH);
    let (mut checkpoint_seen, mut final_seen, mut dispatch_seen) = (None, None, None);
    let mut writer_seen: Option<Option<Holder>> = None;
    while !stop.load(Ordering::SeqCst) {
        let writer = run.writer();
        if writer_seen.as_ref() != Some(&writer) {
            writer_seen = Some(writer.clone());
            if !send(FollowUpdate::Writer(writer)) {
                return Ok(());
            }
        }
        let stamp = modified(&checkpoint_path);
        if stamp.is_some() && stamp != checkpoint_seen {
            checkpoint_seen = stamp;
            // Read before the journal, so that rows never arrive ahead of the progress they
            // belong to (the journal only grows past a checkpoint). Written atomically
            // (temporary file and rename): never seen half-written.
            if let Some(state) = run.checkpoint().map_err(|e| e.to_string())? {
                let update = FollowUpdate::Checkpoint {
                    trained: state.trained,
                    proposed: state.next_id,
                    finished: state.finished,
                };
                if !send(update) {
                    return Ok(());
                }
            }
        }
        let records = journal.read_new().map_err(|e| e.to_string())?;
        if !records.is_empty() {
            let rows = records
                .into_iter()
                .map(|r| Row::new(r, &objectives))
                .collect();
            if !send(FollowUpdate::Rows(rows)) {
                return Ok(());
            }
        }
        let stamp = modified(&final_path);
        if stamp.is_some() && stamp != final_seen {
            final_seen = stamp;
            if let Some(report) = run.final_report().map_err(|e| e.to_string())? {
                if !send(FollowUpdate::FinalCheck(Box::new(report))) {
                    return Ok(());
                }
            }
        }
        let stamp = modified(&dispatch_path);
        if stamp.is_some() && stamp != dispatch_seen {
            dispatch_seen = stamp;
            if let Some(status) = run.dispatch_status().map_err(|e| e.to_string())? {
                if !send(FollowUpdate::Dispatch(Box::new(status))) {
                    return Ok(());
                }
            }
        }
        let mut waited = Duration::ZERO;
        while waited < interval && !stop.load(Ordering::SeqCst) {
            let step = Duration::from_millis(50).min(interval - waited);
            thread::sleep(step);
            waited += step;
        }
    }
    Ok(())
}
