//! The final check of a run: its best candidates trained again on new seeds, next to baselines
//! trained on the same seeds, compared by a median and a paired sign test, and a [`Verdict`]
//! per candidate: better only when it beats every baseline with a Holm-adjusted p-value below
//! [`CHECK_ALPHA`]. A classification run is compared by test accuracy; a GAN run by its main
//! GAN objective (reverse KL or modes, [`check_metric`]), which the new seeds measure afresh.

use super::hall_of_fame::HallOfFame;
use super::objective;
use super::space::{FieldError, Objective, SearchSpace};
use super::stats::{holm, seeds_to_reach, sign_test, SignTest};
use crate::activation::Activation;
use crate::grad::BackwardMode;
use crate::train::{median, Evaluation, Measurements, TrainError, Trainer, Workers};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Fewest check seeds a final check should have, whatever the number of baselines: with fewer,
/// a sign test calls a candidate better only if it wins on (nearly) every seed.
pub const MIN_CHECK_SEEDS: usize = 8;

/// The significance level of the final check's verdict (after Holm's correction).
pub const CHECK_ALPHA: f64 = 0.05;

/// Check seeds needed against `baselines` baselines: at least [`MIN_CHECK_SEEDS`], and enough
/// that a candidate winning on every seed reaches a Holm-adjusted p-value below [`CHECK_ALPHA`]
/// against each (`stats::seeds_to_reach`).
pub fn seeds_needed(baselines: usize) -> usize {
    MIN_CHECK_SEEDS.max(seeds_to_reach(baselines, CHECK_ALPHA))
}

/// Why a final check with `seeds` seeds and `baselines` baselines gives a weak verdict, if it
/// does: `None` when it has [`seeds_needed`] seeds (or no baselines).
pub fn seeds_warning(seeds: usize, baselines: usize) -> Option<String> {
    let needed = seeds_needed(baselines);
    if baselines == 0 || seeds >= needed {
        return None;
    }
    let reach = seeds_to_reach(baselines, CHECK_ALPHA);
    Some(if seeds < reach {
        format!(
            "with {seeds} check seeds no candidate can be called better than {baselines} \
             baseline{}, even one that wins on every seed (the Holm-adjusted sign test needs at \
             least {reach}); use at least {needed}",
            if baselines == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "only {seeds} check seeds: a candidate is called better only if it wins on nearly \
             every seed; use at least {needed}"
        )
    })
}

/// One candidate (or baseline) retrained on the check seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checked {
    /// Run id (`None` for a baseline).
    pub id: Option<u64>,
    /// Forward formula.
    pub formula: String,
    /// Backward mode.
    pub backward: BackwardMode,
    /// The compared metric ([`FinalReport::metric`]) per check seed (NaN where the seed
    /// failed). Written `test_accuracy` by runs made before GAN tasks.
    #[serde(alias = "test_accuracy")]
    pub values: Vec<f64>,
    /// Its median over the seeds that completed.
    #[serde(alias = "median_test_accuracy")]
    pub median: Option<f64>,
    /// The medians of the space's other objectives that the check seeds measure (a GAN's
    /// modes next to its reverse KL), shown, not compared; empty in reports written before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<(Objective, f64)>,
    /// Paired sign test against each baseline, in the order of [`FinalReport::baselines`].
    pub against: Vec<SignTest>,
}

/// The final check of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FinalReport {
    /// The check seeds.
    pub seeds: Vec<u64>,
    /// What is compared: test accuracy (the default, and what reports written before GAN
    /// tasks compared), or a GAN objective.
    #[serde(default = "test_accuracy")]
    pub metric: Objective,
    /// The baselines, trained with their exact derivative.
    pub baselines: Vec<Checked>,
    /// The best candidates of the run, in hall-of-fame order.
    pub candidates: Vec<Checked>,
}

/// [`Objective::TestAccuracy`], the metric of a report that names none.
fn test_accuracy() -> Objective {
    Objective::TestAccuracy
}

/// What the final check of `space` compares: test accuracy for a classification task; for a
/// GAN task, the first of its objectives that is a GAN score (reverse KL when none is).
pub fn check_metric(space: &SearchSpace) -> Objective {
    match space.task.dataset.is_gan() {
        false => Objective::TestAccuracy,
        true => space
            .objectives
            .iter()
            .copied()
            .find(|o| !o.measured_on(false))
            .unwrap_or(Objective::ReverseKl),
    }
}

