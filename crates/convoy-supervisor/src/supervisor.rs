use std::{
    collections::HashMap,
    sync::{Mutex as StdMutex, PoisonError},
    time::Duration,
};

use tokio::{
    sync::Mutex,
    time::{sleep, timeout, Instant},
};

use crate::{
    error::{StartError, StartFailure},
    log::LogBuffer,
    probe::ReadinessProbe,
    process::RunningSidecar,
    spec::{SidecarKind, SidecarSpec},
};

const LOG_LINES_KEPT: usize = 1000;
const LAST_LINES_SHOWN: usize = 30;
const PROBE_INTERVAL: Duration = Duration::from_millis(20);

/// A step of start-up, reported as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartStep {
    Starting { sidecar: String },
    Ready { sidecar: String, elapsed: Duration },
}

/// Owns every sidecar process: nothing else in the app spawns one.
pub struct Supervisor {
    running: Mutex<Vec<RunningSidecar>>,
    logs: StdMutex<HashMap<String, LogBuffer>>,
    secrets: Vec<String>,
}

impl Supervisor {
    /// `secrets` are redacted from every line any sidecar prints.
    pub fn new(secrets: Vec<String>) -> Self {
        Self {
            running: Mutex::new(Vec::new()),
            logs: StdMutex::new(HashMap::new()),
            secrets,
        }
    }

    /// Starts `specs` in order, each gated by its readiness. On failure the
    /// sidecars already started are stopped again.
    pub async fn start_all(
        &self,
        specs: &[SidecarSpec],
        mut on_step: impl FnMut(StartStep),
    ) -> Result<(), StartFailure> {
        for spec in specs {
            on_step(StartStep::Starting {
                sidecar: spec.name.clone(),
            });
            let started = Instant::now();
            if let Err(failure) = self.start_one(spec).await {
                self.stop_all().await;
                return Err(failure);
            }
            on_step(StartStep::Ready {
                sidecar: spec.name.clone(),
                elapsed: started.elapsed(),
            });
        }
        Ok(())
    }

    async fn start_one(&self, spec: &SidecarSpec) -> Result<(), StartFailure> {
        let log = LogBuffer::new(LOG_LINES_KEPT, self.secrets.clone());
        self.logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(spec.name.clone(), log.clone());
        let fail = |error: StartError, log: &LogBuffer| StartFailure {
            sidecar: spec.name.clone(),
            error,
            last_lines: log.tail(LAST_LINES_SHOWN),
        };

        let mut sidecar = RunningSidecar::spawn(spec, log.clone()).map_err(|e| fail(e, &log))?;
        let outcome = match spec.kind {
            SidecarKind::OneShot => match timeout(spec.ready_timeout, sidecar.wait()).await {
                Ok(Some(0)) => Ok(()),
                Ok(code) => Err(StartError::OneShotFailed { code }),
                Err(_) => Err(StartError::NotReady {
                    timeout: spec.ready_timeout,
                }),
            },
            SidecarKind::Service => wait_ready(&mut sidecar, &spec.probe, spec.ready_timeout).await,
        };
        if let Err(error) = outcome {
            sidecar.stop().await;
            return Err(fail(error, &log));
        }
        if spec.kind == SidecarKind::OneShot {
            sidecar.flush_output().await;
        } else {
            self.running.lock().await.push(sidecar);
        }
        Ok(())
    }

    /// Stops every running sidecar, the last started first.
    pub async fn stop_all(&self) {
        let mut running = self.running.lock().await;
        while let Some(mut sidecar) = running.pop() {
            sidecar.stop().await;
        }
    }

    /// The last `limit` lines a sidecar printed, if it has been started.
    pub fn logs(&self, sidecar: &str, limit: usize) -> Option<Vec<String>> {
        let logs = self.logs.lock().unwrap_or_else(PoisonError::into_inner);
        logs.get(sidecar).map(|log| log.tail(limit))
    }

    /// Process ids of the running service sidecars, in start order.
    pub async fn pids(&self) -> Vec<(String, u32)> {
        let running = self.running.lock().await;
        running.iter().map(|s| (s.name.clone(), s.pid)).collect()
    }
}

async fn wait_ready(
    sidecar: &mut RunningSidecar,
    probe: &ReadinessProbe,
    limit: Duration,
) -> Result<(), StartError> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(code) = sidecar.exit_status() {
            sidecar.flush_output().await;
            return Err(StartError::ExitedEarly { code });
        }
        if probe.check().await {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(StartError::NotReady { timeout: limit });
        }
        sleep(PROBE_INTERVAL).await;
    }
}
