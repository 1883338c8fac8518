//! The details of one candidate: formulas, backward mode, origin, outcome, scores per seed and
//! the trained values of its trainable constants (per seed, and those an export carries).

use crate::population::format_metric;
use crate::row::{Metric, Row};
use radact::search::record::Origin;
use radact::train::Status;

/// Shows `row`'s details.
pub fn ui(ui: &mut egui::Ui, row: &Row) {
    ui.label(egui::RichText::new(format!("Candidate #{}", row.id())).strong());
    egui::Grid::new("candidate-details")
        .num_columns(2)
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            ui.label("f(x)");
            ui.add(egui::Label::new(egui::RichText::new(row.formula()).monospace()).wrap());
            ui.end_row();
            ui.label("backward");
            ui.monospace(&row.backward);
            ui.end_row();
            ui.label("g(x)");
            ui.add(
                egui::Label::new(egui::RichText::new(&row.record.backward_formula).monospace())
                    .wrap(),
            );
            ui.end_row();
            ui.label("origin");
            ui.label(origin_text(&row.record.origin));
            ui.end_row();
            ui.label("generation");
            ui.label(row.generation().to_string());
            ui.end_row();
            if row.rung() > 0 {
                ui.label("rung");
                ui.label(format!(
                    "{} (promoted {} time{}: scores below are from rung {})",
                    row.rung(),
                    row.rung(),
                    if row.rung() == 1 { "" } else { "s" },
                    row.rung()
                ));
                ui.end_row();
            }
            ui.label("status");
            let status = row.status_text();
            if row.record.outcome.reason().is_some() {
                ui.colored_label(ui.visuals().warn_fg_color, status);
            } else {
                ui.label(status);
            }
            ui.end_row();
            for m in Metric::ALL {
                if let Some(v) = row.metric(m) {
                    ui.label(m.label());
                    ui.label(format_metric(m, Some(v)));
                    ui.end_row();
                }
            }
            if let Some(best) = row
                .record
                .outcome
                .evaluation()
                .and_then(|e| e.best_constants())
            {
                ui.label("constants");
                let text = format!(
                    "{} (seed {}, the one exported)",
                    best.constants_text().unwrap_or_default(),
                    best.seed
                );
                ui.add(egui::Label::new(egui::RichText::new(text).monospace()).wrap());
                ui.end_row();
            }
            ui.label("time");
            ui.label(format!("{:.2} s", row.record.seconds));
            ui.end_row();
        });
    if let Some(e) = row.record.outcome.evaluation() {
        ui.collapsing(format!("{} seed(s)", e.seeds.len()), |ui| {
            for s in &e.seeds {
                let text = match (&s.metrics, &s.status) {
                    (Some(m), _) => {
                        let mut text = match (m.test_accuracy, m.test_loss) {
                            (Some(accuracy), Some(loss)) => format!(
                                "seed {}: test accuracy {accuracy:.3}, loss {loss:.3}, {} steps",
                                s.seed, s.steps
                            ),
                            _ => format!(
                                "seed {}: {} modes, high quality {:.3}, reverse KL {:.3}, {} steps",
                                s.seed,
                                m.modes.unwrap_or(f64::NAN),
                                m.high_quality.unwrap_or(f64::NAN),
                                m.reverse_kl.unwrap_or(f64::NAN),
                                s.steps
                            ),
                        };
                        if let Some(constants) = s.constants_text() {
                            text.push_str(&format!("; constants {constants}"));
                        }
                        text
                    }
                    (None, Status::Failed { reason }) => {
                        format!("seed {}: failed: {reason}", s.seed)
                    }
                    (None, Status::Completed) => format!("seed {}: no scores", s.seed),
                };
                ui.label(text);
            }
        });
    }
}

fn origin_text(origin: &Origin) -> String {
    match origin {
        Origin::Baseline { name } => format!("baseline {name}"),
        Origin::Random => "random".to_string(),
        Origin::Enumerated => "enumerated".to_string(),
        Origin::Child { parents, variation } => {
            let ids: Vec<String> = parents.iter().map(|p| format!("#{p}")).collect();
            format!("{variation:?} of {}", ids.join(" and "))
        }
    }
}
