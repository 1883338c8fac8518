//! [`Curves`]: the selected candidates' forward function `f(x)` and backward multiplier `g(x)`
//! (`dL/dx = g(x) * dL/dy`) sampled over a chosen range with radact's compiled programs, next
//! to baseline activations for reference, and the two plots that show them.
//!
//! The samples are kept (see [`Curves::curves`]) and only recomputed when the selection, the
//! range or the baselines change.

use crate::row::Row;
use egui::Color32;
use egui_plot::{Legend, Line, LineStyle, Plot, PlotPoints};
use radact::activation::Activation;
use radact::train::BASELINES;

/// Colours of the selected candidates, in selection order (repeating).
pub const PALETTE: [Color32; 8] = [
    Color32::from_rgb(31, 119, 180),
    Color32::from_rgb(255, 127, 14),
    Color32::from_rgb(44, 160, 44),
    Color32::from_rgb(214, 39, 40),
    Color32::from_rgb(148, 103, 189),
    Color32::from_rgb(140, 86, 75),
    Color32::from_rgb(227, 119, 194),
    Color32::from_rgb(23, 190, 207),
];

/// One sampled activation.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// Legend text: `#id formula [backward]`, or the baseline's name.
    pub label: String,
    /// The candidate's id; `None` for a baseline.
    pub id: Option<u64>,
    /// Sample points.
    pub xs: Vec<f32>,
    /// `f(x)` at each point.
    pub f: Vec<f32>,
    /// `g(x)` at each point.
    pub g: Vec<f32>,
}

impl Curve {
    /// Samples `activation` at `xs` with its compiled forward and backward programs.
    pub fn sample(label: String, id: Option<u64>, activation: &Activation, xs: &[f32]) -> Curve {
        let compiled = activation.compile();
        let mut f = vec![0.0; xs.len()];
        let mut g = vec![0.0; xs.len()];
        compiled.forward.eval(xs, &mut f);
        compiled.backward.eval(xs, &mut g);
        Curve {
            label,
            id,
            xs: xs.to_vec(),
            f,
            g,
        }
    }

    fn points(&self, ys: &[f32]) -> PlotPoints<'static> {
        // Non-finite values (a pole, an overflow) would break the line: leave them out.
        self.xs
            .iter()
            .zip(ys)
            .filter(|(_, y)| y.is_finite())
            .map(|(&x, &y)| [f64::from(x), f64::from(y)])
            .collect()
    }
}

/// What the samples were computed for.
#[derive(Clone, Debug, PartialEq)]
struct Key {
    selection: Vec<(u64, String, String)>,
    range: [f32; 2],
    points: usize,
    baselines: Vec<bool>,
}

/// The f(x) and g(x) plots and their settings.
#[derive(Debug)]
pub struct Curves {
    /// Sampled interval.
    pub range: [f32; 2],
    /// Number of samples.
    pub points: usize,
    /// Whether each of [`BASELINES`] is shown.
    pub baselines: Vec<bool>,
    curves: Vec<Curve>,
    baseline_curves: Vec<Curve>,
    key: Option<Key>,
    errors: Vec<String>,
}

impl Default for Curves {
    fn default() -> Self {
        Curves {
            range: [-4.0, 4.0],
            points: 801,
            baselines: BASELINES
                .iter()
                .map(|b| matches!(b.name, "relu" | "swish"))
                .collect(),
            curves: Vec::new(),
            baseline_curves: Vec::new(),
            key: None,
            errors: Vec::new(),
        }
    }
}

impl Curves {
    /// The sample points of the current range.
    pub fn xs(&self) -> Vec<f32> {
        let [lo, hi] = self.range;
        let n = self.points.max(2);
        (0..n)
            .map(|i| lo + (hi - lo) * i as f32 / (n - 1) as f32)
            .collect()
    }

