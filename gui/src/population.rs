//! [`Population`]: every candidate of the open run as a sortable, filterable table, and the
//! selection that drives the plots, the graph view and the export.
//!
//! A click on a row selects that candidate alone; Ctrl-click (Cmd on macOS) or Shift-click adds
//! or removes it.

use crate::row::{Metric, Row};
use egui::{RichText, Sense};
use egui_extras::{Column, TableBuilder};
use radact::search::Objective;
use std::cmp::Ordering;
use std::collections::HashMap;

/// A column the table can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// Candidate id (arrival order).
    Id,
    /// Generation.
    Generation,
    /// Rung of a multi-fidelity ladder.
    Rung,
    /// Forward formula, alphabetically.
    Formula,
    /// Backward mode, alphabetically.
    Backward,
    /// A numeric column.
    Metric(Metric),
    /// Status and reason.
    Status,
}

/// Which outcomes the table shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    /// Every candidate.
    All,
    /// Trained candidates only.
    Trained,
    /// Failed (diverged) candidates.
    Failed,
    /// Rejected by a pre-filter.
    Rejected,
    /// Duplicates of earlier candidates.
    Duplicate,
}

impl StatusFilter {
    const ALL: [StatusFilter; 5] = [
        StatusFilter::All,
        StatusFilter::Trained,
        StatusFilter::Failed,
        StatusFilter::Rejected,
        StatusFilter::Duplicate,
    ];

    fn label(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::Trained => "trained",
            StatusFilter::Failed => "failed",
            StatusFilter::Rejected => "rejected",
            StatusFilter::Duplicate => "duplicate",
        }
    }

    fn accepts(self, row: &Row) -> bool {
        self == StatusFilter::All || row.status() == self.label()
    }
}

/// The numeric columns of the table for a classification run, in order, with their short
/// headers.
const CLASSIFICATION_COLUMNS: [(Metric, &str); 4] = [
    (Metric::Objective(Objective::ValidationAccuracy), "val acc"),
    (Metric::Objective(Objective::ValidationLoss), "val loss"),
    (Metric::Objective(Objective::Sparsity), "sparsity"),
    (Metric::Objective(Objective::Cost), "cost"),
];

/// The numeric columns of the table for a GAN run (whose candidates have no accuracy or loss).
const GAN_COLUMNS: [(Metric, &str); 4] = [
    (Metric::Objective(Objective::ReverseKl), "rev KL"),
    (Metric::Objective(Objective::Modes), "modes"),
    (Metric::Objective(Objective::HighQuality), "hq share"),
    (Metric::Objective(Objective::Cost), "cost"),
];

/// The candidates of a run, their table state and the selection.
#[derive(Debug)]
pub struct Population {
    rows: Vec<Row>,
    by_id: HashMap<u64, usize>,
    /// Indices into `rows` of the rows shown, in table order.
    visible: Vec<usize>,
    dirty: bool,
    /// Changes whenever rows are added or replaced (plots cache on it).
    version: u64,
    sort: SortKey,
    ascending: bool,
    filter: String,
    status_filter: StatusFilter,
    /// Selected ids, in the order they were selected.
    selected: Vec<u64>,
    /// Whether the run is a GAN run (its table shows the GAN metrics).
    gan: bool,
}

impl Default for Population {
    fn default() -> Self {
        Population {
            rows: Vec::new(),
            by_id: HashMap::new(),
            visible: Vec::new(),
            dirty: false,
            version: 0,
            sort: SortKey::Id,
            ascending: true,
            filter: String::new(),
            status_filter: StatusFilter::All,
            selected: Vec::new(),
            gan: false,
        }
    }
}

impl Population {
    /// Forgets every row and the selection (a different run was opened).
    pub fn clear(&mut self) {
        let (sort, ascending) = (self.sort, self.ascending);
        *self = Population {
            sort,
            ascending,
            version: self.version + 1,
            ..Population::default()
        };
    }

    /// Shows the metrics of a GAN run (`gan`: reverse KL, modes, high-quality share, cost) or
    /// of a classification run (validation accuracy and loss, sparsity, cost) in the table.
    pub fn show_metrics_of(&mut self, gan: bool) {
        self.gan = gan;
    }

