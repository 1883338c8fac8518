//! [`HallOfFame`]: the best trained candidates of a run by the main objective, and the Pareto
//! front over all objectives.

use super::objective::scores;
use super::pareto::dominates;
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

/// A hall of fame kept up to date one record at a time, as a search trains: adding a record
/// costs a pass over the top entries and the Pareto front, never a rebuild from all records.
/// The result is the same as [`HallOfFame::build`] over the same records in the same order.
#[derive(Clone, Debug)]
pub(crate) struct LiveHallOfFame {
    hall: HallOfFame,
    size: usize,
}

impl LiveHallOfFame {
    /// An empty hall of fame keeping the best `size` by the main objective.
    pub fn new(objectives: &[Objective], size: usize) -> LiveHallOfFame {
        LiveHallOfFame {
            hall: HallOfFame {
                objectives: objectives.to_vec(),
                ..HallOfFame::default()
            },
            size,
        }
    }

    /// The hall of fame so far.
    pub fn hall(&self) -> &HallOfFame {
        &self.hall
    }

    /// Takes a record into account: a trained candidate with one value per objective may
    /// enter the top entries and the Pareto front; any other record changes nothing.
    pub fn add(&mut self, r: &Record) {
        let objectives = &self.hall.objectives;
        let Outcome::Trained { evaluation } = &r.outcome else {
            return;
        };
        // A record with another number of values (a hand-edited journal) cannot be ranked
        // with the others.
        let Some(values) = r
            .objectives
            .clone()
            .filter(|v| !objectives.is_empty() && v.len() == objectives.len())
        else {
            return;
        };
        let entry = Entry {
            id: r.id,
            formula: r.formula.clone(),
            backward: r.backward.clone(),
            backward_formula: r.backward_formula.clone(),
            values,
            summary: evaluation.summary.clone(),
        };
        let point = scores(objectives, &entry.values);
        // Best first by the main objective; among equals, earlier ids, then earlier records.
        let position = |list: &[Entry]| {
            list.partition_point(|e| {
                let main = scores(objectives, &e.values)[0];
                point[0].total_cmp(&main).then(e.id.cmp(&entry.id)).is_le()
            })
        };
        if self.hall.top.len() < self.size || position(&self.hall.top) < self.hall.top.len() {
            let at = position(&self.hall.top);
            self.hall.top.insert(at, entry.clone());
            self.hall.top.truncate(self.size);
        }
        // The Pareto front: a point no member dominates enters and drops the members it
        // dominates (dominance is transitive, so a point dominated by a dropped member is
        // dominated by a member still there).
        let front = &mut self.hall.pareto;
        if front
            .iter()
            .any(|e| dominates(&scores(objectives, &e.values), &point))
        {
            return;
        }
        front.retain(|e| !dominates(&point, &scores(objectives, &e.values)));
        let at = position(front);
        front.insert(at, entry);
    }
}

impl HallOfFame {
    /// Builds the hall of fame from the trained records.
    pub fn build<'a>(
        objectives: &[Objective],
        size: usize,
        records: impl IntoIterator<Item = &'a Record>,
    ) -> HallOfFame {
        let mut live = LiveHallOfFame::new(objectives, size);
        for r in records {
            live.add(r);
        }
        live.hall
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Fingerprint;
    use crate::search::pareto::fronts;
    use crate::search::record::Origin;
    use crate::train::{Evaluation, Summary};
    use proptest::prelude::*;

    fn record(id: u64, trained: bool, values: Option<Vec<f64>>) -> Record {
        let evaluation = Evaluation {
            summary: Summary::of(&[], 0.0),
            seeds: Vec::new(),
        };
        Record {
            id,
            batch: 0,
            formula: format!("x + {id}"),
            backward: BackwardMode::Exact,
            backward_formula: "1".into(),
            origin: Origin::Random,
            fingerprint: Fingerprint(id),
            backward_fingerprint: Fingerprint(0),
            outcome: if trained {
                Outcome::Trained { evaluation }
            } else {
                Outcome::Failed {
                    reason: "diverged".into(),
                    evaluation,
                }
            },
            objectives: values,
            seconds: 0.0,
        }
    }

    /// The hall of fame as it was computed before it was kept up to date per record: all
    /// entries at once, sorted, and the first front of a full non-dominated sort.
    fn rebuilt(objectives: &[Objective], size: usize, records: &[Record]) -> HallOfFame {
        let entries: Vec<Entry> = records
            .iter()
            .filter(|r| r.is_trained())
            .filter_map(|r| {
                let values = r.objectives.clone()?;
                (values.len() == objectives.len()).then(|| Entry {
                    id: r.id,
                    formula: r.formula.clone(),
                    backward: r.backward.clone(),
                    backward_formula: r.backward_formula.clone(),
                    values,
                    summary: Summary::of(&[], 0.0),
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

    proptest! {
        /// Kept up to date one record at a time, the hall of fame is the one rebuilt from all
        /// records: same top entries in the same order, same Pareto front. Values are drawn from
        /// a few levels so that ties and duplicates are common.
        #[test]
        fn the_live_hall_of_fame_equals_the_rebuilt_one(
            size in 0usize..6,
            draws in proptest::collection::vec(
                (0u64..8, any::<bool>(), proptest::collection::vec(0u8..4, 1..4)),
                0..60,
            ),
        ) {
            let objectives = [Objective::ValidationAccuracy, Objective::Cost, Objective::Sparsity];
            let records: Vec<Record> = draws
                .into_iter()
                .map(|(id, trained, levels)| {
                    let values = levels.into_iter().map(|l| f64::from(l) / 4.0).collect();
                    record(id, trained || id % 3 != 0, Some(values))
                })
                .collect();
            let expected = rebuilt(&objectives, size, &records);
            let live = HallOfFame::build(&objectives, size, &records);
            prop_assert_eq!(&live.top, &expected.top);
            prop_assert_eq!(&live.pareto, &expected.pareto);
        }
    }

    #[test]
    fn equal_entries_keep_the_order_they_came_in() {
        let objectives = [Objective::ValidationAccuracy, Objective::Cost];
        let records = [
            record(1, true, Some(vec![0.5, 0.25])),
            record(1, true, Some(vec![0.5, 0.75])),
            record(0, true, Some(vec![0.5, 0.5])),
        ];
        let hall = HallOfFame::build(&objectives, 5, &records);
        let costs: Vec<f64> = hall.top.iter().map(|e| e.values[1]).collect();
        assert_eq!(costs, [0.5, 0.25, 0.75], "by main, then id, then arrival");
        assert_eq!(hall.pareto.len(), 1);
        assert_eq!(hall, rebuilt(&objectives, 5, &records));
    }

    #[test]
    fn failed_records_and_records_without_values_do_not_enter() {
        let objectives = [Objective::ValidationAccuracy];
        let mut live = LiveHallOfFame::new(&objectives, 3);
        live.add(&record(1, false, Some(vec![0.9])));
        live.add(&record(2, true, None));
        live.add(&record(3, true, Some(vec![0.5, 0.1])));
        assert!(live.hall().top.is_empty() && live.hall().pareto.is_empty());
        live.add(&record(4, true, Some(vec![0.7])));
        live.add(&record(5, true, Some(vec![0.8])));
        let ids: Vec<u64> = live.hall().top.iter().map(|e| e.id).collect();
        assert_eq!(ids, [5, 4]);
        assert_eq!(live.hall().pareto.len(), 1, "one objective: the best alone");
        assert_eq!(live.hall().best().map(|e| e.id), Some(5));
    }
}
