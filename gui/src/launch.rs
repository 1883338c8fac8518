//! [`LaunchSettings`]: the launch panel. Choose a search space (a file in `search-spaces/`, a
//! space built into radact, or any file by path or dialog), edit the key settings (run name,
//! budget, seeds, threads, dataset), and build the run configuration that Start hands to the
//! worker. A space that does not load shows its error (file:line:column) in the panel.

use radact::run::{check_name, default_name, RunConfig};
use radact::search::space::SHIPPED_SPACES;
use radact::search::SearchSpace;
use radact::train::{DatasetSpec, DEFAULT_FASHION_MNIST_DIR};
use std::path::{Path, PathBuf};

/// Where the loaded space came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpaceSource {
    /// A space built into radact, by name.
    Builtin(String),
    /// A file.
    File(PathBuf),
}

impl SpaceSource {
    fn label(&self) -> String {
        match self {
            SpaceSource::Builtin(name) => format!("{name} (built in)"),
            SpaceSource::File(path) => path.display().to_string(),
        }
    }
}

/// The dataset candidates are trained on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatasetChoice {
    /// scikit-learn's DIGITS (embedded).
    Digits,
    /// Fashion-MNIST from a directory of IDX files.
    FashionMnist,
    /// The GAN ring (a GAN task: its space's objectives must be GAN scores).
    GanRing,
}

/// What the user asked for in the launch panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaunchAction {
    /// Start a new search with these settings.
    Start,
    /// Open the file dialog to pick a space file.
    BrowseSpace,
}

/// The launch panel's state.
#[derive(Debug)]
pub struct LaunchSettings {
    /// Directory scanned for space files (`search-spaces/`).
    spaces_dir: PathBuf,
    /// Space files found there.
    space_files: Vec<PathBuf>,
    /// The path typed in the file field.
    pub path: String,
    /// The loaded space, or why it could not be loaded.
    space: Result<(SpaceSource, SearchSpace), String>,
    /// Run name (the directory under the runs folder).
    pub name: String,
    /// Candidates to train.
    pub budget: usize,
    /// Seed of the search.
    pub seed: u64,
    /// Training seeds, comma-separated.
    pub training_seeds: String,
    /// Training threads.
    pub threads: usize,
    /// The dataset.
    pub dataset: DatasetChoice,
    /// Fashion-MNIST directory.
    pub fashion_dir: String,
}

