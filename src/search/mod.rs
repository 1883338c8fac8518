//! The evolutionary search over activation graphs: search spaces, genetic operators, pre-filters,
//! selection algorithms and the engine loop. The engine does no file I/O: it reports to a
//! [`engine::Recorder`] (the run directory implements it) and emits [`event::Event`]s.

pub mod space;

pub use space::{
    AlgorithmConfig, BackwardSpace, Constants, FinalCheckConfig, Limits, MutationWeights,
    Objective, SearchSpace, SpaceError,
};
pub mod algorithm;
pub mod engine;
pub mod enumerate;
pub mod event;
pub mod fidelity;
pub mod final_check;
pub mod genome;
pub mod hall_of_fame;
pub mod ladder_study;
pub mod mutate;
pub mod objective;
pub mod pareto;
pub mod prefilter;
pub mod record;
pub(crate) mod stats;
pub mod throughput;
