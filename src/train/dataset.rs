//! Classification datasets for scoring activations: DIGITS (embedded in the binary) and
//! Fashion-MNIST (read from the four standard IDX files), split deterministically by seed into
//! train, validation and test sets and scaled for training. A [`DatasetSpec`] may also name
//! the ring of Gaussians a GAN learns (`gan-ring`, `ring.rs`): a distribution sampled afresh
//! at every step, not a set of examples, which makes the task a GAN task (`gan.rs`).
//!
//! - DIGITS: scikit-learn's 1797 8x8 digits (64 features 0..16, 10 classes). Split 60/20/20,
//!   stratified by class; features divided by 16, then standardised per feature with the
//!   training set's mean and standard deviation.
//! - Fashion-MNIST: 60 000 training and 10 000 test images of 28x28 pixels. The validation set
//!   is 10 000 images drawn (by seed) from the training file; pixels divided by 255.
//!
//! ```
//! use radact::train::DatasetSpec;
//! let data = DatasetSpec::Digits.load(0).unwrap();
//! assert_eq!(data.train.len() + data.validation.len() + data.test.len(), 1797);
//! assert_eq!((data.n_features(), data.n_classes), (64, 10));
//! ```

use super::idx::{read_idx, IdxError};
use flate2::read::GzDecoder;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use xxhash_rust::xxh3::Xxh3;

/// The DIGITS data: 1797 lines of 64 pixel values and a label, comma-separated, gzipped.
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// Where Debian's `dataset-fashion-mnist` package installs the IDX files.
pub const DEFAULT_FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The four Fashion-MNIST files, each looked for as `NAME` and `NAME.gz`:
/// training images, training labels, test images, test labels.
pub const FASHION_MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// Number of Fashion-MNIST training images moved to the validation set.
const FASHION_VALIDATION: usize = 10_000;

/// What Fashion-MNIST's pixel bytes are divided by (to `0..=1`).
const FASHION_DIVISOR: f32 = 255.0;

/// Shares of each DIGITS class that go to the training and validation sets (the rest is test).
const DIGITS_TRAIN_SHARE: f64 = 0.6;
const DIGITS_VALIDATION_SHARE: f64 = 0.2;

/// Which dataset to train on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum DatasetSpec {
    /// scikit-learn's DIGITS, embedded in the binary: always available.
    Digits,
    /// Fashion-MNIST from the four IDX files (gzipped or not) in `dir`.
    FashionMnist {
        /// The directory holding the files named in [`FASHION_MNIST_FILES`].
        dir: PathBuf,
    },
    /// The GAN task: a generator learns the mixture of 8 Gaussians on a circle
    /// ([`ring_centres`](super::ring_centres)) against a discriminator that uses the candidate
    /// activation ([`Task::gan_ring`](super::Task::gan_ring)). It has no examples to load.
    GanRing,
}

/// A set of labelled examples: a row-major feature matrix and one label per row.
#[derive(Clone, Debug, PartialEq)]
pub struct Examples {
    /// `len() * n_features` values, one row per example.
    pub features: Vec<f32>,
    /// The class of each example, `0..n_classes`.
    pub labels: Vec<u8>,
    /// Number of features per example.
    pub n_features: usize,
}

/// A dataset split into training, validation and test examples, ready for training.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Short name for reports (`digits`, `fashion-mnist`).
    pub name: String,
    /// Number of classes; labels are `0..n_classes`.
    pub n_classes: usize,
    /// Examples the network is trained on.
    pub train: Examples,
    /// Held-out examples for model selection.
    pub validation: Examples,
    /// Held-out examples for the final score.
    pub test: Examples,
    /// How the raw values of the source files became these features: a trained network's
    /// inputs must be scaled the same way ([`InputScaling::apply`]).
    pub input: InputScaling,
}

/// How raw feature values (DIGITS' pixel counts 0-16, Fashion-MNIST's bytes 0-255) are turned
/// into a network's inputs: `(raw / divisor - mean[i]) / std[i]` for feature `i`, without the
/// standardisation when `mean` and `std` are absent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputScaling {
    /// What raw values are divided by first (16, 255).
    pub divisor: f32,
    /// Per-feature mean subtracted after scaling (the training split's), if standardised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<Vec<f32>>,
    /// Per-feature standard deviation divided by after the mean, if standardised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<Vec<f32>>,
}