impl LaunchSettings {
    /// Settings with the first space found in `spaces_dir` (else the built-in default) loaded.
    pub fn new(spaces_dir: &Path) -> LaunchSettings {
        let mut s = LaunchSettings {
            spaces_dir: spaces_dir.to_path_buf(),
            space_files: Vec::new(),
            path: String::new(),
            space: Err("no search space loaded".into()),
            name: String::new(),
            budget: 1,
            seed: 0,
            training_seeds: String::new(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            dataset: DatasetChoice::Digits,
            fashion_dir: DEFAULT_FASHION_MNIST_DIR.to_string(),
        };
        s.rescan();
        let default = s
            .space_files
            .iter()
            .find(|p| p.file_stem().is_some_and(|n| n == "default"))
            .cloned();
        match default {
            Some(path) => s.load_file(&path),
            None => s.load_builtin("default"),
        }
        s
    }

    /// Lists the `.ron` files of the spaces directory again.
    pub fn rescan(&mut self) {
        self.space_files = std::fs::read_dir(&self.spaces_dir)
            .map(|entries| {
                let mut files: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "ron"))
                    .collect();
                files.sort();
                files
            })
            .unwrap_or_default();
    }

    /// Loads the space file at `path`; on error the panel shows why and Start is disabled.
    pub fn load_file(&mut self, path: &Path) {
        self.path = path.display().to_string();
        self.space = SearchSpace::load(path)
            .map(|s| (SpaceSource::File(path.to_path_buf()), s))
            .map_err(|e| e.to_string());
        self.adopt();
    }

    /// Loads a space built into radact.
    pub fn load_builtin(&mut self, name: &str) {
        self.space = SearchSpace::shipped(name)
            .map(|s| (SpaceSource::Builtin(name.to_string()), s))
            .ok_or_else(|| format!("no built-in search space `{name}`"));
        self.adopt();
    }

    /// Takes the settings of a newly loaded space.
    fn adopt(&mut self) {
        if let Ok((_, space)) = &self.space {
            self.name = default_name(&space.name);
            self.budget = space.evaluations;
            self.training_seeds = space
                .task
                .seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            match &space.task.dataset {
                DatasetSpec::Digits => self.dataset = DatasetChoice::Digits,
                DatasetSpec::FashionMnist { dir } => {
                    self.dataset = DatasetChoice::FashionMnist;
                    self.fashion_dir = dir.display().to_string();
                }
                DatasetSpec::GanRing => self.dataset = DatasetChoice::GanRing,
            }
        }
    }

    /// The loaded space, or the error that loading it gave.
    pub fn space(&self) -> Result<&SearchSpace, &str> {
        self.space.as_ref().map(|(_, s)| s).map_err(String::as_str)
    }

    /// The loading error, if the last load failed.
    pub fn error(&self) -> Option<&str> {
        self.space.as_ref().err().map(String::as_str)
    }

    /// Gives the run a fresh default name (after a start, so that the next one does not clash).
    pub fn renew_name(&mut self) {
        if let Ok((_, space)) = &self.space {
            self.name = default_name(&space.name);
        }
    }

    /// The directory and configuration of a new run under `runs_root`, or what is wrong with
    /// the settings.
    pub fn build(&self, runs_root: &Path) -> Result<(PathBuf, RunConfig), String> {
        let (_, space) = self
            .space
            .as_ref()
            .map_err(|e| format!("no valid search space: {e}"))?;
        let name = self.name.trim();
        check_name(name).map_err(|e| e.to_string())?;
        if self.budget == 0 {
            return Err("the budget must be at least 1".into());
        }
        if self.threads == 0 {
            return Err("threads must be at least 1".into());
        }
        let seeds = parse_seeds(&self.training_seeds)?;
        let mut space = space.clone();
        space.task.seeds = seeds;
        space.task.dataset = match self.dataset {
            DatasetChoice::Digits => DatasetSpec::Digits,
            DatasetChoice::FashionMnist => DatasetSpec::FashionMnist {
                dir: PathBuf::from(self.fashion_dir.trim()),
            },
            DatasetChoice::GanRing => DatasetSpec::GanRing,
        };
        space
            .validate()
            .map_err(|radact::search::space::FieldError { field, message }| {
                format!("invalid setting `{field}`: {message}")
            })?;
        let dir = runs_root.join(name);
        let occupied = std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some());
        if occupied {
            return Err(format!(
                "{} already exists: choose another run name, or open it to resume it",
                dir.display()
            ));
        }
        Ok((dir, RunConfig::new(name, space, self.seed, self.budget)))
    }

    /// Shows the panel; `can_start` is false while a search runs. Returns what was asked.
    pub fn ui(&mut self, ui: &mut egui::Ui, can_start: bool) -> Option<LaunchAction> {
        let mut action = None;
        let current = match &self.space {
            Ok((source, _)) => source.label(),
            Err(_) => "(none)".to_string(),
        };
        let mut chosen: Option<SpaceSource> = None;
        egui::ComboBox::from_label("Search space")
            .selected_text(current)
            .width(200.0)
            .show_ui(ui, |ui| {
                for path in &self.space_files {
                    let label = path.display().to_string();
                    if ui.selectable_label(false, label).clicked() {
                        chosen = Some(SpaceSource::File(path.clone()));
                    }
                }
                for (name, _) in SHIPPED_SPACES {
                    if ui
                        .selectable_label(false, format!("{name} (built in)"))
                        .clicked()
                    {
                        chosen = Some(SpaceSource::Builtin(name.to_string()));
                    }
                }
            });
        match chosen {
            Some(SpaceSource::File(path)) => self.load_file(&path),
            Some(SpaceSource::Builtin(name)) => self.load_builtin(&name),
            None => {}
        }
        ui.horizontal(|ui| {
            let label = ui.label("File");
            let edit = ui.add(
                egui::TextEdit::singleline(&mut self.path)
                    .hint_text("path/to/space.ron")
                    .desired_width(150.0),
            );
            edit.labelled_by(label.id);
            if ui.button("Load").clicked() {
                let path = PathBuf::from(self.path.trim());
                self.load_file(&path);
            }
            if cfg!(feature = "file-dialog") && ui.button("Browse…").clicked() {
                action = Some(LaunchAction::BrowseSpace);
            }
        });
        match &self.space {
            Ok((_, space)) => {
                if !space.description.is_empty() {
                    ui.weak(&space.description);
                }
            }
            Err(e) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
        }
        ui.add_space(4.0);
        egui::Grid::new("launch-settings")
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                let label = ui.label("Run name");
                ui.add(egui::TextEdit::singleline(&mut self.name).desired_width(170.0))
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Budget");
                ui.add(egui::DragValue::new(&mut self.budget).range(1..=1_000_000))
                    .labelled_by(label.id)
                    .on_hover_text("candidates to train");
                ui.end_row();
                let label = ui.label("Search seed");
                ui.add(egui::DragValue::new(&mut self.seed))
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Training seeds");
                ui.add(
                    egui::TextEdit::singleline(&mut self.training_seeds)
                        .hint_text("0, 1")
                        .desired_width(170.0),
                )
                .labelled_by(label.id)
                .on_hover_text("one network per seed and candidate");
                ui.end_row();
                let label = ui.label("Threads");
                ui.add(egui::DragValue::new(&mut self.threads).range(1..=256))
                    .labelled_by(label.id);
                ui.end_row();
                ui.label("Dataset");
                ui.horizontal(|ui| {
                    ui.radio_value(&mut self.dataset, DatasetChoice::Digits, "DIGITS");
                    ui.radio_value(
                        &mut self.dataset,
                        DatasetChoice::FashionMnist,
                        "Fashion-MNIST",
                    );
                    ui.radio_value(&mut self.dataset, DatasetChoice::GanRing, "GAN ring");
                });
                ui.end_row();
                if self.dataset == DatasetChoice::FashionMnist {
                    let label = ui.label("IDX directory");
                    ui.add(egui::TextEdit::singleline(&mut self.fashion_dir).desired_width(170.0))
                        .labelled_by(label.id);
                    ui.end_row();
                }
            });
        ui.add_space(4.0);
        let ready = can_start && self.space.is_ok();
        if ui
            .add_enabled(ready, egui::Button::new("Start"))
            .on_hover_text("start a new search into runs/<run name>")
            .clicked()
        {
            action = Some(LaunchAction::Start);
        }
        action
    }
}