    /// The numeric columns the table shows, with their short headers.
    pub fn metric_columns(&self) -> &'static [(Metric, &'static str)] {
        if self.gan {
            &GAN_COLUMNS
        } else {
            &CLASSIFICATION_COLUMNS
        }
    }

    /// Adds rows; a row with an id already present replaces it (a resumed search reports the
    /// candidates it replays from the journal again; a promoted candidate's record at a higher
    /// rung replaces its lower one, never the other way round).
    pub fn insert(&mut self, rows: impl IntoIterator<Item = Row>) {
        for row in rows {
            match self.by_id.get(&row.id()) {
                Some(&i) if row.rung() > self.rows[i].rung() => {
                    self.rows[i] = self.rows[i].promoted_to(row);
                }
                Some(&i) if row.rung() < self.rows[i].rung() => {}
                Some(&i) => self.rows[i] = row,
                None => {
                    self.by_id.insert(row.id(), self.rows.len());
                    self.rows.push(row);
                }
            }
            self.dirty = true;
        }
        if self.dirty {
            self.version += 1;
        }
    }

    /// Number of candidates (all, not only the visible ones).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no candidates.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A counter that changes whenever the rows change.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Every row, in arrival order.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The row of candidate `id`.
    pub fn get(&self, id: u64) -> Option<&Row> {
        self.by_id.get(&id).map(|&i| &self.rows[i])
    }

    /// The rows the table shows, in table order (sorted and filtered).
    pub fn visible(&mut self) -> Vec<&Row> {
        self.refresh();
        self.visible.iter().map(|&i| &self.rows[i]).collect()
    }

    /// The selected ids, in selection order.
    pub fn selected(&self) -> &[u64] {
        &self.selected
    }

    /// The selected rows, in selection order.
    pub fn selected_rows(&self) -> Vec<&Row> {
        self.selected
            .iter()
            .filter_map(|&id| self.get(id))
            .collect()
    }

    /// Selects candidate `id`: alone, or added to (removed from, if selected) the selection
    /// when `toggle`.
    pub fn select(&mut self, id: u64, toggle: bool) {
        if !self.by_id.contains_key(&id) {
            return;
        }
        if !toggle {
            self.selected = vec![id];
        } else if let Some(i) = self.selected.iter().position(|&s| s == id) {
            self.selected.remove(i);
        } else {
            self.selected.push(id);
        }
    }

    /// Empties the selection.
    pub fn clear_selection(&mut self) {
        self.selected.clear();
    }

    /// Sorts by `key`; the same key again flips the direction.
    pub fn sort_by(&mut self, key: SortKey) {
        if self.sort == key {
            self.ascending = !self.ascending;
        } else {
            self.sort = key;
            // Best first for numeric columns.
            self.ascending = match key {
                SortKey::Metric(m) => !m.maximise(),
                _ => true,
            };
        }
        self.dirty = true;
    }

    /// The current sort column and direction.
    pub fn sorting(&self) -> (SortKey, bool) {
        (self.sort, self.ascending)
    }

    /// Shows only rows whose formula, backward mode or status contains `text`
    /// (case-insensitive).
    pub fn set_filter(&mut self, text: &str) {
        self.filter = text.to_string();
        self.dirty = true;
    }

    fn refresh(&mut self) {
        if !self.dirty {
            return;
        }
        let needle = self.filter.trim().to_lowercase();
        let mut visible: Vec<usize> = (0..self.rows.len())
            .filter(|&i| {
                let r = &self.rows[i];
                self.status_filter.accepts(r)
                    && (needle.is_empty()
                        || r.formula().to_lowercase().contains(&needle)
                        || r.backward.to_lowercase().contains(&needle)
                        || r.status_text().to_lowercase().contains(&needle))
            })
            .collect();
        let rows = &self.rows;
        let key = self.sort;
        visible.sort_by(|&a, &b| {
            let (a, b) = (&rows[a], &rows[b]);
            let o = match key {
                SortKey::Id => a.id().cmp(&b.id()),
                SortKey::Generation => a.generation().cmp(&b.generation()),
                SortKey::Rung => a.rung().cmp(&b.rung()),
                SortKey::Formula => a.formula().cmp(b.formula()),
                SortKey::Backward => a.backward.cmp(&b.backward),
                SortKey::Status => a.status_text().cmp(&b.status_text()),
                SortKey::Metric(m) => {
                    compare_missing_last(a.metric(m), b.metric(m), self.ascending)
                }
            };
            let o = if self.ascending || matches!(key, SortKey::Metric(_)) {
                o
            } else {
                o.reverse()
            };
            o.then(a.id().cmp(&b.id()))
        });
        self.visible = visible;
        self.dirty = false;
    }

    /// Shows the filter bar and the table; returns whether the selection changed.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> bool {
        let before = self.selected.clone();
        ui.horizontal(|ui| {
            let label = ui.label("Filter");
            let mut filter = self.filter.clone();
            let edit = ui.add(
                egui::TextEdit::singleline(&mut filter)
                    .hint_text("formula, backward or status")
                    .desired_width(220.0),
            );
            if edit.labelled_by(label.id).changed() {
                self.set_filter(&filter);
            }
            let mut status = self.status_filter;
            egui::ComboBox::from_label("Status")
                .selected_text(status.label())
                .show_ui(ui, |ui| {
                    for s in StatusFilter::ALL {
                        ui.selectable_value(&mut status, s, s.label());
                    }
                });
            if status != self.status_filter {
                self.status_filter = status;
                self.dirty = true;
            }
            self.refresh();
            ui.label(format!(
                "{} of {} candidates, {} selected",
                self.visible.len(),
                self.rows.len(),
                self.selected.len()
            ));
            if !self.selected.is_empty() && ui.button("Clear selection").clicked() {
                self.clear_selection();
            }
        });
        self.table(ui);
        self.selected != before
    }

    fn header_button(&mut self, ui: &mut egui::Ui, title: &str, key: SortKey, tip: &str) {
        let arrow = match self.sorting() {
            (k, true) if k == key => " ⏶",
            (k, false) if k == key => " ⏷",
            _ => "",
        };
        let text = RichText::new(format!("{title}{arrow}")).strong();
        if ui
            .add(egui::Button::new(text).frame(false))
            .on_hover_text(tip)
            .clicked()
        {
            self.sort_by(key);
        }
    }

    fn table(&mut self, ui: &mut egui::Ui) {
        self.refresh();
        let toggle = click_toggles(ui);
        let mut clicked: Option<u64> = None;
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let columns = self.metric_columns();
        let mut table = TableBuilder::new(ui)
            .id_salt("population")
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(40.0).at_least(28.0))
            .column(Column::initial(34.0).at_least(28.0))
            .column(Column::initial(34.0).at_least(28.0))
            .column(Column::remainder().at_least(120.0).clip(true))
            .column(Column::initial(90.0).at_least(50.0).clip(true));
        for _ in columns {
            table = table.column(Column::initial(60.0).at_least(40.0));
        }
        table = table
            .column(Column::initial(130.0).at_least(60.0).clip(true))
            .min_scrolled_height(0.0);
        table
            .header(row_height, |mut header| {
                header.col(|ui| self.header_button(ui, "#", SortKey::Id, "candidate id"));
                header.col(|ui| {
                    self.header_button(ui, "gen", SortKey::Generation, "generation (batch)")
                });
                header.col(|ui| {
                    self.header_button(
                        ui,
                        "rung",
                        SortKey::Rung,
                        "the highest rung of the multi-fidelity ladder it was trained at \
                         (promoted from each rung below; its values come from this one)",
                    )
                });
                header.col(|ui| {
                    self.header_button(ui, "formula f(x)", SortKey::Formula, "forward formula")
                });
                header.col(|ui| {
                    self.header_button(ui, "backward", SortKey::Backward, "backward mode")
                });
                for &(m, short) in columns {
                    header.col(|ui| self.header_button(ui, short, SortKey::Metric(m), m.label()));
                }
                header.col(|ui| {
                    self.header_button(ui, "status", SortKey::Status, "status or failure reason")
                });
            })
            .body(|body| {
                let rows = &self.rows;
                let visible = &self.visible;
                let selected = &self.selected;
                body.rows(row_height, visible.len(), |mut table_row| {
                    let row = &rows[visible[table_row.index()]];
                    let is_selected = selected.contains(&row.id());
                    table_row.set_selected(is_selected);
                    let mut hit = false;
                    table_row.col(|ui| {
                        ui.label(format!("{}", row.id()));
                    });
                    table_row.col(|ui| {
                        ui.label(format!("{}", row.generation()));
                    });
                    table_row.col(|ui| {
                        ui.label(format!("{}", row.rung()));
                    });
                    table_row.col(|ui| {
                        let r = ui.add(
                            egui::Button::selectable(is_selected, row.formula())
                                .frame_when_inactive(false),
                        );
                        hit |= r.on_hover_text(&row.record.backward_formula).clicked();
                    });
                    table_row.col(|ui| {
                        ui.label(&row.backward);
                    });
                    for &(m, _) in columns {
                        table_row.col(|ui| {
                            ui.label(format_metric(m, row.metric(m)));
                        });
                    }
                    table_row.col(|ui| {
                        let text = row.status_text();
                        let color = match row.status() {
                            "trained" => ui.visuals().text_color(),
                            "failed" => ui.visuals().error_fg_color,
                            "rejected" => ui.visuals().warn_fg_color,
                            _ => ui.visuals().weak_text_color(),
                        };
                        ui.colored_label(color, text);
                    });
                    if hit || table_row.response().clicked() {
                        clicked = Some(row.id());
                    }
                });
            });
        if let Some(id) = clicked {
            self.select(id, toggle);
        }
    }
}

