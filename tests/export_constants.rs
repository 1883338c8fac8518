//! Exports of activations with trainable constants carry the trained values per hidden layer:
//! the RON record lists them (and refuses values that do not fit the formula); the PyTorch
//! layer holds them as an `nn.Parameter` initialised to one layer's values, and real PyTorch's
//! autograd gives radact's `dL/dx` and `dL/dc`; NumPy's functions take them; generated Rust,
//! compiled with `rustc`, computes what radact computes with them. Values agree to 1e-5 in the
//! Python libraries (their elementary functions round differently), 1e-6 in Rust, and 1e-4
//! for `dL/dc`, a float32 sum over the points.

use radact::export::{numpy, pytorch, rust, ExportedActivation, Identifiers, TrainedConstants};
use radact::Activation;
use std::fmt::Write;

mod support;

/// Forward formula, backward mode and trained constants per hidden layer of each case.
fn cases() -> Vec<(&'static str, &'static str, Vec<Vec<f32>>)> {
    vec![
        (
            "x * sigmoid(param(1) * x)",
            "exact",
            vec![vec![0.59], vec![0.81]],
        ),
        (
            "heaviside(x - param(0.5)) * x + tanh(param(2) * x)",
            "surrogate",
            vec![vec![0.4, 1.5], vec![-0.25, 2.5], vec![0.0, 1.0]],
        ),
    ]
}

fn records() -> Vec<ExportedActivation> {
    cases()
        .into_iter()
        .enumerate()
        .map(|(i, (f, b, layers))| {
            let act = Activation::parse(f, b).unwrap();
            ExportedActivation::new(format!("learnable {i}"), act)
                .with_trained_constants(TrainedConstants { seed: 7, layers })
                .unwrap()
        })
        .collect()
}

fn points() -> Vec<f32> {
    (-40..=40).map(|i| i as f32 * 0.1 + 0.013).collect()
}

/// The upstream gradient `dL/dy` the backward passes are driven with.
fn upstream(x: &[f32]) -> Vec<f32> {
    (0..x.len()).map(|i| (i as f32 * 0.7).cos()).collect()
}

/// radact's `y`, `dL/dx` and `dL/dc` (summed in f64) for one layer's constants `c`.
fn expected(record: &ExportedActivation, c: &[f32], x: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f64>) {
    let compiled = record.activation().compile();
    let n = x.len();
    let mut outs = vec![vec![0.0f32; n]; 2 + c.len()];
    let mut views: Vec<&mut [f32]> = outs.iter_mut().map(|o| &mut o[..]).collect();
    compiled.joint.eval_many_with(x, c, &mut views);
    let w = upstream(x);
    let grad_x = outs[1].iter().zip(&w).map(|(g, w)| g * w).collect();
    let grad_c = outs[2..]
        .iter()
        .map(|d| {
            d.iter()
                .zip(&w)
                .map(|(&d, &w)| f64::from(d) * f64::from(w))
                .sum()
        })
        .collect();
    (outs[0].clone(), grad_x, grad_c)
}

fn close(got: f64, want: f64, tolerance: f64) -> bool {
    (got - want).abs() <= tolerance * want.abs().max(1.0)
}

#[test]
fn the_record_lists_trained_constants_per_layer_and_checks_them() {
    for record in records() {
        let text = record.to_ron();
        assert!(text.contains("trained_constants:"), "{text}");
        let back = ExportedActivation::from_ron_str(&text, "t.ron").unwrap();
        assert_eq!(back, record);
        assert_eq!(
            back.constant_layers(),
            record.trained_constants().unwrap().layers
        );
    }
    let text = records()[0].to_ron().replace("0.81", "0.81, 3");
    let e = ExportedActivation::from_ron_str(&text, "t.ron").unwrap_err();
    assert!(
        e.to_string()
            .contains("layer 1 has 2 trained constant(s), the formula has 1"),
        "{e}"
    );
    let act = Activation::parse("tanh(x)", "exact").unwrap();
    let refused = ExportedActivation::new("tanh", act).with_trained_constants(TrainedConstants {
        seed: 0,
        layers: vec![vec![1.0]],
    });
    assert!(refused.is_err());
    // Without trained values, code starts from the formula's initial values.
    let act = Activation::parse("x * sigmoid(param(1.5) * x)", "exact").unwrap();
    assert_eq!(
        ExportedActivation::new("s", act).constant_layers(),
        vec![vec![1.5]]
    );
}

const TORCH_DRIVER: &str = r#"
import importlib.util, json, sys
import torch

