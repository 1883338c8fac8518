//! [`Samples`]: for a GAN run (`gan-ring`), the points the selected candidate's trained
//! generator drew (the few its score keeps, [`radact::train::Score::generated`]), scattered over
//! the eight centres of the ring it was to learn, next to the f(x) and g(x) plots.
//!
//! A candidate of a classification run has no generated samples, and then there is no plot.

use crate::row::Row;
use egui::Color32;
use egui_plot::{Legend, MarkerShape, Plot, Points};
use radact::train::ring_centres;

/// The generated samples of the selected candidate, if it has any.
#[derive(Debug, Default)]
pub struct Samples {
    /// The candidate and the seed whose samples these are.
    from: Option<(u64, u64)>,
    points: Vec<[f64; 2]>,
}

impl Samples {
    /// Takes the samples of `selected` (the last selected candidate): those of its first seed
    /// that kept any; none when it has none (a classification run, a failed candidate).
    pub fn update(&mut self, selected: Option<&Row>) {
        let seed = selected.and_then(|row| {
            let evaluation = row.record.outcome.evaluation()?;
            let seed = evaluation.seeds.iter().find(|s| !s.generated.is_empty())?;
            Some((row.id(), seed))
        });
        let from = seed.map(|(id, s)| (id, s.seed));
        if from == self.from {
            return;
        }
        self.from = from;
        self.points = seed.map_or_else(Vec::new, |(_, s)| {
            s.generated
                .iter()
                .map(|p| [f64::from(p[0]), f64::from(p[1])])
                .collect()
        });
    }

    /// The shown points.
    pub fn points(&self) -> &[[f64; 2]] {
        &self.points
    }

    /// Whether there is anything to show (the selected candidate has generated samples).
    pub fn shown(&self) -> bool {
        self.from.is_some()
    }

    /// The plot's title: whose samples, which seed, how many.
    pub fn title(&self) -> String {
        match self.from {
            Some((id, seed)) => format!(
                "generated samples of #{id} (seed {seed}, {} points)",
                self.points.len()
            ),
            None => "generated samples".to_string(),
        }
    }

    /// The scatter of the samples over the ring's centres, axes at equal scale.
    pub fn plot(&self, ui: &mut egui::Ui, height: f32) {
        ui.label(egui::RichText::new(self.title()).strong());
        let centres: Vec<[f64; 2]> = ring_centres()
            .iter()
            .map(|c| [f64::from(c[0]), f64::from(c[1])])
            .collect();
        Plot::new("samples-plot")
            .height(height)
            .data_aspect(1.0)
            .include_x(-2.5)
            .include_x(2.5)
            .include_y(-2.5)
            .include_y(2.5)
            .legend(
                Legend::default()
                    .position(egui_plot::Corner::RightBottom)
                    .text_style(egui::TextStyle::Small)
                    .background_alpha(0.6),
            )
            .show(ui, |plot| {
                plot.points(
                    Points::new("ring centres", centres)
                        .color(Color32::from_rgb(214, 39, 40))
                        .shape(MarkerShape::Cross)
                        .radius(6.0),
                );
                plot.points(
                    Points::new("generated", self.points.clone())
                        .color(Color32::from_rgb(31, 119, 180))
                        .radius(1.5),
                );
            });
    }
}
