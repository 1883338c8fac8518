//! [`RadactApp`]: the app's state and its frame. One run is open at a time, either searched by
//! a [`Worker`] of this app or followed read-only by a [`Follower`] (a finished run, a stopped
//! one, or one that a headless `radact search` is writing). The population table drives the
//! plots, the graph view and the export.
//!
//! Everything slow happens on other threads (training, reading journals, listing runs, file
//! dialogs); each frame only drains their channels. The state is independent of the window:
//! [`RadactApp::show`] draws into any [`egui::Ui`], which is how the tests drive it.

use crate::curves::Curves;
use crate::details;
use crate::export::{ExportAction, ExportPanel};
use crate::follower::{FollowUpdate, Follower};
use crate::graph_view::GraphView;
use crate::job::{Job, Poll};
use crate::launch::{LaunchAction, LaunchSettings};
use crate::pareto::Pareto;
use crate::population::Population;
use crate::progress::{window_of, Progress};
use crate::worker::{Launch, Worker, WorkerUpdate};
use radact::run::{list_runs, Holder, RunConfig, RunSummary};
use radact::search::event::{Event, StopReason};
use radact::search::final_check::FinalReport;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often a followed run is polled.
pub const FOLLOW_INTERVAL: Duration = Duration::from_millis(500);

/// Most errors kept on screen.
const MAX_ERRORS: usize = 6;

/// Most lines kept in the activity log.
const MAX_LOG: usize = 200;

/// The run shown.
#[derive(Debug)]
struct OpenRun {
    dir: PathBuf,
    config: Option<RunConfig>,
    trained: usize,
    proposed: u64,
    finished: Option<StopReason>,
    final_report: Option<FinalReport>,
    /// Following: the process writing the run, if another one holds its lock.
    writer: Option<Holder>,
    /// What ended the last search of this app on it.
    outcome: Option<String>,
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
            writer: None,
            outcome: None,
        }
    }
}

/// How a stop was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StopKind {
    Pause,
    Stop,
}

/// What runs in the background for the open run.
#[derive(Debug)]
enum Session {
    /// Nothing.
    Idle,
    /// Reading a run directory.
    Following(Follower),
    /// Searching.
    Searching {
        worker: Worker,
        stopping: Option<StopKind>,
        final_check: bool,
    },
}

/// What a pending file dialog is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DialogPurpose {
    SpaceFile,
    RunDir,
    ExportFile,
}

