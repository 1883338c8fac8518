//! The size and speed table of README's "Deploying a trained network": for relu, heaviside
//! (rect backward) and sign (ste_sign backward) networks on DIGITS and Fashion-MNIST, the test
//! accuracy radact measures, the accuracy and parameter bytes of the C99 export with float
//! weights, float weights with two-valued layers bit-packed, and int8 weights, and the time of
//! the C `predict` per input on this machine (`cc -std=c99 -O2`, one thread, the whole test
//! split classified repeatedly for at least half a second; the median of 5 such passes).
//!
//! `cargo bench --bench deploy_table` prints the table as Markdown. Fashion-MNIST rows are
//! skipped when the dataset is not installed; the whole table when there is no `cc`.

use radact::activation::Activation;
use radact::export::ExportedActivation;
use radact::model::c::{self, COptions, Weights};
use radact::model::SavedModel;
use radact::train::{
    Budget, DatasetSpec, NetworkConfig, OptimizerConfig, OptimizerKind, Task, Trainer,
    DEFAULT_FASHION_MNIST_DIR,
};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The activations of the table: name, forward, backward.
const ACTIVATIONS: [(&str, &str, &str); 3] = [
    ("relu", "relu(x)", "exact"),
    ("heaviside / rect", "heaviside(x)", "rect(-0.5, 0.5)"),
    ("sign / ste_sign", "sign(x)", "ste_sign(1)"),
];

/// The task of a dataset: DIGITS 64-64-10, 30 epochs; Fashion-MNIST 784-128-10, 5 epochs
/// (the `fashion` space's network); Adam 1e-3, batch 128 (64 for DIGITS), seed 0.
fn task(dataset: DatasetSpec) -> Task {
    let digits = matches!(dataset, DatasetSpec::Digits);
    Task {
        dataset,
        network: NetworkConfig {
            hidden: vec![if digits { 64 } else { 128 }],
            ..NetworkConfig::default()
        },
        optimizer: OptimizerConfig {
            kind: OptimizerKind::adam(),
            learning_rate: 0.001,
            weight_decay: 0.0,
            clip_norm: None,
        },
        batch_size: if digits { 64 } else { 128 },
        budget: Budget::Epochs(if digits { 30 } else { 5 }),
        seeds: vec![0],
        ..Task::default()
    }
}

/// Trains one network and saves it as a model.
fn train(task: Task, forward: &str, backward: &str) -> SavedModel {
    let trainer = Trainer::new(task).expect("the task loads");
    let activation = Activation::parse(forward, backward).expect("a valid activation");
    let (evaluation, nets) = trainer
        .evaluate_keeping_networks(&activation.compile(), &|_| {})
        .expect("training runs");
    let net = nets[0].as_ref().expect("the seed completes");
    let record = ExportedActivation::new(forward, activation);
    SavedModel::new(&trainer, record, net, &evaluation.seeds[0]).expect("a classifier")
}

