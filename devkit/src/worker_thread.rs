//! A worker run on a thread of its own, as a separate process would run it.
//!
//! A worker's `run` future is not `Send` (the SDK worker drives workflows on a local
//! task set), so a test cannot spawn it onto its own runtime; and awaiting it on the
//! test's task would leave that task busy. [`spawn`] gives it a thread and a runtime.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::oneshot;

/// The shutdown future handed to the worker's `run`.
pub type StopSignal = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A worker running on its own thread. Dropping it (a failing test) stops the worker.
#[derive(Debug)]
pub struct BackgroundWorker {
    stop: Option<oneshot::Sender<()>>,
    ended: Option<oneshot::Receiver<anyhow::Result<()>>>,
}

/// Runs `run(stop_signal)` on a new thread with a current-thread runtime of its own.
pub fn spawn<F, Fut>(run: F) -> BackgroundWorker
where
    F: FnOnce(StopSignal) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let (stop, stopped) = oneshot::channel::<()>();
    let (report, ended) = oneshot::channel();
    std::thread::spawn(move || {
        let signal: StopSignal = Box::pin(async {
            let _ = stopped.await;
        });
        let result = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(run(signal)));
        let _ = report.send(result);
    });
    BackgroundWorker {
        stop: Some(stop),
        ended: Some(ended),
    }
}

impl BackgroundWorker {
    /// Stops the worker gracefully and returns how its `run` ended.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.ended.take() {
            Some(ended) => ended
                .await
                .map_err(|_| anyhow::anyhow!("the worker's thread ended without a result"))?,
            None => Ok(()),
        }
    }
}
