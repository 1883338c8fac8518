//! `radact train`: train networks with one activation on a dataset, one per seed, and print
//! a table per seed and a summary (or one JSON object with `--json`).
//!
//! ```text
//! radact train --act "heaviside(x)" --grad "rect(-0.5, 0.5)"
//! radact train --act "relu(x)" --grad exact --hidden 64,64 --optimizer adam --epochs 30 --json
//! radact train --task gan-ring --act "sign(x)" --grad "ste_sign(1)" --seeds 4
//! ```

use super::model::save_best;
use super::{input_error, CliError};
use clap::builder::RangedU64ValueParser;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use radact::activation::Activation;
use radact::export::ExportedActivation;
use radact::train::{
    Budget, DatasetError, DatasetSpec, Evaluation, Init, NetworkConfig, OptimizerConfig,
    OptimizerKind, Score, Spread, Status, Task, TrainError, Trainer, DEFAULT_FASHION_MNIST_DIR,
    DISTINCT_VALUES_CAP, LATENT, MAX_BATCH, MAX_EPOCHS, MAX_HIDDEN_WIDTH, MAX_SEEDS, MAX_STEPS,
    SCORED_SAMPLES,
};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Learning rate when `--lr` is not given, for SGD.
const DEFAULT_SGD_LR: f32 = 0.05;
/// Learning rate when `--lr` is not given, for Adam and AdamW.
const DEFAULT_ADAM_LR: f32 = 0.001;

/// Arguments of `radact train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Forward formula of the activation, in x (for example "heaviside(x)").
    #[arg(long, value_name = "EXPR", required_unless_present = "act_file")]
    pub act: Option<String>,
    /// An exported activation (`radact export ... --format ron`): its forward and backward are
    /// trained on the task the other flags describe.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["act", "grad"])]
    pub act_file: Option<PathBuf>,
    /// Backward mode: exact, surrogate, direction, a named rule such as "rect(-0.5, 0.5)",
    /// or "expr(FORMULA)".
    #[arg(long, value_name = "MODE", default_value = "surrogate")]
    pub grad: String,
    /// Train a GAN instead of a classifier: `gan-ring` (the ring of 8 Gaussians; generator
    /// 2-64-64-2 relu, discriminator 2-64-64-1 with this activation, Adam 1e-3 betas 0.5/0.999,
    /// batch 128, 3000 steps, 4 seeds). Only --steps, --seeds and --seed change it.
    #[arg(long, value_enum, value_name = "TASK", conflicts_with_all = [
        "dataset", "hidden", "init", "normalize", "optimizer", "lr", "momentum", "weight_decay",
        "clip_norm", "batch", "epochs", "train_examples", "split_seed",
    ])]
    pub task: Option<TaskArg>,
    /// Dataset to train on.
    #[arg(long, value_enum, default_value_t = DatasetArg::Digits)]
    pub dataset: DatasetArg,
    /// Directory of the Fashion-MNIST IDX files (gzipped or not).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_FASHION_MNIST_DIR)]
    pub data_dir: PathBuf,
    /// Widths of the hidden layers, comma-separated.
    #[arg(
        long,
        value_name = "WIDTHS",
        value_delimiter = ',',
        default_value = "64"
    )]
    #[arg(value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_HIDDEN_WIDTH as u64))]
    pub hidden: Vec<usize>,
    /// Weight initialisation.
    #[arg(long, value_enum, default_value_t = InitArg::He)]
    pub init: InitArg,
    /// Standardise the activation to zero mean and unit variance under N(0, 1) inputs.
    #[arg(long)]
    pub normalize: bool,
    /// Optimiser.
    #[arg(long, value_enum, default_value_t = OptimizerArg::Sgd)]
    pub optimizer: OptimizerArg,
    /// Learning rate [default: 0.05 for sgd, 0.001 for adam and adamw].
    #[arg(long, value_name = "RATE")]
    pub lr: Option<f32>,
    /// Momentum of SGD (0 for plain SGD).
    #[arg(long, default_value_t = 0.9)]
    pub momentum: f32,
    /// Weight decay (L2 for sgd and adam, decoupled for adamw).
    #[arg(long, value_name = "DECAY", default_value_t = 0.0)]
    pub weight_decay: f32,
    /// Clip gradients to this global L2 norm.
    #[arg(long, value_name = "NORM")]
    pub clip_norm: Option<f32>,
    /// Examples per step.
    #[arg(long, value_name = "SIZE", default_value_t = 64,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_BATCH as u64))]
    pub batch: usize,
    /// Training length in passes over the training set.
    #[arg(long, default_value_t = 100, conflicts_with = "steps",
          value_parser = clap::value_parser!(u64).range(1..=MAX_EPOCHS))]
    pub epochs: u64,
    /// Training length in optimiser steps (instead of --epochs).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_STEPS))]
    pub steps: Option<u64>,
    /// Train on this many examples of the training split (drawn by the split seed) instead of
    /// all of them: a cheap run, as a multi-fidelity rung does.
    #[arg(long, value_name = "N")]
    pub train_examples: Option<usize>,
    /// Number of seeds (training runs) [default: 5; 4 with --task gan-ring].
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=MAX_SEEDS as u64))]
    pub seeds: Option<u64>,
    /// First seed; the runs use seeds S, S+1, ...
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Seed of the train/validation/test split.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub split_seed: u64,
    /// Print one JSON object (activation, task, summary and seeds) instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Save the trained network of the seed with the best validation accuracy to this file
    /// (weights, activation, input scaling, data checksum, test accuracy), for `radact predict`,
    /// `radact eval-model` and `radact export-model`. Classifiers only.
    #[arg(long, value_name = "FILE", conflicts_with = "task")]
    pub save: Option<PathBuf>,
    /// Replace an existing --save file.
    #[arg(long, requires = "save")]
    pub force: bool,
}

