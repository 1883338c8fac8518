//! The minimum Rust version is true: each workspace member's `rust-version` (Cargo.toml) is at
//! least the newest `rust-version` of the locked dependencies it builds (normal and build
//! dependencies, and its own dev-dependencies, for the host platform), as `cargo metadata`
//! reports them, and README states both numbers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// A version as numbers: `1.85` is `[1, 85, 0]`.
fn version(text: &str) -> Vec<u64> {
    let mut v: Vec<u64> = text
        .split('.')
        .map(|p| p.parse().unwrap_or_else(|_| panic!("bad version {text}")))
        .collect();
    v.resize(3, 0);
    v
}

fn host() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let out = Command::new(&rustc)
        .arg("-vV")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {rustc}: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

fn metadata() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(&cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--filter-platform",
        ])
        .arg(host())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// Per workspace member (by name): its declared `rust-version` and the newest one among what
/// it builds, with the package that needs it.
fn requirements() -> BTreeMap<String, (Vec<u64>, Vec<u64>, String)> {
    let meta = metadata();
    let packages: BTreeMap<&str, &serde_json::Value> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().expect("id"), p))
        .collect();
    let nodes: BTreeMap<&str, &serde_json::Value> = meta["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
        .iter()
        .map(|n| (n["id"].as_str().expect("id"), n))
        .collect();
    let mut out = BTreeMap::new();
    for member in meta["workspace_members"].as_array().expect("members") {
        let member = member.as_str().expect("member id");
        let mut seen = BTreeSet::new();
        let mut stack = vec![member];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            for dep in nodes[id]["deps"].as_array().expect("deps") {
                let dev_only = dep["dep_kinds"]
                    .as_array()
                    .expect("dep kinds")
                    .iter()
                    .all(|k| k["kind"] == "dev");
                if id != member && dev_only {
                    continue; // dev-dependencies of dependencies are not built
                }
                stack.push(dep["pkg"].as_str().expect("pkg"));
            }
        }
        let (needed, by) = seen
            .iter()
            .filter(|&&id| id != member)
            .filter_map(|id| {
                let p = packages[id];
                let v = p["rust_version"].as_str()?;
                Some((
                    version(v),
                    format!("{} {}", p["name"].as_str()?, p["version"].as_str()?),
                ))
            })
            .max()
            .expect("some dependency declares a rust-version");
        let p = packages[member];
        let declared = p["rust_version"]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no rust-version in Cargo.toml", p["name"]));
        let name = p["name"].as_str().expect("name").to_string();
        out.insert(name, (version(declared), needed, by));
    }
    out
}

#[test]
fn rust_version_covers_the_locked_dependencies_and_readme_states_it() {
    let reqs = requirements();
    assert!(reqs.contains_key("radact") && reqs.contains_key("radact-gui"));
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    for (name, (declared, needed, by)) in &reqs {
        println!("{name}: rust-version {declared:?}, dependencies need {needed:?} ({by})");
        assert!(
            declared >= needed,
            "{name} declares rust-version {declared:?} but {by} needs {needed:?}"
        );
        let text = format!("{}.{}", declared[0], declared[1]);
        assert!(
            readme.contains(&format!("Rust {text}")),
            "README does not state `Rust {text}` for {name}"
        );
    }
}
