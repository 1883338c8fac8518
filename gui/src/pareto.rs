//! [`Pareto`]: a scatter of two chosen metrics over the trained candidates, with their
//! two-objective Pareto front drawn as a line and the selection highlighted. A click on a point
//! selects its candidate.

use crate::curves::PALETTE;
use crate::row::{Metric, Row};
use egui::Color32;
use egui_plot::{Legend, Line, MarkerShape, Plot, Points};
use radact::search::pareto::fronts;
use radact::search::Objective;

/// One candidate in the scatter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Candidate id.
    pub id: u64,
    /// Value on the x axis.
    pub x: f64,
    /// Value on the y axis.
    pub y: f64,
}

/// The trained candidates that have both metrics.
pub fn points(rows: &[Row], x: Metric, y: Metric) -> Vec<Point> {
    rows.iter()
        .filter(|r| r.is_trained())
        .filter_map(|r| {
            Some(Point {
                id: r.id(),
                x: r.metric(x)?,
                y: r.metric(y)?,
            })
        })
        .collect()
}

/// The non-dominated points for the two metrics' directions, ordered by x.
pub fn front(points: &[Point], x: Metric, y: Metric) -> Vec<Point> {
    // Scores where larger is better on both axes, sorted by the library's Pareto code.
    let scores: Vec<Vec<f64>> = points
        .iter()
        .map(|p| {
            vec![
                if x.maximise() { p.x } else { -p.x },
                if y.maximise() { p.y } else { -p.y },
            ]
        })
        .collect();
    let mut front: Vec<Point> = fronts(&scores)
        .first()
        .map(|f| f.iter().map(|&i| points[i]).collect())
        .unwrap_or_default();
    front.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    front
}

/// The scatter's axes.
#[derive(Debug)]
pub struct Pareto {
    /// Metric on the x axis.
    pub x: Metric,
    /// Metric on the y axis.
    pub y: Metric,
}

impl Default for Pareto {
    fn default() -> Self {
        Pareto {
            x: Metric::Objective(Objective::Cost),
            y: Metric::Objective(Objective::ValidationAccuracy),
        }
    }
}

impl Pareto {
    /// Keeps the axes to metrics a run of this kind measures (`gan`: a GAN run, else a
    /// classification run): an axis showing a metric the run does not have becomes cost (x) or
    /// the run's `main` objective (y); a chosen axis the run has is kept.
    pub fn fit_to_run(&mut self, gan: bool, main: Objective) {
        let measured = |m: Metric| match m {
            Metric::Objective(o) => o.measured_on(gan),
            Metric::ForwardNs => true,
        };
        if !measured(self.x) {
            self.x = Metric::Objective(Objective::Cost);
        }
        if !measured(self.y) {
            self.y = Metric::Objective(main);
        }
    }

    /// Shows the axis choosers and the scatter; returns the id of a clicked candidate.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        rows: &[Row],
        selected: &[u64],
        height: f32,
    ) -> Option<u64> {
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("Pareto").strong());
            metric_combo(ui, "x", "pareto-x", &mut self.x);
            metric_combo(ui, "y", "pareto-y", &mut self.y);
        });
        let all = points(rows, self.x, self.y);
        let best = front(&all, self.x, self.y);
        let mut clicked = None;
        Plot::new("pareto-plot")
            .height(height)
            .legend(
                Legend::default()
                    .position(egui_plot::Corner::RightBottom)
                    .text_style(egui::TextStyle::Small)
                    .background_alpha(0.6),
            )
            .x_axis_label(self.x.label())
            .y_axis_label(self.y.label())
            .show(ui, |plot| {
                plot.points(
                    Points::new(
                        "candidates",
                        all.iter().map(|p| [p.x, p.y]).collect::<Vec<_>>(),
                    )
                    .color(Color32::from_gray(150))
                    .radius(2.0),
                );
                plot.line(
                    Line::new(
                        "Pareto front",
                        best.iter().map(|p| [p.x, p.y]).collect::<Vec<_>>(),
                    )
                    .color(Color32::from_rgb(214, 39, 40))
                    .width(1.5),
                );
                for (i, id) in selected.iter().enumerate() {
                    if let Some(p) = all.iter().find(|p| p.id == *id) {
                        plot.points(
                            Points::new(format!("#{id}"), vec![[p.x, p.y]])
                                .color(PALETTE[i % PALETTE.len()])
                                .shape(MarkerShape::Diamond)
                                .radius(6.0),
                        );
                    }
                }
                let response = plot.response().clone();
                if response.clicked() {
                    if let Some(pos) = response.interact_pointer_pos() {
                        clicked = all
                            .iter()
                            .map(|p| {
                                let s = plot.screen_from_plot(egui_plot::PlotPoint::new(p.x, p.y));
                                (p.id, s.distance(pos))
                            })
                            .filter(|(_, d)| *d < 12.0)
                            .min_by(|a, b| a.1.total_cmp(&b.1))
                            .map(|(id, _)| id);
                    }
                }
            });
        clicked
    }
}

fn metric_combo(ui: &mut egui::Ui, label: &str, id: &str, metric: &mut Metric) {
    let label = ui.label(label);
    egui::ComboBox::from_id_salt(id)
        .selected_text(metric.label())
        .width(100.0)
        .truncate()
        .show_ui(ui, |ui| {
            for m in Metric::ALL {
                ui.selectable_value(metric, m, m.label());
            }
        })
        .response
        .labelled_by(label.id);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: u64, x: f64, y: f64) -> Point {
        Point { id, x, y }
    }

    fn ids(front: &[Point]) -> Vec<u64> {
        front.iter().map(|p| p.id).collect()
    }

    #[test]
    fn front_follows_the_metrics_directions() {
        // x = cost (minimise), y = accuracy (maximise).
        let pts = [
            p(0, 1.0, 0.5),
            p(1, 2.0, 0.9),
            p(2, 3.0, 0.8),
            p(3, 1.0, 0.4),
            p(4, 5.0, 0.95),
        ];
        let f = front(
            &pts,
            Metric::Objective(Objective::Cost),
            Metric::Objective(Objective::ValidationAccuracy),
        );
        assert_eq!(ids(&f), [0, 1, 4]);
        // Both maximised: only the top-right points survive.
        let f = front(
            &pts,
            Metric::Objective(Objective::Sparsity),
            Metric::Objective(Objective::ValidationAccuracy),
        );
        assert_eq!(ids(&f), [4]);
        // Both minimised.
        let f = front(
            &pts,
            Metric::Objective(Objective::Cost),
            Metric::Objective(Objective::ValidationLoss),
        );
        assert_eq!(ids(&f), [3]);
    }

    #[test]
    fn identical_points_are_both_on_the_front() {
        let pts = [p(0, 1.0, 1.0), p(1, 1.0, 1.0), p(2, 2.0, 0.5)];
        let f = front(
            &pts,
            Metric::Objective(Objective::Sparsity),
            Metric::Objective(Objective::ValidationAccuracy),
        );
        assert_eq!(ids(&f).len(), 3);
        assert!(front(
            &[],
            Metric::Objective(Objective::Cost),
            Metric::Objective(Objective::Cost)
        )
        .is_empty());
    }
}