/// `--task` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TaskArg {
    /// A GAN on the ring of 8 Gaussians, the discriminator using the activation.
    GanRing,
}

/// `--dataset` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DatasetArg {
    /// scikit-learn's 8x8 digits, built in.
    Digits,
    /// Fashion-MNIST from --data-dir.
    FashionMnist,
}

/// `--init` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InitArg {
    /// He (Kaiming) normal.
    He,
    /// Xavier (Glorot) uniform.
    Xavier,
    /// PyTorch's nn.Linear default: weights and biases uniform in +-1/sqrt(fan_in).
    Torch,
}

/// `--optimizer` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OptimizerArg {
    /// SGD with momentum.
    Sgd,
    /// Adam.
    Adam,
    /// AdamW (decoupled weight decay).
    Adamw,
}

/// The JSON document printed with `--json`.
#[derive(Serialize)]
struct Report<'a> {
    activation: ActivationText<'a>,
    task: &'a Task,
    #[serde(flatten)]
    evaluation: &'a Evaluation,
}

/// The activation as given on the command line.
#[derive(Serialize)]
struct ActivationText<'a> {
    forward: &'a str,
    backward: &'a str,
}

impl TrainArgs {
    /// The task these arguments describe.
    fn task(&self) -> Task {
        let seeds = |default: u64| -> Vec<u64> {
            let n = self.seeds.unwrap_or(default);
            (0..n).map(|i| self.seed.wrapping_add(i)).collect()
        };
        if let Some(TaskArg::GanRing) = self.task {
            let task = Task::gan_ring();
            return Task {
                budget: self.steps.map_or(task.budget, Budget::Steps),
                seeds: seeds(task.seeds.len() as u64),
                ..task
            };
        }
        let dataset = match self.dataset {
            DatasetArg::Digits => DatasetSpec::Digits,
            DatasetArg::FashionMnist => DatasetSpec::FashionMnist {
                dir: self.data_dir.clone(),
            },
        };
        let (kind, default_lr) = match self.optimizer {
            OptimizerArg::Sgd => (OptimizerKind::sgd(self.momentum), DEFAULT_SGD_LR),
            OptimizerArg::Adam => (OptimizerKind::adam(), DEFAULT_ADAM_LR),
            OptimizerArg::Adamw => (OptimizerKind::adamw(), DEFAULT_ADAM_LR),
        };
        Task {
            dataset,
            split_seed: self.split_seed,
            network: NetworkConfig {
                hidden: self.hidden.clone(),
                init: match self.init {
                    InitArg::He => Init::He,
                    InitArg::Xavier => Init::Xavier,
                    InitArg::Torch => Init::Torch,
                },
                normalize: self.normalize,
            },
            optimizer: OptimizerConfig {
                kind,
                learning_rate: self.lr.unwrap_or(default_lr),
                weight_decay: self.weight_decay,
                clip_norm: self.clip_norm,
            },
            batch_size: self.batch,
            budget: match self.steps {
                Some(s) => Budget::Steps(s),
                None => Budget::Epochs(self.epochs),
            },
            train_examples: self.train_examples,
            seeds: seeds(5),
        }
    }
}

