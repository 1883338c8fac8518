//! [`Session`]: what the app does with its open run, as a plain state machine without any UI in
//! it. The user's commands (start, resume, pause, stop, open, close) and the reports of the
//! background threads (a search [`crate::worker::Worker`], a read-only
//! [`crate::follower::Follower`]) move it between [`State`]s; each transition returns the
//! [`Effect`]s the app carries out (start or drop a thread, add rows to the table, refresh the
//! run list). The app's panels only draw the session and send it commands.
//!
//! ```text
//! from                         command or report                 to
//! Idle, Paused, Following      open                              Following
//! Idle, Paused, Following      start (valid settings)            Running
//! Idle, Paused, Following      resume (not finished, not live)   Running
//! Following                    the follower failed               Idle
//! Running                      pause                             Stopping(Pause)
//! Running, Stopping(Pause)     stop                              Stopping(Stop)
//! Running, Stopping(Pause)     final check started               FinalCheck
//! Stopping(Stop)               final check started               Idle (check abandoned)
//! FinalCheck                   stop                              Idle (check abandoned)
//! Stopping(Pause)              done, interrupted                 Paused
//! Running, Stopping, FinalCheck  done, otherwise                 Idle
//! Idle, Paused, Following      close                             Idle, no run open
//! ```
//!
//! Commands that make no sense in a state are ignored (pause when nothing runs) or rejected
//! with an error on screen (open another run while searching); the panels disable the buttons
//! of both kinds, so these are for races and for code that drives the app directly.

use crate::follower::FollowUpdate;
use crate::row::Row;
use crate::worker::{Launch, WorkerUpdate};
use radact::dispatch::QueueStatus;
use radact::run::{Holder, RunConfig};
use radact::search::event::{Event, StopReason};
use radact::search::final_check::FinalReport;
use std::path::{Path, PathBuf};

/// Most errors kept on screen.
pub const MAX_ERRORS: usize = 6;

/// Most lines kept in the activity log.
pub const MAX_LOG: usize = 200;

/// What the session is doing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum State {
    /// Nothing runs: no run is open, or the open run is at rest (stopped, finished, failed, or
    /// no longer followed after an error).
    #[default]
    Idle,
    /// The open run is read as it grows (a finished run, or one another process writes).
    Following,
    /// A search of this app writes the open run.
    Running,
    /// A pause or a stop was asked for: the batch in flight finishes first.
    Stopping(StopKind),
    /// The search used its budget and the final check retrains the best candidates.
    FinalCheck,
    /// The search paused after a batch: Resume continues it.
    Paused,
}

/// How a stop was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopKind {
    /// Pause: Resume continues.
    Pause,
    /// Stop: the run stays resumable, here or with `radact resume`.
    Stop,
}

/// What the app does after a transition, in order.
#[derive(Debug, PartialEq)]
pub enum Effect {
    /// Another run is shown (`None`: none): empty the table and point the export at it.
    Show(Option<PathBuf>),
    /// Start a search thread (replacing any follower).
    Search(Launch),
    /// Start following this run directory (replacing any thread).
    Follow(PathBuf),
    /// Ask the search thread to stop after the batch in flight.
    StopWorker,
    /// Drop the thread (it ended, or is abandoned and finishes unobserved).
    Detach,
    /// Candidates for the table.
    Rows(Vec<Row>),
    /// The list of runs is out of date.
    RunsChanged,
}

/// A user's command.
#[derive(Debug)]
pub enum Command {
    /// Open a run directory read-only and follow it ([`Session::open`]).
    Open(PathBuf),
    /// Start a new search: the run directory and configuration, or what is wrong with the
    /// launch panel's settings ([`Session::start`]).
    Start(Box<Result<(PathBuf, RunConfig), String>>),
    /// Continue the open run ([`Session::resume`]).
    Resume,
    /// Pause the search ([`Session::pause`]).
    Pause,
    /// Stop the search ([`Session::stop`]).
    Stop,
    /// Close the open run ([`Session::close`]).
    Close,
}

