//! [`Event`]: what the engine reports while it runs. The CLI prints them (a progress bar, or
//! one JSON object a line with `--json`); the GUI receives them over a channel.

use super::final_check::FinalReport;
use super::record::Record;
use super::throughput::Throughput;
use serde::{Deserialize, Serialize};

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The evaluation budget was used.
    Budget,
    /// A stop was requested (Ctrl-C, the GUI's Stop); resumable.
    Interrupted,
    /// The algorithm has nothing left to propose (an exhausted enumeration, or a space where
    /// almost every proposal is a duplicate or rejected).
    Exhausted,
    /// The time limit (`max_time`, `--max-time`) was reached.
    TimeLimit,
}

impl StopReason {
    /// Why the run stopped, in words (`budget used`, `time limit reached`).
    pub fn describe(self) -> &'static str {
        match self {
            StopReason::Budget => "budget used",
            StopReason::Interrupted => "interrupted",
            StopReason::Exhausted => "space exhausted",
            StopReason::TimeLimit => "time limit reached",
        }
    }
}

/// A report from a running search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The run started or resumed.
    Started {
        /// Run directory.
        run: String,
        /// Search space name.
        space: String,
        /// Candidates to train in all.
        evaluations: usize,
        /// Candidates already trained (non-zero when resuming).
        trained: usize,
        /// The run's seed.
        seed: u64,
        /// Worker threads.
        threads: usize,
    },
    /// One candidate was dealt with.
    Candidate {
        /// Its journal record.
        record: Box<Record>,
        /// Candidates trained so far.
        trained: usize,
    },
    /// A candidate became the best by the main objective.
    NewBest {
        /// Its id.
        id: u64,
        /// The rung of a multi-fidelity ladder its value was measured at (0 without one).
        #[serde(default)]
        rung: u32,
        /// Forward formula.
        formula: String,
        /// Backward mode.
        backward: String,
        /// Main objective name.
        objective: String,
        /// Its value.
        value: f64,
    },
    /// The engine state was saved.
    Checkpoint {
        /// Candidates trained so far.
        trained: usize,
        /// Candidates proposed so far.
        proposed: u64,
    },
    /// The search loop ended.
    Finished {
        /// Why.
        reason: StopReason,
        /// Candidates trained.
        trained: usize,
        /// Candidates proposed (trained, failed, rejected, duplicates).
        proposed: u64,
        /// Where this session's time went: candidates per hour and the shares of training,
        /// scoring, preparing, selecting and writing.
        #[serde(default)]
        throughput: Throughput,
    },
    /// The final check finished.
    FinalCheck {
        /// Its report.
        report: Box<FinalReport>,
    },
}
