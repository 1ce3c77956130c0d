use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex as StdMutex, PoisonError,
    },
    time::Duration,
};

use tokio::{
    sync::{mpsc, oneshot, Mutex},
    task::JoinSet,
    time::{sleep, timeout, Instant},
};

use crate::{
    error::{StartError, StartFailure},
    graph::start_order,
    log::LogBuffer,
    process::{kill_group_now, RunningSidecar},
    restart::RestartBudget,
    spec::{SidecarKind, SidecarSpec},
    status::{SidecarState, SidecarStatus},
};

const LOG_LINES_KEPT: usize = 2000;
const LAST_LINES_SHOWN: usize = 30;
const PROBE_INTERVAL: Duration = Duration::from_millis(10);

/// A step of start-up, reported as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartStep {
    Starting { sidecar: String },
    Ready { sidecar: String, elapsed: Duration },
}

/// Why a request to the supervisor was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupervisorError {
    #[error("there is no sidecar named {name:?}")]
    UnknownSidecar { name: String },
    #[error("{name} is a one-shot step or has not been started")]
    NotRestartable { name: String },
}

/// Called on every status change of every sidecar.
pub type StatusListener = Arc<dyn Fn(&SidecarStatus) + Send + Sync>;

/// How the supervisor treats every sidecar.
#[derive(Clone, Default)]
pub struct SupervisorOptions {
    /// Redacted from every line any sidecar prints.
    pub secrets: Vec<String>,
    /// Each sidecar's output also goes to `<log_dir>/<name>.log`, rotated.
    pub log_dir: Option<PathBuf>,
    /// Each line is also printed to this process's stderr (for development).
    pub echo: bool,
    /// Set on every sidecar as `CONVOY_LAUNCH_ID`, so leftovers can be found.
    pub launch_id: Option<String>,
}

enum Control {
    Restart,
    Stop(oneshot::Sender<()>),
}

/// One declared sidecar: its spec, status, output, and the task that watches it.
struct Entry {
    spec: SidecarSpec,
    status: StdMutex<SidecarStatus>,
    log: LogBuffer,
    control: StdMutex<Option<mpsc::UnboundedSender<Control>>>,
}

struct Shared {
    on_status: StatusListener,
    stopping: AtomicBool,
    /// Process group of every live sidecar, for exits that cannot wait.
    groups: StdMutex<HashMap<String, u32>>,
}

impl Entry {
    fn update(&self, shared: &Shared, change: impl FnOnce(&mut SidecarStatus)) {
        let snapshot = {
            let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
            change(&mut status);
            status.clone()
        };
        match snapshot.pid {
            Some(pid) => shared
                .groups
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(snapshot.name.clone(), pid),
            None => shared
                .groups
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&snapshot.name),
        };
        (shared.on_status)(&snapshot);
    }

    fn fail(&self, shared: &Shared, reason: String) {
        self.update(shared, |s| {
            s.enter(SidecarState::Failed);
            s.pid = None;
            s.reason = Some(reason);
        });
    }

    fn last_lines(&self) -> Vec<String> {
        self.log.tail(LAST_LINES_SHOWN)
    }
}

/// Owns every sidecar process: nothing else in the app spawns one.
pub struct Supervisor {
    options: SupervisorOptions,
    shared: Arc<Shared>,
    entries: StdMutex<Vec<Arc<Entry>>>,
    /// Serialises start and stop of the whole set.
    lifecycle: Mutex<()>,
}

impl Supervisor {
    pub fn new(options: SupervisorOptions, on_status: StatusListener) -> Self {
        Self {
            options,
            shared: Arc::new(Shared {
                on_status,
                stopping: AtomicBool::new(false),
                groups: StdMutex::new(HashMap::new()),
            }),
            entries: StdMutex::new(Vec::new()),
            lifecycle: Mutex::new(()),
        }
    }

    fn entries(&self) -> Vec<Arc<Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn entry(&self, name: &str) -> Option<Arc<Entry>> {
        self.entries().into_iter().find(|e| e.spec.name == name)
    }

