//! [`RadactApp`]: the app's state and its frame. One run is open at a time, either searched by
//! a [`Worker`] of this app or followed read-only by a [`Follower`] (a finished run, a stopped
//! one, or one that a headless `radact search` is writing). What the app does with it is the
//! [`Session`] state machine; this module carries out the session's [`Effect`]s (starting and
//! dropping those threads, filling the table) and the panels (`panels.rs`) draw it. The
//! population table drives the plots, the graph view and the export.
//!
//! Everything slow happens on other threads (training, reading journals, listing runs, file
//! dialogs); each frame only drains their channels. The state is independent of the window:
//! [`RadactApp::show`] draws into any [`egui::Ui`], which is how the tests drive it.

use crate::curves::Curves;
use crate::dialog::{DialogAnswer, DialogPurpose, FileDialog};
use crate::export::ExportPanel;
use crate::follower::Follower;
use crate::graph_view::GraphView;
use crate::job::{Job, Poll};
use crate::launch::LaunchSettings;
use crate::pareto::Pareto;
use crate::population::Population;
use crate::progress::{window_of, Progress};
use crate::samples::Samples;
use crate::session::{Command, Effect, Session};
use crate::worker::{Launch, Worker};
use radact::run::{list_runs, RunConfig, RunSummary};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a followed run is polled.
pub const FOLLOW_INTERVAL: Duration = Duration::from_millis(500);

/// The thread working for the session.
#[derive(Debug)]
enum Background {
    /// A search writing the open run.
    Search(Worker),
    /// A follower reading it.
    Follow(Follower),
}

/// The app.
pub struct RadactApp {
    pub(crate) runs_root: PathBuf,
    /// The launch panel.
    pub launch: LaunchSettings,
    /// The open run's candidates and the selection.
    pub population: Population,
    /// The f(x) and g(x) plots.
    pub curves: Curves,
    /// A GAN run's generated samples of the selected candidate.
    pub samples: Samples,
    /// Best and median against evaluations.
    pub progress: Progress,
    /// The Pareto scatter.
    pub pareto: Pareto,
    /// The graph of the selected candidate.
    pub graph: GraphView,
    /// The export panel.
    pub export: ExportPanel,
    /// What the app does with the open run.
    pub session: Session,
    background: Option<Background>,
    pub(crate) open_path: String,
    pub(crate) runs: Option<Result<Vec<RunSummary>, String>>,
    runs_job: Option<Job<Result<Vec<RunSummary>, String>>>,
    /// When the run list was last asked for.
    runs_listed_at: Option<Instant>,
    pub(crate) dialog: FileDialog,
    /// The run to open on the first frame (from the command line).
    pending_open: Option<PathBuf>,
}

impl RadactApp {
    /// An app that keeps runs under `runs_root` (`runs/`) and offers the space files of
    /// `spaces_dir` (`search-spaces/`).
    pub fn new(runs_root: &Path, spaces_dir: &Path) -> RadactApp {
        RadactApp {
            runs_root: runs_root.to_path_buf(),
            launch: LaunchSettings::new(spaces_dir),
            population: Population::default(),
            curves: Curves::default(),
            samples: Samples::default(),
            progress: Progress::default(),
            pareto: Pareto::default(),
            graph: GraphView::default(),
            export: ExportPanel::default(),
            session: Session::default(),
            background: None,
            open_path: String::new(),
            runs: None,
            runs_job: None,
            runs_listed_at: None,
            dialog: FileDialog::default(),
            pending_open: None,
        }
    }

    /// Opens `dir` on the first frame (a run named on the command line).
    pub fn with_run(mut self, dir: &Path) -> RadactApp {
        self.pending_open = Some(dir.to_path_buf());
        self
    }

    /// The errors on screen, oldest first.
    pub fn errors(&self) -> &[String] {
        self.session.errors()
    }

    /// The activity log, oldest first.
    pub fn log(&self) -> &[String] {
        self.session.log()
    }

