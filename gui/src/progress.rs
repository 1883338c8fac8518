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
    /// Whether larger values are better.
    pub maximise: bool,
}

impl ProgressSeries {
    /// Computes the series from the rows (any order) for `objective`, with a moving median
    /// over `window` candidates.
    pub fn compute(rows: &[Row], objective: Objective, window: usize) -> ProgressSeries {
        let mut sorted: Vec<&Row> = rows.iter().collect();
        sorted.sort_by_key(|r| r.id());
        let maximise = objective.maximise();
        let mut s = ProgressSeries {
            maximise,
            ..ProgressSeries::default()
        };
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

    /// The range of values the plot's axis shows: from the 10th percentile of the candidates
    /// (the 90th when smaller is better) or the lowest point of the moving median, whichever is
    /// further out, to the best, padded by 5%. A few failed or degenerate candidates far from
    /// the population then fall outside the view instead of squashing the population's band
    /// into a line. `None` without values.
    pub fn band(&self) -> Option<(f64, f64)> {
        let mut sorted: Vec<f64> = self
            .values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        let medians = self.median.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = if self.maximise {
            let lo = medians.fold(at(0.1), f64::min);
            (lo, sorted[sorted.len() - 1])
        } else {
            let hi = medians.fold(at(0.9), f64::max);
            (sorted[0], hi)
        };
        let pad = ((hi - lo) * 0.05)
            .max(hi.abs().max(lo.abs()) * 1e-3)
            .max(1e-9);
        Some((lo - pad, hi + pad))
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
    /// The user zoomed or dragged the plot: its axis no longer follows the band.
    user_moved: bool,
    /// The series' band ([`ProgressSeries::band`]), computed with the series.
    band: Option<(f64, f64)>,
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
        self.band = self.series.band();
        self.objective = Some(objective);
        self.window = window;
        self.version = Some(version);
    }

    /// The current series.
    pub fn series(&self) -> &ProgressSeries {
        &self.series
    }

    /// Shows the plot.
    pub fn plot(&mut self, ui: &mut egui::Ui, height: f32) {
        let follow = !self.user_moved;
        let band = self.band;
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
        let shown = Plot::new("progress-plot")
            .height(height)
            .legend(
                Legend::default()
                    .position(egui_plot::Corner::RightBottom)
                    .text_style(egui::TextStyle::Small)
                    .background_alpha(0.6),
            )
            .x_axis_label("evaluations")
            .show(ui, |plot| {
                // The axis follows the population's band until the user zooms or drags
                // (a double-click gives it back).
                if let (Some((lo, hi)), true) = (band, follow) {
                    plot.set_plot_bounds_y(lo..=hi);
                }
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
        let response = &shown.response;
        let zoomed = response.hovered()
            && ui.input(|i| i.smooth_scroll_delta != egui::Vec2::ZERO || i.zoom_delta() != 1.0);
        if response.double_clicked() {
            self.user_moved = false;
        } else if response.dragged() || zoomed {
            self.user_moved = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64], maximise: bool) -> ProgressSeries {
        ProgressSeries {
            evaluations: (1..=values.len()).map(|i| i as f64).collect(),
            values: values.to_vec(),
            best: Vec::new(),
            median: Vec::new(),
            maximise,
        }
    }

    #[test]
    fn the_band_leaves_out_a_few_failed_candidates_far_below() {
        // 18 candidates between 0.96 and 0.98, two degenerate ones at 0.1.
        let mut values: Vec<f64> = (0..18).map(|i| 0.96 + f64::from(i) * 0.02 / 17.0).collect();
        values.extend([0.1, 0.1]);
        let (lo, hi) = series(&values, true).band().unwrap();
        assert!(lo > 0.9 && lo < 0.96, "{lo}");
        assert!(hi > 0.98 && hi < 0.99, "{hi}");
    }

    #[test]
    fn when_smaller_is_better_the_band_leaves_out_the_outliers_above() {
        let mut values: Vec<f64> = (0..18).map(|i| 0.2 + f64::from(i) * 0.01).collect();
        values.extend([9.0, 12.0]);
        let (lo, hi) = series(&values, false).band().unwrap();
        assert!(lo < 0.2 && lo > 0.15, "{lo}");
        assert!(hi < 1.0, "{hi}");
    }

    #[test]
    fn the_band_holds_the_moving_median_and_is_never_empty() {
        let mut s = series(&[0.5, 0.5, 0.5], true);
        let (lo, hi) = s.band().unwrap();
        assert!(lo < 0.5 && hi > 0.5);
        s.median = vec![0.3];
        assert!(s.band().unwrap().0 < 0.3);
        assert_eq!(series(&[], true).band(), None);
        assert_eq!(series(&[f64::NAN], true).band(), None);
    }
}
