//! [`Job`]: a one-shot computation on its own thread (a file dialog, listing the runs), polled
//! by the UI each frame so that the UI thread never waits for it.

use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::thread;

/// A value being computed on another thread.
#[derive(Debug)]
pub struct Job<T> {
    rx: Receiver<T>,
}

/// What [`Job::poll`] found.
#[derive(Debug, PartialEq)]
pub enum Poll<T> {
    /// Still running.
    Pending,
    /// Done, with its value.
    Ready(T),
    /// The thread ended without a value (it panicked).
    Lost,
}

impl<T: Send + 'static> Job<T> {
    /// Runs `work` on a new thread; `ctx` is asked to repaint when the value is ready.
    pub fn spawn(ctx: &egui::Context, work: impl FnOnce() -> T + Send + 'static) -> Job<T> {
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        thread::spawn(move || {
            let value = work();
            // The receiver may be gone (the app moved on): nothing to do then.
            let _ = tx.send(value);
            ctx.request_repaint();
        });
        Job { rx }
    }

    /// The value, if the thread has finished.
    pub fn poll(&self) -> Poll<T> {
        match self.rx.try_recv() {
            Ok(v) => Poll::Ready(v),
            Err(TryRecvError::Empty) => Poll::Pending,
            Err(TryRecvError::Disconnected) => Poll::Lost,
        }
    }
}