impl InputScaling {
    /// Scales raw rows of `n_features` values in place, exactly as the dataset's loader scaled
    /// its examples (the same `f32` operations in the same order).
    pub fn apply(&self, raw: &mut [f32], n_features: usize) {
        raw.iter_mut().for_each(|v| *v /= self.divisor);
        if let (Some(mean), Some(std)) = (&self.mean, &self.std) {
            for row in raw.chunks_exact_mut(n_features) {
                for ((v, m), s) in row.iter_mut().zip(mean).zip(std) {
                    *v = (*v - m) / s;
                }
            }
        }
    }

    /// What is inconsistent about the scaling for `n_features` inputs, if anything.
    pub fn problem(&self, n_features: usize) -> Option<String> {
        if !self.divisor.is_finite() || self.divisor == 0.0 {
            return Some(format!(
                "the divisor {} is not a finite non-zero number",
                self.divisor
            ));
        }
        match (&self.mean, &self.std) {
            (None, None) => None,
            (Some(m), Some(s)) if m.len() != n_features || s.len() != n_features => Some(format!(
                "{} means and {} standard deviations for {n_features} inputs",
                m.len(),
                s.len()
            )),
            (Some(m), Some(s)) => {
                if m.iter().any(|v| !v.is_finite()) {
                    Some("a mean is not finite".to_string())
                } else if s.iter().any(|v| !v.is_finite() || *v <= 0.0) {
                    Some("a standard deviation is not a positive finite number".to_string())
                } else {
                    None
                }
            }
            _ => Some("mean and std must be given together".to_string()),
        }
    }
}

