//! Trained networks kept on disk: a [`SavedModel`] is everything needed to run a network radact
//! trained, anywhere — its layer widths and weights, its activation (forward formula, backward
//! mode, trained constants per layer), how raw inputs are scaled, and which data it was trained
//! and tested on (with the data's checksum and the test accuracy radact measured).
//!
//! `radact train --save model.ron` writes one, `radact predict` and `radact eval-model` read it,
//! and `radact export-model` turns it into code for other runtimes (`c.rs`: a C99 header;
//! `no_std.rs`: a `#![no_std]` Rust module; `onnx.rs`: an ONNX file). The file is RON:
//!
//! ```text
//! (
//!     format: 1,
//!     radact_version: "0.1.0",
//!     activation: ( name: "heaviside", formula: "heaviside(x)", ... ),
//!     widths: [64, 64, 10],
//!     layers: [ (weights: [...], bias: [...]), (weights: [...], bias: [...]) ],
//!     standardization: None,
//!     input: (divisor: 16.0, mean: Some([...]), std: Some([...])),
//!     data: (spec: digits, split_seed: 0, checksum: "…", test_examples: 360),
//!     task: ( ... ),
//!     seed: 0,
//!     test_accuracy: 0.9694,
//!     validation_accuracy: 0.9721,
//! )
//! ```
//!
//! Loading checks that every length fits the widths and every number is finite, and names the
//! file, line and column of a syntax error.

pub mod c;
pub mod input;
pub mod no_std;
#[cfg(feature = "onnx")]
pub mod onnx;

use crate::activation::CompiledActivation;
use crate::export::{ExportError, ExportedActivation, TrainedConstants, RADACT_VERSION};
use crate::train::{
    ActivationOp, DatasetError, DatasetSpec, InputScaling, Mlp, NetworkError, Score, Task, Trainer,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The version of the model file format this build writes and reads.
pub const MODEL_FORMAT: u32 = 1;

/// A trained classifier with everything needed to run it; see the module documentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedModel {
    /// [`MODEL_FORMAT`] of the file.
    pub format: u32,
    /// Version of radact that trained it.
    pub radact_version: String,
    /// The activation after every hidden layer, with its trained constants (per layer) when it
    /// has trainable ones, the task and the training seed.
    pub activation: ExportedActivation,
    /// Layer widths from input to output: `[n_inputs, hidden..., n_classes]`.
    pub widths: Vec<usize>,
    /// The weights and bias of each layer, input layer first.
    pub layers: Vec<Layer>,
    /// The standardisation of the activation (`y = (f(x) - shift) * scale`) when the task asked
    /// for one (`normalize: true`).
    #[serde(default)]
    pub standardization: Option<Affine>,
    /// How raw inputs become the network's inputs.
    pub input: InputScaling,
    /// The data it was trained and tested on.
    pub data: DataRecord,
    /// The training task (network, optimiser, budget; `seeds` lists the seed below).
    pub task: Task,
    /// The training seed of this network.
    pub seed: u64,
    /// Accuracy on the data's test split, as radact measured it after training.
    pub test_accuracy: f64,
    /// Accuracy on the validation split.
    #[serde(default)]
    pub validation_accuracy: Option<f64>,
}

/// One layer: `y = x W + b`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// `fan_in x fan_out` weights, row-major (row `i` holds input `i`'s weights).
    pub weights: Vec<f32>,
    /// `fan_out` biases.
    pub bias: Vec<f32>,
}

/// `y = (f - shift) * scale`: the standardisation of an activation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Affine {
    /// Subtracted from `f(x)`.
    pub shift: f32,
    /// Multiplies `f(x) - shift`.
    pub scale: f32,
}

/// Which data a model was trained and tested on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataRecord {
    /// The dataset (and for Fashion-MNIST the directory it was read from).
    pub spec: DatasetSpec,
    /// The seed of the train/validation/test split.
    pub split_seed: u64,
    /// [`crate::train::Dataset::checksum`] of the loaded data.
    pub checksum: String,
    /// Number of test examples.
    pub test_examples: usize,
}

