//! [`Row`]: one candidate as the app shows it, its record plus the numbers derived from it once
//! (every objective's value, the measured forward time), and [`Metric`], the numeric columns that
//! tables and plots use: the library's objectives ([`radact::search::Objective`]) plus the
//! measured time, which only the app shows.
//!
//! Rows are built off the UI thread (by the search worker and the journal follower), so the UI
//! thread never parses formulas or derives backward graphs for a whole journal.

use radact::search::objective::record_value;
use radact::search::record::{Outcome, Record};
use radact::search::Objective;
use std::fmt;

/// A numeric property of a candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// The value of a search objective (whether or not the run optimises it).
    Objective(Objective),
    /// Measured forward time per element, in nanoseconds (machine-dependent: never an
    /// objective).
    ForwardNs,
}

impl Metric {
    /// Every metric, in menu order: the objectives, then the measured time.
    pub const ALL: [Metric; Objective::ALL.len() + 1] = {
        let mut all = [Metric::ForwardNs; Objective::ALL.len() + 1];
        let mut i = 0;
        while i < Objective::ALL.len() {
            all[i] = Metric::Objective(Objective::ALL[i]);
            i += 1;
        }
        all
    };

    /// Short name for headers and axes.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Objective(o) => o.label(),
            Metric::ForwardNs => "forward ns/element",
        }
    }

    /// Whether larger values are better.
    pub fn maximise(self) -> bool {
        match self {
            Metric::Objective(o) => o.maximise(),
            Metric::ForwardNs => false,
        }
    }
}

impl From<Objective> for Metric {
    fn from(objective: Objective) -> Metric {
        Metric::Objective(objective)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One candidate of a run, ready to show.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The journal record.
    pub record: Record,
    /// The backward mode as text.
    pub backward: String,
    /// The value of each objective, in the order of [`Objective::ALL`]
    /// ([`radact::search::objective::record_value`]: duplicates take their original's values
    /// for the run's objectives; the cost is known for every candidate whose formula parses).
    values: [Option<f64>; Objective::ALL.len()],
    /// Measured forward nanoseconds per element.
    pub forward_ns: Option<f64>,
    /// The value of the run's main objective, when the candidate has objective values.
    pub main: Option<f64>,
    /// The generation (batch) that proposed the candidate: its first record's batch, also
    /// once the row shows a promotion's record.
    generation: u64,
}

impl Row {
    /// Derives the columns of `record`; `objectives` are the run's, in the order of
    /// [`Record::objectives`].
    pub fn new(record: Record, objectives: &[Objective]) -> Row {
        let finite = |v: f64| v.is_finite().then_some(v);
        Row {
            backward: record.backward.to_string(),
            values: Objective::ALL.map(|o| record_value(&record, objectives, o)),
            forward_ns: record
                .outcome
                .evaluation()
                .map(|e| e.summary.forward_ns_per_element)
                .and_then(finite),
            main: record
                .objectives
                .as_ref()
                .and_then(|o| o.first().copied())
                .and_then(finite),
            generation: record.batch,
            record,
        }
    }

    /// This row, showing `later`, a record of the same candidate at a higher rung of a
    /// multi-fidelity ladder (its generation stays the one that proposed it).
    pub fn promoted_to(&self, later: Row) -> Row {
        Row {
            generation: self.generation,
            ..later
        }
    }

    /// The rung of a multi-fidelity ladder the row's values come from (0 without a ladder).
    pub fn rung(&self) -> u32 {
        self.record.rung
    }

    /// The candidate's id in the run.
    pub fn id(&self) -> u64 {
        self.record.id
    }

    /// The forward formula.
    pub fn formula(&self) -> &str {
        &self.record.formula
    }

    /// The generation (batch) that proposed it.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The value of `metric`, if known.
    pub fn metric(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::Objective(o) => {
                let i = Objective::ALL.iter().position(|&a| a == o)?;
                self.values[i]
            }
            Metric::ForwardNs => self.forward_ns,
        }
    }

    /// Short status: trained, failed, rejected or duplicate.
    pub fn status(&self) -> &'static str {
        self.record.outcome.status()
    }

    /// The status with its reason: `failed: seed 0: diverged`, `duplicate of #3`.
    pub fn status_text(&self) -> String {
        match &self.record.outcome {
            Outcome::Duplicate { of } => format!("duplicate of #{of}"),
            outcome => match outcome.reason() {
                Some(reason) => format!("{}: {reason}", outcome.status()),
                None => outcome.status().to_string(),
            },
        }
    }

    /// Whether the candidate was trained and scored (counts towards the budget and the plots).
    pub fn is_trained(&self) -> bool {
        self.record.is_trained()
    }
}
