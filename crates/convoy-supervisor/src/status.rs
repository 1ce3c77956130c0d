use std::time::{SystemTime, UNIX_EPOCH};

/// Where a sidecar is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SidecarState {
    /// Declared, not started yet.
    Pending,
    Starting,
    Ready,
    /// Exited unexpectedly; waiting out its backoff before starting again.
    Restarting,
    /// Gave up: it would not start, or crashed more often than its budget allows.
    Failed,
    /// Stopped on purpose, or a one-shot that finished.
    Stopped,
}

/// A sidecar's state and the facts the UI shows with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidecarStatus {
    pub name: String,
    pub state: SidecarState,
    pub pid: Option<u32>,
    pub port: Option<u16>,
    /// A one-shot step runs once at start-up and cannot be restarted.
    pub one_shot: bool,
    /// Restarts since the app started (manual ones included).
    pub restarts: u32,
    pub last_exit_code: Option<i32>,
    /// Why it failed, when `state` is `Failed`.
    pub reason: Option<String>,
    /// When `state` last changed, in milliseconds since the Unix epoch.
    pub since_ms: u64,
}

impl SidecarStatus {
    pub fn pending(name: &str, port: Option<u16>, one_shot: bool) -> Self {
        Self {
            name: name.to_owned(),
            state: SidecarState::Pending,
            pid: None,
            port,
            one_shot,
            restarts: 0,
            last_exit_code: None,
            reason: None,
            since_ms: now_ms(),
        }
    }

    pub(crate) fn enter(&mut self, state: SidecarState) {
        self.state = state;
        self.since_ms = now_ms();
        if state != SidecarState::Failed {
            self.reason = None;
        }
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}
