//! The session's transitions: each command and report in each state, without threads or UI.

use super::*;
use radact::search::SearchSpace;

fn config() -> RunConfig {
    RunConfig::new("demo", SearchSpace::default_space(), 0, 10)
}

fn dir() -> PathBuf {
    PathBuf::from("runs/demo")
}

fn report() -> Box<FinalReport> {
    Box::new(FinalReport {
        seeds: vec![100],
        metric: radact::search::Objective::TestAccuracy,
        baselines: Vec::new(),
        candidates: Vec::new(),
    })
}

fn finished(reason: StopReason) -> WorkerUpdate {
    WorkerUpdate::Event(Event::Finished {
        reason,
        trained: 10,
        proposed: 12,
        throughput: Default::default(),
    })
}

/// A session whose search has started (state Running).
fn running() -> Session {
    let mut s = Session::default();
    let effects = s.start(Ok((dir(), config())));
    assert_eq!(
        effects,
        [
            Effect::Show(Some(dir())),
            Effect::Search(Launch::New {
                dir: dir(),
                config: Box::new(config()),
            }),
            Effect::RunsChanged,
        ]
    );
    assert_eq!(s.state(), State::Running);
    s
}

/// A session following `dir()`, its configuration read.
fn following() -> Session {
    let mut s = Session::default();
    assert_eq!(
        s.open(&dir()),
        [Effect::Show(Some(dir())), Effect::Follow(dir())]
    );
    assert_eq!(s.state(), State::Following);
    assert!(s
        .on_follow(FollowUpdate::Opened(Box::new(config())))
        .is_empty());
    s
}

#[test]
fn a_new_session_is_idle_with_nothing_to_do() {
    let mut s = Session::default();
    assert_eq!(s.state(), State::Idle);
    assert!(s.status().starts_with("No run open"));
    assert!(!s.is_searching() && !s.can_pause() && !s.can_stop() && !s.can_resume());
    // Pause, stop and close have nothing to act on: ignored, no error.
    assert!(s.pause().is_empty() && s.stop().is_empty() && s.close().is_empty());
    assert!(s.errors().is_empty());
    // Resume needs a run: rejected with an error.
    assert!(s.resume().is_empty());
    assert_eq!(s.errors(), ["open a run to resume first"]);
    assert_eq!(s.state(), State::Idle);
}

#[test]
fn bad_settings_do_not_start() {
    let mut s = Session::default();
    assert!(s
        .start(Err("the budget must be at least 1".into()))
        .is_empty());
    assert_eq!(s.state(), State::Idle);
    assert_eq!(s.errors(), ["cannot start: the budget must be at least 1"]);
    assert!(s.run().is_none());
}

#[test]
fn a_search_reports_rows_and_progress_then_finishes() {
    let mut s = running();
    assert!(s.can_pause() && s.can_stop() && !s.can_resume());
    assert!(s.status().ends_with("searching"), "{}", s.status());
    let effects = s.on_worker(WorkerUpdate::Opened {
        config: Box::new(config()),
        rows: Vec::new(),
    });
    assert_eq!(effects, [Effect::Rows(Vec::new())]);
    assert!(s
        .on_worker(WorkerUpdate::Event(Event::Checkpoint {
            trained: 3,
            proposed: 4
        }))
        .is_empty());
    assert_eq!(s.run().unwrap().trained, 3);
    assert!(s.on_worker(finished(StopReason::Budget)).is_empty());
    assert_eq!(s.run().unwrap().finished, Some(StopReason::Budget));
    assert_eq!(
        s.on_worker(WorkerUpdate::Done(Some(StopReason::Budget))),
        [Effect::Detach, Effect::RunsChanged]
    );
    assert_eq!(s.state(), State::Idle);
    assert!(s.status().contains("10/10 trained"), "{}", s.status());
    assert!(
        s.status().ends_with("finished (budget used)"),
        "{}",
        s.status()
    );
    // A finished run does not resume.
    assert!(!s.can_resume());
    assert!(s.resume().is_empty());
    assert_eq!(s.errors(), ["this run is finished: nothing to resume"]);
}

#[test]
fn while_searching_start_and_open_are_rejected_and_resume_ignored() {
    let mut s = running();
    assert!(s
        .start(Ok((PathBuf::from("runs/other"), config())))
        .is_empty());
    assert!(s.open(Path::new("runs/other")).is_empty());
    assert!(s.close().is_empty());
    assert!(s.resume().is_empty());
    assert_eq!(
        s.errors(),
        [
            "a search is already running",
            "stop the running search before opening another run",
            "stop the running search before closing its run",
        ]
    );
    assert_eq!(s.state(), State::Running);
    assert_eq!(s.run().unwrap().dir, dir());
}