/// Compiles `header` with a timing `main`; returns the classes of the inputs and the median
/// nanoseconds per `predict` call.
fn run_c(dir: &Path, tag: &str, header: &str, n_inputs: usize, raw: &[f32]) -> (Vec<u8>, f64) {
    std::fs::write(dir.join(format!("{tag}.h")), header).unwrap();
    let main = format!(
        "#define _POSIX_C_SOURCE 199309L\n#include <stdio.h>\n#include <stdlib.h>\n#include <time.h>\n\
         #include \"{tag}.h\"\n\
         static double now(void) {{\n    struct timespec t;\n    clock_gettime(CLOCK_MONOTONIC, &t);\n    \
         return t.tv_sec + 1e-9 * t.tv_nsec;\n}}\n\
         static int cmp(const void *a, const void *b) {{\n    \
         double x = *(const double *)a, y = *(const double *)b;\n    return (x > y) - (x < y);\n}}\n\
         int main(int argc, char **argv) {{\n    \
         FILE *f = fopen(argv[1], \"rb\");\n    long n, i, r, rounds;\n    \
         float *x;\n    double t[5], start;\n    volatile int sink = 0;\n    (void)argc;\n    \
         fseek(f, 0, SEEK_END);\n    n = ftell(f) / (long)(sizeof(float) * {n_inputs});\n    \
         rewind(f);\n    x = malloc(sizeof(float) * {n_inputs} * n);\n    \
         if (fread(x, sizeof(float) * {n_inputs}, n, f) != (size_t)n) return 2;\n    \
         for (i = 0; i < n; i++) printf(\"%d\\n\", predict(x + i * {n_inputs}));\n    \
         for (rounds = 1;; rounds *= 2) {{\n        start = now();\n        \
         for (r = 0; r < rounds; r++) for (i = 0; i < n; i++) sink += predict(x + i * {n_inputs});\n        \
         if (now() - start > 0.5) break;\n    }}\n    \
         for (r = 0; r < 5; r++) {{\n        long k;\n        start = now();\n        \
         for (k = 0; k < rounds; k++) for (i = 0; i < n; i++) sink += predict(x + i * {n_inputs});\n        \
         t[r] = (now() - start) / (rounds * n) * 1e9;\n    }}\n    \
         qsort(t, 5, sizeof t[0], cmp);\n    printf(\"ns %f\\n\", t[2]);\n    return 0;\n}}\n"
    );
    let source = dir.join(format!("{tag}.c"));
    std::fs::write(&source, main).unwrap();
    let exe = dir.join(tag);
    let out = Command::new("cc")
        .args(["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&exe)
        .arg(&source)
        .arg("-lm")
        .output()
        .expect("cc runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let input = dir.join(format!("{tag}.bin"));
    let bytes: Vec<u8> = raw.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&input, bytes).unwrap();
    let out = Command::new(&exe).arg(&input).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut classes = Vec::new();
    let mut ns = f64::NAN;
    for line in text.lines() {
        match line.strip_prefix("ns ") {
            Some(v) => ns = v.parse().unwrap(),
            None => classes.push(line.parse().unwrap()),
        }
    }
    (classes, ns)
}

fn main() {
    if Command::new("cc").arg("--version").output().is_err() {
        println!("skipped: no cc");
        return;
    }
    let fashion_dir = PathBuf::from(DEFAULT_FASHION_MNIST_DIR);
    let mut datasets = vec![("DIGITS", DatasetSpec::Digits)];
    if fashion_dir.join("t10k-labels-idx1-ubyte.gz").exists()
        || fashion_dir.join("t10k-labels-idx1-ubyte").exists()
    {
        datasets.push((
            "Fashion-MNIST",
            DatasetSpec::FashionMnist { dir: fashion_dir },
        ));
    } else {
        eprintln!("Fashion-MNIST rows skipped: not installed");
    }
    let dir = tempfile::tempdir().unwrap();
    println!(
        "| data | activation | radact test acc. | C float: acc. / bytes / ns | \
         C packed: acc. / bytes / ns | C int8: acc. / bytes / ns |"
    );
    println!("|---|---|---|---|---|---|");
    for (data_name, spec) in datasets {
        for (name, forward, backward) in ACTIVATIONS {
            let model = train(task(spec.clone()), forward, backward);
            let (raw, labels) = model.raw_test_split().expect("the data loads");
            let mut cells = Vec::new();
            for (tag, options) in [
                (
                    "float",
                    COptions {
                        weights: Weights::F32,
                        pack_binary: false,
                    },
                ),
                (
                    "packed",
                    COptions {
                        weights: Weights::F32,
                        pack_binary: true,
                    },
                ),
                (
                    "int8",
                    COptions {
                        weights: Weights::Int8,
                        pack_binary: true,
                    },
                ),
            ] {
                let (header, footprint) = c::generate(&model, options).unwrap();
                if tag == "packed" && footprint.packed_layers == 0 {
                    cells.push("(no two-valued layer)".to_string());
                    continue;
                }
                let (classes, ns) = run_c(dir.path(), tag, &header, model.n_inputs(), &raw);
                let correct = classes.iter().zip(&labels).filter(|(a, b)| a == b).count();
                cells.push(format!(
                    "{:.2} % / {} / {:.0}",
                    100.0 * correct as f64 / labels.len() as f64,
                    footprint.parameter_bytes,
                    ns
                ));
            }
            println!(
                "| {data_name} {} | {name} | {:.2} % | {} |",
                model
                    .widths
                    .iter()
                    .map(|w| w.to_string())
                    .collect::<Vec<_>>()
                    .join("-"),
                100.0 * model.test_accuracy,
                cells.join(" | ")
            );
        }
    }
}
