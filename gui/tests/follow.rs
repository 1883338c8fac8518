//! Following a run that another process is writing: complete journal lines appear as they are
//! appended, a line still being written waits, the run counts as live while a writer holds its
//! lock (Resume disabled, the writer named), and a final checkpoint marks it finished.

mod common;

use common::{fixture_run, harness, step_until};
use egui_kittest::kittest::Queryable;
use radact::run::{RunLock, CHECKPOINT, CONFIG, JOURNAL};
use radact_gui::RadactApp;
use std::io::Write;
use std::time::Duration;

#[test]
fn a_run_being_written_is_followed_line_by_line() {
    let tmp = tempfile::tempdir().unwrap();
    let done = tmp.path().join("done");
    let records = fixture_run(&done);
    let lines: Vec<String> = std::fs::read_to_string(done.join(JOURNAL))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), records.len());

    // A run "being written" by this test, which holds its lock as a writer does: its config
    // and the first two records.
    let live = tmp.path().join("live");
    std::fs::create_dir(&live).unwrap();
    let lock = RunLock::acquire(&live, "a test writer").unwrap();
    std::fs::copy(done.join(CONFIG), live.join(CONFIG)).unwrap();
    let mut journal = std::fs::File::create(live.join(JOURNAL)).unwrap();
    writeln!(journal, "{}\n{}", lines[0], lines[1]).unwrap();
    journal.flush().unwrap();

    let mut h = harness(RadactApp::new(tmp.path(), tmp.path()).with_run(&live));
    step_until(&mut h, Duration::from_secs(10), "two rows", |app| {
        app.population.len() == 2
    });
    step_until(&mut h, Duration::from_secs(10), "the live marker", |app| {
        app.status().contains("live")
    });

    // One more complete record and half of the next.
    let (head, tail) = lines[3].split_at(lines[3].len() / 2);
    write!(journal, "{}\n{head}", lines[2]).unwrap();
    journal.flush().unwrap();
    step_until(&mut h, Duration::from_secs(10), "the third row", |app| {
        app.population.len() == 3
    });
    // Give the follower a few more polls: the torn line must not show up.
    for _ in 0..40 {
        h.step();
        std::thread::sleep(Duration::from_millis(25));
    }
    assert_eq!(h.state().population.len(), 3);
    assert!(
        h.state().status().contains("live") && h.state().status().contains("a test writer"),
        "{}",
        h.state().status()
    );
    h.step();
    h.get_by_label("Resume").click();
    h.step();
    assert!(
        !h.state().is_searching(),
        "Resume must wait while another process writes"
    );

    // The writer finishes the line, then the rest, then the final checkpoint.
    writeln!(journal, "{tail}").unwrap();
    for line in &lines[4..] {
        writeln!(journal, "{line}").unwrap();
    }
    journal.flush().unwrap();
    std::fs::copy(done.join(CHECKPOINT), live.join(CHECKPOINT)).unwrap();
    drop(lock);
    step_until(&mut h, Duration::from_secs(10), "the whole run", |app| {
        app.population.len() == records.len() && app.status().contains("finished")
    });
    let ids: Vec<u64> = h.state().population.rows().iter().map(|r| r.id()).collect();
    let expected: Vec<u64> = records.iter().map(|r| r.id).collect();
    assert_eq!(ids, expected);
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
}
