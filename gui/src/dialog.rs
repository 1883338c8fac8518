//! [`FileDialog`]: the native file dialog (through the XDG desktop portal on Linux), run on its
//! own thread so that the UI never waits for it, and what its answer is for. Builds without the
//! `file-dialog` feature have none: typing the path works everywhere.

use crate::job::{Job, Poll};
use std::path::{Path, PathBuf};

/// What a file dialog is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogPurpose {
    /// A search space file to load.
    SpaceFile,
    /// A run directory to open.
    RunDir,
    /// The file to export to, with its filter (the format's label and extension).
    ExportFile {
        /// The format's name, for the filter.
        label: &'static str,
        /// The format's extension.
        extension: &'static str,
    },
}

/// What [`FileDialog::poll`] found.
#[derive(Debug, PartialEq)]
pub enum DialogAnswer {
    /// The user chose a path for this purpose.
    Chosen(DialogPurpose, PathBuf),
    /// The user cancelled (or no portal answered).
    Cancelled,
    /// The dialog's thread failed.
    Failed,
}

/// At most one open file dialog.
#[derive(Debug, Default)]
pub struct FileDialog {
    open: Option<(DialogPurpose, Job<Option<PathBuf>>)>,
}

impl FileDialog {
    /// Whether a dialog is open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Forgets the open dialog: its thread finishes on its own and its answer is dropped.
    pub fn cancel(&mut self) {
        self.open = None;
    }

    /// Opens a dialog for `purpose` (not when one is open already); `runs_root` is where run
    /// directories are looked for. Without dialogs in this build, says so.
    pub fn open(
        &mut self,
        purpose: DialogPurpose,
        runs_root: &Path,
        ctx: &egui::Context,
    ) -> Result<(), String> {
        if self.open.is_none() {
            self.open = Some((purpose, spawn(purpose, runs_root, ctx)?));
        }
        Ok(())
    }

    /// The answer of the open dialog, once there is one.
    pub fn poll(&mut self) -> Option<DialogAnswer> {
        let (purpose, job) = self.open.as_ref()?;
        let answer = match job.poll() {
            Poll::Pending => return None,
            Poll::Ready(Some(path)) => DialogAnswer::Chosen(*purpose, path),
            Poll::Ready(None) => DialogAnswer::Cancelled,
            Poll::Lost => DialogAnswer::Failed,
        };
        self.open = None;
        Some(answer)
    }
}

/// The chosen path, once the dialog closes.
type Answer = Job<Option<PathBuf>>;

/// Shows the native dialog for `purpose` on its own thread.
#[cfg(feature = "file-dialog")]
fn spawn(purpose: DialogPurpose, runs_root: &Path, ctx: &egui::Context) -> Result<Answer, String> {
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
        DialogPurpose::RunDir => Box::pin(dialog.set_directory(runs_root).pick_folder()),
        DialogPurpose::ExportFile { label, extension } => {
            Box::pin(dialog.add_filter(label, &[extension]).save_file())
        }
    };
    Ok(Job::spawn(ctx, move || {
        pollster::block_on(future).map(|h| h.path().to_path_buf())
    }))
}

/// This build has no file dialogs.
#[cfg(not(feature = "file-dialog"))]
fn spawn(_: DialogPurpose, _: &Path, _: &egui::Context) -> Result<Answer, String> {
    Err("this build has no file dialogs: type the path".into())
}