#[test]
fn stop_waits_for_the_batch_then_the_run_is_resumable() {
    let mut s = running();
    assert_eq!(s.stop(), [Effect::StopWorker]);
    assert_eq!(s.state(), State::Stopping(StopKind::Stop));
    assert!(s.status().ends_with("stopping after the batch in flight…"));
    // Pressing again, or pausing, changes nothing.
    assert!(s.stop().is_empty() && s.pause().is_empty());
    assert_eq!(s.state(), State::Stopping(StopKind::Stop));
    assert!(s.on_worker(finished(StopReason::Interrupted)).is_empty());
    assert_eq!(s.run().unwrap().finished, None);
    assert_eq!(
        s.on_worker(WorkerUpdate::Done(Some(StopReason::Interrupted))),
        [Effect::Detach, Effect::RunsChanged]
    );
    assert_eq!(s.state(), State::Idle);
    assert!(s.status().contains("stopped: resumable"), "{}", s.status());
    assert!(s.can_resume());
    assert_eq!(s.resume(), [Effect::Search(Launch::Resume { dir: dir() })]);
    assert_eq!(s.state(), State::Running);
    assert!(s.errors().is_empty());
}

#[test]
fn pause_then_resume() {
    let mut s = running();
    assert_eq!(s.pause(), [Effect::StopWorker]);
    assert_eq!(s.state(), State::Stopping(StopKind::Pause));
    assert!(!s.can_pause() && s.can_stop());
    s.on_worker(WorkerUpdate::Done(Some(StopReason::Interrupted)));
    assert_eq!(s.state(), State::Paused);
    assert!(!s.is_searching() && s.can_resume());
    assert!(
        s.status().ends_with("paused: Resume continues"),
        "{}",
        s.status()
    );
    assert!(s.pause().is_empty() && s.stop().is_empty());
    assert_eq!(s.resume(), [Effect::Search(Launch::Resume { dir: dir() })]);
    assert_eq!(s.state(), State::Running);
}

#[test]
fn stop_turns_a_pause_into_a_stop() {
    let mut s = running();
    s.pause();
    assert_eq!(s.stop(), [Effect::StopWorker]);
    s.on_worker(WorkerUpdate::Done(Some(StopReason::Interrupted)));
    assert_eq!(s.state(), State::Idle);
    assert!(s.status().contains("stopped: resumable"), "{}", s.status());
}

#[test]
fn the_final_check_runs_after_the_budget_and_stop_abandons_it() {
    let mut s = running();
    s.on_worker(finished(StopReason::Budget));
    assert!(s.on_worker(WorkerUpdate::FinalCheckStarted).is_empty());
    assert_eq!(s.state(), State::FinalCheck);
    assert!(s.status().ends_with("final check…"));
    // The check cannot pause; Stop abandons it.
    assert!(!s.can_pause() && s.pause().is_empty());
    assert_eq!(s.state(), State::FinalCheck);
    assert_eq!(s.stop(), [Effect::StopWorker, Effect::Detach]);
    assert_eq!(s.state(), State::Idle);
    assert_eq!(
        s.run().unwrap().outcome.as_deref(),
        Some("stopped during the final check")
    );
    // The abandoned thread's last words are not listened to.
    assert!(s
        .on_worker(WorkerUpdate::Done(Some(StopReason::Budget)))
        .is_empty());
    assert_eq!(s.log().last().unwrap(), "final check abandoned");
}

#[test]
fn the_final_check_reports_and_ends() {
    let mut s = running();
    s.on_worker(finished(StopReason::Budget));
    s.on_worker(WorkerUpdate::FinalCheckStarted);
    s.on_worker(WorkerUpdate::FinalCheck(report()));
    assert_eq!(s.run().unwrap().final_report.as_ref(), Some(&*report()));
    s.on_worker(WorkerUpdate::Done(Some(StopReason::Budget)));
    assert_eq!(s.state(), State::Idle);
    assert_eq!(
        s.run().unwrap().outcome.as_deref(),
        Some("finished: budget used")
    );
}

#[test]
fn a_final_check_starting_as_stop_is_pressed_is_abandoned_and_after_a_pause_runs() {
    let mut s = running();
    s.stop();
    assert_eq!(
        s.on_worker(WorkerUpdate::FinalCheckStarted),
        [Effect::StopWorker, Effect::Detach]
    );
    assert_eq!(s.state(), State::Idle);

    let mut s = running();
    s.pause();
    assert!(s.on_worker(WorkerUpdate::FinalCheckStarted).is_empty());
    assert_eq!(s.state(), State::FinalCheck);
}

#[test]
fn a_failed_search_shows_its_error_and_ends() {
    let mut s = running();
    s.on_worker(WorkerUpdate::Failed("cannot start the search: no".into()));
    assert_eq!(s.state(), State::Running);
    s.on_worker(WorkerUpdate::Done(None));
    assert_eq!(s.state(), State::Idle);
    assert_eq!(s.errors(), ["cannot start the search: no"]);
    assert!(s.status().ends_with("failed"), "{}", s.status());
}

