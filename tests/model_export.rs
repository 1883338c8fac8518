//! Saved models and their exports, checked on golden vectors: the test split of the model's
//! data classified by radact (`SavedModel::predict_raw`) and by each export — the C99 header
//! compiled with `cc -std=c99 -Wall -Wextra -Werror` (float weights with two-valued layers
//! bit-packed, float without packing, int8) and the `no_std` Rust module compiled in a
//! `#![no_std]` library crate for the host (and for `thumbv7em-none-eabihf` when that target's
//! standard library is installed) — must agree on at least 99.9 % of the inputs (float rounding
//! aside: the exports sum in another order). Int8 weights only have to stay within a point of
//! the float accuracy.
//!
//! Also the command line: `radact train --save`, `predict` (CSV and IDX inputs),
//! `eval-model`, `export-model` and `export --format model`, and their errors. The C checks are
//! skipped with a message when there is no `cc`, the Rust crate when cargo cannot build it
//! offline; the Fashion-MNIST model when the dataset is not installed. The ONNX files run in
//! tract always, and in onnxruntime too when a python that imports it is found.

mod common;
mod support;

use common::{ok, radact, tiny_search};
use radact::activation::Activation;
use radact::export::ExportedActivation;
use radact::model::c::{self, COptions, Weights};
use radact::model::{no_std, onnx, SavedModel};
use radact::train::{Budget, DatasetSpec, NetworkConfig, Task, Trainer, DEFAULT_FASHION_MNIST_DIR};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use tract_onnx::prelude::*;

/// Share of inputs on which an export must give radact's class.
const AGREEMENT: f64 = 0.999;

/// Trains one seed of `forward`/`backward` on `task` and saves the network as a model.
fn trained(task: Task, forward: &str, backward: &str) -> SavedModel {
    let trainer = Trainer::new(task).unwrap();
    let activation = Activation::parse(forward, backward).unwrap();
    let (evaluation, nets) = trainer
        .evaluate_keeping_networks(&activation.compile(), &|_| {})
        .unwrap();
    let record = ExportedActivation::new(forward, activation);
    SavedModel::new(
        &trainer,
        record,
        nets[0].as_ref().unwrap(),
        &evaluation.seeds[0],
    )
    .unwrap()
}

/// A DIGITS model: 64-32-32-10, 300 Adam steps.
fn digits_model(forward: &str, backward: &str) -> SavedModel {
    let task = Task {
        network: NetworkConfig {
            hidden: vec![32, 32],
            ..NetworkConfig::default()
        },
        optimizer: radact::train::OptimizerConfig {
            kind: radact::train::OptimizerKind::adam(),
            learning_rate: 0.003,
            weight_decay: 0.0,
            clip_norm: None,
        },
        budget: Budget::Steps(300),
        seeds: vec![1],
        ..Task::default()
    };
    trained(task, forward, backward)
}

/// The raw values (as in the dataset's files) of the model's test split, and radact's classes.
fn golden(model: &SavedModel) -> (Vec<f32>, Vec<u8>) {
    let (features, _) = model.test_split().unwrap();
    let (raw, _) = model.raw_test_split().unwrap();
    let classes = model.predict_raw(raw.clone()).unwrap();
    // The raw values scale back to exactly the inputs radact trained on.
    assert_eq!(
        classes,
        model.network().unwrap().predict(&features).unwrap()
    );
    (raw, classes)
}

/// Writes raw rows as little-endian `f32`s.
fn write_floats(path: &Path, values: &[f32]) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

/// Classes printed one per line.
fn parse_classes(stdout: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(stdout)
        .split_whitespace()
        .map(|c| c.parse().unwrap())
        .collect()
}

