//! [`ExportPanel`]: writes the selected candidates to a file in one of the library's export
//! formats ([`radact::export::Format`]: RON records that `radact train --act-file` reads back,
//! Rust, PyTorch, NumPy or JAX code).

use crate::row::Row;
use radact::export::{ExportedActivation, Format};
use radact::run::{write_new, RunConfig};
use std::path::{Path, PathBuf};

/// The export records of `rows`, candidates of the run configured by `config`: the library's
/// ([`ExportedActivation::of_candidate`]), the same `radact export` writes.
pub fn records(
    rows: &[&Row],
    config: Option<&RunConfig>,
) -> Result<Vec<ExportedActivation>, String> {
    let config = config.ok_or("the run's configuration is not read yet")?;
    rows.iter()
        .map(|row| ExportedActivation::of_candidate(config, &row.record).map_err(|e| e.to_string()))
        .collect()
}

/// What the user asked for in the export panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportAction {
    /// Write the file (an existing file is not replaced: the panel asks first).
    Save,
    /// Replace the existing file the panel asked about.
    Replace,
    /// Choose the file with a dialog.
    Browse,
}

/// The export panel's state.
#[derive(Debug)]
pub struct ExportPanel {
    /// Chosen format.
    pub format: Format,
    /// Destination file.
    pub path: String,
    /// Whether the user edited the path (else it follows the run and the format).
    custom_path: bool,
    /// The outcome of the last export.
    pub message: Option<Result<String, String>>,
    /// The file the last export would have replaced: the panel asks before replacing it.
    pub confirm_replace: Option<PathBuf>,
}

impl Default for ExportPanel {
    fn default() -> Self {
        ExportPanel {
            format: Format::Ron,
            path: String::new(),
            custom_path: false,
            message: None,
            confirm_replace: None,
        }
    }
}

impl ExportPanel {
    /// Points the default destination at `run_dir/exports/selected.<ext>`.
    pub fn follow_run(&mut self, run_dir: Option<&Path>) {
        if self.custom_path {
            return;
        }
        let base = run_dir.map_or_else(|| PathBuf::from("."), |d| d.join("exports"));
        self.path = base
            .join(self.format.file_name("selected"))
            .display()
            .to_string();
    }

    /// Sets the destination (from a file dialog).
    pub fn set_path(&mut self, path: &Path) {
        self.path = path.display().to_string();
        self.custom_path = true;
    }

    /// Writes `rows` to the destination atomically; the result is also kept for the panel to
    /// show. An existing file is replaced only with `replace` (after the panel asked).
    pub fn save(
        &mut self,
        rows: &[&Row],
        config: Option<&RunConfig>,
        replace: bool,
    ) -> Result<PathBuf, String> {
        self.confirm_replace = None;
        let result = (|| {
            if rows.is_empty() {
                return Err("select candidates to export first".to_string());
            }
            let path = PathBuf::from(self.path.trim());
            if path.as_os_str().is_empty() {
                return Err("choose a file to export to".to_string());
            }
            let text = self.format.render(&records(rows, config)?);
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            write_new(&path, text.as_bytes(), replace).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    self.confirm_replace = Some(path.clone());
                    format!("{} exists: replace it?", path.display())
                } else {
                    format!("cannot write {}: {e}", path.display())
                }
            })?;
            Ok(path)
        })();
        self.message = Some(match &result {
            Ok(path) => Ok(format!(
                "wrote {} candidate(s) to {}",
                rows.len(),
                path.display()
            )),
            Err(e) => Err(e.clone()),
        });
        result
    }

    /// Shows the panel; `selected` is the number of selected candidates.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        selected: usize,
        run_dir: Option<&Path>,
    ) -> Option<ExportAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            let before = self.format;
            for f in Format::ALL {
                ui.radio_value(&mut self.format, f, f.label());
            }
            if self.format != before {
                if self.custom_path {
                    let path =
                        PathBuf::from(self.path.trim()).with_extension(self.format.extension());
                    self.path = path.display().to_string();
                } else {
                    self.follow_run(run_dir);
                }
            }
        });
        ui.horizontal(|ui| {
            let label = ui.label("To");
            let edit = ui.add(
                egui::TextEdit::singleline(&mut self.path)
                    .hint_text("exports/selected.ron")
                    .desired_width(180.0),
            );
            if edit.labelled_by(label.id).changed() {
                self.custom_path = true;
            }
            if cfg!(feature = "file-dialog") && ui.button("Save as…").clicked() {
                action = Some(ExportAction::Browse);
            }
        });
        let text = format!("Export {selected} selected");
        if ui
            .add_enabled(selected > 0, egui::Button::new(text))
            .clicked()
        {
            action = Some(ExportAction::Save);
        }
        if self.confirm_replace.is_some() {
            ui.horizontal(|ui| {
                if ui.button("Replace").clicked() {
                    action = Some(ExportAction::Replace);
                }
                if ui.button("Keep the file").clicked() {
                    self.confirm_replace = None;
                    self.message = Some(Ok("export cancelled: the file was kept".into()));
                }
            });
        }
        match &self.message {
            Some(Ok(m)) => {
                ui.label(m);
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            None => {}
        }
        action
    }
}