/// The run shown.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenRun {
    /// Its directory.
    pub dir: PathBuf,
    /// Its configuration, once read.
    pub config: Option<RunConfig>,
    /// Candidates trained, as last reported.
    pub trained: usize,
    /// Candidates proposed, as last reported.
    pub proposed: u64,
    /// Set when the run ended for good (budget used, space exhausted).
    pub finished: Option<StopReason>,
    /// Its final check, once done.
    pub final_report: Option<FinalReport>,
    /// The work queue after the last batch, for a search trained by remote workers.
    pub dispatch: Option<QueueStatus>,
    /// Following: the process writing the run, if another one holds its lock.
    pub writer: Option<Holder>,
    /// What ended the last search of this app on it.
    pub outcome: Option<String>,
}

impl OpenRun {
    fn new(dir: &Path) -> OpenRun {
        OpenRun {
            dir: dir.to_path_buf(),
            config: None,
            trained: 0,
            proposed: 0,
            finished: None,
            final_report: None,
            dispatch: None,
            writer: None,
            outcome: None,
        }
    }
}

/// The session: its state, the open run, the errors on screen and the activity log.
#[derive(Debug, Default)]
pub struct Session {
    state: State,
    run: Option<OpenRun>,
    errors: Vec<String>,
    log: Vec<String>,
}

impl Session {
    /// What the session is doing.
    pub fn state(&self) -> State {
        self.state
    }

    /// The open run.
    pub fn run(&self) -> Option<&OpenRun> {
        self.run.as_ref()
    }

    /// The errors on screen, oldest first.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// The activity log, oldest first.
    pub fn log(&self) -> &[String] {
        &self.log
    }

    /// Shows an error (the oldest goes when there are too many).
    pub fn error(&mut self, message: impl Into<String>) {
        self.errors.push(message.into());
        if self.errors.len() > MAX_ERRORS {
            self.errors.remove(0);
        }
    }

    /// Removes the `index`th error (the user dismissed it).
    pub fn dismiss_error(&mut self, index: usize) {
        if index < self.errors.len() {
            self.errors.remove(index);
        }
    }

    /// Adds a line to the activity log.
    pub fn note(&mut self, line: impl Into<String>) {
        self.log.push(line.into());
        if self.log.len() > MAX_LOG {
            self.log.remove(0);
        }
    }

    /// Whether a search of this app runs (including stopping and the final check).
    pub fn is_searching(&self) -> bool {
        matches!(
            self.state,
            State::Running | State::Stopping(_) | State::FinalCheck
        )
    }

    /// Whether the followed run is being written by another process.
    pub fn is_live(&self) -> bool {
        self.state == State::Following && self.run.as_ref().is_some_and(|r| r.writer.is_some())
    }

    /// Whether Pause applies now.
    pub fn can_pause(&self) -> bool {
        self.state == State::Running
    }

    /// Whether Stop applies now.
    pub fn can_stop(&self) -> bool {
        matches!(
            self.state,
            State::Running | State::Stopping(StopKind::Pause) | State::FinalCheck
        )
    }

    /// Whether Resume applies now: a run is open and read, not finished, and nobody writes it.
    pub fn can_resume(&self) -> bool {
        !self.is_searching()
            && !self.is_live()
            && self
                .run
                .as_ref()
                .is_some_and(|r| r.config.is_some() && r.finished.is_none())
    }

    /// Carries out a user's command; returns what the app has to do.
    pub fn command(&mut self, command: Command) -> Vec<Effect> {
        match command {
            Command::Open(dir) => self.open(&dir),
            Command::Start(settings) => self.start(*settings),
            Command::Resume => self.resume(),
            Command::Pause => self.pause(),
            Command::Stop => self.stop(),
            Command::Close => self.close(),
        }
    }

    /// Opens the run in `dir` read-only and follows it. Rejected while searching.
    pub fn open(&mut self, dir: &Path) -> Vec<Effect> {
        if self.is_searching() {
            self.error("stop the running search before opening another run");
            return Vec::new();
        }
        self.run = Some(OpenRun::new(dir));
        self.state = State::Following;
        self.note(format!("opened {}", dir.display()));
        vec![
            Effect::Show(Some(dir.to_path_buf())),
            Effect::Follow(dir.to_path_buf()),
        ]
    }

    /// Starts a new search with `settings` (the run directory and configuration, or what is
    /// wrong with the launch panel's settings). Rejected while searching.
    pub fn start(&mut self, settings: Result<(PathBuf, RunConfig), String>) -> Vec<Effect> {
        if self.is_searching() {
            self.error("a search is already running");
            return Vec::new();
        }
        let (dir, config) = match settings {
            Ok(v) => v,
            Err(e) => {
                self.error(format!("cannot start: {e}"));
                return Vec::new();
            }
        };
        let mut run = OpenRun::new(&dir);
        run.config = Some(config.clone());
        self.run = Some(run);
        self.state = State::Running;
        self.note(format!("starting {}", dir.display()));
        vec![
            Effect::Show(Some(dir.clone())),
            Effect::Search(Launch::New {
                dir,
                config: Box::new(config),
            }),
            Effect::RunsChanged,
        ]
    }