#[test]
fn following_a_run_another_process_writes() {
    let mut s = following();
    assert!(s.status().ends_with("stopped: resumable"), "{}", s.status());
    let rows = s.on_follow(FollowUpdate::Rows(Vec::new()));
    assert_eq!(rows, [Effect::Rows(Vec::new())]);
    let writer = Holder {
        pid: 7,
        host: "here".into(),
        command: "radact search".into(),
        since: "now".into(),
    };
    s.on_follow(FollowUpdate::Writer(Some(writer)));
    assert!(s.is_live() && !s.can_resume());
    // A search trained by remote workers reports its queue after each batch.
    let queue = radact::dispatch::QueueStatus {
        queue: "q".into(),
        in_flight: 3,
        ..Default::default()
    };
    s.on_follow(FollowUpdate::Dispatch(Box::new(queue.clone())));
    assert_eq!(s.run().unwrap().dispatch.as_ref(), Some(&queue));
    assert!(s.status().contains("live: "), "{}", s.status());
    assert!(s.resume().is_empty());
    assert!(s.errors()[0].starts_with("another process is writing"));
    assert_eq!(s.state(), State::Following);
    // The writer ends with the budget used.
    s.on_follow(FollowUpdate::Writer(None));
    s.on_follow(FollowUpdate::Checkpoint {
        trained: 10,
        proposed: 11,
        finished: Some(StopReason::Budget),
    });
    s.on_follow(FollowUpdate::FinalCheck(report()));
    assert!(!s.is_live());
    assert!(
        s.status().ends_with("finished (budget used)"),
        "{}",
        s.status()
    );
    assert!(s.run().unwrap().final_report.is_some());
    // Worker reports do not apply to a followed run.
    assert!(s.on_worker(WorkerUpdate::Done(None)).is_empty());
    assert_eq!(s.state(), State::Following);
}

#[test]
fn a_stopped_followed_run_resumes_here() {
    let mut s = following();
    s.on_follow(FollowUpdate::Checkpoint {
        trained: 4,
        proposed: 5,
        finished: None,
    });
    assert!(s.can_resume());
    assert_eq!(s.resume(), [Effect::Search(Launch::Resume { dir: dir() })]);
    assert_eq!(s.state(), State::Running);
    // Follower reports no longer apply.
    assert!(s.on_follow(FollowUpdate::Rows(Vec::new())).is_empty());
}

#[test]
fn a_run_that_cannot_be_read_stops_following_with_its_error() {
    let mut s = Session::default();
    s.open(Path::new("not-a-run"));
    assert!(s.status().ends_with("reading…"), "{}", s.status());
    assert!(!s.can_resume());
    let effects = s.on_follow(FollowUpdate::Failed("not-a-run is not a radact run".into()));
    assert_eq!(effects, [Effect::Detach]);
    assert_eq!(s.state(), State::Idle);
    assert_eq!(s.errors(), ["not-a-run is not a radact run"]);
}

#[test]
fn open_and_close_switch_runs_when_nothing_runs() {
    let mut s = following();
    assert_eq!(
        s.open(Path::new("runs/b")),
        [
            Effect::Show(Some(PathBuf::from("runs/b"))),
            Effect::Follow(PathBuf::from("runs/b"))
        ]
    );
    assert_eq!(s.run().unwrap().dir, Path::new("runs/b"));
    assert!(s.run().unwrap().config.is_none());
    assert_eq!(s.close(), [Effect::Detach, Effect::Show(None)]);
    assert_eq!(s.state(), State::Idle);
    assert!(s.run().is_none());
    // A paused run can be left for another one too.
    let mut s = running();
    s.pause();
    s.on_worker(WorkerUpdate::Done(Some(StopReason::Interrupted)));
    assert_eq!(s.open(&dir()).len(), 2);
    assert_eq!(s.state(), State::Following);
    assert!(s.errors().is_empty());
}

#[test]
fn errors_and_log_keep_the_latest() {
    let mut s = Session::default();
    for i in 0..MAX_ERRORS + 2 {
        s.error(format!("e{i}"));
    }
    assert_eq!(s.errors().len(), MAX_ERRORS);
    assert_eq!(s.errors()[0], "e2");
    s.dismiss_error(0);
    s.dismiss_error(100);
    assert_eq!(s.errors()[0], "e3");
    for i in 0..MAX_LOG + 1 {
        s.note(format!("l{i}"));
    }
    assert_eq!(s.log().len(), MAX_LOG);
    assert_eq!(s.log()[0], "l1");
}

#[test]
fn commands_drive_the_same_transitions() {
    let mut s = Session::default();
    let start = Command::Start(Box::new(Ok((dir(), config()))));
    assert_eq!(s.command(start).len(), 3);
    assert_eq!(s.command(Command::Pause), [Effect::StopWorker]);
    assert_eq!(s.command(Command::Stop), [Effect::StopWorker]);
    s.on_worker(WorkerUpdate::Done(Some(StopReason::Interrupted)));
    assert_eq!(s.command(Command::Resume).len(), 1);
    assert!(s.command(Command::Open(dir())).is_empty());
    assert!(s.command(Command::Close).is_empty());
    assert_eq!(s.state(), State::Running);
    s.on_worker(WorkerUpdate::Done(None));
    assert_eq!(s.command(Command::Open(dir())).len(), 2);
    assert_eq!(s.command(Command::Close).len(), 2);
    assert_eq!(s.state(), State::Idle);
    assert!(s.run().is_none());
}