/// Classifies a training error: bad settings or data are the user's to fix (exit 2).
fn classify(e: TrainError) -> CliError {
    match e {
        TrainError::InvalidTask(_) | TrainError::Optimizer(_) => input_error(e),
        TrainError::Dataset(DatasetError::Digits { .. }) => CliError::Failure(e.into()),
        TrainError::Dataset(_) => input_error(e),
        TrainError::Network(_) | TrainError::Thread(_) => CliError::Failure(e.into()),
    }
}

/// Runs `radact train`.
pub fn run(args: TrainArgs) -> Result<(), CliError> {
    let activation = match (&args.act_file, &args.act) {
        (Some(path), _) => ExportedActivation::load(path)
            .map_err(input_error)?
            .activation()
            .clone(),
        (None, Some(act)) => Activation::parse(act, &args.grad).map_err(input_error)?,
        (None, None) => unreachable!("clap requires --act or --act-file"),
    };
    let forward_text = activation.forward.to_string();
    let backward_text = activation.backward.to_string();
    let trainer = Trainer::new(args.task()).map_err(classify)?;
    let compiled = activation.compile();
    let bar = if !args.json && std::io::stderr().is_terminal() {
        let total = trainer.steps_per_seed() * trainer.task().seeds.len() as u64;
        let style =
            ProgressStyle::with_template("{bar:40} {pos}/{len} steps {elapsed} (eta {eta})")
                .map_err(|e| CliError::Failure(e.into()))?;
        ProgressBar::new(total).with_style(style)
    } else {
        ProgressBar::hidden()
    };
    let (evaluation, networks) = trainer
        .evaluate_keeping_networks(&compiled, &|p| bar.inc(p.new_steps))
        .map_err(classify)?;
    bar.finish_and_clear();
    if let Some(path) = &args.save {
        let name = match &args.act_file {
            Some(file) => ExportedActivation::load(file)
                .map_err(input_error)?
                .name()
                .to_string(),
            None => forward_text.clone(),
        };
        let record = ExportedActivation::new(name, activation.clone());
        let seed = save_best(&trainer, record, &evaluation, &networks, path, args.force)?;
        eprintln!("saved the network of seed {seed} (best validation accuracy)");
    }
    if args.json {
        let report = Report {
            activation: ActivationText {
                forward: &forward_text,
                backward: &backward_text,
            },
            task: trainer.task(),
            evaluation: &evaluation,
        };
        let text =
            serde_json::to_string_pretty(&report).map_err(|e| CliError::Failure(e.into()))?;
        println!("{text}");
    } else {
        print_tables(&activation, &trainer, &evaluation);
    }
    Ok(())
}

