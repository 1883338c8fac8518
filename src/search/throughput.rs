//! [`Throughput`]: where a search session's time went — candidates trained per hour, and the
//! share of the wall-clock time spent training networks, scoring them, waiting for a batch's
//! last seeds (workers without a job while others finish), preparing candidates (canonical
//! form, backward derivation, compilation, pre-filters), selecting and varying (the algorithm),
//! and writing the run (journal and checkpoints).

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The time accounts of one session of a search (from `run` being called to its return).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Candidates trained (or failed in training) in this session.
    pub trained: usize,
    /// Wall-clock seconds of the session.
    pub wall_s: f64,
    /// Wall-clock seconds spent in training (the workers busy with the batch's seeds),
    /// without the scoring passes.
    pub training_s: f64,
    /// Wall-clock seconds spent scoring the trained networks (the passes over the splits the
    /// objectives need), a share of the workers' time estimated from what each seed measured.
    pub scoring_s: f64,
    /// Wall-clock seconds of the training phases in which workers had no job: while others
    /// finished the batch's last seeds, and while the batch's candidates were set up for
    /// training. The idle worker-seconds divided by the number of workers; what a second
    /// thread fails to add shows here.
    #[serde(default)]
    pub waiting_s: f64,
    /// Wall-clock seconds preparing candidates before training.
    pub preparing_s: f64,
    /// Wall-clock seconds in the search algorithm (proposals, selection, variation).
    pub selecting_s: f64,
    /// Wall-clock seconds writing the journal and checkpoints.
    pub writing_s: f64,
}

impl Throughput {
    /// Candidates trained per hour of wall-clock time; `None` before any time has passed.
    pub fn per_hour(&self) -> Option<f64> {
        (self.wall_s > 0.0).then(|| self.trained as f64 * 3600.0 / self.wall_s)
    }

    /// Adds a training phase of `wall` seconds on `workers` workers whose seeds spent `seed_s`
    /// seconds in all, `scoring_s` of them scoring. The workers' idle seconds
    /// (`wall * workers - seed_s`), divided by `workers`, are waiting; the rest of the wall time
    /// is split between training and scoring in the seeds' proportion.
    pub fn add_training(&mut self, wall: Duration, workers: usize, seed_s: f64, scoring_s: f64) {
        let wall = wall.as_secs_f64();
        let workers = workers.max(1) as f64;
        let waiting = ((wall * workers - seed_s) / workers).clamp(0.0, wall);
        let busy = wall - waiting;
        let scoring_share = if seed_s > 0.0 {
            (scoring_s / seed_s).clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.waiting_s += waiting;
        self.scoring_s += busy * scoring_share;
        self.training_s += busy * (1.0 - scoring_share);
    }

    /// One line for people: the rate and each share of the wall-clock time.
    pub fn summary(&self) -> String {
        let share = |s: f64| {
            if self.wall_s > 0.0 {
                100.0 * s / self.wall_s
            } else {
                0.0
            }
        };
        let rate = self
            .per_hour()
            .map_or("-".to_string(), |r| format!("{r:.0}"));
        format!(
            "{} candidates in {:.1} s ({rate} per hour); time: training {:.0}%, scoring {:.0}%, \
             waiting {:.0}%, preparing {:.0}%, selecting {:.0}%, writing {:.0}%",
            self.trained,
            self.wall_s,
            share(self.training_s),
            share(self.scoring_s),
            share(self.waiting_s),
            share(self.preparing_s),
            share(self.selecting_s),
            share(self.writing_s)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_time_is_split_by_what_the_seeds_measured() {
        let mut t = Throughput::default();
        t.add_training(Duration::from_secs(10), 1, 10.0, 2.5);
        assert!((t.training_s - 7.5).abs() < 1e-9 && (t.scoring_s - 2.5).abs() < 1e-9);
        assert_eq!(t.waiting_s, 0.0);
        // Two workers for 10 s, busy 16 s between them: each waited 2 s on average.
        let mut t = Throughput::default();
        t.add_training(Duration::from_secs(10), 2, 16.0, 4.0);
        assert!((t.waiting_s - 2.0).abs() < 1e-9, "{t:?}");
        assert!((t.training_s - 6.0).abs() < 1e-9 && (t.scoring_s - 2.0).abs() < 1e-9);
        // A phase with nothing to train is all waiting.
        t.add_training(Duration::from_secs(2), 2, 0.0, 0.0);
        assert!((t.waiting_s - 4.0).abs() < 1e-9 && (t.training_s - 6.0).abs() < 1e-9);
    }

    #[test]
    fn the_rate_and_shares_read_as_a_line() {
        let t = Throughput {
            trained: 30,
            wall_s: 60.0,
            training_s: 42.0,
            scoring_s: 6.0,
            waiting_s: 3.0,
            preparing_s: 3.0,
            selecting_s: 0.6,
            writing_s: 1.2,
        };
        assert_eq!(t.per_hour(), Some(1800.0));
        let line = t.summary();
        assert!(
            line.contains("1800 per hour") && line.contains("training 70%"),
            "{line}"
        );
        assert!(
            line.contains("scoring 10%")
                && line.contains("waiting 5%")
                && line.contains("writing 2%"),
            "{line}"
        );
        assert_eq!(Throughput::default().per_hour(), None);
    }
}
