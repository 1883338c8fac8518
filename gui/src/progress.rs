//! [`Progress`]: how the search improves: the main objective of every trained candidate
//! against the number of evaluations (coloured by the rung of the multi-fidelity ladder its
//! value comes from), the best so far, and the median of a moving window of recent candidates
//! (the population the search is breeding from).

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
    /// The rung its value comes from (its highest; 0 without a ladder).
    pub rungs: Vec<u32>,
    /// Best value up to and including it, ranked as selection ranks: a higher rung first (its
    /// value comes from a larger budget), then the value.
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
        let candidates = sorted.into_iter().map(|row| Candidate {
            evaluated: matches!(row.status(), "trained" | "failed"),
            value: row.main.filter(|_| row.is_trained()),
            rung: row.rung(),
        });
        Self::from_candidates(candidates, objective.maximise(), window)
    }

    /// Computes the series from candidates in proposal order.
    fn from_candidates(
        candidates: impl IntoIterator<Item = Candidate>,
        maximise: bool,
        window: usize,
    ) -> ProgressSeries {
        let mut s = ProgressSeries {
            maximise,
            ..ProgressSeries::default()
        };
        let mut evaluated = 0usize;
        let mut best: Option<(u32, f64)> = None;
        for Candidate {
            evaluated: counts,
            value,
            rung,
        } in candidates
        {
            if counts {
                evaluated += 1;
            }
            let Some(value) = value else {
                continue;
            };
            let better = |(best_rung, b): (u32, f64)| {
                rung > best_rung
                    || (rung == best_rung && ((maximise && value > b) || (!maximise && value < b)))
            };
            let now = match best {
                Some(b) if !better(b) => b,
                _ => (rung, value),
            };
            best = Some(now);
            s.evaluations.push(evaluated as f64);
            s.values.push(value);
            s.rungs.push(rung);
            s.best.push(now.1);
            let from = s.values.len().saturating_sub(window.max(1));
            s.median.push(median(&s.values[from..]).unwrap_or(value));
        }
        s
    }

    /// The highest rung among the points (0 without a ladder).
    pub fn top_rung(&self) -> u32 {
        self.rungs.iter().copied().max().unwrap_or(0)
    }

    /// The points `[evaluation, value]` of each rung present, lowest rung first.
    pub fn points_by_rung(&self) -> Vec<(u32, Vec<[f64; 2]>)> {
        let mut by_rung: Vec<(u32, Vec<[f64; 2]>)> = Vec::new();
        for ((&x, &y), &rung) in self.evaluations.iter().zip(&self.values).zip(&self.rungs) {
            match by_rung.iter_mut().find(|(r, _)| *r == rung) {
                Some((_, points)) => points.push([x, y]),
                None => by_rung.push((rung, vec![[x, y]])),
            }
        }
        by_rung.sort_by_key(|(r, _)| *r);
        by_rung
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

/// What the series needs of one candidate.
struct Candidate {
    /// It was trained or failed (it counts as an evaluation).
    evaluated: bool,
    /// Its main objective, when trained.
    value: Option<f64>,
    /// The rung the value comes from.
    rung: u32,
}

/// The colour of a rung's points: grey for rung 0 (every candidate), then blue, purple, red
/// for candidates promoted once, twice, three times.
const RUNG_COLOURS: [Color32; 4] = [
    Color32::from_gray(150),
    Color32::from_rgb(31, 119, 180),
    Color32::from_rgb(148, 103, 189),
    Color32::from_rgb(214, 39, 40),
];

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
                for (rung, points) in s.points_by_rung() {
                    let name = match (rung, s.top_rung()) {
                        (_, 0) => "candidates".to_string(),
                        (0, _) => "rung 0".to_string(),
                        (k, _) => format!("rung {k} (promoted)"),
                    };
                    plot.points(
                        Points::new(name, points)
                            .color(RUNG_COLOURS[rung as usize % RUNG_COLOURS.len()])
                            .radius(if rung == 0 { 1.5 } else { 2.5 }),
                    );
                }
                plot.line(
                    Line::new(format!("median of last {}", self.window), pairs(&s.median))
                        .color(Color32::from_rgb(255, 127, 14))
                        .width(1.5),
                );
                plot.line(
                    Line::new(
                        if s.top_rung() > 0 {
                            "best (highest rung first)"
                        } else {
                            "best"
                        },
                        pairs(&s.best),
                    )
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
            rungs: vec![0; values.len()],
            best: Vec::new(),
            median: Vec::new(),
            maximise,
        }
    }

    fn trained(value: f64, rung: u32) -> Candidate {
        Candidate {
            evaluated: true,
            value: Some(value),
            rung,
        }
    }

    #[test]
    fn the_best_line_ranks_a_higher_rung_first_and_points_are_grouped_by_rung() {
        let failed = Candidate {
            evaluated: true,
            value: None,
            rung: 0,
        };
        let candidates = [
            trained(0.80, 0),
            trained(0.84, 0),
            failed,
            // Promoted: a larger budget, a lower value, but it now leads (selection's order).
            trained(0.83, 1),
            trained(0.90, 0),
            trained(0.85, 1),
        ];
        let s = ProgressSeries::from_candidates(candidates, true, 20);
        assert_eq!(s.best, vec![0.80, 0.84, 0.83, 0.83, 0.85]);
        assert_eq!(s.evaluations, vec![1.0, 2.0, 4.0, 5.0, 6.0]);
        assert_eq!(s.top_rung(), 1);
        let by_rung = s.points_by_rung();
        assert_eq!(by_rung.len(), 2);
        assert_eq!(by_rung[0].0, 0);
        assert_eq!(by_rung[0].1, vec![[1.0, 0.80], [2.0, 0.84], [5.0, 0.90]]);
        assert_eq!(by_rung[1], (1, vec![[4.0, 0.83], [6.0, 0.85]]));
        // Smaller is better: the same rule with the order reversed.
        let s = ProgressSeries::from_candidates(
            [trained(0.5, 0), trained(0.4, 0), trained(0.6, 1)],
            false,
            20,
        );
        assert_eq!(s.best, vec![0.5, 0.4, 0.6]);
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
