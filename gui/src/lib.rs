//! # radact-gui
//!
//! The desktop app of [radact]: launch activation-function searches and watch the
//! population live, open runs (including one that a headless `radact search` is writing), and
//! look at what the search finds: the candidates' shapes `f(x)` and backward multipliers `g(x)`
//! (and, in a GAN run, the samples of the generator each trained), their expression graphs, how
//! the population improves, and the Pareto front of two chosen objectives. Selected candidates export to RON, Rust or PyTorch.
//!
//! The app is a client of radact's public API; a search started here writes its run directory
//! exactly as `radact search` does, so either front end can resume it. [`RadactApp`] holds the
//! whole state and draws into any [`egui::Ui`], so tests drive it without a window; what it does
//! with the open run (search, pause, stop, follow, the final check) is [`session::Session`], a
//! state machine without UI types, unit-tested on its own.
//!
//! ```no_run
//! use radact_gui::RadactApp;
//! use std::path::Path;
//! let app = RadactApp::new(Path::new("runs"), Path::new("search-spaces"));
//! eframe::run_native(
//!     "radact",
//!     eframe::NativeOptions::default(),
//!     Box::new(|_| Ok(Box::new(app))),
//! )
//! .unwrap();
//! ```

pub mod app;
pub mod curves;
pub mod details;
pub mod dialog;
pub mod export;
pub mod follower;
pub mod graph_view;
pub mod job;
pub mod launch;
mod panels;
pub mod pareto;
pub mod population;
pub mod progress;
pub mod row;
pub mod samples;
pub mod session;
pub mod worker;

pub use app::RadactApp;
pub use eframe;
pub use egui;