/// What `radact eval-model` reports: the model's accuracy on its test split, measured again.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelEvaluation {
    /// Test examples classified.
    pub examples: usize,
    /// Of those, classified correctly.
    pub correct: usize,
    /// `correct / examples`.
    pub accuracy: f64,
    /// The accuracy recorded in the model when it was saved.
    pub recorded_accuracy: f64,
}

/// Why a model could not be built, saved, read or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The text is not RON for a model: a syntax error, a missing or unknown field.
    #[error("{origin}:{line}:{column}: {message}")]
    Syntax {
        /// The file name.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// The model reads as RON but does not hold together (lengths, values, format version).
    #[error("{origin}: {message}")]
    Invalid {
        /// The file name, or what the model came from.
        origin: String,
        /// What does not fit.
        message: String,
    },
    /// The activation record inside the model is inconsistent.
    #[error(transparent)]
    Activation(#[from] ExportError),
    /// The model's data could not be loaded.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// The data loaded now is not the data the model was tested on.
    #[error(
        "the {dataset} data loaded now has checksum {found}, the model was tested on data with \
         checksum {expected}: other files or another split"
    )]
    DataChanged {
        /// The dataset's name.
        dataset: &'static str,
        /// The checksum in the model.
        expected: String,
        /// The checksum of the data loaded now.
        found: String,
    },
    /// The network could not be run.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// Inputs to classify could not be read.
    #[error("{origin}: {message}")]
    Input {
        /// The file (and line) the problem is in.
        origin: String,
        /// What was wrong.
        message: String,
    },
    /// Only classifiers are saved as models.
    #[error("{0}")]
    Unsupported(String),
}

impl SavedModel {
    /// The model of `net`, trained by `trainer` with `activation` for seed `score.seed`, which
    /// `score` measured. `activation`'s trained constants are taken from the network.
    pub fn new(
        trainer: &Trainer,
        activation: ExportedActivation,
        net: &Mlp,
        score: &Score,
    ) -> Result<SavedModel, ModelError> {
        let data = trainer.data().ok_or_else(|| {
            ModelError::Unsupported(format!(
                "{} trains a GAN; only classifiers are saved as models",
                trainer.task().dataset.name()
            ))
        })?;
        let metrics = score.metrics.as_ref().ok_or_else(|| {
            ModelError::Unsupported(format!("seed {} did not complete training", score.seed))
        })?;
        let test_accuracy = metrics.test_accuracy.ok_or_else(|| {
            ModelError::Unsupported(format!("seed {} has no test accuracy", score.seed))
        })?;
        let widths = net.widths().to_vec();
        let params = net.parameters();
        let layers = params
            .chunks_exact(2)
            .take(widths.len() - 1)
            .map(|p| Layer {
                weights: p[0].clone(),
                bias: p[1].clone(),
            })
            .collect();
        let mut task = trainer.task().clone();
        task.seeds = vec![score.seed];
        let mut activation = activation.with_task(task.clone()).with_seed(score.seed);
        if !net.constants().is_empty() {
            let trained = TrainedConstants {
                seed: score.seed,
                layers: net.constants().to_vec(),
            };
            activation = activation
                .with_trained_constants(trained)
                .map_err(|e| ModelError::Unsupported(e.to_string()))?;
        }
        let standardization = if task.network.normalize {
            let op = ActivationOp::standardized(&activation.activation().compile())
                .map_err(|e| ModelError::Unsupported(e.to_string()))?;
            op.affine().map(|(shift, scale)| Affine { shift, scale })
        } else {
            None
        };
        Ok(SavedModel {
            format: MODEL_FORMAT,
            radact_version: RADACT_VERSION.to_string(),
            activation,
            widths,
            layers,
            standardization,
            input: data.input.clone(),
            data: DataRecord {
                spec: task.dataset.clone(),
                split_seed: task.split_seed,
                checksum: data.checksum(),
                test_examples: data.test.len(),
            },
            task,
            seed: score.seed,
            test_accuracy,
            validation_accuracy: metrics.validation_accuracy,
        })
    }

    /// Number of raw input features.
    pub fn n_inputs(&self) -> usize {
        self.widths[0]
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        *self.widths.last().expect("checked: at least two widths")
    }