/// `metric` on each seed of `e` (NaN where the seed failed).
fn seed_values(metric: Objective, e: &Evaluation) -> Vec<f64> {
    e.seeds
        .iter()
        .map(|s| {
            s.metrics
                .as_ref()
                .and_then(|m| objective::metric(metric, m))
                .unwrap_or(f64::NAN)
        })
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
    // Trained at the budget results are judged at (a ladder's top rung), on new seeds.
    let mut task = space.top_task();
    task.seeds = cfg.seeds.clone();
    // The check compares test accuracy (or a GAN's score) only.
    let metric = check_metric(space);
    let trainer = Trainer::new(task)?.measuring(Measurements::TEST);
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
                && c.values.len() == cfg.seeds.len()
        });
        if let Some(row) = earlier {
            return Ok(Checked {
                against: Vec::new(),
                ..row.clone()
            });
        }
        let evaluation = trainer.evaluate_here(&act.compile())?;
        let values = seed_values(metric, &evaluation);
        let also = space
            .objectives
            .iter()
            .filter(|&&o| o != metric)
            .filter_map(|&o| Some((o, median(&seed_values(o, &evaluation))?)))
            .collect();
        let row = Checked {
            id: *id,
            formula,
            backward: act.backward.clone(),
            median: median(&values),
            values,
            also,
            against: Vec::new(),
        };
        on_row(&row);
        Ok(row)
    })?;
    let mut checked = rows
        .into_iter()
        .collect::<Result<Vec<Checked>, TrainError>>()?;
    let candidates: Vec<Checked> = checked.split_off(n_baselines);
    Ok(FinalReport::new(
        cfg.seeds.clone(),
        metric,
        checked,
        candidates,
    ))
}

/// A candidate against one baseline, within a [`Verdict`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The baseline's name (`gelu`), or its formula when it is not a standard one.
    pub baseline: String,
    /// The paired sign test of the candidate against it.
    pub test: SignTest,
    /// Its p-value after Holm's correction over all the baselines.
    pub adjusted_p: f64,
}

impl Comparison {
    /// Whether the candidate is better than this baseline: more wins than losses and an
    /// adjusted p-value below [`CHECK_ALPHA`].
    pub fn better(&self) -> bool {
        self.test.wins > self.test.losses && self.adjusted_p < CHECK_ALPHA
    }
}

/// What the final check concludes about one candidate: better than the baselines only if it
/// beats every one of them (each paired sign test two-sided, the p-values Holm-corrected over
/// the baselines, so that the chance of wrongly calling it better than any is at most
/// [`CHECK_ALPHA`]). Its `Display` is the one line that `radact inspect`, the end of a search
/// and the desktop app show.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// The candidate's run id.
    pub id: Option<u64>,
    /// Its forward formula.
    pub formula: String,
    /// One comparison per baseline, in the report's order.
    pub comparisons: Vec<Comparison>,
}

impl Verdict {
    /// Whether the candidate beats every baseline (false without baselines).
    pub fn better(&self) -> bool {
        !self.comparisons.is_empty() && self.comparisons.iter().all(Comparison::better)
    }
}

/// Most baselines a verdict line names (the others are counted).
const NAMED_IN_VERDICT: usize = 3;