    /// Continues the open run from its checkpoint (as `radact resume` does). Ignored while
    /// searching; rejected without a run, for a finished run, and while another process
    /// writes it.
    pub fn resume(&mut self) -> Vec<Effect> {
        if self.is_searching() {
            return Vec::new();
        }
        let (dir, finished) = match &self.run {
            Some(run) => (run.dir.clone(), run.finished.is_some()),
            None => {
                self.error("open a run to resume first");
                return Vec::new();
            }
        };
        if finished {
            self.error("this run is finished: nothing to resume");
            return Vec::new();
        }
        if self.is_live() {
            self.error("another process is writing this run; resume it once that has stopped");
            return Vec::new();
        }
        self.note(format!("resuming {}", dir.display()));
        self.state = State::Running;
        vec![Effect::Search(Launch::Resume { dir })]
    }

    /// Pauses the search after the batch in flight; Resume continues it. Only while running.
    pub fn pause(&mut self) -> Vec<Effect> {
        if self.state != State::Running {
            return Vec::new();
        }
        self.state = State::Stopping(StopKind::Pause);
        vec![Effect::StopWorker]
    }

    /// Stops the search after the batch in flight (the run stays resumable). During the final
    /// check, which cannot be interrupted, the check is abandoned: its thread finishes
    /// unobserved. Ignored when nothing runs.
    pub fn stop(&mut self) -> Vec<Effect> {
        match self.state {
            State::Running | State::Stopping(StopKind::Pause) => {
                self.state = State::Stopping(StopKind::Stop);
                vec![Effect::StopWorker]
            }
            State::FinalCheck => self.abandon_final_check(),
            _ => Vec::new(),
        }
    }

    /// Closes the open run. Rejected while searching.
    pub fn close(&mut self) -> Vec<Effect> {
        if self.is_searching() {
            self.error("stop the running search before closing its run");
            return Vec::new();
        }
        let Some(run) = self.run.take() else {
            return Vec::new();
        };
        self.state = State::Idle;
        self.note(format!("closed {}", run.dir.display()));
        vec![Effect::Detach, Effect::Show(None)]
    }

    fn abandon_final_check(&mut self) -> Vec<Effect> {
        self.state = State::Idle;
        if let Some(run) = &mut self.run {
            run.outcome = Some("stopped during the final check".into());
        }
        self.note("final check abandoned");
        vec![Effect::StopWorker, Effect::Detach]
    }

    /// A report of the search thread. Ignored unless searching.
    pub fn on_worker(&mut self, update: WorkerUpdate) -> Vec<Effect> {
        if !self.is_searching() {
            return Vec::new();
        }
        match update {
            WorkerUpdate::Opened { config, rows } => {
                if let Some(run) = &mut self.run {
                    run.config = Some(*config);
                    run.outcome = None;
                }
                vec![Effect::Rows(rows)]
            }
            WorkerUpdate::Candidate { row, trained } => {
                if let Some(run) = &mut self.run {
                    run.trained = trained;
                }
                vec![Effect::Rows(vec![*row])]
            }
            WorkerUpdate::Event(event) => {
                self.engine_event(event);
                Vec::new()
            }
            WorkerUpdate::FinalCheckStarted => {
                if self.state == State::Stopping(StopKind::Stop) {
                    // The budget ran out as Stop was pressed: Stop abandons the check.
                    return self.abandon_final_check();
                }
                self.state = State::FinalCheck;
                self.note("final check: retraining the best candidates on new seeds");
                Vec::new()
            }
            WorkerUpdate::FinalCheck(report) => {
                self.note(report.table());
                if let Some(run) = &mut self.run {
                    run.final_report = Some(*report);
                }
                Vec::new()
            }
            WorkerUpdate::Failed(message) => {
                self.error(message);
                Vec::new()
            }
            WorkerUpdate::Done(reason) => self.search_done(reason),
        }
    }

