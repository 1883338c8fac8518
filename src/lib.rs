//! # radact
//!
//! radact searches for neural-network activation functions, including "radical" ones that
//! ordinary autograd cannot train (steps, signs, quantisers, dead zones). This is the library
//! under the `radact` command-line tool and the `radact-gui` desktop app; everything they do
//! goes through the API below.
//!
//! ## An activation is a forward graph and a backward rule
//!
//! Every candidate is an expression graph ([`Graph`], parsed with [`parse()`]) over the primitive
//! catalogue ([`expr::primitive`]) paired with a [`BackwardMode`]: its backward multiplier
//! `g(x)` (with `dL/dx = g(x) * dL/dy`) is derived automatically, exactly, through surrogate
//! derivatives where the forward is flat, as a direction only, or from a named
//! straight-through rule ([`grad::rules`]). Both compile to fast batch evaluators
//! ([`expr::Program`]).
//!
//! ```
//! use radact::Activation;
//! let act = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap();
//! let compiled = act.compile();
//! let x = [-1.0, -0.25, 0.0, 0.25, 1.0];
//! let (mut y, mut g) = ([0.0; 5], [0.0; 5]);
//! compiled.forward.eval(&x, &mut y);
//! compiled.backward.eval(&x, &mut g);
//! assert_eq!(y, [0.0, 0.0, 1.0, 1.0, 1.0]);
//! assert_eq!(g, [0.0, 1.0, 1.0, 1.0, 0.0]);
//! ```
//!
//! ## Training scores an activation
//!
//! A [`Task`] says what to train (dataset, network, optimiser, budget, seeds); a [`Trainer`]
//! loads its data once and trains real networks (multilayer perceptrons) with the activation,
//! one per seed, returning an [`Evaluation`] (accuracy and loss per split, sparsity,
//! robustness to noise, per seed and as medians). DIGITS is embedded in the library:
//!
//! ```
//! use radact::{Activation, Budget, Task, Trainer};
//! let task = Task { budget: Budget::Steps(30), seeds: vec![1, 2], ..Task::default() };
//! let trainer = Trainer::new(task).unwrap();
//! let step = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap();
//! let evaluation = trainer.evaluate(&step.compile()).unwrap();
//! assert_eq!(evaluation.seeds.len(), 2);
//! assert!(evaluation.summary.median_test_accuracy().unwrap() > 0.1);
//! ```
//!
//! ## A search is a run directory
//!
//! A [`SearchSpace`] (RON; the shipped ones are embedded: [`SearchSpace::shipped`]) declares
//! the primitives, backward modes, task, objectives and algorithm. A [`Run`] is the directory a
//! search writes (journal, checkpoint, hall of fame, final check), held by a single writer; its
//! [`Engine`](search::engine::Engine) trains batches of candidates and can be stopped and
//! resumed at any moment with the same result. [`RunView`] reads a run without changing it.
//!
//! ```no_run
//! use radact::{Run, RunConfig, SearchSpace};
//! let space = SearchSpace::default_space();
//! let config = RunConfig::new("example", space, 1, 50);
//! let mut run = Run::create("runs/example".as_ref(), config, "my-tool").unwrap();
//! let mut engine = run.engine(2).unwrap();
//! engine.run(&mut run, &mut |event| println!("{event:?}")).unwrap();
//! let hall = engine.hall_of_fame();
//! print!("{}", hall.table());
//! // Retrain the best on new seeds next to the baselines, with a paired test.
//! if let Some(report) = run.final_check_if_due(&hall, engine.workers()).unwrap() {
//!     println!("{report:?}");
//! }
//! ```
//!
//! ## Taking a result elsewhere
//!
//! [`ExportedActivation`] is the reloadable RON record of a found activation (formula,
//! backward rule, scores, provenance); [`Format`] renders it as code for PyTorch, NumPy, JAX or
//! Rust that computes what radact computes.
//!
//! ## Modules
//!
//! [`expr`] graphs and primitives, [`grad`] backward rules, [`activation`] the pair,
//! [`train`] datasets and training, [`dispatch`] where candidates train (this process's
//! threads, or `radact worker`s on other machines through Redis Streams), [`search`] spaces and
//! the search engine, [`run`] run directories, [`export`] records and code generation. `ARCHITECTURE.md` in the repository
//! maps them and says where to add a primitive, a backward rule, a task or an export format.

pub mod activation;
pub mod dispatch;
pub mod expr;
pub mod grad;
pub mod model;

pub mod export;
pub mod run;
pub mod search;
pub mod train;

pub use activation::{Activation, CompiledActivation};
pub use export::{ExportedActivation, Format};
pub use expr::{parse, Graph, Program};
pub use grad::BackwardMode;
pub use run::{Run, RunConfig, RunError, RunView};
pub use search::SearchSpace;
pub use train::{Budget, Evaluation, Task, Trainer, Workers};
