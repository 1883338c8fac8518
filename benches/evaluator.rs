//! Throughput of the compiled evaluator ([`radact::expr::Program`]) against hand-written Rust
//! closures for the same formulas, on one thread, 4096 elements per call.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use radact::expr::{parse, Program};

const N: usize = 4096;

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Benchmarks `formula` compiled against `closure`, a hand-written function for the same
/// formula that the compiler can inline and vectorise.
fn compare(c: &mut Criterion, name: &str, formula: &str, closure: impl Fn(f32) -> f32) {
    let x: Vec<f32> = (0..N).map(|i| (i as f32 / N as f32 - 0.5) * 10.0).collect();
    let mut out = vec![0.0f32; N];
    let program = Program::compile(&parse(formula).unwrap());
    // Same function, same results (up to float reassociation in the closure).
    for &v in x.iter().step_by(97) {
        let (a, b) = (program.eval_scalar(v), closure(v));
        assert!(
            (a - b).abs() <= 1e-5 * b.abs().max(1.0),
            "{name} at {v}: {a} vs {b}"
        );
    }
    let mut group = c.benchmark_group("evaluator");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_with_input(BenchmarkId::new("program", name), &x, |b, x| {
        b.iter(|| program.eval(black_box(x), &mut out))
    });
    group.bench_with_input(BenchmarkId::new("closure", name), &x, |b, x| {
        b.iter(|| {
            for (o, &v) in out.iter_mut().zip(black_box(x)) {
                *o = closure(v);
            }
        })
    });
    group.finish();
}

fn evaluator(c: &mut Criterion) {
    compare(c, "relu", "relu(x)", |x| if x <= 0.0 { 0.0 } else { x });
    compare(c, "swish", "x * sigmoid(x)", |x| x * sigmoid(x));
    compare(
        c,
        "mixed10",
        "tanh(x) * sigmoid(1.5 * x) + 0.1 * abs(x) - gaussian(x - 1) * softsign(x)",
        |x| {
            x.tanh() * sigmoid(1.5 * x) + 0.1 * x.abs()
                - (-((x - 1.0) * (x - 1.0))).exp() * (x / (1.0 + x.abs()))
        },
    );
}

criterion_group!(benches, evaluator);
criterion_main!(benches);
