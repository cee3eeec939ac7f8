//! The supervisor's behaviour with scripted workers and a fake election, on real time
//! with millisecond intervals (lower bounds are exact, upper bounds leave room for a
//! loaded machine). The real PostgreSQL election is covered by the store conformance
//! suite and `cli/tests/replicas.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use proxicloud_store::{Coordination, Leadership, Listener};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::*;

#[derive(Debug, Clone, Copy)]
enum Behaviour {
    Fail,
    Panic,
    ReturnEarly,
    Serve,
    IgnoreCancel,
}

#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Started(u32),
    Stopped(u32),
}

struct Scripted {
    scope: WorkerScope,
    script: Vec<Behaviour>,
    runs: AtomicU32,
    seen: mpsc::UnboundedSender<(Seen, Instant)>,
}

fn scripted(
    scope: WorkerScope,
    script: Vec<Behaviour>,
) -> (Arc<Scripted>, mpsc::UnboundedReceiver<(Seen, Instant)>) {
    let (seen, rx) = mpsc::unbounded_channel();
    let worker = Scripted {
        scope,
        script,
        runs: AtomicU32::new(0),
        seen,
    };
    (Arc::new(worker), rx)
}

#[async_trait]
impl BackgroundWorker for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    fn scope(&self) -> WorkerScope {
        self.scope
    }

    async fn run(&self, ctx: WorkerContext) -> Result<(), String> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        let _ = self.seen.send((Seen::Started(run), Instant::now()));
        let behaviour = self.script.get(run as usize - 1).copied();
        match behaviour.unwrap_or(Behaviour::Serve) {
            Behaviour::Fail => return Err(format!("run {run} failed")),
            Behaviour::Panic => panic!("run {run} panicked"),
            Behaviour::ReturnEarly => return Ok(()),
            Behaviour::Serve => ctx.cancelled().await,
            Behaviour::IgnoreCancel => std::future::pending::<()>().await,
        }
        let _ = self.seen.send((Seen::Stopped(run), Instant::now()));
        Ok(())
    }
}

const MS: Duration = Duration::from_millis(1);
/// Generous: only a machine stalled for this long fails a test.
const SLACK: Duration = Duration::from_secs(2);

fn config() -> SupervisorConfig {
    SupervisorConfig {
        initial_backoff: MS * 40,
        max_backoff: Duration::from_secs(60),
        election_interval: MS * 50,
        shutdown_grace: MS * 100,
    }
}

fn only(handle: &SupervisorHandle) -> WorkerState {
    let mut states = handle.states();
    assert_eq!(states.len(), 1);
    states.remove(0)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<(Seen, Instant)>) -> (Seen, Instant) {
    rx.recv().await.expect("the worker reports")
}

#[tokio::test]
async fn failed_workers_restart_after_a_doubling_back_off() {
    use Behaviour::*;
    let (worker, mut seen) = scripted(WorkerScope::Replica, vec![Fail, Panic, ReturnEarly, Serve]);
    let handle = Supervisor::start_with(Arc::new(Election::granted()), vec![worker], config());
    let mut starts = Vec::new();
    for run in 1..=4 {
        let (event, at) = next(&mut seen).await;
        assert_eq!(event, Seen::Started(run));
        starts.push(at);
    }
    for (gap, backoff) in starts.windows(2).zip([40, 80, 160]) {
        let gap = gap[1] - gap[0];
        assert!(
            gap >= MS * backoff && gap < MS * backoff + SLACK,
            "{gap:?} for {backoff} ms"
        );
    }
    let state = only(&handle);
    assert_eq!(state.status, WorkerStatus::Running);
    assert_eq!(state.restarts, 3);
    assert_eq!(
        state.last_error.as_deref(),
        Some("ended without being stopped")
    );
    handle.shutdown().await;
    assert_eq!(next(&mut seen).await.0, Seen::Stopped(4));
}