/// Formats a distinct-value count, showing the cap as ">1000".
fn distinct(v: f64) -> String {
    if v > DISTINCT_VALUES_CAP as f64 {
        format!(">{DISTINCT_VALUES_CAP}")
    } else {
        format!("{v}")
    }
}

/// Prints the set-up, one row per seed and the summary.
fn print_tables(activation: &Activation, trainer: &Trainer, evaluation: &Evaluation) {
    let task = trainer.task();
    let Some(data) = trainer.data() else {
        return print_gan_tables(activation, trainer, evaluation);
    };
    let widths: Vec<String> = std::iter::once(data.n_features())
        .chain(task.network.hidden.iter().copied())
        .chain(std::iter::once(data.n_classes))
        .map(|w| w.to_string())
        .collect();
    println!(
        "activation  {}  backward {}",
        activation.forward, activation.backward
    );
    println!(
        "task        {} ({} train / {} validation / {} test), MLP {} ({:?} init{}), {:?}, \
         lr {}, batch {}, {} steps per seed",
        data.name,
        data.train.len(),
        data.validation.len(),
        data.test.len(),
        widths.join("-"),
        task.network.init,
        if task.network.normalize {
            ", standardised"
        } else {
            ""
        },
        task.optimizer.kind,
        task.optimizer.learning_rate,
        task.batch_size,
        trainer.steps_per_seed()
    );
    println!();
    println!(
        "{:>6}  {:<9}  {:>6}  {:>6}  {:>6}  {:>6}  {:>9}  {:>8}  {:>8}  {:>9}  {:>9}  {:>7}",
        "seed",
        "status",
        "steps",
        "train",
        "valid",
        "test",
        "test loss",
        "sparsity",
        "distinct",
        "noise 0.1",
        "noise 0.3",
        "time"
    );
    for s in &evaluation.seeds {
        print_seed(s);
    }
    if evaluation.seeds.iter().any(|s| !s.constants.is_empty()) {
        println!();
        println!("trained constants (param(...) in formula order), per hidden layer:");
        for s in &evaluation.seeds {
            if let Some(text) = s.constants_text() {
                println!("{:>6}  {text}", s.seed);
            }
        }
    }
    let summary = &evaluation.summary;
    println!();
    println!(
        "summary over {} seeds ({} completed, {} failed): median [min, max]",
        summary.seeds, summary.completed, summary.failed
    );
    if let Some(m) = &summary.metrics {
        let rows: [(&str, Option<Spread>); 9] = [
            ("test accuracy", m.test_accuracy),
            ("validation accuracy", m.validation_accuracy),
            ("train accuracy", m.train_accuracy),
            ("test loss", m.test_loss),
            ("validation loss", m.validation_loss),
            ("train loss", m.train_loss),
            ("sparsity", Some(m.sparsity)),
            ("noise 0.1 accuracy", m.noisy_accuracy_0_1),
            ("noise 0.3 accuracy", m.noisy_accuracy_0_3),
        ];
        for (name, s) in rows {
            match s {
                Some(s) => println!("  {name:<20} {:.4} [{:.4}, {:.4}]", s.median, s.min, s.max),
                // Not finite on any seed (noise can overflow what the clean inputs do not).
                None => println!("  {name:<20} -"),
            }
        }
        let d = &m.distinct_values;
        println!(
            "  {:<20} {} [{}, {}]",
            "distinct values",
            distinct(d.median),
            distinct(d.min),
            distinct(d.max)
        );
    }
    let t = &summary.wall_time_s;
    println!(
        "  {:<20} {:.2} s [{:.2}, {:.2}]",
        "time per seed", t.median, t.min, t.max
    );
    println!(
        "  {:<20} {:.2} ns per element",
        "forward cost", summary.forward_ns_per_element
    );
}

/// A metric with four decimals, or `-` when it is missing.
fn four_places(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.4}"))
}

