//! `radact primitives`: lists the primitive catalogue and the named backward rules.

use super::CliError;
use radact::expr::primitive::{ParamSpec, CATALOGUE};
use radact::grad::rules::RULES;
use serde::Serialize;

/// Arguments of `radact primitives`.
#[derive(Debug, clap::Args)]
pub struct PrimitivesArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct ParamJson {
    name: &'static str,
    default: f32,
    min: f32,
    max: f32,
    integer: bool,
}

impl From<&ParamSpec> for ParamJson {
    fn from(p: &ParamSpec) -> Self {
        ParamJson {
            name: p.name,
            default: p.default,
            min: p.min,
            max: p.max,
            integer: p.integer,
        }
    }
}

#[derive(Serialize)]
struct PrimitiveJson {
    name: &'static str,
    aliases: &'static [&'static str],
    arity: String,
    params: Vec<ParamJson>,
    formula: &'static str,
    exact: &'static [&'static str],
    surrogate: Option<&'static [&'static str]>,
    flags: Vec<&'static str>,
}

#[derive(Serialize)]
struct RuleJson {
    name: &'static str,
    params: Vec<ParamJson>,
    formula: &'static str,
    doc: &'static str,
}

#[derive(Serialize)]
struct Catalogue {
    primitives: Vec<PrimitiveJson>,
    rules: Vec<RuleJson>,
}

fn signature(name: &str, args: &str, params: &[ParamSpec]) -> String {
    let ps: Vec<String> = params
        .iter()
        .map(|p| format!("{}={}", p.name, p.default))
        .collect();
    let all: Vec<&str> = std::iter::once(args)
        .filter(|a| !a.is_empty())
        .chain(ps.iter().map(String::as_str))
        .collect();
    format!("{name}({})", all.join(", "))
}

/// Runs `radact primitives`.
pub fn run(args: PrimitivesArgs) -> Result<(), CliError> {
    if args.json {
        let cat = Catalogue {
            primitives: CATALOGUE
                .iter()
                .map(|p| PrimitiveJson {
                    name: p.name,
                    aliases: p.aliases,
                    arity: p.arity.to_string(),
                    params: p.params.iter().map(ParamJson::from).collect(),
                    formula: p.formula,
                    exact: p.exact,
                    surrogate: p.surrogate,
                    flags: p.flags.names(),
                })
                .collect(),
            rules: RULES
                .iter()
                .map(|r| RuleJson {
                    name: r.name,
                    params: r.params.iter().map(ParamJson::from).collect(),
                    formula: r.formula,
                    doc: r.doc,
                })
                .collect(),
        };
        println!(
            "{}",
            serde_json::to_string(&cat).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    println!(
        "Primitives ({}). Derivatives are given per argument over a (first argument),",
        CATALOGUE.len()
    );
    println!(
        "b (second), y (the output); the surrogate replaces the exact one in `surrogate` mode.\n"
    );
    for p in CATALOGUE {
        let args = match p.arity {
            radact::expr::Arity::Unary => "x",
            radact::expr::Arity::Binary => "a, b",
            radact::expr::Arity::Nary => "a1, a2, ...",
        };
        let mut head = signature(p.name, args, p.params);
        if !p.aliases.is_empty() {
            head.push_str(&format!("  (also {})", p.aliases.join(", ")));
        }
        let flags = p.flags.names();
        println!("{head}");
        println!("    f           {}", p.formula);
        println!("    derivative  {}", p.exact.join("  ;  "));
        if let Some(s) = p.surrogate {
            println!("    surrogate   {}", s.join("  ;  "));
        }
        if !flags.is_empty() {
            println!("    flags       {}", flags.join(", "));
        }
    }
    println!("\nBackward modes: exact, surrogate (default), direction, expr(<formula in x>), and these rules:\n");
    for r in RULES {
        println!("{}", signature(r.name, "", r.params));
        println!("    g(x)        {}", r.formula);
        println!("    about       {}", r.doc);
    }
    Ok(())
}