/// Why a dataset could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// Some Fashion-MNIST files are not in the directory.
    #[error(
        "Fashion-MNIST files not found in {}: missing {} (each looked for as NAME and NAME.gz); \
         install Debian's dataset-fashion-mnist package or put the four IDX files there and \
         pass --data-dir",
        dir.display(),
        missing.join(", ")
    )]
    MissingFiles {
        /// The directory searched.
        dir: PathBuf,
        /// The base names of the files not found.
        missing: Vec<String>,
    },
    /// An IDX file could not be read.
    #[error(transparent)]
    Idx(#[from] IdxError),
    /// An IDX file has the wrong shape or content for Fashion-MNIST.
    #[error("{}: {message}", path.display())]
    Content {
        /// The offending file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// The dataset is a distribution sampled during training (`gan-ring`), not examples.
    #[error("{0} is a distribution sampled during training, not a set of examples to load")]
    NotExamples(&'static str),
    /// The embedded DIGITS data is corrupt (a build problem, not a user error).
    #[error("embedded DIGITS data, line {line}: {message}")]
    Digits {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
}

impl Examples {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The features of example `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.features[i * self.n_features..(i + 1) * self.n_features]
    }

    /// The examples at `indices`, in that order.
    fn select(&self, indices: &[usize]) -> Examples {
        let mut features = Vec::with_capacity(indices.len() * self.n_features);
        for &i in indices {
            features.extend_from_slice(self.row(i));
        }
        Examples {
            features,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            n_features: self.n_features,
        }
    }

    /// Multiplies every feature by `factor`.
    fn scale(&mut self, factor: f32) {
        self.features.iter_mut().for_each(|v| *v *= factor);
    }

    /// Per-feature mean and standard deviation (1 where a feature is constant).
    fn feature_statistics(&self) -> (Vec<f32>, Vec<f32>) {
        let n = self.len().max(1) as f64;
        let mut mean = vec![0.0f64; self.n_features];
        let mut sq = vec![0.0f64; self.n_features];
        for row in self.features.chunks_exact(self.n_features) {
            for ((m, s), &v) in mean.iter_mut().zip(&mut sq).zip(row) {
                *m += f64::from(v);
                *s += f64::from(v) * f64::from(v);
            }
        }
        let mut std = vec![1.0f32; self.n_features];
        for ((m, s), sd) in mean.iter_mut().zip(&sq).zip(&mut std) {
            *m /= n;
            let var = (s / n - *m * *m).max(0.0);
            if var > 1e-12 {
                *sd = var.sqrt() as f32;
            }
        }
        (mean.into_iter().map(|m| m as f32).collect(), std)
    }

    /// Subtracts `mean` and divides by `std`, feature by feature.
    fn standardize(&mut self, mean: &[f32], std: &[f32]) {
        for row in self.features.chunks_exact_mut(self.n_features) {
            for ((v, m), s) in row.iter_mut().zip(mean).zip(std) {
                *v = (*v - m) / s;
            }
        }
    }
}

impl Dataset {
    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.train.n_features
    }

    /// A checksum of the loaded data (xxh3-128 of the name, the class count and each split's
    /// features and labels, in hex): two machines (or two versions of the files) that load the
    /// same data compute the same checksum, and any other data another.
    pub fn checksum(&self) -> String {
        let mut h = Xxh3::new();
        h.update(self.name.as_bytes());
        h.update(&(self.n_classes as u64).to_le_bytes());
        let mut split = |e: &Examples| {
            h.update(&(e.n_features as u64).to_le_bytes());
            h.update(&(e.labels.len() as u64).to_le_bytes());
            for v in &e.features {
                h.update(&v.to_bits().to_le_bytes());
            }
            h.update(&e.labels);
        };
        split(&self.train);
        split(&self.validation);
        split(&self.test);
        format!("{:032x}", h.digest128())
    }
}

impl DatasetSpec {
    /// Short name for reports and the CLI (`digits`, `fashion-mnist`, `gan-ring`).
    pub fn name(&self) -> &'static str {
        match self {
            DatasetSpec::Digits => "digits",
            DatasetSpec::FashionMnist { .. } => "fashion-mnist",
            DatasetSpec::GanRing => "gan-ring",
        }
    }

    /// Whether training on it is a GAN task (the ring) rather than classification.
    pub fn is_gan(&self) -> bool {
        matches!(self, DatasetSpec::GanRing)
    }

    /// Loads, splits (deterministically by `split_seed`) and scales the dataset: a copy of its
    /// own, decoded anew (see [`DatasetSpec::load_shared`]).
    pub fn load(&self, split_seed: u64) -> Result<Dataset, DatasetError> {
        match self {
            DatasetSpec::Digits => load_digits(split_seed),
            DatasetSpec::FashionMnist { dir } => load_fashion_mnist(dir, split_seed),
            DatasetSpec::GanRing => Err(DatasetError::NotExamples(self.name())),
        }
    }

    /// Like [`DatasetSpec::load`], but shared: while any copy returned for this dataset and
    /// `split_seed` is alive, every call in the process returns that copy (read-only, across
    /// threads) instead of reading and decoding the files again; once the last one is dropped,
    /// its memory is freed and the next call loads anew. Every [`Trainer`](super::Trainer)
    /// loads through it, so that the trainers of a search, of its final check and of any
    /// fidelity rung hold one copy of Fashion-MNIST (about 220 MB) between them.
    ///
    /// Concurrent calls for a dataset not yet loaded wait for one load (calls for any dataset
    /// wait while one loads). A failed load is not remembered: the next call tries again.
    pub fn load_shared(&self, split_seed: u64) -> Result<Arc<Dataset>, DatasetError> {
        static SHARED: Mutex<Option<SharedDatasets>> = Mutex::new(None);
        // A panic while the lock was held cannot leave the map inconsistent: it only ever
        // holds complete datasets.
        let mut shared = SHARED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let map = shared.get_or_insert_with(HashMap::new);
        map.retain(|_, copy| copy.strong_count() > 0);
        let key = (self.clone(), split_seed);
        if let Some(data) = map.get(&key).and_then(Weak::upgrade) {
            return Ok(data);
        }
        let data = Arc::new(self.load(split_seed)?);
        map.insert(key, Arc::downgrade(&data));
        Ok(data)
    }
}

/// The datasets [`DatasetSpec::load_shared`] handed out, by dataset and split seed; weak, so
/// that a dataset no one uses any more is freed.
type SharedDatasets = HashMap<(DatasetSpec, u64), Weak<Dataset>>;

/// Parses the embedded DIGITS CSV.
fn parse_digits() -> Result<Examples, DatasetError> {
    let corrupt = |line, message: String| DatasetError::Digits { line, message };
    let mut text = String::new();
    GzDecoder::new(DIGITS_CSV_GZ)
        .read_to_string(&mut text)
        .map_err(|e| corrupt(0, e.to_string()))?;
    const COLUMNS: usize = 65;
    let mut features = Vec::new();
    let mut labels = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let values: Vec<f32> = line
            .split(',')
            .map(|v| v.trim().parse::<f32>())
            .collect::<Result<_, _>>()
            .map_err(|e| corrupt(i + 1, e.to_string()))?;
        if values.len() != COLUMNS {
            return Err(corrupt(
                i + 1,
                format!("{} columns instead of {COLUMNS}", values.len()),
            ));
        }
        let label = values[COLUMNS - 1];
        if !(0.0..10.0).contains(&label) || label.fract() != 0.0 {
            return Err(corrupt(i + 1, format!("label {label} is not a digit")));
        }
        features.extend_from_slice(&values[..COLUMNS - 1]);
        labels.push(label as u8);
    }
    Ok(Examples {
        features,
        labels,
        n_features: COLUMNS - 1,
    })
}

/// DIGITS split 60/20/20 per class, scaled by 1/16 and standardised by training statistics.
fn load_digits(split_seed: u64) -> Result<Dataset, DatasetError> {
    let all = parse_digits()?;
    let n_classes = 10;
    let mut rng = ChaCha8Rng::seed_from_u64(split_seed);
    let (mut train, mut validation, mut test) = (Vec::new(), Vec::new(), Vec::new());
    for class in 0..n_classes as u8 {
        let mut idx: Vec<usize> = (0..all.len()).filter(|&i| all.labels[i] == class).collect();
        idx.shuffle(&mut rng);
        let n_train = (idx.len() as f64 * DIGITS_TRAIN_SHARE).round() as usize;
        let n_val = (idx.len() as f64 * DIGITS_VALIDATION_SHARE).round() as usize;
        train.extend_from_slice(&idx[..n_train]);
        validation.extend_from_slice(&idx[n_train..n_train + n_val]);
        test.extend_from_slice(&idx[n_train + n_val..]);
    }
    let mut sets = [
        all.select(&train),
        all.select(&validation),
        all.select(&test),
    ];
    // Multiplying by 1/16 is exactly dividing by 16 (a power of two).
    let divisor = 16.0;
    sets.iter_mut().for_each(|s| s.scale(1.0 / divisor));
    let (mean, std) = sets[0].feature_statistics();
    sets.iter_mut().for_each(|s| s.standardize(&mean, &std));
    let [train, validation, test] = sets;
    Ok(Dataset {
        name: "digits".to_string(),
        n_classes,
        train,
        validation,
        test,
        input: InputScaling {
            divisor,
            mean: Some(mean),
            std: Some(std),
        },
    })
}

/// Finds `NAME` or `NAME.gz` in `dir` for each of the four Fashion-MNIST files.
fn find_fashion_files(dir: &Path) -> Result<[PathBuf; 4], DatasetError> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for name in FASHION_MNIST_FILES {
        let plain = dir.join(name);
        let gz = dir.join(format!("{name}.gz"));
        match [plain, gz].into_iter().find(|p| p.is_file()) {
            Some(p) => found.push(p),
            None => missing.push(name.to_string()),
        }
    }
    if !missing.is_empty() {
        return Err(DatasetError::MissingFiles {
            dir: dir.to_path_buf(),
            missing,
        });
    }
    Ok(found.try_into().expect("one path per file name"))
}

/// Reads one images file and one labels file into examples scaled to `0..=1`.
fn read_fashion_pair(images: &Path, labels: &Path) -> Result<Examples, DatasetError> {
    let content = |path: &Path, message: String| DatasetError::Content {
        path: path.to_path_buf(),
        message,
    };
    let img = read_idx(images)?;
    let lab = read_idx(labels)?;
    if img.dims.len() != 3 {
        return Err(content(
            images,
            format!(
                "expected 3 dimensions (count, rows, columns), found {:?}",
                img.dims
            ),
        ));
    }
    if img.dims[1] * img.dims[2] == 0 {
        return Err(content(
            images,
            format!("images of {:?} pixels are empty", &img.dims[1..]),
        ));
    }
    if lab.dims.len() != 1 {
        return Err(content(
            labels,
            format!("expected 1 dimension (count), found {:?}", lab.dims),
        ));
    }
    if img.dims[0] != lab.dims[0] {
        return Err(content(
            labels,
            format!(
                "{} labels for {} images in {}",
                lab.dims[0],
                img.dims[0],
                images.display()
            ),
        ));
    }
    if let Some(bad) = lab.data.iter().find(|&&l| l >= 10) {
        return Err(content(labels, format!("label {bad} is not in 0..10")));
    }
    Ok(Examples {
        features: img
            .data
            .iter()
            .map(|&p| f32::from(p) / FASHION_DIVISOR)
            .collect(),
        labels: lab.data,
        n_features: img.dims[1] * img.dims[2],
    })
}

/// Fashion-MNIST with a seeded validation set carved from the training file.
fn load_fashion_mnist(dir: &Path, split_seed: u64) -> Result<Dataset, DatasetError> {
    let [train_images, train_labels, test_images, test_labels] = find_fashion_files(dir)?;
    let full = read_fashion_pair(&train_images, &train_labels)?;
    let test = read_fashion_pair(&test_images, &test_labels)?;
    if test.n_features != full.n_features {
        return Err(DatasetError::Content {
            path: test_images,
            message: format!(
                "images of {} pixels, the training images have {}",
                test.n_features, full.n_features
            ),
        });
    }
    let n_validation = FASHION_VALIDATION.min(full.len() / 6);
    let mut idx: Vec<usize> = (0..full.len()).collect();
    idx.shuffle(&mut ChaCha8Rng::seed_from_u64(split_seed));
    let (validation, train) = idx.split_at(n_validation);
    Ok(Dataset {
        name: "fashion-mnist".to_string(),
        n_classes: 10,
        train: full.select(train),
        validation: full.select(validation),
        test,
        input: InputScaling {
            divisor: FASHION_DIVISOR,
            mean: None,
            std: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_split_is_stratified_disjoint_and_standardised() {
        let d = DatasetSpec::Digits.load(3).unwrap();
        assert_eq!(d.train.len(), 1078);
        assert_eq!(d.validation.len(), 359);
        assert_eq!(d.test.len(), 360);
        for class in 0..10u8 {
            let n = d.train.labels.iter().filter(|&&l| l == class).count();
            assert!((100..=110).contains(&n), "class {class}: {n}");
        }
        let (mean, std) = d.train.feature_statistics();
        assert!(mean.iter().all(|m| m.abs() < 1e-4));
        assert!(std.iter().all(|s| (s - 1.0).abs() < 1e-3));
        // Every example lands in exactly one split: per-class counts add up to the file's.
        for (class, total) in [(0u8, 178), (8, 174)] {
            let count = |e: &Examples| e.labels.iter().filter(|&&l| l == class).count();
            assert_eq!(
                count(&d.train) + count(&d.validation) + count(&d.test),
                total
            );
        }
    }

    #[test]
    fn digits_split_depends_on_the_seed_only() {
        let a = DatasetSpec::Digits.load(1).unwrap();
        let b = DatasetSpec::Digits.load(1).unwrap();
        let c = DatasetSpec::Digits.load(2).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.train.features, c.train.features);
    }

    #[test]
    fn shared_loads_are_one_copy_while_in_use() {
        // A split seed no other test loads, so that no other test holds this copy.
        let seed = 0x5eed_5a4e;
        let a = DatasetSpec::Digits.load_shared(seed).unwrap();
        let b = DatasetSpec::Digits.load_shared(seed).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(*a, DatasetSpec::Digits.load(seed).unwrap());
        let other = DatasetSpec::Digits.load_shared(seed + 1).unwrap();
        assert!(!Arc::ptr_eq(&a, &other));
        let weak = Arc::downgrade(&a);
        drop((a, b));
        assert!(weak.upgrade().is_none(), "freed once no one holds it");
        let again = DatasetSpec::Digits.load_shared(seed).unwrap();
        assert_eq!(*again, DatasetSpec::Digits.load(seed).unwrap());
    }
}
