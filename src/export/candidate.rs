//! The export record of a run's candidate: how both front ends (`radact export` and the desktop
//! app's export panel) name and describe a candidate they export, so that the same candidate
//! exports to the same record from either.

use super::{ExportError, ExportedActivation, TrainedConstants};
use crate::run::RunConfig;
use crate::search::record::Record;

/// The name a candidate of a run is exported under, `<space>_<id>` (`tiny_17`); code generators
/// derive their identifiers from it (`tiny_17`, `tiny_17_backward`, `Tiny17`).
pub fn candidate_name(config: &RunConfig, id: u64) -> String {
    format!("{}_{id}", config.space.name)
}

impl ExportedActivation {
    /// The export record of `record`, a candidate of the run configured by `config`: named
    /// [`candidate_name`], with its scores (when it was trained), the trained values of its
    /// trainable constants (those of its seed with the best validation accuracy), the run's
    /// task, and as provenance the run's name, the candidate's id and the run's seed.
    pub fn of_candidate(
        config: &RunConfig,
        record: &Record,
    ) -> Result<ExportedActivation, ExportError> {
        let activation = record
            .activation()
            .map_err(|source| ExportError::Candidate {
                id: record.id,
                source,
            })?;
        let mut exported = ExportedActivation::new(candidate_name(config, record.id), activation)
            .with_task(config.space.task.clone())
            .with_origin(config.name.clone(), Some(record.id))
            .with_seed(config.seed);
        if let Some(e) = record.outcome.evaluation() {
            exported = exported.with_scores(e.summary.clone());
            // The trained constants of the seed with the best validation accuracy.
            if let Some(score) = e.best_constants() {
                let trained = TrainedConstants {
                    seed: score.seed,
                    layers: score.constants.clone(),
                };
                // A journal written by another version may not fit; export without them then.
                exported = match exported.clone().with_trained_constants(trained) {
                    Ok(with) => with,
                    Err(_) => exported,
                };
            }
        }
        Ok(exported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Fingerprint;
    use crate::grad::BackwardMode;
    use crate::search::record::{Origin, Outcome};
    use crate::search::SearchSpace;

    fn record(id: u64, formula: &str) -> Record {
        Record {
            id,
            batch: 0,
            rung: 0,
            formula: formula.to_string(),
            backward: BackwardMode::Surrogate,
            backward_formula: String::new(),
            origin: Origin::Random,
            fingerprint: Fingerprint(0),
            backward_fingerprint: Fingerprint(0),
            outcome: Outcome::Rejected {
                reason: "flat".into(),
            },
            objectives: None,
            seconds: 0.0,
        }
    }

    #[test]
    fn a_candidate_exports_with_its_run_as_provenance() {
        let config = RunConfig::new("demo-run", SearchSpace::default_space(), 7, 10);
        let exported = ExportedActivation::of_candidate(&config, &record(17, "heaviside(x)"))
            .expect("the formula parses");
        assert_eq!(exported.name(), format!("{}_17", config.space.name));
        assert_eq!(exported.name(), candidate_name(&config, 17));
        assert_eq!(exported.formula(), "heaviside(x)");
        assert_eq!(exported.activation().backward, BackwardMode::Surrogate);
        let p = exported.provenance();
        assert_eq!(
            (p.run.as_deref(), p.candidate, p.seed),
            (Some("demo-run"), Some(17), Some(7))
        );
        assert_eq!(exported.task(), Some(&config.space.task));
        // Not trained: no scores.
        assert!(exported.scores().is_none());
        // The record reads back as it was written.
        let back = ExportedActivation::from_ron_str(&exported.to_ron(), "t.ron").unwrap();
        assert_eq!(back, exported);
    }

    #[test]
    fn a_formula_that_does_not_parse_names_the_candidate() {
        let config = RunConfig::new("r", SearchSpace::default_space(), 0, 1);
        let e = ExportedActivation::of_candidate(&config, &record(3, "tanh(")).unwrap_err();
        assert!(matches!(e, ExportError::Candidate { id: 3, .. }), "{e:?}");
        assert!(e.to_string().starts_with("candidate 3: "), "{e}");
    }
}
