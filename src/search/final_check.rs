//! The final check of a run: its best candidates trained again on new seeds, next to baselines
//! trained on the same seeds, compared by median test accuracy and a paired sign test.

use super::hall_of_fame::HallOfFame;
use super::space::FieldError;
use super::space::SearchSpace;
use super::stats::{sign_test, SignTest};
use crate::activation::Activation;
use crate::grad::BackwardMode;
use crate::train::{median, Evaluation, TrainError, Trainer, Workers};
use serde::{Deserialize, Serialize};

/// One candidate (or baseline) retrained on the check seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checked {
    /// Run id (`None` for a baseline).
    pub id: Option<u64>,
    /// Forward formula.
    pub formula: String,
    /// Backward mode.
    pub backward: BackwardMode,
    /// Test accuracy per check seed (NaN where the seed failed).
    pub test_accuracy: Vec<f64>,
    /// Median test accuracy.
    pub median_test_accuracy: Option<f64>,
    /// Paired sign test against each baseline, in the order of [`FinalReport::baselines`].
    pub against: Vec<SignTest>,
}

/// The final check of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FinalReport {
    /// The check seeds.
    pub seeds: Vec<u64>,
    /// The baselines, trained with their exact derivative.
    pub baselines: Vec<Checked>,
    /// The best candidates of the run, in hall-of-fame order.
    pub candidates: Vec<Checked>,
}

fn test_accuracies(e: &Evaluation) -> Vec<f64> {
    e.seeds
        .iter()
        .map(|s| s.metrics.as_ref().map_or(f64::NAN, |m| m.test_accuracy))
        .collect()
}

/// Retrains the top `space.final_check.top` of `hall` and the baselines on the check seeds,
/// one row per worker at a time.
///
/// Rows in `done` (from an earlier, interrupted check: same id, formula and backward) are not
/// trained again; `on_row` is told each row as soon as it is trained, so that a caller can keep
/// them (a killed final check then loses only the rows in flight).
pub fn final_check(
    space: &SearchSpace,
    hall: &HallOfFame,
    done: &[Checked],
    on_row: &(dyn Fn(&Checked) + Sync),
    workers: &Workers,
) -> Result<FinalReport, TrainError> {
    let cfg = &space.final_check;
    let mut task = space.task.clone();
    task.seeds = cfg.seeds.clone();
    let trainer = Trainer::new(task)?.with_threads(1);
    let mut jobs: Vec<(Option<u64>, Activation)> = cfg
        .baselines
        .iter()
        .filter_map(|f| Activation::parse(f, "exact").ok().map(|a| (None, a)))
        .collect();
    let n_baselines = jobs.len();
    for e in hall.top.iter().take(cfg.top) {
        if let Ok(a) = Activation::parse(&e.formula, &e.backward.to_string()) {
            jobs.push((Some(e.id), a));
        }
    }
    let rows: Vec<Result<Checked, TrainError>> = workers.map(jobs.len(), |job| {
        let (id, act) = &jobs[job];
        let formula = act.forward.to_string();
        let earlier = done.iter().find(|c| {
            c.id == *id
                && c.formula == formula
                && c.backward == act.backward
                && c.test_accuracy.len() == cfg.seeds.len()
        });
        if let Some(row) = earlier {
            return Ok(Checked {
                against: Vec::new(),
                ..row.clone()
            });
        }
        let acc = test_accuracies(&trainer.evaluate(&act.compile())?);
        let row = Checked {
            id: *id,
            formula,
            backward: act.backward.clone(),
            median_test_accuracy: median(&acc),
            test_accuracy: acc,
            against: Vec::new(),
        };
        on_row(&row);
        Ok(row)
    })?;
    let mut checked = rows
        .into_iter()
        .collect::<Result<Vec<Checked>, TrainError>>()?;
    let candidates: Vec<Checked> = checked.split_off(n_baselines);
    let baselines = checked;
    let candidates = candidates
        .into_iter()
        .map(|mut c| {
            c.against = baselines
                .iter()
                .map(|b| sign_test(&c.test_accuracy, &b.test_accuracy))
                .collect();
            c
        })
        .collect();
    Ok(FinalReport {
        seeds: cfg.seeds.clone(),
        baselines,
        candidates,
    })
}

impl FinalReport {
    /// Checks a report read from a run: one accuracy per seed and one test per baseline in
    /// every row. On error, the field and what is wrong.
    pub fn check(&self) -> Result<(), FieldError> {
        for c in self.baselines.iter().chain(&self.candidates) {
            if c.test_accuracy.len() != self.seeds.len() {
                return Err(FieldError::new(
                    "test_accuracy",
                    format!(
                        "`{}` has {} accuracies for {} seeds",
                        c.formula,
                        c.test_accuracy.len(),
                        self.seeds.len()
                    ),
                ));
            }
        }
        for c in &self.candidates {
            if c.against.len() != self.baselines.len() {
                return Err(FieldError::new(
                    "against",
                    format!(
                        "`{}` has {} tests for {} baselines",
                        c.formula,
                        c.against.len(),
                        self.baselines.len()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A plain-text table: one row per baseline and candidate.
    pub fn table(&self) -> String {
        let mut out = format!(
            "Final check: test accuracy over {} new seeds (median), paired sign test against the baselines\n",
            self.seeds.len()
        );
        let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.2}%", 100.0 * v));
        for b in &self.baselines {
            out.push_str(&format!(
                "  baseline  {:>8}  {} [{}]\n",
                pct(b.median_test_accuracy),
                b.formula,
                b.backward
            ));
        }
        for c in &self.candidates {
            let tests: Vec<String> = self
                .baselines
                .iter()
                .zip(&c.against)
                .map(|(b, t)| {
                    format!(
                        "vs {}: {} wins, {} losses, {} ties, p = {:.3}",
                        b.formula, t.wins, t.losses, t.ties, t.p_value
                    )
                })
                .collect();
            out.push_str(&format!(
                "  #{:<7} {:>8}  {} [{}]   {}\n",
                c.id.map_or(String::new(), |i| i.to_string()),
                pct(c.median_test_accuracy),
                c.formula,
                c.backward,
                tests.join("; ")
            ));
        }
        out
    }
}