    fn search_done(&mut self, reason: Option<StopReason>) -> Vec<Effect> {
        let paused = self.state == State::Stopping(StopKind::Pause);
        let outcome = match reason {
            None => "failed",
            Some(StopReason::Interrupted) if paused => "paused: Resume continues",
            Some(StopReason::Interrupted) => "stopped: resumable with Resume or `radact resume`",
            Some(StopReason::Budget) => "finished: budget used",
            Some(StopReason::Exhausted) => "finished: space exhausted",
            Some(StopReason::TimeLimit) => "finished: time limit reached",
        };
        self.state = if paused && reason == Some(StopReason::Interrupted) {
            State::Paused
        } else {
            State::Idle
        };
        self.note(outcome);
        if let Some(run) = &mut self.run {
            run.outcome = Some(outcome.to_string());
        }
        // The run list shows this run's new state.
        vec![Effect::Detach, Effect::RunsChanged]
    }

    fn engine_event(&mut self, event: Event) {
        match event {
            Event::Started {
                run,
                evaluations,
                trained,
                threads,
                ..
            } => self.note(format!(
                "searching {run}: {trained}/{evaluations} trained, {threads} thread(s)"
            )),
            Event::NewBest {
                id,
                rung,
                formula,
                backward,
                objective,
                value,
            } => self.note(if rung > 0 {
                format!("best #{id}: {objective} {value:.4} (rung {rung})  {formula} [{backward}]")
            } else {
                format!("best #{id}: {objective} {value:.4}  {formula} [{backward}]")
            }),
            Event::Checkpoint { trained, proposed } => {
                if let Some(run) = &mut self.run {
                    run.trained = trained;
                    run.proposed = proposed;
                }
            }
            Event::Finished {
                reason,
                trained,
                proposed,
                ..
            } => {
                if let Some(run) = &mut self.run {
                    run.trained = trained;
                    run.proposed = proposed;
                    if reason != StopReason::Interrupted {
                        run.finished = Some(reason);
                    }
                }
                self.note(format!(
                    "search ended: {trained} trained of {proposed} proposed"
                ));
            }
            Event::Candidate { .. } | Event::FinalCheck { .. } => {}
        }
    }

    /// A report of the follower thread. Ignored unless following.
    pub fn on_follow(&mut self, update: FollowUpdate) -> Vec<Effect> {
        if self.state != State::Following {
            return Vec::new();
        }
        let Some(run) = &mut self.run else {
            return Vec::new();
        };
        match update {
            FollowUpdate::Opened(config) => run.config = Some(*config),
            FollowUpdate::Rows(rows) => return vec![Effect::Rows(rows)],
            FollowUpdate::Writer(writer) => run.writer = writer,
            FollowUpdate::Checkpoint {
                trained,
                proposed,
                finished,
            } => {
                run.trained = trained;
                run.proposed = proposed;
                run.finished = finished;
            }
            FollowUpdate::FinalCheck(report) => run.final_report = Some(*report),
            FollowUpdate::Dispatch(status) => run.dispatch = Some(*status),
            FollowUpdate::Failed(message) => {
                self.state = State::Idle;
                self.error(message);
                return vec![Effect::Detach];
            }
        }
        Vec::new()
    }

    /// A one-line status of the open run.
    pub fn status(&self) -> String {
        let Some(run) = &self.run else {
            return "No run open: start a search or open a run.".into();
        };
        let budget = run.config.as_ref().map_or(0, |c| c.evaluations);
        let progress = format!("{}/{} trained", run.trained, budget);
        let state = match self.state {
            State::Stopping(_) => "stopping after the batch in flight…".to_string(),
            State::FinalCheck => "final check…".to_string(),
            State::Running => "searching".to_string(),
            _ if run.finished == Some(StopReason::Budget) => "finished (budget used)".into(),
            _ if run.finished == Some(StopReason::Exhausted) => "finished (space exhausted)".into(),
            _ if run.finished == Some(StopReason::TimeLimit) => {
                "finished (time limit reached)".into()
            }
            State::Following if self.is_live() => match &run.writer {
                Some(w) => format!("live: {w} is writing this run"),
                None => "live: another process is writing this run".into(),
            },
            _ => match &run.outcome {
                Some(o) => o.clone(),
                None if run.config.is_none() => "reading…".into(),
                None => "stopped: resumable".into(),
            },
        };
        format!("{} — {progress} — {state}", run.dir.display())
    }
}

#[cfg(test)]
mod tests;