/// Parses a comma- or space-separated list of seeds.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>, String> {
    let seeds: Vec<u64> = text
        .split([',', ' '])
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("training seed `{}` is not a whole number", s.trim()))
        })
        .collect::<Result<_, _>>()?;
    if seeds.is_empty() {
        return Err("at least one training seed is needed".into());
    }
    Ok(seeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_with_commas_or_spaces() {
        assert_eq!(parse_seeds("0, 1 2,3").unwrap(), [0, 1, 2, 3]);
        assert!(parse_seeds("  ").unwrap_err().contains("at least one"));
        assert!(parse_seeds("1, -2").unwrap_err().contains("`-2`"));
    }

    #[test]
    fn settings_build_a_run_config_and_reject_bad_ones() {
        let root = std::env::temp_dir().join("radact-gui-launch-test-none");
        let mut s = LaunchSettings::new(Path::new("/nonexistent"));
        assert_eq!(s.space().unwrap().name, "default");
        s.name = "demo".into();
        s.budget = 7;
        s.seed = 3;
        s.training_seeds = "5, 6".into();
        let (dir, config) = s.build(&root).unwrap();
        assert_eq!(dir, root.join("demo"));
        assert_eq!((config.evaluations, config.seed), (7, 3));
        assert_eq!(config.space.task.seeds, [5, 6]);
        s.name = "a/b".into();
        assert!(s.build(&root).unwrap_err().contains("plain directory name"));
        s.name = "demo".into();
        s.budget = 0;
        assert!(s.build(&root).unwrap_err().contains("budget"));
        s.load_builtin("nope");
        assert!(s.error().unwrap().contains("nope"));
        assert!(s.build(&root).is_err());
    }
}