spec = json.loads(sys.argv[1])
module_spec = importlib.util.spec_from_file_location("learnable", spec["path"])
module = importlib.util.module_from_spec(module_spec)
module_spec.loader.exec_module(module)
x0 = torch.tensor(spec["x"], dtype=torch.float32)
w = torch.tensor(spec["w"], dtype=torch.float32)
results = []
for case in spec["cases"]:
    layers = []
    for layer in range(case["layers"]):
        act = getattr(module, case["class"])(layer)
        assert isinstance(act.constants, torch.nn.Parameter)
        start = act.constants.detach().tolist()
        x = x0.clone().requires_grad_(True)
        y = act(x)
        (y * w).sum().backward()
        # One SGD step moves the constants by minus their gradient.
        opt = torch.optim.SGD(act.parameters(), lr=0.5)
        opt.step()
        moved = (torch.tensor(start) - act.constants.detach()).tolist()
        layers.append({"start": start, "y": y.detach().tolist(), "grad_x": x.grad.tolist(),
                       "grad_c": act.constants.grad.tolist(), "moved": moved})
    results.append(layers)
json.dump(results, sys.stdout)
"#;

#[test]
fn pytorch_layers_hold_the_trained_constants_and_train_them() {
    let python = support::require(&["torch"]);
    let recs = records();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("learnable.py");
    std::fs::write(&path, pytorch::generate_all(&recs)).unwrap();
    let x = points();
    let classes: Vec<serde_json::Value> = recs
        .iter()
        .map(|r| {
            serde_json::json!({
                "class": Identifiers::new(r.name()).camel,
                "layers": r.constant_layers().len(),
            })
        })
        .collect();
    let spec = serde_json::json!({"path": path, "x": x, "w": upstream(&x), "cases": classes});
    let out = support::run_script(&python, dir.path(), TORCH_DRIVER, &[&spec.to_string()]);
    let results: Vec<Vec<serde_json::Value>> = serde_json::from_str(&out).unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_f64().unwrap())
            .collect()
    };
    for (record, layers) in recs.iter().zip(&results) {
        let trained = record.constant_layers();
        assert_eq!(layers.len(), trained.len());
        for (l, (got, c)) in layers.iter().zip(&trained).enumerate() {
            let what = format!("{} layer {l}", record.formula());
            let start = floats(&got["start"]);
            assert_eq!(
                start,
                c.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
                "{what}"
            );
            let (y, grad_x, grad_c) = expected(record, c, &x);
            for (name, got, want) in [("y", &got["y"], &y), ("dL/dx", &got["grad_x"], &grad_x)] {
                for (i, (g, w)) in floats(got).iter().zip(want.iter()).enumerate() {
                    assert!(
                        close(*g, f64::from(*w), 1e-5),
                        "{what}: {name} at {}: {g} vs {w}",
                        x[i]
                    );
                }
            }
            let got_c = floats(&got["grad_c"]);
            assert_eq!(got_c.len(), c.len());
            for (k, (g, w)) in got_c.iter().zip(&grad_c).enumerate() {
                assert!(close(*g, *w, 1e-4), "{what}: dL/dc[{k}]: {g} vs {w}");
                assert!(
                    w.abs() > 1e-3,
                    "{what}: dL/dc[{k}] is too small to test: {w}"
                );
            }
            for (m, g) in floats(&got["moved"]).iter().zip(&got_c) {
                assert!(
                    close(*m, 0.5 * g, 1e-4),
                    "{what}: SGD moved by {m}, gradient {g}"
                );
            }
        }
    }
}

const NUMPY_DRIVER: &str = r#"
import importlib.util, json, sys
import numpy as np

spec = json.loads(sys.argv[1])
module_spec = importlib.util.spec_from_file_location("learnable", spec["path"])
module = importlib.util.module_from_spec(module_spec)
module_spec.loader.exec_module(module)
x = np.array(spec["x"], dtype=np.float32)
results = []
for case in spec["cases"]:
    f = getattr(module, case["name"])
    g = getattr(module, case["name"] + "_backward")
    d = getattr(module, case["name"] + "_constant_grads")
    table = getattr(module, case["name"].upper() + "_CONSTANTS")
    layers = []
    for c in table:
        layers.append({"c": list(c), "y": f(x, c).tolist(), "g": g(x, c).tolist(),
                       "d": [v.tolist() for v in d(x, c)]})
    default = f(x).tolist() == f(x, table[0]).tolist()
    results.append({"layers": layers, "default_is_first_layer": default})
json.dump(results, sys.stdout)
"#;