/// A p-value for a verdict line, rounded up to 3 decimals so that `p ≤ shown` holds.
fn show_p(p: f64) -> String {
    format!("{:.3}", (p * 1000.0).ceil() / 1000.0)
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = self.id.map_or(self.formula.clone(), |id| format!("#{id}"));
        let m = self.comparisons.len();
        if m == 0 {
            return write!(f, "{who}: no baseline to compare with");
        }
        if self.better() {
            let worst = self
                .comparisons
                .iter()
                .map(|c| c.adjusted_p)
                .fold(0.0, f64::max);
            let all = if m == 1 {
                format!("beats {}", self.comparisons[0].baseline)
            } else {
                format!("beats all {m} baselines")
            };
            return write!(f, "{who} {all} (Holm-adjusted p ≤ {})", show_p(worst));
        }
        // The baselines it does not beat, the clearest (largest p) first; the table above the
        // verdicts has every test.
        let mut not: Vec<&Comparison> = self.comparisons.iter().filter(|c| !c.better()).collect();
        not.sort_by(|a, b| b.adjusted_p.total_cmp(&a.adjusted_p));
        let named: Vec<String> = not
            .iter()
            .take(NAMED_IN_VERDICT)
            .enumerate()
            .map(|(i, c)| {
                let worse = c.test.losses > c.test.wins && c.adjusted_p < CHECK_ALPHA;
                format!(
                    "{} ({}p = {}{})",
                    c.baseline,
                    if i == 0 { "Holm-adjusted " } else { "" },
                    show_p(c.adjusted_p),
                    if worse { ", significantly worse" } else { "" }
                )
            })
            .collect();
        write!(f, "{who} is not better than {}", named.join(", "))?;
        if not.len() > named.len() {
            write!(f, " and {} more", not.len() - named.len())?;
        }
        if m > 1 {
            write!(f, "; better than {} of {m} baselines", m - not.len())?;
        }
        Ok(())
    }
}

/// The name of a baseline row: the standard baseline's name when its formula is one
/// (`relu(x)` is `relu`), else the formula.
fn baseline_name(formula: &str) -> String {
    crate::train::BASELINES
        .iter()
        .find(|b| {
            b.formula == formula
                || crate::expr::parse(b.formula).is_ok_and(|g| g.to_string() == formula)
        })
        .map_or_else(|| formula.to_string(), |b| b.name.to_string())
}

impl FinalReport {
    /// The report of baselines and candidates trained on `seeds` and compared by `metric`:
    /// each candidate's paired sign test against each baseline ([`Checked::against`]) is
    /// computed here, a win being a larger value, or a smaller one for a minimised metric.
    pub fn new(
        seeds: Vec<u64>,
        metric: Objective,
        baselines: Vec<Checked>,
        candidates: Vec<Checked>,
    ) -> FinalReport {
        let oriented = |c: &Checked| -> Vec<f64> {
            match metric.maximise() {
                true => c.values.clone(),
                false => c.values.iter().map(|v| -v).collect(),
            }
        };
        let candidates = candidates
            .into_iter()
            .map(|mut c| {
                c.against = baselines
                    .iter()
                    .map(|b| sign_test(&oriented(&c), &oriented(b)))
                    .collect();
                c
            })
            .collect();
        FinalReport {
            seeds,
            metric,
            baselines,
            candidates,
        }
    }

    /// The verdict on each candidate, in the order of [`FinalReport::candidates`].
    pub fn verdicts(&self) -> Vec<Verdict> {
        self.candidates
            .iter()
            .map(|c| {
                let p: Vec<f64> = c.against.iter().map(|t| t.p_value).collect();
                let comparisons = self
                    .baselines
                    .iter()
                    .zip(&c.against)
                    .zip(holm(&p))
                    .map(|((b, test), adjusted_p)| Comparison {
                        baseline: baseline_name(&b.formula),
                        test: *test,
                        adjusted_p,
                    })
                    .collect();
                Verdict {
                    id: c.id,
                    formula: c.formula.clone(),
                    comparisons,
                }
            })
            .collect()
    }

    /// Why this report's verdicts are weak, if they are: too few seeds for its baselines
    /// ([`seeds_warning`]).
    pub fn seeds_warning(&self) -> Option<String> {
        seeds_warning(self.seeds.len(), self.baselines.len())
    }