    /// Number of weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weights.len() + l.bias.len())
            .sum()
    }

    /// The trainable constants of the activation in hidden layer `layer` (empty without any).
    pub fn layer_constants(&self, layer: usize) -> Vec<f32> {
        match self.activation.trained_constants() {
            Some(t) => t.layers.get(layer).cloned().unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// The two values hidden layer `layer`'s activation takes, `(lower, upper)`, if it takes
    /// only two (heaviside, sign, a quantiser to two levels, after any standardisation): probed
    /// on a dense grid of `[-100, 100]`, powers of ten up to `f32::MAX` and their negatives,
    /// not counting the value at exactly 0 (`sign(0) = 0`, a third value a pre-activation hits
    /// with probability zero). `None` for any other activation.
    pub fn two_values(&self, layer: usize) -> Option<(f32, f32)> {
        let net = self.network().ok()?;
        let op = net.activation();
        let mut x: Vec<f32> = (-100_000..=100_000)
            .map(|i| i as f32 * 1e-3)
            .filter(|&v| v != 0.0)
            .collect();
        for e in -38..=38 {
            let p = 10f32.powi(e);
            x.extend([p, -p]);
        }
        x.extend([f32::MAX, -f32::MAX, f32::MIN_POSITIVE, -f32::MIN_POSITIVE]);
        let mut y = vec![0.0f32; x.len()];
        let constants = self.layer_constants(layer);
        if constants.is_empty() {
            op.forward_values(&x, &mut y);
        } else {
            op.forward_values_with(&x, &constants, &mut y);
        }
        let mut values: Vec<f32> = Vec::new();
        for v in y {
            if !v.is_finite() {
                return None;
            }
            if !values.contains(&v) {
                values.push(v);
                if values.len() > 2 {
                    return None;
                }
            }
        }
        match values[..] {
            [a, b] => Some((a.min(b), a.max(b))),
            _ => None,
        }
    }

    /// The model as pretty RON (a layer's weights on one line).
    pub fn to_ron(&self) -> String {
        let config = ron::ser::PrettyConfig::default().depth_limit(3);
        // A model holds strings, numbers, options, sequences and structs only, which RON always
        // serialises; a failure would be a bug in a `Serialize` impl.
        ron::ser::to_string_pretty(self, config).expect("models serialise to RON")
    }

    /// Writes the model to `path` atomically (a temporary file renamed over it).
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        crate::run::files::write_atomic(path, self.to_ron().as_bytes()).map_err(|source| {
            ModelError::Write {
                path: path.to_path_buf(),
                source,
            }
        })
    }

    /// Reads a model from RON text; `origin` names the text in errors (a file name).
    pub fn from_ron_str(text: &str, origin: &str) -> Result<SavedModel, ModelError> {
        let model: SavedModel = ron::from_str(text).map_err(|e| ModelError::Syntax {
            origin: origin.to_string(),
            line: e.position.line,
            column: e.position.col,
            message: e.code.to_string(),
        })?;
        model.check().map_err(|message| ModelError::Invalid {
            origin: origin.to_string(),
            message,
        })?;
        Ok(model)
    }

    /// Reads the model in `path`.
    pub fn load(path: &Path) -> Result<SavedModel, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        SavedModel::from_ron_str(&text, &path.display().to_string())
    }

    /// What does not hold together, if anything.
    fn check(&self) -> Result<(), String> {
        if self.format != MODEL_FORMAT {
            return Err(format!(
                "model format {} (this radact reads format {MODEL_FORMAT})",
                self.format
            ));
        }
        let w = &self.widths;
        if w.len() < 2 || w.contains(&0) {
            return Err(format!(
                "widths {w:?}: at least an input and an output layer, none empty"
            ));
        }
        if self.layers.len() != w.len() - 1 {
            return Err(format!(
                "{} layers for widths {w:?}, which need {}",
                self.layers.len(),
                w.len() - 1
            ));
        }
        for (i, (layer, pair)) in self.layers.iter().zip(w.windows(2)).enumerate() {
            if layer.weights.len() != pair[0] * pair[1] || layer.bias.len() != pair[1] {
                return Err(format!(
                    "layer {i}: {} weights and {} biases, a {}x{} layer needs {} and {}",
                    layer.weights.len(),
                    layer.bias.len(),
                    pair[0],
                    pair[1],
                    pair[0] * pair[1],
                    pair[1]
                ));
            }
            if let Some(v) = layer
                .weights
                .iter()
                .chain(&layer.bias)
                .find(|v| !v.is_finite())
            {
                return Err(format!("layer {i}: the parameter {v} is not finite"));
            }
        }
        if self.n_classes() > 256 {
            return Err(format!("{} classes (at most 256)", self.n_classes()));
        }
        let k = self.activation.activation().forward.params().len();
        let hidden = w.len() - 2;
        if k > 0 {
            let layers = self
                .activation
                .trained_constants()
                .map_or(0, |t| t.layers.len());
            if layers != hidden {
                return Err(format!(
                    "the activation has {k} trainable constants: {hidden} hidden layers need \
                     trained_constants for each, found {layers}"
                ));
            }
        }
        if let Some(problem) = self.input.problem(self.n_inputs()) {
            return Err(format!("input: {problem}"));
        }
        if let Some(a) = self.standardization {
            if !(a.shift.is_finite() && a.scale.is_finite()) {
                return Err("standardization: shift and scale must be finite".to_string());
            }
        }
        Ok(())
    }

    /// The network, ready to run.
    pub fn network(&self) -> Result<Mlp, ModelError> {
        let compiled: CompiledActivation = self.activation.activation().compile();
        let mut op = ActivationOp::new(&compiled);
        if let Some(a) = self.standardization {
            op = op.with_affine(a.shift, a.scale);
        }
        let mut params: Vec<Vec<f32>> = Vec::with_capacity(2 * self.layers.len());
        for layer in &self.layers {
            params.push(layer.weights.clone());
            params.push(layer.bias.clone());
        }
        if let Some(t) = self.activation.trained_constants() {
            params.extend(t.layers.iter().cloned());
        }
        Ok(Mlp::from_parameters(self.widths.clone(), op, params)?)
    }

    /// The classes of raw input rows (`n_inputs` values each, as in the source files: DIGITS'
    /// pixel counts, Fashion-MNIST's bytes), scaled as in training.
    pub fn predict_raw(&self, mut raw: Vec<f32>) -> Result<Vec<u8>, ModelError> {
        self.input.apply(&mut raw, self.n_inputs());
        Ok(self.network()?.predict(&raw)?)
    }

    /// Loads the model's data again (checking its checksum) and measures the accuracy on the
    /// test split.
    pub fn evaluate(&self) -> Result<ModelEvaluation, ModelError> {
        let (features, labels) = self.test_split()?;
        let predicted = self.network()?.predict(&features)?;
        let correct = predicted
            .iter()
            .zip(&labels)
            .filter(|(p, l)| p == l)
            .count();
        Ok(ModelEvaluation {
            examples: labels.len(),
            correct,
            accuracy: correct as f64 / labels.len().max(1) as f64,
            recorded_accuracy: self.test_accuracy,
        })
    }

    /// The test split of the model's data as raw values (as in the dataset's files: DIGITS'
    /// pixel counts, Fashion-MNIST's bytes, all whole numbers, recovered by undoing the scaling
    /// and rounding) with its labels: inputs for `predict` and the exports, checked against
    /// [`SavedModel::test_split`].
    pub fn raw_test_split(&self) -> Result<(Vec<f32>, Vec<u8>), ModelError> {
        let (features, labels) = self.test_split()?;
        let (n, d) = (self.n_inputs(), self.input.divisor);
        let raw = match (&self.input.mean, &self.input.std) {
            (Some(mean), Some(std)) => features
                .chunks_exact(n)
                .flat_map(|row| {
                    row.iter()
                        .zip(mean)
                        .zip(std)
                        .map(|((v, m), s)| ((v * s + m) * d).round())
                        .collect::<Vec<_>>()
                })
                .collect(),
            _ => features.iter().map(|v| (v * d).round()).collect(),
        };
        Ok((raw, labels))
    }

    /// The test split of the model's data (scaled network inputs, labels), after checking the
    /// data is the data the model was tested on.
    pub fn test_split(&self) -> Result<(Vec<f32>, Vec<u8>), ModelError> {
        let data = self.data.spec.load(self.data.split_seed)?;
        let found = data.checksum();
        if found != self.data.checksum {
            return Err(ModelError::DataChanged {
                dataset: self.data.spec.name(),
                expected: self.data.checksum.clone(),
                found,
            });
        }
        Ok((data.test.features, data.test.labels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::train::{Budget, NetworkConfig, Status};

    /// A small trained DIGITS model (one hidden layer of 16, 60 steps).
    pub(crate) fn small_model(forward: &str, backward: &str) -> SavedModel {
        let task = Task {
            network: NetworkConfig {
                hidden: vec![16],
                ..NetworkConfig::default()
            },
            budget: Budget::Steps(60),
            seeds: vec![3],
            ..Task::default()
        };
        let trainer = Trainer::new(task).unwrap();
        let activation = Activation::parse(forward, backward).unwrap();
        let (evaluation, nets) = trainer
            .evaluate_keeping_networks(&activation.compile(), &|_| {})
            .unwrap();
        let score = &evaluation.seeds[0];
        assert_eq!(score.status, Status::Completed);
        let record = ExportedActivation::new(forward, activation);
        SavedModel::new(&trainer, record, nets[0].as_ref().unwrap(), score).unwrap()
    }

    #[test]
    fn a_saved_model_reads_back_and_scores_what_training_measured() {
        let model = small_model("heaviside(x)", "rect(-0.5, 0.5)");
        let back = SavedModel::from_ron_str(&model.to_ron(), "model.ron").unwrap();
        assert_eq!(back, model);
        let evaluation = back.evaluate().unwrap();
        assert_eq!(evaluation.examples, 360);
        assert_eq!(evaluation.accuracy, model.test_accuracy);
        assert!(evaluation.accuracy > 0.5, "{evaluation:?}");
    }

    #[test]
    fn trained_constants_travel_with_the_model() {
        let model = small_model("x * sigmoid(param(1.5) * x)", "exact");
        let constants = model.layer_constants(0);
        assert_eq!(constants.len(), 1);
        assert_ne!(constants[0], 1.5, "the constant was trained");
        let back = SavedModel::from_ron_str(&model.to_ron(), "m.ron").unwrap();
        assert_eq!(back.evaluate().unwrap().accuracy, model.test_accuracy);
    }

    #[test]
    fn raw_inputs_are_scaled_as_in_training() {
        let model = small_model("relu(x)", "exact");
        let data = DatasetSpec::Digits.load(0).unwrap();
        let (raw, labels) = model.raw_test_split().unwrap();
        assert_eq!(labels, data.test.labels);
        assert!(raw
            .iter()
            .all(|v| (0.0..=16.0).contains(v) && v.fract() == 0.0));
        let predicted = model.predict_raw(raw).unwrap();
        let direct = model
            .network()
            .unwrap()
            .predict(&data.test.features)
            .unwrap();
        assert_eq!(predicted, direct);
    }

    #[test]
    fn broken_models_are_refused_with_the_place_or_the_reason() {
        let model = small_model("relu(x)", "exact");
        let text = model.to_ron();
        let err = SavedModel::from_ron_str(&text.replacen("format", "formt", 1), "m.ron")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("m.ron:2:"), "{err}");
        let mut short = model.clone();
        short.layers[1].bias.pop();
        let err = SavedModel::from_ron_str(&short.to_ron(), "m.ron")
            .unwrap_err()
            .to_string();
        assert!(err.contains("layer 1: 160 weights and 9 biases"), "{err}");
        let mut nan = model.clone();
        nan.layers[0].weights[5] = f32::NAN;
        let err = SavedModel::from_ron_str(&nan.to_ron(), "m.ron")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not finite"), "{err}");
        let mut other = model;
        other.data.checksum = "0".repeat(32);
        let err = other.evaluate().unwrap_err().to_string();
        assert!(err.contains("checksum"), "{err}");
    }
}