/// The share of equal classes.
fn agreement(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

/// Accuracy of classes against the model's test labels.
fn accuracy(model: &SavedModel, classes: &[u8]) -> f64 {
    let (_, labels) = model.test_split().unwrap();
    agreement(classes, &labels)
}

fn have_cc() -> bool {
    Command::new("cc").arg("--version").output().is_ok()
}

/// Compiles the header with a `main` reading raw `f32` rows from a file and printing classes;
/// returns the classes of `raw`.
fn run_c(dir: &Path, header: &str, n_inputs: usize, raw: &[f32], tag: &str) -> Vec<u8> {
    let h = dir.join(format!("{tag}.h"));
    std::fs::write(&h, header).unwrap();
    let main = dir.join(format!("{tag}.c"));
    std::fs::write(
        &main,
        format!(
            "#include <stdio.h>\n#include \"{tag}.h\"\n\
             int main(int argc, char **argv) {{\n    \
             float x[{n_inputs}];\n    \
             FILE *f = fopen(argv[1], \"rb\");\n    \
             (void)argc;\n    \
             if (!f) return 2;\n    \
             while (fread(x, sizeof(float), {n_inputs}, f) == {n_inputs}) {{\n        \
             printf(\"%d\\n\", predict(x));\n    }}\n    \
             fclose(f);\n    return 0;\n}}\n"
        ),
    )
    .unwrap();
    let exe = dir.join(tag);
    let out = Command::new("cc")
        .args([
            "-std=c99",
            "-pedantic",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-O2",
            "-o",
        ])
        .arg(&exe)
        .arg(&main)
        .arg("-lm")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{tag}: cc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let input = dir.join(format!("{tag}.bin"));
    write_floats(&input, raw);
    let out = Command::new(&exe).arg(&input).output().unwrap();
    assert!(out.status.success(), "{tag}: the program failed");
    parse_classes(&out.stdout)
}

/// Checks the C exports of `model` on its test split; returns the int8 accuracy.
fn check_c(model: &SavedModel, name: &str, expect_packed: usize) {
    if !have_cc() {
        eprintln!("skipped the C export of {name}: no cc");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (raw, golden) = golden(model);
    for (tag, options) in [
        ("packed", COptions::default()),
        (
            "float",
            COptions {
                weights: Weights::F32,
                pack_binary: false,
            },
        ),
    ] {
        let (header, footprint) = c::generate(model, options).unwrap();
        let expected = if options.pack_binary {
            expect_packed
        } else {
            0
        };
        assert_eq!(footprint.packed_layers, expected, "{name} {tag}");
        let classes = run_c(dir.path(), &header, model.n_inputs(), &raw, tag);
        let agree = agreement(&classes, &golden);
        assert!(agree >= AGREEMENT, "{name} {tag}: C agrees on {agree}");
    }
    let int8 = COptions {
        weights: Weights::Int8,
        pack_binary: true,
    };
    let (header, footprint) = c::generate(model, int8).unwrap();
    assert!(
        footprint.parameter_bytes * 2 < model.parameter_count() * 4,
        "{footprint:?}"
    );
    let classes = run_c(dir.path(), &header, model.n_inputs(), &raw, "int8");
    let (float, quantised) = (model.test_accuracy, accuracy(model, &classes));
    assert!(
        quantised > float - 0.01,
        "{name}: int8 accuracy {quantised} against {float}"
    );
}

/// A cargo project around the `no_std` module: a `#![no_std]` library and a std binary that
/// prints the classes of raw rows read from a file.
fn no_std_crate(dir: &Path, module: &str, n_inputs: usize) -> PathBuf {
    let root = dir.join("net");
    std::fs::create_dir_all(root.join("src/bin")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"net\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\nlibm = \"0.2\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(root.join("src/lib.rs"), "#![no_std]\npub mod model;\n").unwrap();
    std::fs::write(root.join("src/model.rs"), module).unwrap();
    std::fs::write(
        root.join("src/bin/classify.rs"),
        format!(
            "fn main() {{\n    \
             let path = std::env::args().nth(1).unwrap();\n    \
             let bytes = std::fs::read(path).unwrap();\n    \
             for row in bytes.chunks_exact(4 * {n_inputs}) {{\n        \
             let mut x = [0.0f32; {n_inputs}];\n        \
             for (v, b) in x.iter_mut().zip(row.chunks_exact(4)) {{\n            \
             *v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);\n        }}\n        \
             println!(\"{{}}\", net::model::predict(&x));\n    }}\n}}\n"
        ),
    )
    .unwrap();
    root
}

/// Builds and runs the `no_std` module on the test split, and for the embedded target when
/// its standard library is installed.
fn check_no_std(model: &SavedModel, name: &str) {
    let module = no_std::generate(model).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = no_std_crate(dir.path(), &module, model.n_inputs());
    let target = dir.path().join("target");
    let build = |extra: &[&str]| {
        Command::new(env!("CARGO"))
            .args(["build", "--offline", "--quiet", "--release"])
            .args(extra)
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .unwrap()
    };
    let out = build(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    if !out.status.success() && stderr.contains("offline") {
        eprintln!("skipped the no_std crate of {name}: cargo cannot fetch libm offline: {stderr}");
        return;
    }
    assert!(
        out.status.success(),
        "{name}: the no_std crate does not build:\n{stderr}"
    );
    let (raw, golden) = golden(model);
    let input = dir.path().join("inputs.bin");
    write_floats(&input, &raw);
    let out = Command::new(target.join("release/classify"))
        .arg(&input)
        .output()
        .unwrap();
    assert!(out.status.success());
    let agree = agreement(&parse_classes(&out.stdout), &golden);
    assert!(agree >= AGREEMENT, "{name}: no_std Rust agrees on {agree}");
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("thumbv7em-none-eabihf"))
        .unwrap_or(false);
    if installed {
        let out = build(&["--lib", "--target", "thumbv7em-none-eabihf"]);
        assert!(
            out.status.success(),
            "{name}: the no_std crate does not build for thumbv7em-none-eabihf:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        eprintln!(
            "{name}: thumbv7em-none-eabihf is not installed (rustup target add \
             thumbv7em-none-eabihf): built for the host only"
        );
    }
}

/// Runs the ONNX export in tract (a third-party runtime) on the test split, and in onnxruntime
/// when it is installed: their `class` outputs must agree with radact.
fn check_onnx(model: &SavedModel, name: &str) {
    let bytes = onnx::generate(model).unwrap();
    let (raw, golden) = golden(model);
    let n = golden.len();
    let plan = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .unwrap()
        .with_input_fact(0, f32::fact([n, model.n_inputs()]).into())
        .unwrap()
        .into_optimized()
        .unwrap()
        .into_runnable()
        .unwrap();
    let input = tract_ndarray::Array2::from_shape_vec((n, model.n_inputs()), raw.clone()).unwrap();
    let outputs = plan.run(tvec!(Tensor::from(input).into())).unwrap();
    let classes: Vec<u8> = outputs[1]
        .to_array_view::<i64>()
        .unwrap()
        .iter()
        .map(|&c| c as u8)
        .collect();
    let agree = agreement(&classes, &golden);
    assert!(
        agree >= AGREEMENT,
        "{name}: ONNX in tract agrees on {agree}"
    );
    check_onnxruntime(&bytes, model, &raw, &golden, name);
}

/// Runs the ONNX file in onnxruntime (Microsoft's runtime, from PyPI: `pip install
/// onnxruntime`) when a python that imports it is found (`$RADACT_PYTHON`, `/usr/bin/python3`
/// or `python3`): its `class` output must agree with radact as tract's does. Skipped with a
/// message otherwise; Debian does not package onnxruntime, so `tests/run` does not install it.
fn check_onnxruntime(onnx: &[u8], model: &SavedModel, raw: &[f32], golden: &[u8], name: &str) {
    // Looked for once: every ONNX check of this test binary shares the answer.
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let python = match PYTHON.get_or_init(|| support::interpreter(&["onnxruntime", "numpy"])) {
        Ok(python) => python,
        Err(why) => {
            eprintln!("skipped onnxruntime for {name}: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("net.onnx"), onnx).unwrap();
    write_floats(&dir.path().join("rows.bin"), raw);
    let script = format!(
        "import numpy as np, onnxruntime as ort\n\
         x = np.fromfile('rows.bin', dtype='<f4').reshape(-1, {n_inputs})\n\
         session = ort.InferenceSession('net.onnx', providers=['CPUExecutionProvider'])\n\
         logits, classes = session.run(['logits', 'class'], {{'x': x}})\n\
         assert logits.shape == (x.shape[0], {n_outputs}), logits.shape\n\
         print('\\n'.join(str(int(c)) for c in classes))\n",
        n_inputs = model.n_inputs(),
        n_outputs = model.n_classes(),
    );
    let out = support::run_script(python, dir.path(), &script, &[]);
    let classes = parse_classes(out.as_bytes());
    let agree = agreement(&classes, golden);
    assert!(
        agree >= AGREEMENT,
        "{name}: ONNX in onnxruntime agrees on {agree}"
    );
}

#[test]
fn a_heaviside_network_exports_to_c_with_packed_bits_and_to_no_std_rust() {
    let model = digits_model("heaviside(x)", "rect(-0.5, 0.5)");
    assert_eq!(model.two_values(0), Some((0.0, 1.0)));
    assert!(model.test_accuracy > 0.85, "{}", model.test_accuracy);
    check_c(&model, "heaviside", 2);
    check_no_std(&model, "heaviside");
    check_onnx(&model, "heaviside");
}

#[test]
fn a_sign_network_packs_both_layers_and_a_relu_network_none() {
    let sign = digits_model("sign(x)", "ste_sign(1)");
    assert_eq!(sign.two_values(1), Some((-1.0, 1.0)));
    check_c(&sign, "sign", 2);
    check_onnx(&sign, "sign");
    let relu = digits_model("relu(x)", "exact");
    assert_eq!(relu.two_values(0), None);
    check_c(&relu, "relu", 0);
    check_no_std(&relu, "relu");
    check_onnx(&relu, "relu");
}

#[test]
fn smooth_activations_with_trained_constants_export_with_their_functions() {
    let model = digits_model("x * sigmoid(param(1.0) * x) + 0.1 * tanh(x)", "exact");
    assert_eq!(model.layer_constants(1).len(), 1);
    check_c(&model, "swish-beta", 0);
    check_no_std(&model, "swish-beta");
    check_onnx(&model, "swish-beta");
}

#[test]
fn a_fashion_mnist_network_exports_too() {
    let dir = PathBuf::from(DEFAULT_FASHION_MNIST_DIR);
    if !dir.join("t10k-labels-idx1-ubyte.gz").exists()
        && !dir.join("t10k-labels-idx1-ubyte").exists()
    {
        eprintln!(
            "skipped: Fashion-MNIST is not installed in {}",
            dir.display()
        );
        return;
    }
    let task = Task {
        dataset: DatasetSpec::FashionMnist { dir },
        network: NetworkConfig {
            hidden: vec![64],
            ..NetworkConfig::default()
        },
        optimizer: radact::train::OptimizerConfig {
            kind: radact::train::OptimizerKind::adam(),
            learning_rate: 0.001,
            weight_decay: 0.0,
            clip_norm: None,
        },
        batch_size: 128,
        budget: Budget::Steps(200),
        seeds: vec![0],
        ..Task::default()
    };
    let model = trained(task, "heaviside(x)", "rect(-0.5, 0.5)");
    assert!(model.test_accuracy > 0.6, "{}", model.test_accuracy);
    check_c(&model, "fashion heaviside", 1);
    check_onnx(&model, "fashion heaviside");
}

#[test]
fn the_command_line_saves_predicts_evaluates_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let model_path = dir.path().join("step.ron");
    let model = model_path.to_str().unwrap();
    let out = radact(&[
        "train",
        "--act",
        "heaviside(x)",
        "--grad",
        "rect(-0.5, 0.5)",
        "--hidden",
        "32",
        "--optimizer",
        "adam",
        "--steps",
        "200",
        "--seeds",
        "2",
        "--save",
        model,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("saved the network of seed"), "{stderr}");
    let saved = SavedModel::load(&model_path).unwrap();
    // Saving again needs --force.
    let again = radact(&[
        "train", "--act", "relu(x)", "--steps", "10", "--seeds", "1", "--save", model,
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(SavedModel::load(&model_path).unwrap(), saved);

    let report = ok(&["eval-model", model, "--json"]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["examples"], 360);
    assert_eq!(report["accuracy"].as_f64().unwrap(), saved.test_accuracy);

    // CSV with a header, then the same rows as an IDX file of bytes.
    let (raw, golden) = golden(&saved);
    let rows: Vec<String> = raw
        .chunks_exact(64)
        .map(|r| {
            r.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let csv = dir.path().join("digits.csv");
    let header: Vec<String> = (0..64).map(|i| format!("pixel{i}")).collect();
    std::fs::write(&csv, format!("{}\n{}\n", header.join(","), rows.join("\n"))).unwrap();
    let printed = ok(&["predict", model, "--input", csv.to_str().unwrap()]);
    assert_eq!(parse_classes(printed.as_bytes()), golden);
    let idx = dir.path().join("digits-idx3-ubyte");
    let mut bytes = vec![0, 0, 8, 3];
    for d in [golden.len() as u32, 8, 8] {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend(raw.iter().map(|&v| v as u8));
    std::fs::write(&idx, bytes).unwrap();
    let printed = ok(&["predict", model, "--input", idx.to_str().unwrap(), "--json"]);
    let classes: Vec<u8> = serde_json::from_str(&printed).unwrap();
    assert_eq!(classes, golden);

    let header = dir.path().join("step.h");
    let out = radact(&[
        "export-model",
        model,
        "--format",
        "c",
        "-o",
        header.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&header).unwrap();
    assert!(
        text.contains("static int predict(const float *x)"),
        "{text}"
    );
    assert!(text.contains("bit-packed"), "{text}");
    let onnx_file = dir.path().join("step.onnx");
    ok(&[
        "export-model",
        model,
        "--format",
        "onnx",
        "-o",
        onnx_file.to_str().unwrap(),
    ]);
    assert!(std::fs::metadata(&onnx_file).unwrap().len() > 4 * 64 * 32);
    let out = radact(&["export-model", model, "--format", "onnx"]);
    assert_eq!(out.status.code(), Some(2));
    let rust = ok(&["export-model", model, "--format", "rust-no-std"]);
    assert!(
        rust.contains("pub fn predict(x: &[f32; INPUTS]) -> usize"),
        "{rust}"
    );
    assert!(rust.contains("Needs no other"), "{rust}");
}

#[test]
fn every_lowered_primitive_runs_in_tract_as_in_radact() {
    // The weights of one trained network under other activations: the exports must still
    // compute what radact computes with them.
    let base = digits_model("relu(x)", "exact");
    let formulas = [
        "gelu(x) + mish(x) - elish(x) + swish(x)",
        "selu(x) * 0.5 + leaky_relu(x) + elu(x) - softplus(x) + log_sigmoid(x)",
        "hard_swish(x) + relu6(x) - hard_sigmoid(x) + softsign(x) + min0(x) + max0(x)",
        "log(x) + reciprocal(x + 2) + sqrt(x) + x^3 + square(x) * 0.1 - abs(x)",
        "sin(x) + cos(x) + sinh(x) * 0.1 + cosh(x) * 0.1 + arctan(x) + arcsinh(x) + erfc(x)",
        "exp(-x^2) + expm1(x) * 0.1 + gaussian(x) + sigmoid(x) * tanh(x) - negative(x)",
        "max(x, 0.3) - min(x, -0.2) + x / (1 + x^2) + sigmoid_gate(x, x) + lap_dist(x, 1)",
        "heaviside(x) + sign(x) + floor(x) + ceil(x) + round(x) + frac(x) + bump(x)",
        "clamp(x, -1, 2) + deadzone(x, 0.3) + threshold(x, 0.1) + lerp(x, tanh(x), 0.3)",
    ];
    for formula in formulas {
        let mut model = base.clone();
        let activation = Activation::parse(formula, "exact").unwrap();
        model.activation = ExportedActivation::new(formula, activation);
        check_onnx(&model, formula);
    }
}

#[test]
fn an_activation_without_an_onnx_lowering_is_named() {
    let model = digits_model("sinc(x) + x", "exact");
    let err = onnx::generate(&model).unwrap_err().to_string();
    assert!(
        err.contains("`sinc`") && err.contains("sinc(x) + x"),
        "{err}"
    );
}

#[test]
fn bad_models_and_inputs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.ron");
    let model = digits_model("relu(x)", "exact");
    std::fs::write(&path, model.to_ron().replacen("widths", "width", 1)).unwrap();
    let out = radact(&["eval-model", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("m.ron:") && stderr.contains("width"),
        "{stderr}"
    );

    std::fs::write(&path, model.to_ron()).unwrap();
    let csv = dir.path().join("bad.csv");
    std::fs::write(&csv, "1,2,3\n").unwrap();
    let out = radact(&[
        "predict",
        path.to_str().unwrap(),
        "--input",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.csv:1: 3 values, the model takes 64 per example"),
        "{stderr}"
    );
    let out = radact(&[
        "export-model",
        path.to_str().unwrap(),
        "--format",
        "rust-no-std",
        "--int8",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_best_candidate_of_a_run_is_retrained_and_saved() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    tiny_search(&run, &["--budget", "6"]);
    let path = dir.path().join("best.ron");
    let out = radact(&[
        "export",
        run.to_str().unwrap(),
        "--top",
        "1",
        "--format",
        "model",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let model = SavedModel::load(&path).unwrap();
    assert_eq!(model.widths, [64, 16, 10]);
    assert!(model.activation.provenance().candidate.is_some());
    assert_eq!(model.evaluate().unwrap().accuracy, model.test_accuracy);
    let out = radact(&["export", run.to_str().unwrap(), "--format", "model"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output"));
}
