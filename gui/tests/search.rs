//! Starting a tiny search from the launch panel: the population grows while it runs, Stop ends
//! it after the batch in flight, Resume continues it, and the run directory is one the library
//! (and so `radact resume`) opens.

mod common;

use common::{harness, step_until, TINY_SPACE};
use egui_kittest::kittest::Queryable;
use radact::run::{Run, RunView};
use radact_gui::RadactApp;
use std::collections::HashSet;
use std::time::Duration;

#[test]
fn start_a_search_watch_it_grow_stop_and_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let spaces = tmp.path().join("spaces");
    std::fs::create_dir(&spaces).unwrap();
    let space_file = spaces.join("tiny.ron");
    std::fs::write(&space_file, TINY_SPACE).unwrap();
    let runs = tmp.path().join("runs");

    let mut h = harness(RadactApp::new(&runs, &spaces));
    h.step();
    // The only file of the spaces directory is loaded (there is no default.ron there, so the
    // built-in default is; choose tiny.ron from the menu).
    h.get_by_label("Search space").click();
    h.run_steps(3);
    h.get_by_label(&space_file.display().to_string()).click();
    h.step();
    assert_eq!(h.state().launch.space().unwrap().name, "tiny");
    {
        let app = h.state_mut();
        // A budget large enough that Stop comes first.
        app.launch.budget = 100_000;
        app.launch.name = "gui-test".into();
        app.launch.threads = 1;
    }
    h.step();
    h.get_by_label("Start").click();
    h.step();
    assert!(h.state().is_searching(), "{:?}", h.state().errors());

    step_until(&mut h, Duration::from_secs(120), "candidates", |app| {
        app.population.len() >= 4
    });
    let first = h.state().population.rows()[0].formula().to_string();
    assert!(!h.query_all_by_label(&first).collect::<Vec<_>>().is_empty());
    assert!(
        h.state().status().contains("searching"),
        "{}",
        h.state().status()
    );

    h.get_by_label("Stop").click();
    h.step();
    step_until(&mut h, Duration::from_secs(120), "the stop", |app| {
        !app.is_searching()
    });
    let status = h.state().status();
    assert!(status.contains("stopped"), "{status}");
    let stopped_at = h.state().population.len();
    let dir = runs.join("gui-test");

    // What the app shows is what is on disk, and the library opens it to resume (the app
    // released the run's lock when its search stopped).
    let run = Run::open(&dir, "test").expect("the run opens for writing");
    let records = run.records().unwrap();
    assert_eq!(records.len(), stopped_at);
    assert!(
        run.checkpoint().unwrap().is_some(),
        "a checkpoint was written"
    );
    assert_eq!(run.config().space.name, "tiny");
    drop(run);

    // Resume continues from the checkpoint and adds new candidates (no id twice).
    h.get_by_label("Resume").click();
    h.step();
    assert!(h.state().is_searching(), "{:?}", h.state().errors());
    step_until(&mut h, Duration::from_secs(120), "more candidates", |app| {
        app.population.len() >= stopped_at + 3
    });
    h.get_by_label("Pause").click();
    step_until(&mut h, Duration::from_secs(120), "the pause", |app| {
        !app.is_searching()
    });
    assert!(
        h.state().status().contains("paused"),
        "{}",
        h.state().status()
    );
    let records = RunView::open(&dir).unwrap().records().unwrap();
    let ids: HashSet<u64> = records.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), records.len(), "an id was recorded twice");
    assert_eq!(records.len(), h.state().population.len());
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
}
