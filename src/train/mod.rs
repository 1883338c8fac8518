//! Training real networks with a candidate activation and scoring them.
//!
//! A candidate's compiled forward and backward programs become an activation operation
//! ([`ActivationOp`]: `y = f(x)`, `dL/dx = g(x) * dL/dy`), used after every hidden layer of a
//! multilayer perceptron with run-time widths ([`Mlp`], trained by backpropagation over flat
//! buffers with `gemm`'s matrix products on the calling thread). A [`Trainer`] trains one network per
//! seed on a [`Dataset`] with an in-place [`Optimizer`] and scores it ([`Score`]: accuracy and
//! loss on each split, sparsity, distinct values, robustness to input noise, time), then
//! summarises the seeds ([`Summary`]).
//!
//! A task may instead be a GAN ([`Task::gan_ring`]): a relu generator learns the ring of eight
//! Gaussians ([`ring_centres`]) against a discriminator with the candidate activation, and the
//! generator's samples are scored by the modes they cover, their quality and the reverse KL
//! divergence of their mode histogram ([`RingScores`]).
//!
//! Training uses no tensor library: `matmul.rs` wraps `gemm`, and the network works on slices.
//! `op.rs` also offers the activation as a dfdx tape operation ([`ActivationOp::apply`]); only
//! its tests and `benches/train_step.rs` (the dfdx reference networks) use that.
//!
//! ```no_run
//! use radact::activation::Activation;
//! use radact::train::{evaluate, Budget, Task};
//! let act = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap();
//! let task = Task { budget: Budget::Epochs(20), ..Task::default() };
//! let e = evaluate(&act.compile(), &task).unwrap();
//! println!("median test accuracy {:?}", e.summary.median_test_accuracy());
//! ```

pub(crate) mod baselines;
pub(crate) mod dataset;
pub(crate) mod gan;
pub mod idx;
mod matmul;
pub(crate) mod measure;
pub(crate) mod network;
pub mod op;
pub(crate) mod optimizer;
pub(crate) mod ring;
pub(crate) mod score;
pub(crate) mod task;
pub(crate) mod trainer;
pub(crate) mod workers;

pub use baselines::{baseline, Baseline, BASELINES};
pub use dataset::{
    Dataset, DatasetError, DatasetSpec, Examples, InputScaling, DEFAULT_FASHION_MNIST_DIR,
    FASHION_MNIST_FILES,
};
pub use gan::LATENT;
pub use idx::{read_idx, IdxArray, IdxError};
pub use measure::{distinct_values, forward_cost_ns, Measurements, KEPT_SAMPLES, NOISE_LEVELS};
pub use network::{Init, Mlp, NetworkConfig, NetworkError};
pub use op::{ActivationOp, Standardization, StandardizationError};
pub use optimizer::{Optimizer, OptimizerConfig, OptimizerKind};
pub use ring::{
    ring_centres, sample_ring, RingScores, MODE_SHARE, QUALITY_STDS, RING_MODES, RING_RADIUS,
    RING_STD, SCORED_SAMPLES,
};
pub use score::{median, Evaluation, Metrics, Score, Spread, Status, Summary, DISTINCT_VALUES_CAP};
pub use task::{
    Budget, Task, TrainError, MAX_BATCH, MAX_EPOCHS, MAX_HIDDEN_LAYERS, MAX_HIDDEN_WIDTH,
    MAX_SEEDS, MAX_STEPS,
};
pub use trainer::{evaluate, evaluate_jobs, Progress, SeedTimes, Trainer, MAX_WEIGHT};
pub use workers::{Workers, MAX_WORKERS};
