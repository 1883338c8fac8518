//! [`HallOfFame`]: the best trained candidates of a run by the main objective, one entry per
//! idea, and the Pareto front over all objectives.
//!
//! An idea is a structure: candidates whose forward and backward formulas differ only in their
//! constants ([`structure_key`]: `threshold(x, 0.0487)` and `threshold(x, 0.0544)` with the same
//! backward) are variants of one entry, which shows the best of them and how many there were,
//! so that a run's top entries are distinct ideas rather than copies of one with other
//! constants. Candidates of different structures whose forward and backward functions agree
//! within a tolerance ([`Behaviour::near`]: `relu(x)` and `max(x, 0.001)`) also count as one
//! idea: a record joins the first group whose behaviour is that close. The Pareto front lists
//! single candidates.
//!
//! With a multi-fidelity ladder a candidate is shown by its highest rung: a higher rung ranks
//! first (its scores come from a larger budget), and on the Pareto front the rung is one more
//! dimension to maximise. A promotion replaces the candidate's lower-rung entry, which the
//! live hall of fame does by rebuilding from the latest record of each candidate.

use super::objective::{metric, scores};
use super::pareto::dominates;
use super::record::{Outcome, Record};
use super::space::FieldError;
use super::space::Objective;
use crate::grad::BackwardMode;
use crate::train::Summary;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One candidate in the hall of fame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Its id in the run.
    pub id: u64,
    /// The rung of a multi-fidelity ladder its values come from (0 without one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rung: u32,
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
    /// Candidates of this structure trained so far, this one included (its variants: the same
    /// forward and backward up to constants). Always 1 on the Pareto front; 1 in hall-of-fame
    /// files written before variants were counted.
    #[serde(default = "one")]
    pub variants: usize,
}

fn one() -> usize {
    1
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What an entry is ranked by: its rung, then its main score (larger is better for both).
type Rank = (u32, f64);

/// Whether rank `a` is strictly better than rank `b`.
fn better(a: Rank, b: Rank) -> bool {
    a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).is_gt()
}

/// An entry's point for Pareto sorting: its rung, then its scores.
fn pareto_point(objectives: &[Objective], e: &Entry) -> Vec<f64> {
    std::iter::once(f64::from(e.rung))
        .chain(scores(objectives, &e.values))
        .collect()
}

/// The grouping key of a record: the structures ([`crate::expr::structure`]) of its forward and
/// of its derived backward formula, constants erased. A formula that does not parse (a
/// hand-edited journal) is its own structure.
pub fn structure_key(formula: &str, backward_formula: &str) -> String {
    let erase = |f: &str| {
        crate::expr::parse(f).map_or_else(|_| f.to_string(), |g| crate::expr::structure(&g))
    };
    format!("{} | {}", erase(formula), erase(backward_formula))
}

/// Points a candidate's behaviour is sampled at: 97 evenly spaced over [-4, 4].
pub const BEHAVIOUR_POINTS: usize = 97;
/// Largest difference, relative to `1 + |value|`, at which two behaviours count as the same.
pub const BEHAVIOUR_TOLERANCE: f32 = 0.01;

/// What a candidate computes, sampled: its forward function and backward multiplier at
/// [`BEHAVIOUR_POINTS`] points.
#[derive(Clone, Debug, PartialEq)]
pub struct Behaviour {
    f: Vec<f32>,
    g: Vec<f32>,
}

impl Behaviour {
    /// The behaviour of a record's formulas; `None` when one does not parse.
    pub fn of(formula: &str, backward_formula: &str) -> Option<Behaviour> {
        let sample = |text: &str| -> Option<Vec<f32>> {
            let program = crate::expr::Program::compile(&crate::expr::parse(text).ok()?);
            let xs: Vec<f32> = (0..BEHAVIOUR_POINTS)
                .map(|i| -4.0 + 8.0 * i as f32 / (BEHAVIOUR_POINTS - 1) as f32)
                .collect();
            let mut ys = vec![0.0; xs.len()];
            program.eval(&xs, &mut ys);
            Some(ys)
        };
        Some(Behaviour {
            f: sample(formula)?,
            g: sample(backward_formula)?,
        })
    }

