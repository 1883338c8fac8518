//! [`Task`]: everything that defines how an activation is trained and scored apart from the
//! activation (dataset, network, optimiser, batch, budget, seeds), its bounds, and
//! [`TrainError`], why a task could not be run.

use super::dataset::{DatasetError, DatasetSpec};
use super::network::{Init, NetworkConfig, NetworkError};
use super::optimizer::{HyperParameterError, OptimizerConfig, OptimizerKind};
use serde::{Deserialize, Serialize};

/// How long to train each seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Budget {
    /// Passes over the training set (the last batch of an epoch may be smaller).
    Epochs(u64),
    /// Optimiser steps, continuing across epochs.
    Steps(u64),
}

/// Everything that defines how an activation is trained and scored, apart from the activation.
///
/// A classification task trains one network on the dataset's training split. When the dataset
/// is [`DatasetSpec::GanRing`], the task is a GAN instead ([`Task::gan_ring`]): `network`
/// gives the hidden widths and initialisation of both the generator (relu) and the
/// discriminator (the candidate activation), `optimizer` is used for both, `batch_size` is the
/// number of real and of generated samples per step, and `budget` must be in steps (one
/// discriminator and one generator update each).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The dataset.
    pub dataset: DatasetSpec,
    /// Seed of the train/validation/test split (the same for all training seeds).
    pub split_seed: u64,
    /// Network shape and initialisation.
    pub network: NetworkConfig,
    /// Optimiser and its hyper-parameters.
    pub optimizer: OptimizerConfig,
    /// Examples per optimiser step.
    pub batch_size: usize,
    /// Training length per seed.
    pub budget: Budget,
    /// Train on this many examples of the training split, drawn by the split seed (a cheap
    /// rung of a multi-fidelity ladder), or on all of them (`None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_examples: Option<usize>,
    /// One training run per seed (initialisation, batch order, input noise).
    pub seeds: Vec<u64>,
}

impl Default for Task {
    /// DIGITS, MLP 64 -> 64 -> 10 (He), SGD (lr 0.05, momentum 0.9), batch 64, 100 epochs,
    /// seeds 0..5: about a second on one core.
    fn default() -> Self {
        Task {
            dataset: DatasetSpec::Digits,
            split_seed: 0,
            network: NetworkConfig::default(),
            optimizer: OptimizerConfig::default(),
            batch_size: 64,
            budget: Budget::Epochs(100),
            train_examples: None,
            seeds: (0..5).collect(),
        }
    }
}

/// Most examples per step (a typo such as `--batch 640000` would claim gigabytes).
pub const MAX_BATCH: usize = 8192;
/// Widest hidden layer.
pub const MAX_HIDDEN_WIDTH: usize = 4096;
/// Most hidden layers.
pub const MAX_HIDDEN_LAYERS: usize = 16;
/// Most epochs per seed.
pub const MAX_EPOCHS: u64 = 100_000;
/// Most optimiser steps per seed.
pub const MAX_STEPS: u64 = 100_000_000;
/// Most training seeds (runs) per task.
pub const MAX_SEEDS: usize = 1000;

impl Task {
    /// The `gan-ring` task: generator 2 -> 64 -> 64 -> 2 (relu) and discriminator
    /// 2 -> 64 -> 64 -> 1 (the candidate activation), PyTorch's default initialisation, the
    /// non-saturating GAN loss, Adam (learning rate 1e-3, beta1 0.5, beta2 0.999), batch 128,
    /// 3000 steps, seeds 0..4: the setting of VEEGAN's and PacGAN's ring experiments.
    pub fn gan_ring() -> Task {
        Task {
            dataset: DatasetSpec::GanRing,
            split_seed: 0,
            network: NetworkConfig {
                hidden: vec![64, 64],
                init: Init::Torch,
                normalize: false,
            },
            optimizer: OptimizerConfig {
                kind: OptimizerKind::Adam {
                    beta1: 0.5,
                    beta2: 0.999,
                    eps: 1e-8,
                },
                learning_rate: 1e-3,
                weight_decay: 0.0,
                clip_norm: None,
            },
            batch_size: 128,
            budget: Budget::Steps(3000),
            train_examples: None,
            seeds: (0..4).collect(),
        }
    }