    /// Starts `specs` after what they depend on, each gated by its readiness
    /// (independent ones side by side), and supervises them from then on. Anything already running is stopped
    /// first. On failure every sidecar started so far is stopped again.
    pub async fn start_all(
        &self,
        specs: &[SidecarSpec],
        mut on_step: impl FnMut(StartStep),
    ) -> Result<(), StartFailure> {
        self.stop_all().await;
        let _lifecycle = self.lifecycle.lock().await;
        self.shared.stopping.store(false, Ordering::Release);

        let order = start_order(specs).map_err(|err| StartFailure {
            sidecar: specs.first().map(|s| s.name.clone()).unwrap_or_default(),
            error: StartError::Graph {
                reason: err.to_string(),
            },
            last_lines: Vec::new(),
        })?;
        let entries: Vec<Arc<Entry>> = order
            .iter()
            .map(|&i| Arc::new(self.new_entry(&specs[i])))
            .collect();
        *self.entries.lock().unwrap_or_else(PoisonError::into_inner) = entries.clone();
        for entry in &entries {
            (self.shared.on_status)(
                &entry
                    .status
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone(),
            );
        }

        // Each sidecar starts as soon as everything it depends on is ready, so
        // independent ones start side by side. After a failure nothing more
        // starts; the starts under way are awaited (never abandoned with a
        // process half started), then everything started is stopped again.
        let position = |name: &str| entries.iter().position(|e| e.spec.name == name);
        let mut ready = vec![false; entries.len()];
        let mut launched = vec![false; entries.len()];
        let mut starting = JoinSet::new();
        let mut failure = None;
        loop {
            if failure.is_none() {
                for (i, entry) in entries.iter().enumerate() {
                    let deps_ready = entry
                        .spec
                        .depends_on
                        .iter()
                        .all(|dep| position(dep).is_some_and(|j| ready[j]));
                    if launched[i] || !deps_ready {
                        continue;
                    }
                    launched[i] = true;
                    on_step(StartStep::Starting {
                        sidecar: entry.spec.name.clone(),
                    });
                    let (shared, entry) = (self.shared.clone(), entry.clone());
                    starting.spawn(async move {
                        let started = Instant::now();
                        let outcome = start_one(&shared, &entry).await;
                        (i, outcome, started.elapsed())
                    });
                }
            }
            let Some(joined) = starting.join_next().await else {
                break;
            };
            let (i, outcome, elapsed) = match joined {
                Ok(done) => done,
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            };
            let entry = &entries[i];
            match outcome {
                Ok(sidecar) => {
                    if let Some(sidecar) = sidecar {
                        self.supervise(entry, sidecar);
                    }
                    ready[i] = true;
                    on_step(StartStep::Ready {
                        sidecar: entry.spec.name.clone(),
                        elapsed,
                    });
                }
                Err(error) => {
                    failure.get_or_insert_with(|| StartFailure {
                        sidecar: entry.spec.name.clone(),
                        error,
                        last_lines: entry.last_lines(),
                    });
                }
            }
        }
        if let Some(failure) = failure {
            drop(_lifecycle);
            self.stop_all().await;
            return Err(failure);
        }
        Ok(())
    }

    fn new_entry(&self, spec: &SidecarSpec) -> Entry {
        let mut spec = spec.clone();
        if let Some(id) = &self.options.launch_id {
            spec.env
                .push((crate::ledger::LAUNCH_ID_ENV.to_owned(), id.clone()));
        }
        let mut log = LogBuffer::new(LOG_LINES_KEPT, self.options.secrets.clone());
        if let Some(dir) = &self.options.log_dir {
            log = log.with_file(dir.join(format!("{}.log", spec.name)));
        }
        if self.options.echo {
            log = log.with_echo(&spec.name);
        }
        Entry {
            status: StdMutex::new(SidecarStatus::pending(
                &spec.name,
                spec.port,
                spec.kind == SidecarKind::OneShot,
            )),
            spec,
            log,
            control: StdMutex::new(None),
        }
    }

    fn supervise(&self, entry: &Arc<Entry>, sidecar: RunningSidecar) {
        let (tx, rx) = mpsc::unbounded_channel();
        *entry.control.lock().unwrap_or_else(PoisonError::into_inner) = Some(tx);
        tokio::spawn(supervise(self.shared.clone(), entry.clone(), sidecar, rx));
    }

    /// Stops every sidecar, the last started first, each with its grace period.
    pub async fn stop_all(&self) {
        let _lifecycle = self.lifecycle.lock().await;
        self.shared.stopping.store(true, Ordering::Release);
        for entry in self.entries().iter().rev() {
            let control = entry
                .control
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(control) = control {
                let (ack, done) = oneshot::channel();
                if control.send(Control::Stop(ack)).is_ok() {
                    let _ = timeout(entry.spec.grace + Duration::from_secs(2), done).await;
                }
            }
        }
    }