/// Prints one seed's row (or its failure reason).
fn print_seed(s: &Score) {
    match (&s.metrics, &s.status) {
        (Some(m), _) => println!(
            "{:>6}  {:<9}  {:>6}  {:>6}  {:>6}  {:>6}  {:>9}  {:>8.3}  {:>8}  {:>9}  \
             {:>9}  {:>6.2}s",
            s.seed,
            "completed",
            s.steps,
            four_places(m.train_accuracy),
            four_places(m.validation_accuracy),
            four_places(m.test_accuracy),
            four_places(m.test_loss),
            m.sparsity,
            distinct(m.distinct_values),
            four_places(m.noisy_accuracy_0_1),
            four_places(m.noisy_accuracy_0_3),
            s.wall_time_s
        ),
        (None, Status::Failed { reason }) => {
            println!("{:>6}  {:<9}  {:>6}  {reason}", s.seed, "failed", s.steps)
        }
        (None, Status::Completed) => {
            println!("{:>6}  {:<9}  {:>6}", s.seed, "completed", s.steps)
        }
    }
}

/// Prints a GAN task's set-up, one row per seed (modes, high quality, reverse KL, the
/// discriminator's sparsity) and the medians.
fn print_gan_tables(activation: &Activation, trainer: &Trainer, evaluation: &Evaluation) {
    let task = trainer.task();
    let hidden: Vec<String> = task.network.hidden.iter().map(|w| w.to_string()).collect();
    let hidden = hidden.join("-");
    println!(
        "activation  {}  backward {}",
        activation.forward, activation.backward
    );
    println!(
        "task        {}: generator {LATENT}-{hidden}-2 (relu), discriminator 2-{hidden}-1 (this \
         activation), {:?} init, {:?}, lr {}, batch {}, {} steps per seed; scored on {} samples",
        task.dataset.name(),
        task.network.init,
        task.optimizer.kind,
        task.optimizer.learning_rate,
        task.batch_size,
        trainer.steps_per_seed(),
        SCORED_SAMPLES,
    );
    println!();
    println!(
        "{:>6}  {:<9}  {:>6}  {:>5}  {:>12}  {:>10}  {:>8}  {:>7}",
        "seed", "status", "steps", "modes", "high quality", "reverse KL", "sparsity", "time"
    );
    for s in &evaluation.seeds {
        match (&s.metrics, &s.status) {
            (Some(m), _) => println!(
                "{:>6}  {:<9}  {:>6}  {:>5}  {:>12}  {:>10}  {:>8.3}  {:>6.2}s",
                s.seed,
                "completed",
                s.steps,
                m.modes.map_or("-".to_string(), |v| format!("{v}")),
                four_places(m.high_quality),
                four_places(m.reverse_kl),
                m.sparsity,
                s.wall_time_s
            ),
            (None, Status::Failed { reason }) => {
                println!("{:>6}  {:<9}  {:>6}  {reason}", s.seed, "failed", s.steps)
            }
            (None, Status::Completed) => {
                println!("{:>6}  {:<9}  {:>6}", s.seed, "completed", s.steps)
            }
        }
    }
    let summary = &evaluation.summary;
    println!();
    println!(
        "median over {} seeds ({} completed, {} failed) [min, max]",
        summary.seeds, summary.completed, summary.failed
    );
    if let Some(m) = &summary.metrics {
        let rows: [(&str, Option<Spread>); 4] = [
            ("modes", m.modes),
            ("high quality", m.high_quality),
            ("reverse KL", m.reverse_kl),
            ("sparsity (D)", Some(m.sparsity)),
        ];
        for (name, s) in rows {
            match s {
                Some(s) => println!("  {name:<20} {:.4} [{:.4}, {:.4}]", s.median, s.min, s.max),
                None => println!("  {name:<20} -"),
            }
        }
    }
    let t = &summary.wall_time_s;
    println!(
        "  {:<20} {:.2} s [{:.2}, {:.2}]",
        "time per seed", t.median, t.min, t.max
    );
}
