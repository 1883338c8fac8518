//! `radact search` and `radact resume`: run a search into a run directory, with a progress bar
//! on a terminal or one JSON event a line with `--json`, then the final check.

use super::{input_error, CliError};
use anyhow::anyhow;
use clap::builder::RangedU64ValueParser;
use indicatif::{ProgressBar, ProgressStyle};
use radact::dispatch::coordinator::RedisDispatcher;
use radact::dispatch::queue::{run_token, Notify};
use radact::dispatch::Dispatcher;
use radact::run::{check_name, default_name, Run, RunConfig};
use radact::search::event::{Event, StopReason};
use radact::search::space::{TimeLimit, MAX_EVALUATIONS};
use radact::search::SearchSpace;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Arguments of `radact search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Search space: a RON file, or the name of a shipped space (default, radical, swish-space,
    /// fashion, deep, gan-ring). Without it, the embedded default space.
    #[arg(long)]
    pub space: Option<String>,
    /// Run name: the run goes to runs/NAME (default: the space's name and the time).
    #[arg(long, conflicts_with = "out")]
    pub name: Option<String>,
    /// Run directory, instead of runs/NAME.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Candidates to train (default: the space's `evaluations`; at most 10000000).
    #[arg(long, value_parser = evaluations())]
    pub budget: Option<usize>,
    /// Batches to run, each of the space's `batch` candidates (sets the budget to
    /// generations x batch).
    #[arg(long, conflicts_with = "budget", value_parser = evaluations())]
    pub generations: Option<usize>,
    /// Worker threads (default: all cores; at most 1024). Results do not depend on it.
    #[arg(long, value_parser = thread_count())]
    pub threads: Option<usize>,
    /// Wall-clock limit of the search (`90s`, `30min`, `1h`, `1h 30m`; default: the space's
    /// `max_time`, else none): no batch starts after it, the batch in flight finishes, then the
    /// final check runs. `radact resume` counts the time already spent.
    #[arg(long, value_parser = max_time)]
    pub max_time: Option<TimeLimit>,
    /// Seed of the search.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON event a line instead of a progress bar.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub dispatch: DispatchArgs,
}

/// Where candidates train: this process's threads, or `radact worker`s through Redis.
#[derive(Debug, clap::Args)]
pub struct DispatchArgs {
    /// Train the candidates on `radact worker` processes through this Redis server
    /// (redis://[:PASSWORD@]HOST:PORT/DB) instead of this process's threads, which then only
    /// run the final check. The URL is not written into the run; give it again to resume.
    #[arg(long, value_name = "URL")]
    pub dispatch: Option<String>,
    /// The queue's name (the workers' --queue).
    #[arg(long, default_value = "radact", requires = "dispatch")]
    pub queue: String,
}

/// Arguments of `radact resume`.
#[derive(Debug, clap::Args)]
pub struct ResumeArgs {
    /// The run directory.
    pub run: PathBuf,
    /// Worker threads (default: all cores; at most 1024).
    #[arg(long, value_parser = thread_count())]
    pub threads: Option<usize>,
    /// Print one JSON event a line instead of a progress bar.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub dispatch: DispatchArgs,
}

/// Most worker threads `--threads` accepts.
pub const MAX_THREADS: usize = 1024;

/// The values `--budget` and `--generations` accept.
fn evaluations() -> RangedU64ValueParser<usize> {
    RangedU64ValueParser::new().range(1..=MAX_EVALUATIONS as u64)
}

/// The values `--threads` accepts.
fn thread_count() -> RangedU64ValueParser<usize> {
    RangedU64ValueParser::new().range(1..=MAX_THREADS as u64)
}

/// Parses `--max-time`.
fn max_time(text: &str) -> Result<TimeLimit, String> {
    TimeLimit::parse(text)
}

/// Loads `--space`: a file, a shipped space's name, or the default.
pub fn load_space(arg: Option<&str>) -> Result<SearchSpace, CliError> {
    match arg {
        None => Ok(SearchSpace::default_space()),
        Some(s) if !Path::new(s).exists() => SearchSpace::shipped(s).ok_or_else(|| {
            let names: Vec<&str> = radact::search::space::SHIPPED_SPACES
                .iter()
                .map(|(name, _)| *name)
                .collect();
            input_error(anyhow!(
                "no search space file `{s}` (and no shipped space of that name: {})",
                names.join(", ")
            ))
        }),
        Some(s) => SearchSpace::load(Path::new(s)).map_err(input_error),
    }
}

/// `--threads` (already in 1..=[`MAX_THREADS`]), or all cores.
fn threads(arg: Option<usize>) -> usize {
    arg.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs `radact search`.
pub fn run(args: SearchArgs) -> Result<(), CliError> {
    let mut space = load_space(args.space.as_deref())?;
    if args.max_time.is_some() {
        space.max_time = args.max_time;
    }
    let evaluations = match (args.budget, args.generations) {
        (Some(b), _) => b,
        (None, Some(g)) => g
            .checked_mul(space.batch)
            .filter(|&b| b <= MAX_EVALUATIONS)
            .ok_or_else(|| {
                input_error(anyhow!(
                    "--generations {g} of {} candidates is more than {MAX_EVALUATIONS} candidates",
                    space.batch
                ))
            })?,
        (None, None) => space.evaluations,
    };
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| default_name(&space.name));
    check_name(&name).map_err(|e| input_error(anyhow!("--name: {e}")))?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("runs").join(&name));
    let config = RunConfig::new(&name, space, args.seed, evaluations);
    // Reach the queue before creating the run: a wrong URL or password leaves nothing behind.
    let remote = dispatcher(&args.dispatch, &config)?;
    let run = Run::create(&dir, config, "radact search").map_err(input_error)?;
    drive(run, threads(args.threads), args.json, remote)
}

/// The Redis dispatcher `--dispatch` asks for, connected, or none (train locally).
fn dispatcher(
    args: &DispatchArgs,
    config: &RunConfig,
) -> Result<Option<RedisDispatcher>, CliError> {
    let Some(url) = &args.dispatch else {
        return Ok(None);
    };
    let token = run_token(&config.name, &config.created);
    let notify: Notify = Arc::new(|m: &str| eprintln!("{m}"));
    let remote = RedisDispatcher::new(url, &args.queue, &token, notify)
        .map_err(|e| input_error(anyhow!(e)))?;
    Ok(Some(remote))
}

/// Runs `radact resume`.
pub fn resume(args: ResumeArgs) -> Result<(), CliError> {
    let run = Run::open(&args.run, "radact resume").map_err(input_error)?;
    let remote = dispatcher(&args.dispatch, run.config())?;
    drive(run, threads(args.threads), args.json, remote)
}

fn failure(e: impl Into<anyhow::Error>) -> CliError {
    CliError::Failure(e.into())
}

/// Runs (or continues) the engine on an open run, then the final check.
fn drive(
    mut run: Run,
    threads: usize,
    json: bool,
    remote: Option<RedisDispatcher>,
) -> Result<(), CliError> {
    let config = run.config().clone();
    let mut engine = run.engine(threads).map_err(input_error)?;
    if let Some(remote) = remote {
        eprintln!("training on the workers of {}", remote.describe());
        engine.dispatch_to(Box::new(remote));
    }
    if let Some(limit) = config.space.max_time {
        let spent = std::time::Duration::from_secs(engine.state().elapsed_s as u64);
        eprintln!(
            "time limit {limit} ({} spent so far)",
            humantime::format_duration(spent)
        );
    }
    if let Some(warning) = config.space.final_check.seeds_warning() {
        eprintln!("warning: final check: {warning}");
    }
    let stop = engine.stop_flag();
    // Ctrl-C: finish the batch in flight, checkpoint, stop. A second Ctrl-C ends at once.
    let _ = ctrlc::set_handler(move || {
        if stop.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\nstopping after the candidates in flight (Ctrl-C again to quit now)...");
    });
    let bar = (!json && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(config.evaluations as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} trained ({per_sec}) {msg}",
            )
            .expect("valid template"),
        );
        bar
    });
    let mut print = |event: Event| print_event(&event, json, bar.as_ref());
    let reason = engine.run(&mut run, &mut print).map_err(failure)?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let hall = engine.hall_of_fame();
    if reason == StopReason::Interrupted {
        eprintln!(
            "stopped after {} candidates; continue with: radact resume {}",
            engine.state().trained,
            run.dir().display()
        );
        return Err(CliError::Interrupted);
    }
    if !json {
        print!("{}", hall.table());
    }
    if !json && run.final_check_due(&hall).map_err(failure)? {
        eprintln!(
            "final check: training the best {} again on {} new seeds next to the baselines...",
            config.space.final_check.top.min(hall.top.len()),
            config.space.final_check.seeds.len()
        );
    }
    if let Some(report) = run
        .final_check_if_due(&hall, engine.workers())
        .map_err(failure)?
    {
        print_event(
            &Event::FinalCheck {
                report: Box::new(report),
            },
            json,
            None,
        );
    }
    if !json {
        println!("run saved in {}", run.dir().display());
    }
    Ok(())
}

fn print_event(event: &Event, json: bool, bar: Option<&ProgressBar>) {
    if json {
        println!(
            "{}",
            serde_json::to_string(event).expect("events serialise")
        );
        return;
    }
    let say = |line: String| match bar {
        Some(b) => b.println(line),
        None => eprintln!("{line}"),
    };
    match event {
        Event::Started {
            run,
            space,
            evaluations,
            trained,
            threads,
            ..
        } => {
            say(if *trained > 0 {
                format!("resuming {run}: space {space}, {trained}/{evaluations} trained, {threads} threads")
            } else {
                format!("searching into {run}: space {space}, {evaluations} candidates, {threads} threads")
            })
        }
        Event::Candidate { trained, .. } => {
            if let Some(b) = bar {
                b.set_position(*trained as u64);
            }
        }
        Event::NewBest {
            formula,
            backward,
            objective,
            value,
            id,
            rung,
        } => {
            let at = rung_suffix(*rung);
            match bar {
                Some(b) => b.set_message(format!("best {value:.4}{at} {formula} [{backward}]")),
                None => say(format!(
                    "best #{id}: {objective} {value:.4}{at}  {formula} [{backward}]"
                )),
            }
        }
        Event::Checkpoint { .. } => {}
        Event::Finished {
            reason,
            trained,
            proposed,
            throughput,
        } => {
            let why = reason.describe();
            eprintln!("finished ({why}): {trained} trained of {proposed} proposed");
            eprintln!("this session: {}", throughput.summary());
        }
        Event::FinalCheck { report } => println!("{}", report.table()),
    }
}

/// ` (rung N)` after a value measured at a rung of a multi-fidelity ladder above 0.
fn rung_suffix(rung: u32) -> String {
    if rung > 0 {
        format!(" (rung {rung})")
    } else {
        String::new()
    }
}