    /// Kills every sidecar's process group at once, without waiting; for exit
    /// paths that cannot run async code (a panic, a fatal signal).
    pub fn kill_all_now(&self) {
        let groups = self
            .shared
            .groups
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for &pgid in groups.values() {
            kill_group_now(pgid);
        }
    }

    /// Stops a sidecar and starts it again, with a fresh restart budget.
    pub fn restart(&self, name: &str) -> Result<(), SupervisorError> {
        let entry = self
            .entry(name)
            .ok_or_else(|| SupervisorError::UnknownSidecar {
                name: name.to_owned(),
            })?;
        let control = entry.control.lock().unwrap_or_else(PoisonError::into_inner);
        match control.as_ref() {
            Some(control) if control.send(Control::Restart).is_ok() => Ok(()),
            _ => Err(SupervisorError::NotRestartable {
                name: name.to_owned(),
            }),
        }
    }

    /// Every declared sidecar's status, in start order.
    pub fn statuses(&self) -> Vec<SidecarStatus> {
        self.entries()
            .iter()
            .map(|e| {
                e.status
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone()
            })
            .collect()
    }

    /// The last `limit` lines a sidecar printed, if it has been declared.
    pub fn logs(&self, sidecar: &str, limit: usize) -> Option<Vec<String>> {
        self.entry(sidecar).map(|e| e.log.tail(limit))
    }

    /// Lines a sidecar printed after the first `seen`; see [`LogBuffer::since`].
    pub fn logs_since(
        &self,
        sidecar: &str,
        seen: u64,
        limit: usize,
    ) -> Option<(Vec<String>, u64, u64)> {
        self.entry(sidecar).map(|e| e.log.since(seen, limit))
    }

    /// Names of the declared sidecars, in start order.
    pub fn names(&self) -> Vec<String> {
        self.entries().iter().map(|e| e.spec.name.clone()).collect()
    }
}

/// Starts a sidecar and waits for it to be ready: `Some` for a service (to be
/// supervised), `None` for a one-shot that finished.
async fn start_one(shared: &Shared, entry: &Entry) -> Result<Option<RunningSidecar>, StartError> {
    let spec = &entry.spec;
    entry.update(shared, |s| s.enter(SidecarState::Starting));
    let outcome = async {
        let mut sidecar = RunningSidecar::spawn(spec, entry.log.clone())?;
        let pid = sidecar.pid;
        entry.update(shared, |s| s.pid = Some(pid));
        match spec.kind {
            SidecarKind::OneShot => match timeout(spec.ready_timeout, sidecar.wait()).await {
                Ok(Some(0)) => {
                    sidecar.stop().await;
                    Ok(None)
                }
                Ok(code) => {
                    sidecar.stop().await;
                    Err(StartError::OneShotFailed { code })
                }
                Err(_) => {
                    sidecar.stop().await;
                    Err(StartError::NotReady {
                        timeout: spec.ready_timeout,
                    })
                }
            },
            SidecarKind::Service => match wait_ready(&mut sidecar, spec, &entry.log).await {
                Ok(()) => Ok(Some(sidecar)),
                Err(error) => {
                    sidecar.stop().await;
                    Err(error)
                }
            },
        }
    }
    .await;
    match &outcome {
        Ok(Some(_)) => entry.update(shared, |s| s.enter(SidecarState::Ready)),
        Ok(None) => entry.update(shared, |s| {
            s.enter(SidecarState::Stopped);
            s.pid = None;
            s.last_exit_code = Some(0);
        }),
        Err(error) => entry.update(shared, |s| {
            s.enter(SidecarState::Failed);
            s.pid = None;
            s.reason = Some(error.to_string());
            if let StartError::ExitedEarly { code } | StartError::OneShotFailed { code } = error {
                s.last_exit_code = *code;
            }
        }),
    }
    outcome
}

async fn wait_ready(
    sidecar: &mut RunningSidecar,
    spec: &SidecarSpec,
    log: &LogBuffer,
) -> Result<(), StartError> {
    let deadline = Instant::now() + spec.ready_timeout;
    loop {
        if let Some(code) = sidecar.exit_status() {
            sidecar.flush_output().await;
            return Err(StartError::ExitedEarly { code });
        }
        if spec.probe.check(log).await {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(StartError::NotReady {
                timeout: spec.ready_timeout,
            });
        }
        sleep(PROBE_INTERVAL).await;
    }
}