/// The app.
pub struct RadactApp {
    runs_root: PathBuf,
    /// The launch panel.
    pub launch: LaunchSettings,
    /// The open run's candidates and the selection.
    pub population: Population,
    /// The f(x) and g(x) plots.
    pub curves: Curves,
    /// Best and median against evaluations.
    pub progress: Progress,
    /// The Pareto scatter.
    pub pareto: Pareto,
    /// The graph of the selected candidate.
    pub graph: GraphView,
    /// The export panel.
    pub export: ExportPanel,
    session: Session,
    run: Option<OpenRun>,
    errors: Vec<String>,
    log: Vec<String>,
    open_path: String,
    runs: Option<Result<Vec<RunSummary>, String>>,
    runs_job: Option<Job<Result<Vec<RunSummary>, String>>>,
    dialog: Option<(DialogPurpose, Job<Option<PathBuf>>)>,
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
            progress: Progress::default(),
            pareto: Pareto::default(),
            graph: GraphView::default(),
            export: ExportPanel::default(),
            session: Session::Idle,
            run: None,
            errors: Vec::new(),
            log: Vec::new(),
            open_path: String::new(),
            runs: None,
            runs_job: None,
            dialog: None,
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
        &self.errors
    }

    /// The activity log, oldest first.
    pub fn log(&self) -> &[String] {
        &self.log
    }

    /// The open run's directory.
    pub fn run_dir(&self) -> Option<&Path> {
        self.run.as_ref().map(|r| r.dir.as_path())
    }

    /// The open run's configuration, once read.
    pub fn run_config(&self) -> Option<&RunConfig> {
        self.run.as_ref().and_then(|r| r.config.as_ref())
    }

    /// Whether a search of this app is running (including stopping and the final check).
    pub fn is_searching(&self) -> bool {
        matches!(self.session, Session::Searching { .. })
    }

    /// Candidates trained in the open run, as last reported.
    pub fn trained(&self) -> usize {
        self.run.as_ref().map_or(0, |r| r.trained)
    }

    fn error(&mut self, message: impl Into<String>) {
        self.errors.push(message.into());
        if self.errors.len() > MAX_ERRORS {
            self.errors.remove(0);
        }
    }

    fn note(&mut self, line: impl Into<String>) {
        self.log.push(line.into());
        if self.log.len() > MAX_LOG {
            self.log.remove(0);
        }
    }

    fn is_live(&self) -> bool {
        matches!(self.session, Session::Following(_))
            && self.run.as_ref().is_some_and(|r| r.writer.is_some())
    }

    /// Opens the run in `dir` read-only and follows it as it grows. Not while searching.
    pub fn open_run(&mut self, dir: &Path, ctx: &egui::Context) {
        if self.is_searching() {
            self.error("stop the running search before opening another run");
            return;
        }
        self.population.clear();
        self.run = Some(OpenRun::new(dir));
        self.session = Session::Following(Follower::start(dir, FOLLOW_INTERVAL, ctx));
        self.export.follow_run(Some(dir));
        self.open_path = dir.display().to_string();
        self.note(format!("opened {}", dir.display()));
    }

    /// Starts a new search with the launch panel's settings.
    pub fn start(&mut self, ctx: &egui::Context) {
        if self.is_searching() {
            self.error("a search is already running");
            return;
        }
        let (dir, config) = match self.launch.build(&self.runs_root) {
            Ok(v) => v,
            Err(e) => {
                self.error(format!("cannot start: {e}"));
                return;
            }
        };
        self.population.clear();
        let mut run = OpenRun::new(&dir);
        run.config = Some(config.clone());
        self.run = Some(run);
        self.export.follow_run(Some(&dir));
        self.note(format!("starting {}", dir.display()));
        let launch = Launch::New {
            dir,
            config: Box::new(config),
        };
        self.session = Session::Searching {
            worker: Worker::start(launch, self.launch.threads, ctx),
            stopping: None,
            final_check: false,
        };
        self.launch.renew_name();
        self.runs = None;
        self.runs_job = None;
    }

    /// Continues the open run from its checkpoint (as `radact resume` does).
    pub fn resume(&mut self, ctx: &egui::Context) {
        let Some(run) = &self.run else {
            self.error("open a run to resume first");
            return;
        };
        if self.is_searching() {
            return;
        }
        if run.finished.is_some() {
            self.error("this run is finished: nothing to resume");
            return;
        }
        if self.is_live() {
            self.error("another process is writing this run; resume it once that has stopped");
            return;
        }
        let dir = run.dir.clone();
        self.note(format!("resuming {}", dir.display()));
        self.session = Session::Searching {
            worker: Worker::start(Launch::Resume { dir }, self.launch.threads, ctx),
            stopping: None,
            final_check: false,
        };
    }

    /// Pauses the search after the batch in flight; Resume continues it.
    pub fn pause(&mut self) {
        self.request_stop(StopKind::Pause);
    }

    /// Stops the search after the batch in flight (the run stays resumable, here or with
    /// `radact resume`). During the final check, the check is abandoned.
    pub fn stop(&mut self) {
        self.request_stop(StopKind::Stop);
    }

    fn request_stop(&mut self, kind: StopKind) {
        let mut abandon = false;
        if let Session::Searching {
            worker,
            stopping,
            final_check,
        } = &mut self.session
        {
            worker.request_stop();
            *stopping = Some(kind);
            abandon = *final_check && kind == StopKind::Stop;
        }
        if abandon {
            // The final check cannot be interrupted: leave its thread to finish unobserved.
            self.session = Session::Idle;
            if let Some(run) = &mut self.run {
                run.outcome = Some("stopped during the final check".into());
            }
            self.note("final check abandoned");
        }
    }

    /// Drains the background threads' reports.
    pub fn poll(&mut self) {
        self.poll_session();
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
        if let Some((purpose, job)) = &self.dialog {
            let purpose = *purpose;
            match job.poll() {
                Poll::Pending => {}
                Poll::Ready(path) => {
                    self.dialog = None;
                    match path {
                        Some(path) => self.chosen(purpose, &path),
                        None => self.note(
                            "no file chosen (the dialog needs a desktop portal; typing the path works too)",
                        ),
                    }
                }
                Poll::Lost => {
                    self.dialog = None;
                    self.error("the file dialog failed; type the path instead");
                }
            }
        }
    }

    fn chosen(&mut self, purpose: DialogPurpose, path: &Path) {
        match purpose {
            DialogPurpose::SpaceFile => self.launch.load_file(path),
            DialogPurpose::RunDir => self.open_path = path.display().to_string(),
            DialogPurpose::ExportFile => self.export.set_path(path),
        }
    }

    fn poll_session(&mut self) {
        match &mut self.session {
            Session::Idle => {}
            Session::Following(follower) => {
                for u in follower.poll() {
                    self.follow_update(u);
                }
            }
            Session::Searching { worker, .. } => {
                for u in worker.poll() {
                    self.worker_update(u);
                }
            }
        }
    }

    fn follow_update(&mut self, update: FollowUpdate) {
        let Some(run) = &mut self.run else { return };
        match update {
            FollowUpdate::Opened(config) => {
                run.config = Some(*config);
            }
            FollowUpdate::Rows(rows) => self.population.insert(rows),
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
            FollowUpdate::Failed(message) => {
                self.session = Session::Idle;
                self.error(message);
            }
        }
    }

    fn worker_update(&mut self, update: WorkerUpdate) {
        match update {
            WorkerUpdate::Opened { config, rows } => {
                if let Some(run) = &mut self.run {
                    run.config = Some(*config);
                    run.outcome = None;
                }
                self.population.insert(rows);
            }
            WorkerUpdate::Candidate { row, trained } => {
                if let Some(run) = &mut self.run {
                    run.trained = trained;
                }
                self.population.insert([*row]);
            }
            WorkerUpdate::Event(event) => self.engine_event(event),
            WorkerUpdate::FinalCheckStarted => {
                if let Session::Searching { final_check, .. } = &mut self.session {
                    *final_check = true;
                }
                self.note("final check: retraining the best candidates on new seeds");
            }
            WorkerUpdate::FinalCheck(report) => {
                self.note(report.table());
                if let Some(run) = &mut self.run {
                    run.final_report = Some(*report);
                }
            }
            WorkerUpdate::Failed(message) => self.error(message),
            WorkerUpdate::Done(reason) => {
                let stopping = match &self.session {
                    Session::Searching { stopping, .. } => *stopping,
                    _ => None,
                };
                self.session = Session::Idle;
                let outcome = match (reason, stopping) {
                    (None, _) => "failed".to_string(),
                    (Some(StopReason::Interrupted), Some(StopKind::Pause)) => {
                        "paused: Resume continues".to_string()
                    }
                    (Some(StopReason::Interrupted), _) => {
                        "stopped: resumable with Resume or `radact resume`".to_string()
                    }
                    (Some(StopReason::Budget), _) => "finished: budget used".to_string(),
                    (Some(StopReason::Exhausted), _) => "finished: space exhausted".to_string(),
                };
                self.note(outcome.clone());
                if let Some(run) = &mut self.run {
                    run.outcome = Some(outcome);
                }
                // The runs list shows this run's new state.
                self.runs = None;
                self.runs_job = None;
            }
        }
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
                formula,
                backward,
                objective,
                value,
            } => self.note(format!(
                "best #{id}: {objective} {value:.4}  {formula} [{backward}]"
            )),
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

    /// A one-line status of the open run.
    pub fn status(&self) -> String {
        let Some(run) = &self.run else {
            return "No run open: start a search or open a run.".into();
        };
        let budget = run.config.as_ref().map_or(0, |c| c.evaluations);
        let progress = format!("{}/{} trained", run.trained, budget);
        let state = match &self.session {
            Session::Searching {
                stopping: Some(_), ..
            } => "stopping after the batch in flight…".to_string(),
            Session::Searching {
                final_check: true, ..
            } => "final check…".to_string(),
            Session::Searching { .. } => "searching".to_string(),
            _ if run.finished == Some(StopReason::Budget) => "finished (budget used)".into(),
            _ if run.finished == Some(StopReason::Exhausted) => "finished (space exhausted)".into(),
            Session::Following(_) if self.is_live() => match &run.writer {
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

    fn refresh_runs(&mut self, ctx: &egui::Context) {
        let root = self.runs_root.clone();
        self.runs_job = Some(Job::spawn(ctx, move || {
            list_runs(&root).map_err(|e| e.to_string())
        }));
    }

    #[cfg(feature = "file-dialog")]
    fn open_dialog(&mut self, purpose: DialogPurpose, ctx: &egui::Context) {
        if self.dialog.is_some() {
            return;
        }
        let dialog = rfd::AsyncFileDialog::new();
        let future = match purpose {
            DialogPurpose::SpaceFile => {
                let dialog = dialog.add_filter("search space", &["ron"]);
                let dialog = match std::env::current_dir() {
                    Ok(d) => dialog.set_directory(d.join("search-spaces")),
                    Err(_) => dialog,
                };
                Box::pin(dialog.pick_file())
                    as std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>>
            }
            DialogPurpose::RunDir => Box::pin(dialog.set_directory(&self.runs_root).pick_folder()),
            DialogPurpose::ExportFile => Box::pin(
                dialog
                    .add_filter(
                        self.export.format.label(),
                        &[self.export.format.extension()],
                    )
                    .save_file(),
            ),
        };
        let job = Job::spawn(ctx, move || {
            pollster::block_on(future).map(|h| h.path().to_path_buf())
        });
        self.dialog = Some((purpose, job));
    }

    #[cfg(not(feature = "file-dialog"))]
    fn open_dialog(&mut self, _purpose: DialogPurpose, _ctx: &egui::Context) {
        self.error("this build has no file dialogs: type the path");
    }

    /// Draws the whole app into `ui` (the window's root, or a test harness).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if let Some(dir) = self.pending_open.take() {
            self.open_run(&dir, &ctx);
        }
        if self.runs.is_none() && self.runs_job.is_none() {
            self.refresh_runs(&ctx);
        }
        self.poll();
        self.update_views();
        if !matches!(self.session, Session::Idle) {
            // Look again now and then even without news (a writer may come or go).
            ctx.request_repaint_after(Duration::from_secs(1));
        }

        egui::Panel::top("status-bar").show(ui, |ui| self.status_bar(ui));
        egui::Panel::left("control-panel")
            .resizable(true)
            .default_size(310.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.control_panel(ui, &ctx));
            });
        egui::Panel::bottom("plots-panel")
            .resizable(true)
            .default_size(360.0)
            .show(ui, |ui| self.plots_panel(ui));
        egui::Panel::right("details-panel")
            .resizable(true)
            .default_size(310.0)
            .show(ui, |ui| self.details_panel(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            if self.population.ui(ui) {
                self.update_views();
            }
        });
    }

    /// Brings the plots and the graph up to date with the population and the selection.
    pub fn update_views(&mut self) {
        let selected = self.population.selected_rows();
        self.curves.update(&selected);
        self.graph.update(selected.last().copied());
        if let Some(config) = self.run.as_ref().and_then(|r| r.config.as_ref()) {
            self.progress.update(
                self.population.rows(),
                self.population.version(),
                config.space.main_objective(),
                window_of(&config.space),
            );
        }
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("radact");
            ui.separator();
            ui.label(self.status());
        });
        let mut dismiss = None;
        for (i, e) in self.errors.iter().enumerate() {
            ui.horizontal(|ui| {
                if ui.small_button("✖").on_hover_text("dismiss").clicked() {
                    dismiss = Some(i);
                }
                ui.colored_label(ui.visuals().error_fg_color, e);
            });
        }
        if let Some(i) = dismiss {
            self.errors.remove(i);
        }
    }

    fn control_panel(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
        if self.dialog.is_some() {
            ui.horizontal(|ui| {
                ui.label("A file dialog is open…");
                if ui.small_button("Cancel").clicked() {
                    // The dialog's thread finishes on its own; its answer is dropped.
                    self.dialog = None;
                }
            });
        }
        ui.heading("New search");
        let searching = self.is_searching();
        match self.launch.ui(ui, !searching) {
            Some(LaunchAction::Start) => self.start(ctx),
            Some(LaunchAction::BrowseSpace) => self.open_dialog(DialogPurpose::SpaceFile, ctx),
            None => {}
        }
        ui.separator();
        ui.heading("Run");
        self.run_controls(ui, ctx);
        ui.separator();
        ui.heading("Open a run");
        self.open_controls(ui, ctx);
        ui.separator();
        ui.heading("Export selected");
        let run_dir = self.run.as_ref().map(|r| r.dir.clone());
        match self
            .export
            .ui(ui, self.population.selected().len(), run_dir.as_deref())
        {
            Some(action @ (ExportAction::Save | ExportAction::Replace)) => {
                let rows = self.population.selected_rows();
                let config = self.run.as_ref().and_then(|r| r.config.as_ref());
                let replace = action == ExportAction::Replace;
                if let Ok(path) = self.export.save(&rows, config, replace) {
                    self.log.push(format!("exported to {}", path.display()));
                }
            }
            Some(ExportAction::Browse) => self.open_dialog(DialogPurpose::ExportFile, ctx),
            None => {}
        }
        ui.separator();
        ui.collapsing("Activity", |ui| {
            for line in self.log.iter().rev().take(40) {
                ui.add(egui::Label::new(egui::RichText::new(line).small()).wrap());
            }
        });
    }

    fn run_controls(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
        let (searching, stopping) = match &self.session {
            Session::Searching { stopping, .. } => (true, stopping.is_some()),
            _ => (false, false),
        };
        let resumable = !searching
            && self
                .run
                .as_ref()
                .is_some_and(|r| r.config.is_some() && r.finished.is_none());
        ui.horizontal(|ui| {
            if ui
                .add_enabled(searching && !stopping, egui::Button::new("Pause"))
                .on_hover_text("stop after the batch in flight; Resume continues")
                .clicked()
            {
                self.pause();
            }
            if ui
                .add_enabled(searching, egui::Button::new("Stop"))
                .on_hover_text(
                    "stop after the batch in flight; the run stays resumable (Resume, `radact resume`)",
                )
                .clicked()
            {
                self.stop();
            }
            let live = self.is_live();
            if ui
                .add_enabled(resumable && !live, egui::Button::new("Resume"))
                .on_hover_text(if live {
                    "another process is writing this run"
                } else {
                    "continue the open run from its checkpoint (make sure no other process is writing it)"
                })
                .clicked()
            {
                self.resume(ctx);
            }
        });
        if let Some(run) = &self.run {
            if let Some(config) = &run.config {
                ui.label(format!(
                    "space {}, seed {}, main objective {}",
                    config.space.name,
                    config.seed,
                    config.space.main_objective()
                ));
            }
            if let Some(report) = &run.final_report {
                ui.collapsing("Final check", |ui| {
                    ui.add(egui::Label::new(
                        egui::RichText::new(report.table()).monospace(),
                    ));
                });
            }
        }
    }

    fn open_controls(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
        let searching = self.is_searching();
        ui.horizontal(|ui| {
            let label = ui.label("Directory");
            ui.add(
                egui::TextEdit::singleline(&mut self.open_path)
                    .hint_text("runs/NAME")
                    .desired_width(140.0),
            )
            .labelled_by(label.id);
            if ui
                .add_enabled(!searching, egui::Button::new("Open"))
                .clicked()
            {
                let dir = PathBuf::from(self.open_path.trim());
                self.open_run(&dir, ctx);
            }
            if cfg!(feature = "file-dialog") && ui.button("Browse…").clicked() {
                self.open_dialog(DialogPurpose::RunDir, ctx);
            }
        });
        ui.horizontal(|ui| {
            ui.label(format!("Runs in {}/", self.runs_root.display()));
            if ui.small_button("Refresh").clicked() {
                self.refresh_runs(ctx);
            }
        });
        let mut open = None;
        match &self.runs {
            None => {
                ui.weak("listing…");
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            Some(Ok(runs)) if runs.is_empty() => {
                ui.weak("none yet");
            }
            Some(Ok(runs)) => {
                for r in runs {
                    let state = match &r.writer {
                        Some(_) => "live".to_string(),
                        None => r.state.to_string(),
                    };
                    let text = format!("{}  {}/{} {state}", r.name, r.trained, r.evaluations);
                    let current = self.run.as_ref().is_some_and(|o| o.dir == r.dir);
                    if ui
                        .add_enabled(!searching, egui::Button::selectable(current, text))
                        .clicked()
                    {
                        open = Some(r.dir.clone());
                    }
                }
            }
        }
        if let Some(dir) = open {
            self.open_run(&dir, ctx);
        }
    }

    fn details_panel(&mut self, ui: &mut egui::Ui) {
        let selected = self.population.selected_rows();
        match selected.last() {
            Some(row) => details::ui(ui, row),
            None => {
                ui.weak("Select a candidate in the table (Ctrl-click to select several).");
            }
        }
        ui.separator();
        self.graph.ui(ui);
    }

    fn plots_panel(&mut self, ui: &mut egui::Ui) {
        // Fill the panel, so that its height is the one the user dragged, not the content's.
        ui.set_min_height(ui.available_height());
        self.curves.controls(ui);
        let height = (ui.available_height() - 40.0).max(120.0);
        let population = &self.population;
        let (curves, progress, pareto) = (&self.curves, &self.progress, &mut self.pareto);
        let mut clicked = None;
        ui.columns(4, |cols| {
            curves.plot(&mut cols[0], false, height);
            curves.plot(&mut cols[1], true, height);
            progress.plot(&mut cols[2], height);
            clicked = pareto.ui(
                &mut cols[3],
                population.rows(),
                population.selected(),
                height,
            );
        });
        if let Some(id) = clicked {
            let toggle = crate::population::click_toggles(ui);
            self.population.select(id, toggle);
            self.update_views();
        }
    }
}

impl eframe::App for RadactApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}
