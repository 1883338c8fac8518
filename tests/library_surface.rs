//! The library is a library: the command-line front end's crates (clap, indicatif, ctrlc,
//! anyhow) are not among the dependencies of the library built without the `cli` feature, nor
//! of the desktop app, as `cargo tree` resolves them from the lock file.

use std::process::Command;

/// The names of the crates `package` builds (normal dependencies, host platform), resolved
/// for it alone with `extra` cargo arguments.
fn dependency_names(package: &str, extra: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(&cargo)
        .args([
            "tree",
            "--locked",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}", "-p", package])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

const FRONT_END_CRATES: [&str; 6] = [
    "clap",
    "clap_complete",
    "clap_mangen",
    "indicatif",
    "ctrlc",
    "anyhow",
];

#[test]
fn the_library_without_the_cli_feature_has_no_front_end_crates() {
    let names = dependency_names("radact", &["--no-default-features"]);
    assert!(
        names.iter().any(|n| n == "dfdx"),
        "the tree lists dfdx: {names:?}"
    );
    for front_end in FRONT_END_CRATES {
        assert!(
            !names.iter().any(|n| n == front_end),
            "radact's library builds {front_end}"
        );
    }
    // The Redis dispatcher comes with the command-line tool (or the `redis` feature) only.
    assert!(
        !names.iter().any(|n| n == "redis"),
        "radact's library builds redis"
    );
}

#[test]
fn the_command_line_tool_has_them() {
    let names = dependency_names("radact", &[]);
    for front_end in ["clap", "indicatif", "ctrlc", "redis"] {
        assert!(
            names.iter().any(|n| n == front_end),
            "the CLI lacks {front_end}"
        );
    }
}

#[test]
fn the_desktop_app_builds_the_library_without_them() {
    let names = dependency_names("radact-gui", &[]);
    assert!(
        names.iter().any(|n| n == "radact"),
        "radact-gui depends on radact: {names:?}"
    );
    for front_end in ["clap", "clap_complete", "clap_mangen", "indicatif", "ctrlc"] {
        assert!(
            !names.iter().any(|n| n == front_end),
            "radact-gui builds {front_end}"
        );
    }
}