    /// Whether the two agree everywhere within [`BEHAVIOUR_TOLERANCE`] (relative to
    /// `1 + |value|`; NaN agrees only with NaN, an infinity only with itself).
    pub fn near(&self, other: &Behaviour) -> bool {
        let close = |a: &[f32], b: &[f32]| {
            a.iter().zip(b).all(|(&x, &y)| {
                if x.is_nan() || y.is_nan() {
                    return x.is_nan() && y.is_nan();
                }
                if x.is_infinite() || y.is_infinite() {
                    return x == y;
                }
                x == y || (x - y).abs() <= BEHAVIOUR_TOLERANCE * (1.0 + x.abs().max(y.abs()))
            })
        };
        close(&self.f, &other.f) && close(&self.g, &other.g)
    }
}

/// What the live hall of fame knows about one structure: its best member (id and main score)
/// and how many were trained.
#[derive(Clone, Debug)]
struct Group {
    best: (u64, Rank),
    count: usize,
}

/// Whether `a` (id, rank) ranks before `b`: a better rank, or an equal one and an earlier id.
fn ranks_before(a: (u64, Rank), b: (u64, Rank)) -> bool {
    better(a.1, b.1) || (!better(b.1, a.1) && a.0 < b.0)
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
    /// Every group seen, by the [`structure_key`] of its first member.
    groups: HashMap<String, Group>,
    /// The behaviour of each group's first member, to find the group a new structure's
    /// behaviour is near.
    behaviours: Vec<(String, Behaviour)>,
    /// The sampled behaviour of each pair of forward and backward formulas seen, once
    /// computed (kept across rebuilds: a candidate's formulas are the same at every rung).
    sampled: HashMap<(String, String), Option<Behaviour>>,
    /// The structure key of each entry of `hall.top`, in the same order.
    top_keys: Vec<String>,
    /// The rung of each candidate's latest trained or failed record.
    rungs: HashMap<u64, u32>,
    /// The latest record of each candidate trained successfully at its rung, in id order:
    /// what a promotion rebuilds the hall from.
    latest: std::collections::BTreeMap<u64, Record>,
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
            groups: HashMap::new(),
            behaviours: Vec::new(),
            sampled: HashMap::new(),
            top_keys: Vec::new(),
            rungs: HashMap::new(),
            latest: Default::default(),
        }
    }

    /// The hall of fame so far.
    pub fn hall(&self) -> &HallOfFame {
        &self.hall
    }

    /// Takes a record into account: a trained candidate with one value per objective may
    /// enter the top entries and the Pareto front; a record of a candidate at a higher rung
    /// replaces its earlier one (a failed one removes it); any other record changes nothing.
    pub fn add(&mut self, r: &Record) {
        if !matches!(r.outcome, Outcome::Trained { .. } | Outcome::Failed { .. }) {
            return;
        }
        // A record of a lower rung than one already seen arrives only from a hand-edited
        // journal; one of the same rung (a journal with a repeated id) is taken as it comes.
        let promoted = match self.rungs.get(&r.id) {
            Some(&rung) if rung > r.rung => return,
            Some(&rung) => rung < r.rung,
            None => false,
        };
        self.rungs.insert(r.id, r.rung);
        if r.is_trained() {
            self.latest.insert(r.id, r.clone());
        } else {
            self.latest.remove(&r.id);
        }
        if promoted {
            self.rebuild();
        } else {
            self.insert(r);
        }
    }

    /// Starts again from the latest record of every candidate.
    fn rebuild(&mut self) {
        self.hall.top.clear();
        self.hall.pareto.clear();
        self.groups.clear();
        self.behaviours.clear();
        self.top_keys.clear();
        let latest = std::mem::take(&mut self.latest);
        for r in latest.values() {
            self.insert(r);
        }
        self.latest = latest;
    }

    /// The key of the group `r` belongs to: its structure's, or that of the first group whose
    /// behaviour is near its own.
    fn group_key(&mut self, r: &Record) -> String {
        let key = structure_key(&r.formula, &r.backward_formula);
        if self.groups.contains_key(&key) {
            return key;
        }
        let behaviour = self
            .sampled
            .entry((r.formula.clone(), r.backward_formula.clone()))
            .or_insert_with(|| Behaviour::of(&r.formula, &r.backward_formula))
            .clone();
        let Some(behaviour) = behaviour else {
            return key;
        };
        if let Some((near, _)) = self.behaviours.iter().find(|(_, b)| b.near(&behaviour)) {
            return near.clone();
        }
        self.behaviours.push((key.clone(), behaviour));
        key
    }

    /// Adds a candidate's latest record to the top entries and the Pareto front.
    fn insert(&mut self, r: &Record) {
        let objectives = self.hall.objectives.clone();
        let objectives = &objectives;
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
        let mut entry = Entry {
            id: r.id,
            rung: r.rung,
            formula: r.formula.clone(),
            backward: r.backward.clone(),
            backward_formula: r.backward_formula.clone(),
            values,
            summary: evaluation.summary.clone(),
            variants: 1,
        };
        let point = pareto_point(objectives, &entry);
        let rank: Rank = (entry.rung, point[1]);
        // Best first by rung and main objective; among equals, earlier ids, then earlier
        // records.
        let position = |list: &[Entry]| {
            list.partition_point(|e| {
                let other: Rank = (e.rung, scores(objectives, &e.values)[0]);
                better(other, rank) || (!better(rank, other) && e.id <= entry.id)
            })
        };
        // The top entries: one per group (a structure, and the structures that behave like
        // it), its best member.
        let key = self.group_key(r);
        let in_top = self.top_keys.iter().position(|k| *k == key);
        let group = self.groups.entry(key.clone()).or_insert(Group {
            best: (r.id, rank),
            count: 0,
        });
        group.count += 1;
        let count = group.count;
        if count > 1 && !ranks_before((r.id, rank), group.best) {
            // A variant no better than the structure's best: only the count changes.
            if let Some(i) = in_top {
                self.hall.top[i].variants = count;
            }
        } else {
            group.best = (r.id, rank);
            if let Some(i) = in_top {
                self.hall.top.remove(i);
                self.top_keys.remove(i);
            }
            if self.hall.top.len() < self.size || position(&self.hall.top) < self.hall.top.len() {
                let at = position(&self.hall.top);
                self.hall.top.insert(
                    at,
                    Entry {
                        variants: count,
                        ..entry.clone()
                    },
                );
                self.top_keys.insert(at, key);
                self.hall.top.truncate(self.size);
                self.top_keys.truncate(self.size);
            }
        }
        // The Pareto front: a point no member dominates enters and drops the members it
        // dominates (dominance is transitive, so a point dominated by a dropped member is
        // dominated by a member still there).
        let front = &mut self.hall.pareto;
        if front
            .iter()
            .any(|e| dominates(&pareto_point(objectives, e), &point))
        {
            return;
        }
        front.retain(|e| !dominates(&point, &pareto_point(objectives, e)));
        let at = position(front);
        entry.variants = 1;
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
            if e.variants == 0 {
                return Err(FieldError::new(
                    "variants",
                    format!("entry #{} counts 0 variants (at least itself)", e.id),
                ));
            }
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

    /// A plain-text table: the top entries with their objective values, a headline measure
    /// that is not one of them (median test accuracy; a GAN run: median modes covered, or the
    /// median high-quality share when modes is an objective) and number of variants, then the
    /// Pareto front when there are several objectives.
    pub fn table(&self) -> String {
        let names: Vec<String> = self.objectives.iter().map(|o| o.to_string()).collect();
        // A GAN run's objectives are GAN objectives: its headline is a GAN measure too.
        let gan = self.objectives.iter().any(|o| !o.measured_on(false));
        let headline = match (gan, self.objectives.contains(&Objective::Modes)) {
            (false, _) => Objective::TestAccuracy,
            (true, false) => Objective::Modes,
            (true, true) => Objective::HighQuality,
        };
        let decimals = match headline {
            Objective::Modes => 1,
            Objective::HighQuality => 3,
            _ => 4,
        };
        let mut out = format!(
            "Hall of fame ({}, {}):\n",
            names.join(", "),
            headline.label()
        );
        for e in &self.top {
            let value = e
                .summary
                .metrics
                .as_ref()
                .and_then(|m| metric(headline, m).map(|s| format!("{:.decimals$}", s.median)));
            let test = value.unwrap_or_else(|| "-".to_string());
            let variants = if e.variants > 1 {
                format!("  ({} variants)", e.variants)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{}  {test}  {} [{}]{variants}\n",
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
    let rung = if e.rung > 0 {
        format!("r{} ", e.rung)
    } else {
        String::new()
    };
    format!("  #{:<5} {rung}{}", e.id, values.join("  "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Fingerprint;
    use crate::search::pareto::fronts;
    use crate::search::record::Origin;
    use crate::train::{Evaluation, Summary};
    use proptest::prelude::*;

    /// A record of candidate `id`, a structure of its own (`x * x * ... + id`), trained or
    /// failed, with objective values `values`.
    fn record(id: u64, trained: bool, values: Option<Vec<f64>>) -> Record {
        let formula = format!("x{} + {id}", " * x".repeat(id as usize));
        record_of(&formula, id, trained, values)
    }

    /// A record of `formula` (exact backward) as candidate `id`.
    fn record_of(formula: &str, id: u64, trained: bool, values: Option<Vec<f64>>) -> Record {
        let evaluation = Evaluation {
            summary: Summary::of(&[], 0.0),
            seeds: Vec::new(),
        };
        Record {
            id,
            batch: 0,
            rung: 0,
            formula: formula.to_string(),
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

    /// The hall of fame computed from all records at once, without the live version's
    /// bookkeeping: the entries grouped by structure, each group's best member (by main
    /// objective, then id, then arrival) with the group's size, sorted the same way; and the
    /// first front of a full non-dominated sort of all entries.
    fn rebuilt(objectives: &[Objective], size: usize, records: &[Record]) -> HallOfFame {
        let entries: Vec<(String, Entry)> = records
            .iter()
            .filter(|r| r.is_trained())
            .filter_map(|r| {
                let values = r.objectives.clone()?;
                (values.len() == objectives.len()).then(|| {
                    let key = structure_key(&r.formula, &r.backward_formula);
                    let entry = Entry {
                        id: r.id,
                        rung: 0,
                        formula: r.formula.clone(),
                        backward: r.backward.clone(),
                        backward_formula: r.backward_formula.clone(),
                        values,
                        summary: Summary::of(&[], 0.0),
                        variants: 1,
                    };
                    (key, entry)
                })
            })
            .collect();
        let score = |e: &Entry| scores(objectives, &e.values);
        // Stable sorts keep arrival order among equals.
        let by_main =
            |a: &Entry, b: &Entry| score(b)[0].total_cmp(&score(a)[0]).then(a.id.cmp(&b.id));
        let mut sorted: Vec<(String, Entry)> = entries.clone();
        sorted.sort_by(|a, b| by_main(&a.1, &b.1));
        let mut top: Vec<Entry> = Vec::new();
        for (key, e) in &sorted {
            if sorted.iter().find(|(k, _)| k == key).map(|(_, b)| b) == Some(e)
                && !top
                    .iter()
                    .any(|t| structure_key(&t.formula, &t.backward_formula) == *key)
            {
                let variants = entries.iter().filter(|(k, _)| k == key).count();
                top.push(Entry {
                    variants,
                    ..e.clone()
                });
            }
        }
        top.truncate(size);
        let points: Vec<Vec<f64>> = entries.iter().map(|(_, e)| score(e)).collect();
        let mut pareto: Vec<Entry> = fronts(&points)
            .first()
            .map(|f| f.iter().map(|&i| entries[i].1.clone()).collect())
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
                (0u64..8, any::<bool>(), proptest::collection::vec(0u8..4, 1..4), 0usize..3),
                0..60,
            ),
        ) {
            let objectives = [Objective::ValidationAccuracy, Objective::Cost, Objective::Sparsity];
            // Three structures; each record's constant is its id, so that a structure's
            // members are variants of each other.
            let structures = ["x + {}", "tanh(x) * {}", "threshold(x, {})"];
            let records: Vec<Record> = draws
                .into_iter()
                .map(|(id, trained, levels, s)| {
                    let values = levels.into_iter().map(|l| f64::from(l) / 4.0).collect();
                    let formula = structures[s].replace("{}", &(id + 1).to_string());
                    record_of(&formula, id, trained || id % 3 != 0, Some(values))
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
        // Three structures (equal entries of one structure would be variants of one entry).
        let records = [
            record_of("tanh(x)", 1, true, Some(vec![0.5, 0.25])),
            record_of("relu(x)", 1, true, Some(vec![0.5, 0.75])),
            record_of("x", 0, true, Some(vec![0.5, 0.5])),
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

    #[test]
    fn variants_that_differ_only_in_constants_are_one_entry() {
        let objectives = [Objective::ValidationAccuracy];
        let records = [
            record_of("threshold(x, 0.0487)", 1, true, Some(vec![0.97])),
            record_of("relu(x)", 2, true, Some(vec![0.96])),
            record_of("threshold(x, 0.0544)", 3, true, Some(vec![0.98])),
            record_of("x + 0.5", 4, true, Some(vec![0.5])),
            record_of("threshold(x, 0.0458)", 5, true, Some(vec![0.975])),
        ];
        let hall = HallOfFame::build(&objectives, 5, &records);
        let rows: Vec<(u64, usize)> = hall.top.iter().map(|e| (e.id, e.variants)).collect();
        // relu behaves like the thresholds at the sampled points (relu in all but name): one
        // idea with four variants.
        assert_eq!(rows, [(3, 4), (4, 1)]);
        assert_eq!(hall.top[0].formula, "threshold(x, 0.0544)");
        assert!(hall
            .table()
            .contains("threshold(x, 0.0544) [exact]  (4 variants)"));
        // The first two thresholds: one entry with 2 variants.
        let two = HallOfFame::build(&objectives, 5, &[records[0].clone(), records[2].clone()]);
        assert_eq!(two.top.len(), 1);
        assert_eq!((two.top[0].id, two.top[0].variants), (3, 2));
        // Another backward is another structure.
        let mut other = records[0].clone();
        other.id = 6;
        other.backward_formula = "heaviside(x - 0.0487)".into();
        let hall = HallOfFame::build(&objectives, 5, &[records[2].clone(), other]);
        assert_eq!(hall.top.len(), 2);
        // A group whose best left the top counts its variants when a better one comes back.
        let mut live = LiveHallOfFame::new(&objectives, 1);
        live.add(&record_of("tanh(x) * 2", 1, true, Some(vec![0.5])));
        live.add(&record_of("relu(x)", 2, true, Some(vec![0.8])));
        live.add(&record_of("tanh(x) * 3", 3, true, Some(vec![0.4])));
        live.add(&record_of("tanh(x) * 4", 4, true, Some(vec![0.9])));
        let top: Vec<(u64, usize)> = live.hall().top.iter().map(|e| (e.id, e.variants)).collect();
        assert_eq!(top, [(4, 3)]);
    }

    #[test]
    fn hall_of_fame_files_without_variants_still_load() {
        let objectives = [Objective::ValidationAccuracy];
        let hall = HallOfFame::build(&objectives, 2, &[record(1, true, Some(vec![0.9]))]);
        let text = ron::ser::to_string(&hall).unwrap();
        assert!(text.contains("variants:1"), "{text}");
        let old = text.replace(",variants:1", "");
        assert_ne!(old, text);
        let read: HallOfFame = ron::from_str(&old).unwrap();
        assert_eq!(read, hall);
        assert!(read.check(&objectives).is_ok());
    }

    #[test]
    fn a_promoted_candidate_ranks_by_its_highest_rung_and_replaces_its_entry() {
        let objectives = [Objective::ValidationAccuracy];
        let at = |formula: &str, id: u64, rung: u32, acc: f64| {
            let mut r = record_of(formula, id, true, Some(vec![acc]));
            r.rung = rung;
            r
        };
        let mut live = LiveHallOfFame::new(&objectives, 3);
        live.add(&at("relu(x)", 0, 0, 0.90));
        live.add(&at("tanh(x)", 1, 0, 0.80));
        live.add(&at("abs(x)", 2, 0, 0.70));
        let ids = |h: &HallOfFame| h.top.iter().map(|e| (e.id, e.rung)).collect::<Vec<_>>();
        assert_eq!(ids(live.hall()), vec![(0, 0), (1, 0), (2, 0)]);
        // Candidate 2 at rung 1 ranks first even with a lower score, and only once.
        live.add(&at("abs(x)", 2, 1, 0.60));
        assert_eq!(ids(live.hall()), vec![(2, 1), (0, 0), (1, 0)]);
        assert_eq!(live.hall().pareto.iter().filter(|e| e.id == 2).count(), 1);
        // A record of an older rung changes nothing; a failed promotion removes the candidate.
        live.add(&at("abs(x)", 2, 0, 0.99));
        assert_eq!(ids(live.hall()), vec![(2, 1), (0, 0), (1, 0)]);
        let mut failed = record_of("relu(x)", 0, false, None);
        failed.rung = 1;
        live.add(&failed);
        assert_eq!(ids(live.hall()), vec![(2, 1), (1, 0)]);
        assert!(
            live.hall().table().contains("#2     r1 0.6000"),
            "{}",
            live.hall().table()
        );
    }

    #[test]
    fn structures_that_behave_alike_are_one_entry() {
        let objectives = [Objective::ValidationAccuracy];
        let records = [
            record_of("relu(x)", 0, true, Some(vec![0.80])),
            record_of("tanh(x)", 1, true, Some(vec![0.70])),
            // Another structure, within 0.001 of relu everywhere: a variant of its entry.
            record_of("max(x, 0.001)", 2, true, Some(vec![0.85])),
            // Different by 0.05 at and below 0: its own entry.
            record_of("max(x, 0.05)", 3, true, Some(vec![0.60])),
        ];
        let hall = HallOfFame::build(&objectives, 5, &records);
        let top: Vec<(u64, usize)> = hall.top.iter().map(|e| (e.id, e.variants)).collect();
        assert_eq!(top, vec![(2, 2), (1, 1), (3, 1)]);
        let relu = Behaviour::of("relu(x)", "heaviside(x)").unwrap();
        assert!(relu.near(&Behaviour::of("max(x, 0.001)", "heaviside(x)").unwrap()));
        assert!(
            !relu.near(&Behaviour::of("relu(x)", "1").unwrap()),
            "backward differs"
        );
        let sampled = |f: Vec<f32>| Behaviour { f, g: vec![1.0; 3] };
        let nan = sampled(vec![f32::NAN, f32::INFINITY, 1.0]);
        assert!(nan.near(&nan.clone()));
        assert!(!nan.near(&sampled(vec![0.0, f32::INFINITY, 1.0])));
        assert!(!nan.near(&sampled(vec![f32::NAN, f32::MAX, 1.0])));
    }
}