    /// Checks a report read from a run: one accuracy per seed and one test per baseline in
    /// every row. On error, the field and what is wrong.
    pub fn check(&self) -> Result<(), FieldError> {
        for c in self.baselines.iter().chain(&self.candidates) {
            if c.values.len() != self.seeds.len() {
                return Err(FieldError::new(
                    "values",
                    format!(
                        "`{}` has {} values for {} seeds",
                        c.formula,
                        c.values.len(),
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
            "Final check: {} over {} new seeds (median), paired sign test against the baselines\n",
            self.metric.label(),
            self.seeds.len()
        );
        let accuracy = self.metric == Objective::TestAccuracy;
        let pct = |v: Option<f64>| {
            v.map_or("-".to_string(), |v| match accuracy {
                true => format!("{:.2}%", 100.0 * v),
                false => format!("{v:.3}"),
            })
        };
        // The other objectives' medians, after the backward mode: `  (modes 7.000)`.
        let also = |c: &Checked| match c.also.is_empty() {
            true => String::new(),
            false => {
                let v: Vec<String> = c.also.iter().map(|(o, v)| format!("{o} {v:.3}")).collect();
                format!("  ({})", v.join(", "))
            }
        };
        for b in &self.baselines {
            out.push_str(&format!(
                "  baseline  {:>8}  {} [{}]{}\n",
                pct(b.median),
                b.formula,
                b.backward,
                also(b)
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
                "  #{:<7} {:>8}  {} [{}]{}   {}\n",
                c.id.map_or(String::new(), |i| i.to_string()),
                pct(c.median),
                c.formula,
                c.backward,
                also(c),
                tests.join("; ")
            ));
        }
        if !self.candidates.is_empty() {
            out.push_str(&format!(
                "Verdict (better = beats every baseline, paired sign test, Holm-adjusted p < {CHECK_ALPHA}):\n"
            ));
            for v in self.verdicts() {
                out.push_str(&format!("  {v}\n"));
            }
        }
        if let Some(warning) = self.seeds_warning() {
            out.push_str(&format!("  warning: {warning}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of `formula` with these accuracies.
    fn row(id: Option<u64>, formula: &str, accuracy: &[f64]) -> Checked {
        Checked {
            id,
            formula: formula.to_string(),
            backward: BackwardMode::Exact,
            values: accuracy.to_vec(),
            median: median(accuracy),
            also: Vec::new(),
            against: Vec::new(),
        }
    }

    /// Hand-made accuracies on 10 seeds: relu and gelu, and candidates that beat both on every
    /// seed, beat relu but lose 3 seeds to gelu, and lose to both everywhere.
    fn report() -> FinalReport {
        let seeds: Vec<u64> = (100..110).collect();
        let relu = [0.80; 10];
        let gelu = [0.81, 0.81, 0.81, 0.81, 0.81, 0.81, 0.81, 0.90, 0.90, 0.90];
        let strong = [0.95; 10];
        let mut mixed = [0.85; 10];
        mixed[0] = 0.81; // a tie with gelu
        let weak = [0.70; 10];
        FinalReport::new(
            seeds,
            Objective::TestAccuracy,
            vec![row(None, "relu(x)", &relu), row(None, "gelu(x)", &gelu)],
            vec![
                row(Some(12), "x * tanh(x)", &strong),
                row(Some(7), "threshold(x, 0.05)", &mixed),
                row(Some(3), "tanh(x)", &weak),
            ],
        )
    }

    #[test]
    fn a_candidate_is_better_only_if_it_beats_every_baseline_after_holm() {
        let r = report();
        assert!(r.check().is_ok());
        let v = r.verdicts();
        // 10 of 10 against both: p = 2/1024 each, Holm x2 then x1 -> 0.0039 both.
        assert!(v[0].better());
        assert_eq!(v[0].comparisons[0].baseline, "relu");
        assert!((v[0].comparisons[0].adjusted_p - 4.0 / 1024.0).abs() < 1e-12);
        assert_eq!(
            v[0].to_string(),
            "#12 beats all 2 baselines (Holm-adjusted p ≤ 0.004)"
        );
        // Against gelu: 6 wins, 3 losses, 1 tie: p = 2 * (1 + 9 + 36 + 84) / 512 = 0.508.
        let t = v[1].comparisons[1].test;
        assert_eq!((t.wins, t.losses, t.ties), (6, 3, 1));
        assert!(!v[1].better() && v[1].comparisons[0].better());
        assert_eq!(
            v[1].to_string(),
            "#7 is not better than gelu (Holm-adjusted p = 0.508); better than 1 of 2 baselines"
        );
        // Losing everywhere is reported as worse.
        assert!(v[2].to_string().starts_with(
            "#3 is not better than relu (Holm-adjusted p = 0.004, significantly worse), gelu (p = "
        ));
        let table = r.table();
        assert!(table.contains("Verdict (") && table.contains("  #12 beats all 2 baselines"));
        assert!(r.seeds_warning().is_none(), "10 seeds, 2 baselines");
    }

    #[test]
    fn too_few_seeds_are_reported_and_cannot_give_a_better_verdict() {
        let keep = |c: &Checked| row(c.id, &c.formula, &c.values[..5]);
        let full = report();
        let r = FinalReport::new(
            full.seeds[..5].to_vec(),
            Objective::TestAccuracy,
            full.baselines.iter().map(keep).collect(),
            full.candidates.iter().map(keep).collect(),
        );
        let v = r.verdicts();
        // 5 of 5 wins: p = 2/32 = 0.0625 before any correction.
        assert!(!v[0].better(), "{}", v[0]);
        let warning = r.seeds_warning().unwrap();
        assert!(warning.contains("with 5 check seeds"), "{warning}");
        assert!(r.table().contains(&format!("warning: {warning}")));
    }

    #[test]
    fn a_minimised_metric_wins_by_smaller_values() {
        let seeds: Vec<u64> = (0..10).collect();
        let mut relu = row(None, "relu(x)", &[0.5; 10]);
        relu.also = vec![(Objective::Modes, 7.0)];
        let better = row(Some(4), "sign(x)", &[0.1; 10]);
        let r = FinalReport::new(seeds, Objective::ReverseKl, vec![relu], vec![better]);
        let t = r.candidates[0].against[0];
        assert_eq!((t.wins, t.losses), (10, 0));
        assert!(r.verdicts()[0].better());
        assert!(r
            .table()
            .starts_with("Final check: reverse KL over 10 new seeds"));
        let table = r.table();
        assert!(
            table.contains("  baseline     0.500  relu(x) [exact]  (modes 7.000)\n"),
            "{table}"
        );
        assert!(
            table.contains("  #4          0.100  sign(x) [exact]   vs relu(x)"),
            "{table}"
        );
    }

    #[test]
    fn a_report_written_before_gan_tasks_still_reads() {
        let old = "(seeds: [1, 2], baselines: [(id: None, formula: \"relu(x)\", \
                   backward: \"exact\", test_accuracy: [0.5, 0.75], \
                   median_test_accuracy: Some(0.625), against: [])], candidates: [])";
        let r: FinalReport = ron::from_str(old).unwrap();
        assert_eq!(r.metric, Objective::TestAccuracy);
        assert_eq!(r.baselines[0].values, vec![0.5, 0.75]);
        assert_eq!(r.baselines[0].median, Some(0.625));
        assert!(r.check().is_ok());
    }

    #[test]
    fn a_single_baseline_and_no_baseline_read_naturally() {
        let mut r = report();
        r = FinalReport::new(r.seeds, r.metric, r.baselines[..1].to_vec(), r.candidates);
        assert_eq!(
            r.verdicts()[0].to_string(),
            "#12 beats relu (Holm-adjusted p ≤ 0.002)"
        );
        let r = FinalReport::new(r.seeds, r.metric, Vec::new(), r.candidates);
        assert_eq!(
            r.verdicts()[0].to_string(),
            "#12: no baseline to compare with"
        );
        assert_eq!(baseline_name("x * 2"), "x * 2");
        // Against many baselines the line names the three clearest and counts the rest.
        let test = |wins, losses| SignTest {
            wins,
            losses,
            ties: 0,
            p_value: 0.5,
        };
        let comparisons = ["relu", "swish", "gelu", "elu", "tanh"]
            .iter()
            .zip([0.2, 1.0, 0.01, 0.6, 0.3])
            .map(|(name, adjusted_p)| Comparison {
                baseline: name.to_string(),
                test: test(6, 4),
                adjusted_p,
            })
            .collect();
        let v = Verdict {
            id: Some(9),
            formula: "x".into(),
            comparisons,
        };
        assert_eq!(
            v.to_string(),
            "#9 is not better than swish (Holm-adjusted p = 1.000), elu (p = 0.600), tanh (p = 0.300) \
             and 1 more; better than 1 of 5 baselines"
        );
        assert_eq!(baseline_name("swish(x)"), "swish");
    }
}