#[tokio::test]
async fn a_panic_is_recorded_with_its_message() {
    let (worker, mut seen) = scripted(WorkerScope::Replica, vec![Behaviour::Panic]);
    let handle = Supervisor::start_with(Arc::new(Election::granted()), vec![worker], config());
    assert_eq!(next(&mut seen).await.0, Seen::Started(1));
    assert_eq!(next(&mut seen).await.0, Seen::Started(2));
    let state = only(&handle);
    assert_eq!(
        state.last_error.as_deref(),
        Some("panicked: run 1 panicked")
    );
    assert!(state.last_error_at.is_some());
    handle.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_every_worker_and_aborts_one_that_ignores_it() {
    let (polite, mut polite_seen) = scripted(WorkerScope::Replica, vec![]);
    let (stubborn, mut stubborn_seen) =
        scripted(WorkerScope::Deployment, vec![Behaviour::IgnoreCancel]);
    let handle = Supervisor::start_with(
        Arc::new(Election::granted()),
        vec![polite, stubborn],
        config(),
    );
    assert_eq!(next(&mut polite_seen).await.0, Seen::Started(1));
    let (_, began) = next(&mut stubborn_seen).await;
    let reader = handle.states_reader();
    handle.shutdown().await;
    assert!(Instant::now() - began >= config().shutdown_grace);
    assert_eq!(next(&mut polite_seen).await.0, Seen::Stopped(1));
    for state in reader.states() {
        assert_eq!(state.status, WorkerStatus::Stopped, "{}", state.name);
        assert!(!state.leader);
    }
}

#[tokio::test]
async fn periodic_workers_record_each_tick_and_outlive_a_failed_one() {
    let ticks = Arc::new(AtomicU32::new(0));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let counter = ticks.clone();
    let worker = Periodic::new("retention", WorkerScope::Deployment, MS * 60, move || {
        let tick = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let tx = tx.clone();
        async move {
            let _ = tx.send(Instant::now());
            if tick == 2 {
                Err("tick 2 failed".to_owned())
            } else {
                Ok(())
            }
        }
    });
    let handle = Supervisor::start_with(
        Arc::new(Election::granted()),
        vec![Arc::new(worker)],
        config(),
    );
    let mut at = Vec::new();
    for _ in 0..3 {
        at.push(rx.recv().await.unwrap());
    }
    for gap in at.windows(2).map(|w| w[1] - w[0]) {
        assert!(gap >= MS * 60 && gap < MS * 60 + SLACK, "{gap:?}");
    }
    let state = only(&handle);
    assert_eq!(state.name, "retention");
    assert_eq!(state.restarts, 0, "a failed tick is not a crash");
    assert_eq!(state.last_error.as_deref(), Some("tick 2 failed"));
    assert!(state.next_run > state.last_run);
    handle.shutdown().await;
}

#[tokio::test]
async fn deployment_workers_run_only_while_elected() {
    let election = Arc::new(Election::refused());
    let (worker, mut seen) = scripted(WorkerScope::Deployment, vec![]);
    let handle = Supervisor::start_with(election.clone(), vec![worker], config());
    let every = config().election_interval;

    // Another replica leads: this one waits, retrying every interval.
    let began = Instant::now();
    election.attempted(3).await;
    assert!(
        Instant::now() - began >= every * 2,
        "retried faster than the interval"
    );
    assert!(seen.try_recv().is_err(), "started without being elected");
    let state = only(&handle);
    assert_eq!((state.status, state.leader), (WorkerStatus::Standby, false));

    // The leader is gone: taken over within one interval.
    let freed = Instant::now();
    election.grant(true);
    let (event, started) = next(&mut seen).await;
    assert_eq!(event, Seen::Started(1));
    assert!(started - freed <= every + SLACK);
    let state = only(&handle);
    assert_eq!((state.status, state.leader), (WorkerStatus::Running, true));

    // The lock's connection dies (and someone else grabs the lock): stopped within
    // one interval, back to standby.
    election.grant(false);
    let cut = Instant::now();
    election.cut();
    let (event, stopped) = next(&mut seen).await;
    assert_eq!(event, Seen::Stopped(1));
    assert!(stopped - cut <= every * 2 + SLACK);
    let attempts = election.attempts();
    election.attempted(attempts + 1).await;
    let state = only(&handle);
    assert_eq!((state.status, state.leader), (WorkerStatus::Standby, false));
    assert_eq!(state.restarts, 0, "losing an election is not a failure");
    handle.shutdown().await;
}

#[tokio::test]
async fn on_sqlite_deployment_workers_simply_run() {
    let store = proxicloud_store::connect("sqlite::memory:").await.unwrap();
    let (worker, mut seen) = scripted(WorkerScope::Deployment, vec![]);
    let handle = Supervisor::start(store, vec![worker], SupervisorConfig::default());
    assert_eq!(next(&mut seen).await.0, Seen::Started(1));
    assert!(only(&handle).leader);
    handle.shutdown().await;
    assert_eq!(next(&mut seen).await.0, Seen::Stopped(1));
}

/// An election another replica may hold (`grant(false)`) and whose lock connection
/// the test can cut.
struct Election {
    granted: AtomicBool,
    alive: Arc<AtomicBool>,
    attempts: tokio::sync::watch::Sender<usize>,
}

impl Election {
    fn granted() -> Self {
        Self {
            granted: AtomicBool::new(true),
            alive: Arc::new(AtomicBool::new(true)),
            attempts: tokio::sync::watch::channel(0).0,
        }
    }

    fn attempts(&self) -> usize {
        *self.attempts.borrow()
    }

    /// Resolves once `try_lead` has been called `count` times in all.
    async fn attempted(&self, count: usize) {
        let mut attempts = self.attempts.subscribe();
        attempts.wait_for(|n| *n >= count).await.unwrap();
    }

    fn refused() -> Self {
        let election = Self::granted();
        election.grant(false);
        election
    }

    fn grant(&self, granted: bool) {
        self.granted.store(granted, Ordering::SeqCst);
    }

    fn cut(&self) {
        self.alive.store(false, Ordering::SeqCst);
    }
}

struct Lease(Arc<AtomicBool>);

#[async_trait]
impl Leadership for Lease {
    async fn still_leading(&mut self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Coordination for Election {
    async fn try_lead(&self, _name: &str) -> proxicloud_store::Result<Option<Box<dyn Leadership>>> {
        self.attempts.send_modify(|n| *n += 1);
        if !self.granted.load(Ordering::SeqCst) {
            return Ok(None);
        }
        self.alive.store(true, Ordering::SeqCst);
        Ok(Some(Box::new(Lease(self.alive.clone()))))
    }

    async fn notify(&self, _channel: &str, _payload: &str) -> proxicloud_store::Result<()> {
        Ok(())
    }

    async fn listen(&self, channel: &str) -> proxicloud_store::Result<Box<dyn Listener>> {
        proxicloud_store::SingleProcess.listen(channel).await
    }
}
