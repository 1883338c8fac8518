//! [`Progress`]: how the search improves: the main objective of every trained candidate
//! against the number of evaluations, the best so far, and the median of a moving window of
//! recent candidates (the population the search is breeding from).

use crate::row::Row;
use egui::Color32;
use egui_plot::{Legend, Line, Plot, PlotPoints, Points};
use radact::search::{AlgorithmConfig, Objective, SearchSpace};
use radact::train::median;

/// Window of the moving median when the algorithm has no population size.
pub const DEFAULT_WINDOW: usize = 20;

/// The progress series of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProgressSeries {
    /// Evaluation number (candidates trained or failed so far) of each trained candidate.
    pub evaluations: Vec<f64>,
    /// Its main objective value.
    pub values: Vec<f64>,
    /// Best value up to and including it.
    pub best: Vec<f64>,
    /// Median of the last `window` values up to and including it.
    pub median: Vec<f64>,
}

impl ProgressSeries {
    /// Computes the series from the rows (any order) for `objective`, with a moving median
    /// over `window` candidates.
    pub fn compute(rows: &[Row], objective: Objective, window: usize) -> ProgressSeries {
        let mut sorted: Vec<&Row> = rows.iter().collect();
        sorted.sort_by_key(|r| r.id());
        let maximise = objective.maximise();
        let mut s = ProgressSeries::default();
        let mut evaluated = 0usize;
        let mut best: Option<f64> = None;
        for row in sorted {
            let counts = matches!(row.status(), "trained" | "failed");
            if counts {
                evaluated += 1;
            }
            let Some(value) = row.main.filter(|_| row.is_trained()) else {
                continue;
            };
            best = Some(match best {
                Some(b) if (maximise && b >= value) || (!maximise && b <= value) => b,
                _ => value,
            });
            s.evaluations.push(evaluated as f64);
            s.values.push(value);
            s.best.push(best.unwrap_or(value));
            let from = s.values.len().saturating_sub(window.max(1));
            s.median.push(median(&s.values[from..]).unwrap_or(value));
        }
        s
    }
}

/// The window of the moving median for a space: its population size.
pub fn window_of(space: &SearchSpace) -> usize {
    match space.algorithm {
        AlgorithmConfig::RegularizedEvolution { population, .. }
        | AlgorithmConfig::Nsga2 { population } => population,
        _ => DEFAULT_WINDOW,
    }
}

/// The progress plot, recomputed when the population changes.
#[derive(Debug, Default)]
pub struct Progress {
    series: ProgressSeries,
    objective: Option<Objective>,
    window: usize,
    version: Option<u64>,
}

impl Progress {
    /// Recomputes the series if the population (`version`) or the objective changed.
    pub fn update(&mut self, rows: &[Row], version: u64, objective: Objective, window: usize) {
        if self.version == Some(version)
            && self.objective == Some(objective)
            && self.window == window
        {
            return;
        }
        self.series = ProgressSeries::compute(rows, objective, window);
        self.objective = Some(objective);
        self.window = window;
        self.version = Some(version);
    }

    /// The current series.
    pub fn series(&self) -> &ProgressSeries {
        &self.series
    }

    /// Shows the plot.
    pub fn plot(&self, ui: &mut egui::Ui, height: f32) {
        let name = self.objective.map_or("score", Objective::label);
        ui.label(egui::RichText::new(format!("Progress: {name}")).strong());
        let s = &self.series;
        let pairs = |ys: &[f64]| -> PlotPoints<'static> {
            s.evaluations
                .iter()
                .zip(ys)
                .map(|(&x, &y)| [x, y])
                .collect()
        };
        Plot::new("progress-plot")
            .height(height)
            .legend(
                Legend::default()
                    .position(egui_plot::Corner::RightBottom)
                    .text_style(egui::TextStyle::Small)
                    .background_alpha(0.6),
            )
            .x_axis_label("evaluations")
            .show(ui, |plot| {
                plot.points(
                    Points::new("candidates", pairs(&s.values))
                        .color(Color32::from_gray(150))
                        .radius(1.5),
                );
                plot.line(
                    Line::new(format!("median of last {}", self.window), pairs(&s.median))
                        .color(Color32::from_rgb(255, 127, 14))
                        .width(1.5),
                );
                plot.line(
                    Line::new("best", pairs(&s.best))
                        .color(Color32::from_rgb(44, 160, 44))
                        .width(2.0),
                );
            });
    }
}