/// What a supervised sidecar is doing between events.
enum Phase {
    Running(Box<RunningSidecar>),
    /// Waiting before the next start.
    Backoff(Duration),
    /// Failed or finished; waiting for a manual restart or stop.
    Idle,
}

/// Watches one service sidecar for its whole life: restarts it when it exits
/// unexpectedly (with backoff, within its budget), restarts it on request,
/// and stops it when told to.
async fn supervise(
    shared: Arc<Shared>,
    entry: Arc<Entry>,
    first: RunningSidecar,
    mut control: mpsc::UnboundedReceiver<Control>,
) {
    let mut budget = RestartBudget::new(entry.spec.restart);
    let mut phase = Phase::Running(Box::new(first));
    loop {
        phase = match phase {
            Phase::Running(mut sidecar) => {
                tokio::select! {
                    code = sidecar.wait() => {
                        sidecar.stop().await; // Whatever it left in its group goes too.
                        entry.update(&shared, |s| { s.pid = None; s.last_exit_code = code; });
                        if shared.stopping.load(Ordering::Acquire) {
                            Phase::Idle
                        } else if !entry.spec.restart.wants_restart(code) {
                            match code {
                                Some(0) => entry.update(&shared, |s| s.enter(SidecarState::Stopped)),
                                _ => entry.fail(&shared, describe_exit(code)),
                            }
                            Phase::Idle
                        } else {
                            next_attempt(&shared, &entry, &mut budget, describe_exit(code))
                        }
                    }
                    message = control.recv() => match message {
                        Some(Control::Restart) => {
                            sidecar.stop().await;
                            budget.reset();
                            Phase::Backoff(Duration::ZERO)
                        }
                        Some(Control::Stop(ack)) => {
                            sidecar.stop().await;
                            stopped(&shared, &entry);
                            let _ = ack.send(());
                            return;
                        }
                        None => {
                            sidecar.stop().await;
                            stopped(&shared, &entry);
                            return;
                        }
                    }
                }
            }
            Phase::Backoff(delay) => {
                entry.update(&shared, |s| {
                    s.enter(SidecarState::Restarting);
                    s.restarts += 1;
                });
                let attempt = async {
                    sleep(delay).await;
                    start_one(&shared, &entry).await
                };
                tokio::select! {
                    outcome = attempt => match outcome {
                        Ok(Some(sidecar)) => Phase::Running(Box::new(sidecar)),
                        Ok(None) => Phase::Idle,
                        Err(error) => next_attempt(&shared, &entry, &mut budget, error.to_string()),
                    },
                    message = control.recv() => match message {
                        Some(Control::Restart) => { budget.reset(); Phase::Backoff(Duration::ZERO) }
                        Some(Control::Stop(ack)) => { stopped(&shared, &entry); let _ = ack.send(()); return; }
                        None => { stopped(&shared, &entry); return; }
                    }
                }
            }
            Phase::Idle => match control.recv().await {
                Some(Control::Restart) => {
                    budget.reset();
                    Phase::Backoff(Duration::ZERO)
                }
                Some(Control::Stop(ack)) => {
                    stopped(&shared, &entry);
                    let _ = ack.send(());
                    return;
                }
                None => return,
            },
        };
    }
}

/// After a crash: wait and start again, or give up when the budget is spent.
fn next_attempt(shared: &Shared, entry: &Entry, budget: &mut RestartBudget, why: String) -> Phase {
    match budget.next_delay(std::time::Instant::now()) {
        Some(delay) => Phase::Backoff(delay),
        None => {
            let policy = entry.spec.restart;
            entry.fail(
                shared,
                format!(
                    "{why}; gave up after {} restarts within {} s",
                    policy.max_restarts,
                    policy.window.as_secs()
                ),
            );
            Phase::Idle
        }
    }
}

fn stopped(shared: &Shared, entry: &Entry) {
    entry.update(shared, |s| {
        if s.state != SidecarState::Failed {
            s.enter(SidecarState::Stopped);
        }
        s.pid = None;
    });
}

fn describe_exit(code: Option<i32>) -> String {
    match code {
        Some(code) => format!("exited with code {code}"),
        None => "killed by a signal".to_owned(),
    }
}