    /// Samples the selected candidates (and the baselines) unless nothing changed.
    pub fn update(&mut self, selected: &[&Row]) {
        if !(self.range[0].is_finite() && self.range[1].is_finite())
            || self.range[0] >= self.range[1]
        {
            self.range = [-4.0, 4.0];
        }
        let key = Key {
            selection: selected
                .iter()
                .map(|r| (r.id(), r.record.formula.clone(), r.backward.clone()))
                .collect(),
            range: self.range,
            points: self.points,
            baselines: self.baselines.clone(),
        };
        if self.key.as_ref() == Some(&key) {
            return;
        }
        let xs = self.xs();
        self.errors.clear();
        self.curves = selected
            .iter()
            .filter_map(|row| match row.record.activation() {
                Ok(activation) => Some(Curve::sample(
                    format!("#{} {} [{}]", row.id(), row.formula(), row.backward),
                    Some(row.id()),
                    &activation,
                    &xs,
                )),
                Err(e) => {
                    self.errors.push(format!(
                        "#{}: cannot plot `{}`: {e}",
                        row.id(),
                        row.formula()
                    ));
                    None
                }
            })
            .collect();
        self.baseline_curves = BASELINES
            .iter()
            .zip(&self.baselines)
            .filter(|(_, &shown)| shown)
            .filter_map(|(b, _)| {
                let activation = Activation::parse(b.formula, "exact").ok()?;
                Some(Curve::sample(b.name.to_string(), None, &activation, &xs))
            })
            .collect();
        self.key = Some(key);
    }

    /// The selected candidates' samples, in selection order.
    pub fn curves(&self) -> &[Curve] {
        &self.curves
    }

    /// The shown baselines' samples.
    pub fn baseline_curves(&self) -> &[Curve] {
        &self.baseline_curves
    }

    /// Candidates that could not be sampled, and why.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// The range and baseline controls.
    pub fn controls(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("x from");
            ui.add(egui::DragValue::new(&mut self.range[0]).speed(0.1))
                .labelled_by(label.id);
            let label = ui.label("to");
            ui.add(egui::DragValue::new(&mut self.range[1]).speed(0.1))
                .labelled_by(label.id);
            ui.label("Baselines:");
            for (b, shown) in BASELINES.iter().zip(self.baselines.iter_mut()) {
                ui.checkbox(shown, b.name);
            }
        });
        for e in &self.errors {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
    }

    /// The plot of `f(x)` (`backward` false) or `g(x)` (`backward` true).
    pub fn plot(&self, ui: &mut egui::Ui, backward: bool, height: f32) {
        let (id, title) = if backward {
            ("g-plot", "backward multiplier g(x)")
        } else {
            ("f-plot", "forward f(x)")
        };
        ui.label(egui::RichText::new(title).strong());
        Plot::new(id)
            .height(height)
            .legend(
                Legend::default()
                    .position(egui_plot::Corner::LeftTop)
                    .text_style(egui::TextStyle::Small)
                    .background_alpha(0.6),
            )
            .link_axis(egui::Id::unique("fg-x"), [true, false])
            .link_cursor(egui::Id::unique("fg-x"), [true, false])
            .show(ui, |plot| {
                for c in &self.baseline_curves {
                    let ys = if backward { &c.g } else { &c.f };
                    plot.line(
                        Line::new(c.label.clone(), c.points(ys))
                            .color(Color32::from_gray(140))
                            .style(LineStyle::dashed_dense())
                            .width(1.0),
                    );
                }
                for (i, c) in self.curves.iter().enumerate() {
                    let ys = if backward { &c.g } else { &c.f };
                    plot.line(
                        Line::new(shorten(&c.label, 40), c.points(ys))
                            .color(PALETTE[i % PALETTE.len()])
                            .width(2.0),
                    );
                }
            });
    }
}

/// `text` cut to at most `max` characters, with an ellipsis when cut (legend entries).
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_cover_the_range_and_match_the_programs() {
        let c = Curves::default();
        let xs = c.xs();
        assert_eq!(xs.len(), 801);
        assert_eq!((xs[0], xs[800]), (-4.0, 4.0));
        let a = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap();
        let curve = Curve::sample("step".into(), None, &a, &[-1.0, -0.25, 0.0, 1.0]);
        assert_eq!(curve.f, [0.0, 0.0, 1.0, 1.0]);
        assert_eq!(curve.g, [0.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn long_labels_are_shortened() {
        assert_eq!(shorten("relu", 4), "relu");
        assert_eq!(shorten("swish(x)", 4), "swi…");
    }
}
