//! `radact eval`: prints an activation `f(x)` and its backward multiplier `g(x)` at points.

use super::{input_error, CliError};
use anyhow::anyhow;
use clap::builder::RangedU64ValueParser;
use radact::activation::Activation;
use radact::expr::{parse, simplify};
use radact::grad::BackwardMode;
use serde::Serialize;

/// Most points `--points` accepts (a typo must not print gigabytes).
pub const MAX_POINTS: usize = 1_000_000;

/// Arguments of `radact eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The activation, a formula in x: "x * sigmoid(1.702 * x)", "max(relu(x), cosh(elu(x)))".
    pub expr: String,
    /// Backward mode: exact, surrogate, direction, or a named rule such as rect(-0.5, 0.5),
    /// tri(1), atan(alpha=2) (`radact primitives` lists the rules).
    #[arg(long, default_value = "surrogate")]
    pub grad: String,
    /// A formula in x used as the whole backward multiplier, instead of --grad.
    #[arg(long, value_name = "EXPR", conflicts_with = "grad")]
    pub grad_expr: Option<String>,
    /// First point of the evenly spaced range.
    #[arg(long, default_value_t = -5.0, allow_negative_numbers = true)]
    pub from: f32,
    /// Last point of the range.
    #[arg(long, default_value_t = 5.0, allow_negative_numbers = true)]
    pub to: f32,
    /// Number of points in the range (at most 1000000).
    #[arg(long, default_value_t = 101,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_POINTS as u64))]
    pub points: usize,
    /// Comma-separated points, instead of a range: --at -1,0,0.5 (or --at=-1,0,0.5).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true,
          conflicts_with_all = ["from", "to", "points"])]
    pub at: Option<Vec<f32>>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Point {
    x: f32,
    y: f32,
    dy: f32,
}

#[derive(Serialize)]
struct Report<'a> {
    expr: String,
    grad: String,
    backward: String,
    points: &'a [Point],
}

/// The points to evaluate at, checked.
fn points(args: &EvalArgs) -> Result<Vec<f32>, CliError> {
    if let Some(at) = &args.at {
        if let Some(bad) = at.iter().find(|v| !v.is_finite()) {
            return Err(input_error(anyhow!("--at: {bad} is not a finite number")));
        }
        return Ok(at.clone());
    }
    if !args.from.is_finite() || !args.to.is_finite() {
        return Err(input_error(anyhow!(
            "--from and --to must be finite numbers"
        )));
    }
    if !(1..=MAX_POINTS).contains(&args.points) {
        return Err(input_error(anyhow!(
            "--points must be in 1..={MAX_POINTS}, got {}",
            args.points
        )));
    }
    let n = args.points;
    let step = if n > 1 {
        (args.to - args.from) / (n - 1) as f32
    } else {
        0.0
    };
    Ok((0..n).map(|i| args.from + step * i as f32).collect())
}

/// Formats a value to fit a column: fixed point when moderate, scientific otherwise.
fn cell(v: f32) -> String {
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-4) {
        format!("{v:.4e}")
    } else {
        format!("{v:.6}")
    }
}

/// Runs `radact eval`.
pub fn run(args: EvalArgs) -> Result<(), CliError> {
    let forward = parse(&args.expr)
        .map_err(|e| input_error(anyhow!("in the formula `{}`: {e}", args.expr)))?;
    let backward = match &args.grad_expr {
        Some(text) => BackwardMode::Expr(
            parse(text).map_err(|e| input_error(anyhow!("in --grad-expr `{text}`: {e}")))?,
        ),
        None => args
            .grad
            .parse()
            .map_err(|e| input_error(anyhow!("in --grad `{}`: {e}", args.grad)))?,
    };
    let xs = points(&args)?;
    let act = Activation::new(simplify(&forward), backward);
    let compiled = act.compile();
    let (mut ys, mut gs) = (vec![0.0; xs.len()], vec![0.0; xs.len()]);
    compiled.joint.eval_many(&xs, &mut [&mut ys, &mut gs]);
    let pts: Vec<Point> = xs
        .iter()
        .zip(&ys)
        .zip(&gs)
        .map(|((&x, &y), &dy)| Point { x, y, dy })
        .collect();
    let backward_text = act.backward_graph().to_string();
    if args.json {
        let report = Report {
            expr: act.forward.to_string(),
            grad: act.backward.to_string(),
            backward: backward_text,
            points: &pts,
        };
        println!(
            "{}",
            serde_json::to_string(&report).map_err(anyhow::Error::from)?
        );
    } else {
        println!("# f(x) = {}", act.forward);
        println!("# g(x) = {}   (backward: {})", backward_text, act.backward);
        println!("{:>12}  {:>14}  {:>14}", "x", "f(x)", "g(x)");
        for p in &pts {
            println!("{:>12}  {:>14}  {:>14}", cell(p.x), cell(p.y), cell(p.dy));
        }
    }
    Ok(())
}
