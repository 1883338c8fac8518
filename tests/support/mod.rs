//! Shared by the tests that run generated code in real Python frameworks: finding an
//! interpreter that can import the frameworks, and running scripts with it; and compiling and
//! running a generated Rust program with the real `rustc` ([`run_rust`]).
//!
//! The interpreter is `$RADACT_PYTHON` if set, else the first of `/usr/bin/python3` (Debian's,
//! which sees `apt-get install python3-torch python3-numpy`) and `python3` on `PATH` that
//! imports the modules asked for. `tests/run` installs them on a fresh Debian machine.

#![allow(dead_code)] // each test file uses part of this module

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// What to install when no interpreter has the modules.
pub const INSTALL_HINT: &str = "run tests/run (it installs them), or `sudo apt-get install \
     python3-torch python3-numpy python3-scipy`, or set RADACT_PYTHON to a python that has them";

/// The candidate interpreters, in order of preference.
fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("RADACT_PYTHON") {
        out.push(PathBuf::from(p));
        return out;
    }
    out.push(PathBuf::from("/usr/bin/python3"));
    out.push(PathBuf::from("python3"));
    out
}

/// The first interpreter that imports every module of `modules`, or why there is none.
pub fn interpreter(modules: &[&str]) -> Result<PathBuf, String> {
    let check = format!("import {}", modules.join(", "));
    let mut tried = Vec::new();
    for python in candidates() {
        match Command::new(&python).args(["-c", &check]).output() {
            Ok(out) if out.status.success() => return Ok(python),
            Ok(out) => tried.push(format!(
                "{}: {}",
                python.display(),
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            )),
            Err(e) => tried.push(format!("{}: {e}", python.display())),
        }
    }
    Err(format!(
        "no python can `{check}` ({}); {INSTALL_HINT}",
        tried.join("; ")
    ))
}

/// Like [`interpreter`], but a missing module fails the test with the install hint.
pub fn require(modules: &[&str]) -> PathBuf {
    interpreter(modules).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `python` with `args`, `PYTHONPATH` set to `dir` if given, and `stdin` piped in.
pub fn run(python: &Path, args: &[&str], dir: Option<&Path>, stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(python);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = dir {
        cmd.env("PYTHONPATH", d).current_dir(d);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write to python");
    }
    child.wait_with_output().expect("python runs")
}

/// Runs `script` (a file in `dir`) and returns its standard output, failing the test with its
/// standard error if it fails.
pub fn run_script(python: &Path, dir: &Path, script: &str, args: &[&str]) -> String {
    let path = dir.join("script.py");
    std::fs::write(&path, script).expect("write the script");
    let mut all = vec![path.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    let out = run(python, &all, Some(dir), None);
    assert!(
        out.status.success(),
        "{} failed:\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Compiles `program` with `rustc` (`$RUSTC`, else `rustc`; `-O -D warnings`, edition 2021) in a
/// temporary directory, runs it and returns what it printed; panics with the compiler's or the
/// program's error output when either fails.
pub fn run_rust(program: &str) -> String {
    let dir = tempfile::tempdir().expect("temporary directory");
    let source = dir.path().join("generated.rs");
    std::fs::write(&source, program).expect("write the program");
    let binary = dir.path().join("generated");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let compiled = Command::new(&rustc)
        .args(["-O", "--edition", "2021", "-D", "warnings", "-o"])
        .arg(&binary)
        .arg(&source)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {rustc}: {e}"));
    assert!(
        compiled.status.success(),
        "generated Rust does not compile cleanly:\n{}\n{program}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    let run = Command::new(&binary).output().expect("run the program");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8(run.stdout).expect("utf-8 output")
}
