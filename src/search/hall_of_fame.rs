//! [`HallOfFame`]: the best trained candidates of a run by the main objective, and the Pareto
//! front over all objectives.

use super::objective::scores;
use super::pareto::fronts;
use super::record::{Outcome, Record};
use super::space::FieldError;
use super::space::Objective;
use crate::grad::BackwardMode;
use crate::train::Summary;
use serde::{Deserialize, Serialize};

/// One candidate in the hall of fame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Its id in the run.
    pub id: u64,
    /// Forward formula.
    pub formula: String,
    /// Backward mode.
    pub backward: BackwardMode,
    /// Derived backward multiplier.
    pub backward_formula: String,
    /// Objective values, in the order of [`HallOfFame::objectives`].
    pub values: Vec<f64>,
    /// Scores over the search seeds.
    pub summary: Summary,
}

/// The best candidates of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HallOfFame {
    /// The objectives, main first.
    pub objectives: Vec<Objective>,
    /// The best `size` by the main objective, best first (ties: earlier id first).
    pub top: Vec<Entry>,
    /// The non-dominated candidates over all objectives, by main objective.
    pub pareto: Vec<Entry>,
}

impl HallOfFame {
    /// Builds the hall of fame from the trained records.
    pub fn build<'a>(
        objectives: &[Objective],
        size: usize,
        records: impl IntoIterator<Item = &'a Record>,
    ) -> HallOfFame {
        let entries: Vec<Entry> = records
            .into_iter()
            .filter_map(|r| {
                let Outcome::Trained { evaluation } = &r.outcome else {
                    return None;
                };
                Some(Entry {
                    id: r.id,
                    formula: r.formula.clone(),
                    backward: r.backward.clone(),
                    backward_formula: r.backward_formula.clone(),
                    // A record with another number of values (a hand-edited journal) cannot
                    // be ranked with the others.
                    values: r
                        .objectives
                        .clone()
                        .filter(|v| !objectives.is_empty() && v.len() == objectives.len())?,
                    summary: evaluation.summary.clone(),
                })
            })
            .collect();
        let score = |e: &Entry| scores(objectives, &e.values);
        let by_main =
            |a: &Entry, b: &Entry| score(b)[0].total_cmp(&score(a)[0]).then(a.id.cmp(&b.id));
        let mut top = entries.clone();
        top.sort_by(by_main);
        top.truncate(size);
        let points: Vec<Vec<f64>> = entries.iter().map(score).collect();
        let mut pareto: Vec<Entry> = fronts(&points)
            .first()
            .map(|f| f.iter().map(|&i| entries[i].clone()).collect())
            .unwrap_or_default();
        pareto.sort_by(by_main);
        HallOfFame {
            objectives: objectives.to_vec(),
            top,
            pareto,
        }
    }

    /// Checks a hall of fame read from a run against the run's objectives: the same objectives
    /// and one value per objective in every entry. On error, the field and what is wrong.
    pub fn check(&self, objectives: &[Objective]) -> Result<(), FieldError> {
        if self.objectives != objectives {
            return Err(FieldError::new(
                "objectives",
                format!(
                    "objectives {:?} differ from the run's {objectives:?}",
                    self.objectives
                ),
            ));
        }
        for e in self.top.iter().chain(&self.pareto) {
            if e.values.len() != objectives.len() {
                return Err(FieldError::new(
                    "values",
                    format!(
                        "entry #{} has {} values for {} objectives",
                        e.id,
                        e.values.len(),
                        objectives.len()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The best entry, if any candidate was trained.
    pub fn best(&self) -> Option<&Entry> {
        self.top.first()
    }

    /// A plain-text table: the top entries with their objective values and median test
    /// accuracy, then the Pareto front when there are several objectives.
    pub fn table(&self) -> String {
        let names: Vec<String> = self.objectives.iter().map(|o| o.to_string()).collect();
        let mut out = format!("Hall of fame ({}, test accuracy):\n", names.join(", "));
        for e in &self.top {
            let test = e.summary.metrics.as_ref().map_or("-".to_string(), |m| {
                format!("{:.4}", m.test_accuracy.median)
            });
            out.push_str(&format!(
                "{}  {test}  {} [{}]\n",
                row_head(e),
                e.formula,
                e.backward
            ));
        }
        if self.objectives.len() > 1 {
            out.push_str("Pareto front:\n");
            for e in &self.pareto {
                out.push_str(&format!(
                    "{}  {} [{}]\n",
                    row_head(e),
                    e.formula,
                    e.backward
                ));
            }
        }
        out
    }
}

/// `  #id  value  value` for a table row.
fn row_head(e: &Entry) -> String {
    let values: Vec<String> = e.values.iter().map(|v| format!("{v:.4}")).collect();
    format!("  #{:<5} {}", e.id, values.join("  "))
}
