//! The app's panels: the status bar with the errors, the control panel (launch, run controls,
//! the run list, export, activity), the details of the selected candidate with its graph, and
//! the plots. They draw the app's state and turn clicks into commands of [`RadactApp`]; what a
//! command does in each state is the session's business (`session.rs`).

use crate::app::RadactApp;
use crate::details;
use crate::dialog::DialogPurpose;
use crate::export::ExportAction;
use crate::launch::LaunchAction;
use crate::session::Command;
use std::path::PathBuf;

impl RadactApp {
    /// Lays the panels out in `ui`.
    pub(crate) fn panels(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
        egui::Panel::top("status-bar").show(ui, |ui| self.status_bar(ui));
        egui::Panel::left("control-panel")
            .resizable(true)
            .default_size(310.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.control_panel(ui, ctx));
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

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("radact");
            ui.separator();
            ui.label(self.status());
        });
        let mut dismiss = None;
        for (i, e) in self.session.errors().iter().enumerate() {
            ui.horizontal(|ui| {
                if ui.small_button("✖").on_hover_text("dismiss").clicked() {
                    dismiss = Some(i);
                }
                ui.colored_label(ui.visuals().error_fg_color, e);
            });
        }
        if let Some(i) = dismiss {
            self.session.dismiss_error(i);
        }
    }

    fn control_panel(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
        if self.dialog.is_open() {
            ui.horizontal(|ui| {
                ui.label("A file dialog is open…");
                if ui.small_button("Cancel").clicked() {
                    self.dialog.cancel();
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
        self.export_controls(ui, ctx);
        ui.separator();
        ui.collapsing("Activity", |ui| {
            for line in self.session.log().iter().rev().take(40) {
                ui.add(egui::Label::new(egui::RichText::new(line).small()).wrap());
            }
        });
    }

    fn run_controls(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
        let session = &self.session;
        let (can_pause, can_stop, can_resume) = (
            session.can_pause(),
            session.can_stop(),
            session.can_resume(),
        );
        let (live, can_close) = (
            session.is_live(),
            session.run().is_some() && !session.is_searching(),
        );
        ui.horizontal(|ui| {
            if ui
                .add_enabled(can_pause, egui::Button::new("Pause"))
                .on_hover_text("stop after the batch in flight; Resume continues")
                .clicked()
            {
                self.command(Command::Pause, ctx);
            }
            if ui
                .add_enabled(can_stop, egui::Button::new("Stop"))
                .on_hover_text(
                    "stop after the batch in flight; the run stays resumable (Resume, `radact resume`)",
                )
                .clicked()
            {
                self.command(Command::Stop, ctx);
            }
            if ui
                .add_enabled(can_resume, egui::Button::new("Resume"))
                .on_hover_text(if live {
                    "another process is writing this run"
                } else {
                    "continue the open run from its checkpoint (make sure no other process is writing it)"
                })
                .clicked()
            {
                self.command(Command::Resume, ctx);
            }
            if ui
                .add_enabled(can_close, egui::Button::new("Close"))
                .on_hover_text("close the open run")
                .clicked()
            {
                self.command(Command::Close, ctx);
            }
        });
        if let Some(run) = self.session.run() {
            if let Some(config) = &run.config {
                ui.label(format!(
                    "space {}, seed {}, main objective {}",
                    config.space.name,
                    config.seed,
                    config.space.main_objective()
                ));
            }
            if let Some(status) = &run.dispatch {
                // A search trained by `radact worker`s: its queue after the last batch.
                ui.collapsing(format!("Workers: {}", status.summary()), |ui| {
                    ui.add(egui::Label::new(
                        egui::RichText::new(status.worker_lines().join("\n")).monospace(),
                    ));
                });
            }
            if let Some(report) = &run.final_report {
                // One verdict line per checked candidate, always visible; the full table below.
                for verdict in report.verdicts() {
                    let line = format!("verdict: {verdict}");
                    if verdict.better() {
                        ui.colored_label(ui.visuals().hyperlink_color, line);
                    } else {
                        ui.label(line);
                    }
                }
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
                    let current = self.run_dir() == Some(r.dir.as_path());
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

    fn export_controls(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
        let run_dir = self.run_dir().map(PathBuf::from);
        match self
            .export
            .ui(ui, self.population.selected().len(), run_dir.as_deref())
        {
            Some(action @ (ExportAction::Save | ExportAction::Replace)) => {
                let rows = self.population.selected_rows();
                let config = self.session.run().and_then(|r| r.config.as_ref());
                let replace = action == ExportAction::Replace;
                if let Ok(path) = self.export.save(&rows, config, replace) {
                    self.session.note(format!("exported to {}", path.display()));
                }
            }
            Some(ExportAction::Browse) => {
                let format = self.export.format;
                let purpose = DialogPurpose::ExportFile {
                    label: format.label(),
                    extension: format.extension(),
                };
                self.open_dialog(purpose, ctx);
            }
            None => {}
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
        let (curves, progress, pareto) = (&self.curves, &mut self.progress, &mut self.pareto);
        let samples = &self.samples;
        let mut clicked = None;
        // A GAN candidate's generated samples come next to its f(x) and g(x).
        let shift = usize::from(samples.shown());
        ui.columns(4 + shift, |cols| {
            curves.plot(&mut cols[0], false, height);
            curves.plot(&mut cols[1], true, height);
            if samples.shown() {
                samples.plot(&mut cols[2], height);
            }
            progress.plot(&mut cols[2 + shift], height);
            clicked = pareto.ui(
                &mut cols[3 + shift],
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