#[test]
fn numpy_functions_take_the_trained_constants() {
    let python = support::require(&["numpy", "scipy"]);
    let recs = records();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("learnable.py");
    std::fs::write(&path, numpy::generate_all(&recs)).unwrap();
    let x = points();
    let names: Vec<serde_json::Value> = recs
        .iter()
        .map(|r| serde_json::json!({"name": Identifiers::new(r.name()).snake}))
        .collect();
    let spec = serde_json::json!({"path": path, "x": x, "cases": names});
    let out = support::run_script(&python, dir.path(), NUMPY_DRIVER, &[&spec.to_string()]);
    let results: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_f64().unwrap() as f32)
            .collect()
    };
    for (record, result) in recs.iter().zip(&results) {
        assert_eq!(result["default_is_first_layer"], true);
        let layers = result["layers"].as_array().unwrap();
        assert_eq!(layers.len(), record.constant_layers().len());
        let compiled = record.activation().compile();
        for (layer, c) in layers.iter().zip(record.constant_layers()) {
            assert_eq!(floats(&layer["c"]), c);
            let mut outs = vec![vec![0.0f32; x.len()]; 2 + c.len()];
            let mut views: Vec<&mut [f32]> = outs.iter_mut().map(|o| &mut o[..]).collect();
            compiled.joint.eval_many_with(&x, &c, &mut views);
            let mut got = vec![floats(&layer["y"]), floats(&layer["g"])];
            got.extend(layer["d"].as_array().unwrap().iter().map(floats));
            assert_eq!(got.len(), outs.len());
            for (which, (g, w)) in got.iter().zip(&outs).enumerate() {
                for (i, (a, b)) in g.iter().zip(w).enumerate() {
                    assert!(
                        close(f64::from(*a), f64::from(*b), 1e-5),
                        "{} output {which} at {}: {a} vs {b}",
                        record.formula(),
                        x[i]
                    );
                }
            }
        }
    }
}

#[test]
fn generated_rust_computes_with_the_trained_constants() {
    let recs = records();
    let x = points();
    let mut program = rust::generate_all(&recs);
    let xs: Vec<String> = x.iter().map(|v| format!("{v:?}")).collect();
    let _ = writeln!(program, "\nfn main() {{\n    let xs = [{}];", xs.join(", "));
    let w: Vec<String> = upstream(&x).iter().map(|v| format!("{v:?}")).collect();
    let _ = writeln!(program, "    let w = [{}];", w.join(", "));
    for (i, record) in recs.iter().enumerate() {
        let id = Identifiers::new(record.name()).snake;
        let table = id.to_uppercase();
        let _ = writeln!(
            program,
            "    for c in {table}_CONSTANTS.iter() {{
        let mut ys = vec![0.0f32; xs.len()];
        {id}_slice(&xs, c, &mut ys);
        let mut gx = vec![0.0f32; xs.len()];
        let mut gc = [0.0f32; {k}];
        {id}_backward_slice(&xs, c, &w, &mut gx, &mut gc);
        println!(\"{i} {{:?}} {{:?}} {{:?}} {{:?}}\", c, ys, gx, gc);
    }}",
            k = record.activation().constants().len()
        );
    }
    program.push_str("}\n");
    let stdout = support::run_rust(&program);
    let parse = |s: &str| -> Vec<f32> {
        s.trim_matches(['[', ']'])
            .split(", ")
            .map(|v| v.parse().unwrap())
            .collect()
    };
    let mut seen = vec![0usize; recs.len()];
    for line in stdout.lines() {
        let (i, rest) = line.split_once(' ').unwrap();
        let i: usize = i.parse().unwrap();
        let parts: Vec<&str> = rest.split("] [").collect();
        let (c, ys, gx, gc) = (
            parse(parts[0]),
            parse(parts[1]),
            parse(parts[2]),
            parse(parts[3]),
        );
        assert_eq!(c, recs[i].constant_layers()[seen[i]]);
        seen[i] += 1;
        let (y, grad_x, grad_c) = expected(&recs[i], &c, &x);
        for (got, want) in [(&ys, &y), (&gx, &grad_x)] {
            for (a, b) in got.iter().zip(want) {
                assert!(close(f64::from(*a), f64::from(*b), 1e-6), "{line}");
            }
        }
        for (a, b) in gc.iter().zip(&grad_c) {
            assert!(close(f64::from(*a), *b, 1e-4), "dL/dc {a} vs {b}");
        }
    }
    let want: Vec<usize> = recs.iter().map(|r| r.constant_layers().len()).collect();
    assert_eq!(seen, want);
}
