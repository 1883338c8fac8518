//! Opening a finished run: the table lists its candidates, selecting one fills the details,
//! the f(x) and g(x) curves (equal to radact's compiled programs), the graph view and the
//! progress plot; the table sorts; the selection exports.

mod common;

use common::{fixture_run, fixture_run_checked, harness, step_until};
use egui_kittest::kittest::Queryable;
use radact::export::{candidate_name, ExportedActivation};
use radact::search::Objective;
use radact_gui::row::Metric;
use radact_gui::RadactApp;
use std::time::Duration;

#[test]
fn open_a_run_select_a_candidate_and_check_table_and_plots() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fixture");
    let records = fixture_run(&dir);
    assert!(records.len() >= 6, "{} records", records.len());

    let app = RadactApp::new(tmp.path(), &tmp.path().join("no-spaces")).with_run(&dir);
    let mut h = harness(app);
    step_until(&mut h, Duration::from_secs(20), "the journal", |app| {
        app.population.len() == records.len() && app.run_config().is_some()
    });
    h.step();

    // The table: one row per record, in id order, each formula on screen.
    let visible: Vec<(u64, String)> = h
        .state_mut()
        .population
        .visible()
        .iter()
        .map(|r| (r.id(), r.formula().to_string()))
        .collect();
    let expected: Vec<(u64, String)> = records.iter().map(|r| (r.id, r.formula.clone())).collect();
    assert_eq!(visible, expected);
    for r in &records {
        assert!(
            !h.query_all_by_label(&r.formula)
                .collect::<Vec<_>>()
                .is_empty(),
            "formula {} is not in the table",
            r.formula
        );
    }
    assert!(
        h.state().status().contains("finished"),
        "{}",
        h.state().status()
    );

    // Select a trained candidate whose formula is unique in the run, by clicking its row.
    let chosen = records
        .iter()
        .filter(|r| r.is_trained())
        .find(|r| records.iter().filter(|o| o.formula == r.formula).count() == 1)
        .expect("a trained candidate with a unique formula");
    h.get_by_label(&chosen.formula).click();
    h.step();
    h.step();
    assert_eq!(h.state().population.selected(), [chosen.id]);

    // The plot data are radact's own forward and backward programs on the plotted grid.
    let app = h.state();
    let curves = app.curves.curves();
    assert_eq!(curves.len(), 1);
    let curve = &curves[0];
    assert_eq!(curve.id, Some(chosen.id));
    assert_eq!(curve.xs, app.curves.xs());
    assert_eq!(curve.xs.first(), Some(&-4.0));
    assert_eq!(curve.xs.last(), Some(&4.0));
    let compiled = chosen.activation().unwrap().compile();
    let (mut f, mut g) = (vec![0.0; curve.xs.len()], vec![0.0; curve.xs.len()]);
    compiled.forward.eval(&curve.xs, &mut f);
    compiled.backward.eval(&curve.xs, &mut g);
    assert_eq!(curve.f, f);
    assert_eq!(curve.g, g);
    assert!(curve.label.contains(&chosen.formula));
    // The reference baselines are drawn too (relu and swish by default).
    let names: Vec<&str> = app
        .curves
        .baseline_curves()
        .iter()
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(names, ["relu", "swish"]);

    // Details and graph view follow the selection.
    assert!(h
        .query_by_label(&format!("Candidate #{}", chosen.id))
        .is_some());
    let layout = h.state().graph.layout().expect("a graph is drawn");
    let graph = chosen.activation().unwrap().forward;
    assert_eq!(layout.nodes.len(), graph.topo_order().len());
    assert!(layout.nodes.iter().any(|n| n.label == "x"));

    // Progress: one point per trained candidate, the best never gets worse.
    let series = h.state().progress.series().clone();
    let trained = records.iter().filter(|r| r.is_trained()).count();
    assert_eq!(series.values.len(), trained);
    assert!(series.best.windows(2).all(|w| w[1] >= w[0]));
    let best = records
        .iter()
        .filter(|r| r.is_trained())
        .filter_map(|r| r.objectives.as_ref().map(|o| o[0]))
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(series.best.last().copied(), Some(best));

    // Ctrl-click adds a second candidate: both are plotted, in selection order.
    let second = records
        .iter()
        .filter(|r| r.id != chosen.id && r.formula != chosen.formula)
        .find(|r| records.iter().filter(|o| o.formula == r.formula).count() == 1)
        .expect("a second candidate with a unique formula");
    h.get_by_label(&second.formula)
        .click_modifiers(egui::Modifiers::COMMAND);
    h.step();
    h.step();
    assert_eq!(h.state().population.selected(), [chosen.id, second.id]);
    let ids: Vec<Option<u64>> = h.state().curves.curves().iter().map(|c| c.id).collect();
    assert_eq!(ids, [Some(chosen.id), Some(second.id)]);
    // A plain click selects one again.
    h.get_by_label(&chosen.formula).click();
    h.step();
    h.step();
    assert_eq!(h.state().population.selected(), [chosen.id]);

    // Sorting by validation accuracy puts the best first.
    h.get_by_label("val acc").click();
    h.step();
    h.step();
    let first = h.state_mut().population.visible()[0]
        .metric(Metric::Objective(Objective::ValidationAccuracy));
    let max = h
        .state()
        .population
        .rows()
        .iter()
        .filter_map(|r| r.metric(Metric::Objective(Objective::ValidationAccuracy)))
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(first, Some(max));

    // Export the selection as RON, and read it back with the library.
    h.get_by_label("Export 1 selected").click();
    h.step();
    let path = dir.join("exports").join("selected.ron");
    let back = ExportedActivation::load_all(&path).expect("the export reads back");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].formula(), chosen.formula);
    assert_eq!(back[0].provenance().candidate, Some(chosen.id));
    // The library's record of the candidate, the one `radact export` writes.
    let config = h.state().run_config().expect("the configuration").clone();
    let expected = ExportedActivation::of_candidate(&config, chosen).unwrap();
    assert_eq!(back, [expected]);

    // Exporting again to the same file asks first and keeps the file until Replace.
    std::fs::write(&path, "kept").unwrap();
    h.get_by_label("Export 1 selected").click();
    h.step();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept");
    assert!(
        matches!(&h.state().export.message, Some(Err(m)) if m.contains("replace it?")),
        "{:?}",
        h.state().export.message
    );
    h.step();
    h.get_by_label("Replace").click();
    h.step();
    assert_eq!(ExportedActivation::load_all(&path).unwrap().len(), 1);

    // The same selection as a PyTorch module, next to it.
    h.get_by_label("PyTorch").click();
    h.step();
    h.get_by_label("Export 1 selected").click();
    h.step();
    let code = std::fs::read_to_string(dir.join("exports").join("selected.py")).unwrap();
    assert!(code.contains("torch.autograd.Function"), "{code}");
    assert!(code.contains(&candidate_name(&config, chosen.id)), "{code}");

    // NumPy and JAX modules go next to it, under their own names.
    for (label, file, marker) in [
        ("NumPy", "selected_numpy.py", "import numpy"),
        ("JAX", "selected_jax.py", "jax.custom_vjp"),
    ] {
        h.get_by_label(label).click();
        h.step();
        h.get_by_label("Export 1 selected").click();
        h.step();
        let code = std::fs::read_to_string(dir.join("exports").join(file)).unwrap();
        assert!(code.contains(marker), "{label}: {code}");
    }
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());

    // Every input widget on screen has an accessible name (what `get_by_label` finds).
    h.run();
    h.check_accessibility();
}

#[test]
fn a_checked_run_shows_one_verdict_line_per_candidate() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("checked");
    let verdicts = fixture_run_checked(&dir);
    assert!(!verdicts.is_empty());
    let app = RadactApp::new(tmp.path(), &tmp.path().join("no-spaces")).with_run(&dir);
    let mut h = harness(app);
    step_until(&mut h, Duration::from_secs(20), "the final check", |app| {
        app.run_config().is_some() && app.final_report().is_some()
    });
    h.step();
    for v in &verdicts {
        let line = format!("verdict: {v}");
        assert!(
            h.query_by_label(&line).is_some(),
            "the verdict line `{line}` is not shown"
        );
    }
}