    /// The open run's directory.
    pub fn run_dir(&self) -> Option<&Path> {
        self.session.run().map(|r| r.dir.as_path())
    }

    /// The open run's configuration, once read.
    pub fn run_config(&self) -> Option<&RunConfig> {
        self.session.run().and_then(|r| r.config.as_ref())
    }

    /// The open run's final check, once read (or made).
    pub fn final_report(&self) -> Option<&radact::search::final_check::FinalReport> {
        self.session.run().and_then(|r| r.final_report.as_ref())
    }

    /// Whether a search of this app is running (including stopping and the final check).
    pub fn is_searching(&self) -> bool {
        self.session.is_searching()
    }

    /// Candidates trained in the open run, as last reported.
    pub fn trained(&self) -> usize {
        self.session.run().map_or(0, |r| r.trained)
    }

    /// A one-line status of the open run.
    pub fn status(&self) -> String {
        self.session.status()
    }

    /// Opens the run in `dir` read-only and follows it as it grows. Not while searching.
    pub fn open_run(&mut self, dir: &Path, ctx: &egui::Context) {
        self.command(Command::Open(dir.to_path_buf()), ctx);
    }

    /// Starts a new search with the launch panel's settings.
    pub fn start(&mut self, ctx: &egui::Context) {
        let settings = self.launch.build(&self.runs_root);
        self.command(Command::Start(Box::new(settings)), ctx);
    }

    /// Sends a command to the session (start, resume, pause, stop, open, close: see
    /// [`Session`]) and carries out what it asks for.
    pub fn command(&mut self, command: Command, ctx: &egui::Context) {
        let effects = self.session.command(command);
        self.apply(effects, ctx);
    }

    /// Carries out what the session asks for.
    fn apply(&mut self, effects: Vec<Effect>, ctx: &egui::Context) {
        for effect in effects {
            match effect {
                Effect::Show(dir) => {
                    self.population.clear();
                    self.export.follow_run(dir.as_deref());
                }
                Effect::Search(launch) => {
                    if matches!(launch, Launch::New { .. }) {
                        // So that the next start does not clash with this run.
                        self.launch.renew_name();
                    }
                    let worker = Worker::start(launch, self.launch.threads, ctx);
                    self.background = Some(Background::Search(worker));
                }
                Effect::Follow(dir) => {
                    self.open_path = dir.display().to_string();
                    let follower = Follower::start(&dir, FOLLOW_INTERVAL, ctx);
                    self.background = Some(Background::Follow(follower));
                }
                Effect::StopWorker => {
                    if let Some(Background::Search(worker)) = &self.background {
                        worker.request_stop();
                    }
                }
                Effect::Detach => self.background = None,
                Effect::Rows(rows) => self.population.insert(rows),
                Effect::RunsChanged => {
                    self.runs = None;
                    self.runs_job = None;
                }
            }
        }
    }

    /// Drains the background threads' reports.
    pub fn poll(&mut self, ctx: &egui::Context) {
        let session = &mut self.session;
        let effects: Vec<Effect> = match &mut self.background {
            None => Vec::new(),
            Some(Background::Search(w)) => w
                .poll()
                .into_iter()
                .flat_map(|u| session.on_worker(u))
                .collect(),
            Some(Background::Follow(f)) => f
                .poll()
                .into_iter()
                .flat_map(|u| session.on_follow(u))
                .collect(),
        };
        self.apply(effects, ctx);
        if let Some(job) = &self.runs_job {
            match job.poll() {
                Poll::Pending => {}
                Poll::Ready(r) => {
                    self.runs = Some(r);
                    self.runs_job = None;
                }
                Poll::Lost => {
                    self.runs = Some(Err("listing the runs failed".into()));
                    self.runs_job = None;
                }
            }
        }
        match self.dialog.poll() {
            None => {}
            Some(DialogAnswer::Chosen(purpose, path)) => match purpose {
                DialogPurpose::SpaceFile => self.launch.load_file(&path),
                DialogPurpose::RunDir => self.open_path = path.display().to_string(),
                DialogPurpose::ExportFile { .. } => self.export.set_path(&path),
            },
            Some(DialogAnswer::Cancelled) => self.session.note(
                "no file chosen (the dialog needs a desktop portal; typing the path works too)",
            ),
            Some(DialogAnswer::Failed) => self
                .session
                .error("the file dialog failed; type the path instead"),
        }
    }