    /// Checks every setting, including the upper bounds ([`MAX_BATCH`], [`MAX_HIDDEN_WIDTH`],
    /// [`MAX_HIDDEN_LAYERS`], [`MAX_EPOCHS`], [`MAX_STEPS`], [`MAX_SEEDS`]); the message names the
    /// offending one.
    pub fn validate(&self) -> Result<(), TrainError> {
        let invalid = |m: String| Err(TrainError::InvalidTask(m));
        if !(1..=MAX_BATCH).contains(&self.batch_size) {
            return invalid(format!(
                "batch size must be in 1..={MAX_BATCH}, got {}",
                self.batch_size
            ));
        }
        if let Some(w) = self
            .network
            .hidden
            .iter()
            .find(|w| !(1..=MAX_HIDDEN_WIDTH).contains(*w))
        {
            return invalid(format!(
                "hidden layer width must be in 1..={MAX_HIDDEN_WIDTH}, got {w}"
            ));
        }
        if self.network.hidden.len() > MAX_HIDDEN_LAYERS {
            return invalid(format!(
                "at most {MAX_HIDDEN_LAYERS} hidden layers, got {}",
                self.network.hidden.len()
            ));
        }
        match self.budget {
            Budget::Epochs(e) if !(1..=MAX_EPOCHS).contains(&e) => {
                return invalid(format!("epochs must be in 1..={MAX_EPOCHS}, got {e}"))
            }
            Budget::Steps(s) if !(1..=MAX_STEPS).contains(&s) => {
                return invalid(format!("steps must be in 1..={MAX_STEPS}, got {s}"))
            }
            _ => {}
        }
        if self.train_examples == Some(0) {
            return invalid("train_examples must be at least 1".to_string());
        }
        if self.dataset.is_gan() {
            if let Budget::Epochs(_) = self.budget {
                return invalid("a GAN task has no epochs: give its budget in steps".to_string());
            }
            if self.train_examples.is_some() {
                return invalid("a GAN task has no training examples to subset".to_string());
            }
            if self.network.hidden.is_empty() {
                return invalid(
                    "a GAN task needs a hidden layer (the discriminator's activation)".to_string(),
                );
            }
        }
        if self.seeds.is_empty() || self.seeds.len() > MAX_SEEDS {
            return invalid(format!(
                "between 1 and {MAX_SEEDS} seeds are needed, got {}",
                self.seeds.len()
            ));
        }
        Ok(self.optimizer.validate()?)
    }
}

/// Why a task could not be run (as opposed to a candidate failing, which is a [`Status`](super::Status)).
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A setting of the task is out of range.
    #[error("invalid training task: {0}")]
    InvalidTask(String),
    /// A hyper-parameter of the optimiser is out of range.
    #[error("invalid training task: {0}")]
    Optimizer(#[from] HyperParameterError),
    /// The dataset could not be loaded.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// The network could not be built or run (out of memory, inconsistent data).
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// A worker thread could not be started.
    #[error("cannot start a training thread: {0}")]
    Thread(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_tasks_are_rejected_with_a_reason() {
        let bad = |f: fn(&mut Task)| {
            let mut t = Task::default();
            f(&mut t);
            t.validate().unwrap_err().to_string()
        };
        assert!(bad(|t| t.batch_size = 0).contains("batch size"));
        assert!(bad(|t| t.network.hidden = vec![8, 0]).contains("width"));
        assert!(bad(|t| t.budget = Budget::Steps(0)).contains("steps"));
        assert!(bad(|t| t.seeds.clear()).contains("seed"));
        assert!(bad(|t| t.optimizer.learning_rate = f32::NAN).contains("learning rate"));
        let bad_gan = |f: fn(&mut Task)| {
            let mut t = Task::gan_ring();
            assert!(t.validate().is_ok());
            f(&mut t);
            t.validate().unwrap_err().to_string()
        };
        assert!(bad_gan(|t| t.budget = Budget::Epochs(3)).contains("steps"));
        assert!(bad_gan(|t| t.train_examples = Some(10)).contains("subset"));
        assert!(bad_gan(|t| t.network.hidden.clear()).contains("hidden layer"));
    }
}
