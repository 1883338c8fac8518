//! [`Worker`]: a search running on its own thread, writing its run directory exactly as
//! `radact search` and `radact resume` do (the same library calls), and reporting to the UI
//! over a channel.
//!
//! The UI never waits for the worker: it drains [`Worker::poll`] each frame, and the worker asks
//! for a repaint whenever it sends something. Pause and Stop set a flag that the engine reads
//! after the batch in flight; the run directory then holds a checkpoint that both the app's
//! Resume and `radact resume` continue from.

use crate::row::Row;
use radact::run::{Run, RunConfig};
use radact::search::event::{Event, StopReason};
use radact::search::final_check::FinalReport;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

/// What to run.
#[derive(Clone, Debug, PartialEq)]
pub enum Launch {
    /// A new run directory `dir` (which must not exist or be empty).
    New {
        /// The run directory.
        dir: PathBuf,
        /// Space, seed and budget.
        config: Box<RunConfig>,
    },
    /// Continue the run in `dir` from its checkpoint.
    Resume {
        /// The run directory.
        dir: PathBuf,
    },
}

impl Launch {
    /// The run directory.
    pub fn dir(&self) -> &PathBuf {
        match self {
            Launch::New { dir, .. } | Launch::Resume { dir } => dir,
        }
    }
}

/// A report from the worker thread.
#[derive(Debug)]
pub enum WorkerUpdate {
    /// The run directory is open; `rows` are the candidates already in its journal.
    Opened {
        /// The run's configuration.
        config: Box<RunConfig>,
        /// The journal so far (empty for a new run).
        rows: Vec<Row>,
    },
    /// A candidate was dealt with.
    Candidate {
        /// Its row.
        row: Box<Row>,
        /// Candidates trained so far.
        trained: usize,
    },
    /// Any other engine event (started, new best, checkpoint, finished).
    Event(Event),
    /// The search ended with the budget used or the space exhausted, and the final check (the
    /// best candidates retrained on new seeds) started.
    FinalCheckStarted,
    /// The final check's report (also saved in the run directory).
    FinalCheck(Box<FinalReport>),
    /// The search could not start or go on.
    Failed(String),
    /// The thread is done.
    Done(Option<StopReason>),
}

/// A search running on a worker thread.
#[derive(Debug)]
pub struct Worker {
    rx: Receiver<WorkerUpdate>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    done: bool,
}

impl Worker {
    /// Starts `launch` on a new thread with `threads` training threads; `ctx` is asked to
    /// repaint after each report.
    pub fn start(launch: Launch, threads: usize, ctx: &egui::Context) -> Worker {
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let ctx = ctx.clone();
        let handle = thread::Builder::new()
            .name("radact-search".into())
            .spawn(move || {
                let send = |u: WorkerUpdate| {
                    let _ = tx.send(u);
                    ctx.request_repaint();
                };
                let reason = match work(launch, threads, &thread_stop, &send) {
                    Ok(reason) => Some(reason),
                    Err(message) => {
                        send(WorkerUpdate::Failed(message));
                        None
                    }
                };
                send(WorkerUpdate::Done(reason));
            });
        match handle {
            Ok(handle) => Worker {
                rx,
                stop,
                handle: Some(handle),
                done: false,
            },
            Err(e) => {
                // No thread: report through the channel like any other failure.
                let (tx, rx) = mpsc::channel();
                let _ = tx.send(WorkerUpdate::Failed(format!(
                    "cannot start the search thread: {e}"
                )));
                let _ = tx.send(WorkerUpdate::Done(None));
                Worker {
                    rx,
                    stop,
                    handle: None,
                    done: false,
                }
            }
        }
    }

    /// Asks the search to stop after the batch in flight (the run stays resumable).
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was requested.
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Whether the thread has reported [`WorkerUpdate::Done`] (or died).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The reports received since the last call, without waiting. A thread that ended without
    /// saying so (a panic) is reported as a failure.
    pub fn poll(&mut self) -> Vec<WorkerUpdate> {
        let mut out = Vec::new();
        loop {
            match self.rx.try_recv() {
                Ok(u) => {
                    if matches!(u, WorkerUpdate::Done(_)) {
                        self.done = true;
                    }
                    out.push(u);
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    if !self.done {
                        self.done = true;
                        let why = match self.handle.take().map(JoinHandle::join) {
                            Some(Err(panic)) => panic_message(&panic),
                            _ => "no reason given".to_string(),
                        };
                        out.push(WorkerUpdate::Failed(format!(
                            "the search thread stopped unexpectedly: {why}"
                        )));
                        out.push(WorkerUpdate::Done(None));
                    }
                    break;
                }
            }
        }
        out
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

/// The body of the worker thread: what `radact search` / `radact resume` do, reporting to
/// `send` instead of a terminal.
fn work(
    launch: Launch,
    threads: usize,
    stop: &AtomicBool,
    send: &dyn Fn(WorkerUpdate),
) -> Result<StopReason, String> {
    let mut run = match launch {
        Launch::New { dir, config } => Run::create(&dir, *config, "radact-gui"),
        Launch::Resume { dir } => Run::open(&dir, "radact-gui"),
    }
    .map_err(|e| e.to_string())?;
    let config = run.config().clone();
    let objectives = config.space.objectives.clone();
    let records = run.records().map_err(|e| e.to_string())?;
    send(WorkerUpdate::Opened {
        config: Box::new(config.clone()),
        rows: records
            .iter()
            .map(|r| Row::new(r.clone(), &objectives))
            .collect(),
    });
    let mut engine = run
        .engine(threads)
        .map_err(|e| format!("cannot start the search: {e}"))?;
    let engine_stop = engine.stop_flag();
    let forward_stop = || {
        if stop.load(Ordering::SeqCst) {
            engine_stop.store(true, Ordering::SeqCst);
        }
    };
    forward_stop();
    let reason = engine
        .run(&mut run, &mut |event| {
            forward_stop();
            match event {
                Event::Candidate { record, trained } => send(WorkerUpdate::Candidate {
                    row: Box::new(Row::new(*record, &objectives)),
                    trained,
                }),
                other => send(WorkerUpdate::Event(other)),
            }
        })
        .map_err(|e| format!("the search stopped: {e}"))?;
    if reason == StopReason::Interrupted || stop.load(Ordering::SeqCst) {
        return Ok(reason);
    }
    let hall = engine.hall_of_fame();
    if run.final_check_due(&hall).map_err(|e| e.to_string())? {
        send(WorkerUpdate::FinalCheckStarted);
    }
    if let Some(report) = run
        .final_check_if_due(&hall, engine.workers())
        .map_err(|e| format!("final check failed: {e}"))?
    {
        send(WorkerUpdate::FinalCheck(Box::new(report)));
    }
    Ok(reason)
}