    /// Lists the runs again, on another thread.
    pub(crate) fn refresh_runs(&mut self, ctx: &egui::Context) {
        let root = self.runs_root.clone();
        self.runs_listed_at = Some(Instant::now());
        self.runs_job = Some(Job::spawn(ctx, move || {
            list_runs(&root).map_err(|e| e.to_string())
        }));
    }

    /// Opens a file dialog for `purpose`.
    pub(crate) fn open_dialog(&mut self, purpose: DialogPurpose, ctx: &egui::Context) {
        if let Err(e) = self.dialog.open(purpose, &self.runs_root, ctx) {
            self.session.error(e);
        }
    }

    /// Draws the whole app into `ui` (the window's root, or a test harness).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if let Some(dir) = self.pending_open.take() {
            self.open_run(&dir, &ctx);
        }
        let searching = matches!(self.background, Some(Background::Search(_)));
        let live = match &self.runs {
            None => true,
            Some(Ok(runs)) => list_is_live(runs, searching),
            Some(Err(_)) => false,
        };
        let due = self
            .runs_listed_at
            .is_none_or(|t| t.elapsed() >= RUN_LIST_REFRESH);
        if self.runs_job.is_none() && (self.runs.is_none() || (live && due)) {
            self.refresh_runs(&ctx);
        }
        if live {
            ctx.request_repaint_after(RUN_LIST_REFRESH);
        }
        self.poll(&ctx);
        self.update_views();
        if self.background.is_some() {
            // Look again now and then even without news (a writer may come or go).
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        self.panels(ui, &ctx);
    }

    /// Brings the plots and the graph up to date with the population and the selection.
    pub fn update_views(&mut self) {
        let selected = self.population.selected_rows();
        self.curves.update(&selected);
        self.samples.update(selected.last().copied());
        self.graph.update(selected.last().copied());
        if let Some(config) = self.session.run().and_then(|r| r.config.as_ref()) {
            let gan = config.space.task.dataset.is_gan();
            self.population.show_metrics_of(gan);
            self.pareto.fit_to_run(gan, config.space.main_objective());
            self.progress.update(
                self.population.rows(),
                self.population.version(),
                config.space.main_objective(),
                window_of(&config.space),
            );
        }
    }
}

impl eframe::App for RadactApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}

/// How often the run list is read again while a run in it is being written.
const RUN_LIST_REFRESH: Duration = Duration::from_secs(2);

/// Whether the run list shows a run that is changing: this app's own search, or a run another
/// process holds the lock of. Such a list is read again every [`RUN_LIST_REFRESH`], so that its
/// counts follow the search.
fn list_is_live(runs: &[RunSummary], searching: bool) -> bool {
    searching || runs.iter().any(|r| r.writer.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use radact::run::{Holder, RunState};

    fn summary(writer: Option<Holder>) -> RunSummary {
        RunSummary {
            name: "r".into(),
            dir: PathBuf::from("runs/r"),
            space: "default".into(),
            trained: 3,
            evaluations: 10,
            state: RunState::Stopped,
            writer,
            best: None,
            dispatch: None,
        }
    }

    #[test]
    fn the_run_list_is_live_while_a_run_in_it_is_written() {
        assert!(!list_is_live(&[summary(None)], false));
        assert!(list_is_live(&[summary(None)], true), "our own search");
        let holder = Holder {
            pid: 1,
            host: "h".into(),
            command: "radact search".into(),
            since: "now".into(),
        };
        assert!(list_is_live(&[summary(None), summary(Some(holder))], false));
        assert!(!list_is_live(&[], false));
    }
}
