//! `radact-fuzz TARGET`: one AFL++ fuzz target per input parser of radact (formula,
//! backward_mode, space, activation, run_config, checkpoint, hall_of_fame, final_check, journal,
//! idx), reading the input AFL++ gives it. `radact-fuzz --seeds DIR` writes each target's seed
//! inputs to `DIR/TARGET/`. The targets are the ones `tests/fuzz_parsers.rs` runs, included from
//! `tests/fuzz_targets/`; `fuzz/run` builds this binary with `cargo afl` and fuzzes each target.

#[path = "../../tests/fuzz_targets/mod.rs"]
mod fuzz_targets;

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let names: Vec<&str> = fuzz_targets::TARGETS.iter().map(|(n, _)| *n).collect();
    match args.as_slice() {
        [flag, dir] if flag == "--seeds" => {
            let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
            for name in &names {
                let out = Path::new(dir).join(name);
                let written = std::fs::create_dir_all(&out).and_then(|()| {
                    fuzz_targets::seeds(root, name)
                        .iter()
                        .enumerate()
                        .try_for_each(|(i, s)| std::fs::write(out.join(format!("seed{i}")), s))
                });
                if let Err(e) = written {
                    eprintln!("error: cannot write the seeds to {}: {e}", out.display());
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        [name] => match fuzz_targets::TARGETS.iter().find(|(n, _)| n == name) {
            Some(&(_, target)) => {
                afl::fuzz!(|data: &[u8]| {
                    target(data);
                });
                ExitCode::SUCCESS
            }
            None => usage(&names),
        },
        _ => usage(&names),
    }
}

fn usage(names: &[&str]) -> ExitCode {
    eprintln!(
        "usage: radact-fuzz TARGET | radact-fuzz --seeds DIR (targets: {})",
        names.join(", ")
    );
    ExitCode::from(2)
}