/// Whether the click of this frame adds to the selection (Ctrl, Cmd on macOS, or Shift held
/// when the button was released; read from the event, as the key may be up by frame's end).
pub fn click_toggles(ui: &egui::Ui) -> bool {
    ui.input(|i| {
        let modifiers = i
            .events
            .iter()
            .rev()
            .find_map(|e| match e {
                egui::Event::PointerButton {
                    button: egui::PointerButton::Primary,
                    modifiers,
                    ..
                } => Some(*modifiers),
                _ => None,
            })
            .unwrap_or(i.modifiers);
        modifiers.command || modifiers.shift
    })
}

/// Orders two optional numbers so that missing values come last in either direction;
/// `ascending` is the direction wanted.
fn compare_missing_last(a: Option<f64>, b: Option<f64>, ascending: bool) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => {
            let o = a.total_cmp(&b);
            if ascending {
                o
            } else {
                o.reverse()
            }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// A metric value as the table shows it.
pub fn format_metric(metric: Metric, value: Option<f64>) -> String {
    match (metric, value) {
        (_, None) => "–".to_string(),
        (Metric::Objective(Objective::Cost), Some(v)) => format!("{v:.0}"),
        (Metric::ForwardNs, Some(v)) => format!("{v:.2}"),
        (_, Some(v)) => format!("{v:.3}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use radact::expr::Fingerprint;
    use radact::grad::BackwardMode;
    use radact::search::record::{Origin, Outcome, Record};
    use radact::search::Objective;

    fn row(id: u64, batch: u64, rung: u32, value: f64) -> Row {
        let record = Record {
            id,
            batch,
            rung,
            formula: "relu(x)".into(),
            backward: BackwardMode::Exact,
            backward_formula: "heaviside(x)".into(),
            origin: Origin::Random,
            fingerprint: Fingerprint(id),
            backward_fingerprint: Fingerprint(0),
            outcome: Outcome::Rejected {
                reason: "test".into(),
            },
            objectives: Some(vec![value]),
            seconds: 0.0,
        };
        Row::new(record, &[Objective::ValidationAccuracy])
    }

    #[test]
    fn a_promotion_replaces_the_row_and_keeps_its_generation() {
        let mut p = Population::default();
        p.insert([row(0, 0, 0, 0.5), row(1, 0, 0, 0.6)]);
        p.insert([row(0, 3, 1, 0.7)]);
        assert_eq!(p.len(), 2);
        let r = &p.rows[p.by_id[&0]];
        assert_eq!((r.rung(), r.generation(), r.main), (1, 0, Some(0.7)));
        // A lower rung arriving late (a replayed journal) does not undo the promotion.
        p.insert([row(0, 0, 0, 0.5)]);
        let r = &p.rows[p.by_id[&0]];
        assert_eq!((r.rung(), r.main), (1, Some(0.7)));
        // Sorting by rung puts the promoted candidate last (ascending).
        p.sort = SortKey::Rung;
        p.ascending = true;
        p.dirty = true;
        p.refresh();
        let order: Vec<u64> = p.visible.iter().map(|&i| p.rows[i].id()).collect();
        assert_eq!(order, vec![1, 0]);
    }
}
