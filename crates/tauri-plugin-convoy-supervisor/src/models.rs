//! What the UI sees of the sidecars: the core's types, made serializable.
//! No `u64` crosses the boundary: times are whole seconds and counts saturate at `u32::MAX`.

use serde::Serialize;
use specta::Type;
use tauri_specta::Event;

/// Where a sidecar is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum SidecarState {
    Pending,
    Starting,
    Ready,
    Restarting,
    Failed,
    Stopped,
}

impl From<convoy_supervisor::SidecarState> for SidecarState {
    fn from(state: convoy_supervisor::SidecarState) -> Self {
        use convoy_supervisor::SidecarState as S;
        match state {
            S::Pending => Self::Pending,
            S::Starting => Self::Starting,
            S::Ready => Self::Ready,
            S::Restarting => Self::Restarting,
            S::Failed => Self::Failed,
            S::Stopped => Self::Stopped,
        }
    }
}

/// One sidecar's status; sent whole as `sidecar:status` on every change.
#[derive(Debug, Clone, PartialEq, Serialize, Type, Event)]
#[serde(rename_all = "camelCase")]
#[tauri_specta(event_name = "sidecar:status")]
pub struct SidecarStatus {
    pub name: String,
    pub state: SidecarState,
    pub pid: Option<u32>,
    pub port: Option<u16>,
    /// A one-shot step (such as migrations) runs once at start-up and cannot be restarted.
    pub one_shot: bool,
    /// Restarts since the app started, manual ones included.
    pub restarts: u32,
    pub last_exit_code: Option<i32>,
    /// Why it failed, when `state` is `failed`.
    pub reason: Option<String>,
    /// When `state` last changed, in seconds since the Unix epoch.
    pub since: u32,
}

impl From<&convoy_supervisor::SidecarStatus> for SidecarStatus {
    fn from(status: &convoy_supervisor::SidecarStatus) -> Self {
        Self {
            name: status.name.clone(),
            state: status.state.into(),
            pid: status.pid,
            port: status.port,
            one_shot: status.one_shot,
            restarts: status.restarts,
            last_exit_code: status.last_exit_code,
            reason: status.reason.clone(),
            since: u32::try_from(status.since_ms / 1000).unwrap_or(u32::MAX),
        }
    }
}

/// A sidecar's recent output.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SidecarLogs {
    pub lines: Vec<String>,
    /// Lines the sidecar has printed in all; the last of `lines` is number `total`.
    pub total: u32,
}

/// New output from one sidecar, batched; sent as `sidecar:log`.
#[derive(Debug, Clone, PartialEq, Serialize, Type, Event)]
#[serde(rename_all = "camelCase")]
#[tauri_specta(event_name = "sidecar:log")]
pub struct SidecarLogBatch {
    pub sidecar: String,
    pub lines: Vec<String>,
    /// Lines printed since the previous batch that are not in this one (too many to send).
    pub skipped: u32,
    /// Lines the sidecar has printed in all; the last of `lines` is number `total`.
    pub total: u32,
}

/// A count for the UI, saturating rather than wrapping.
pub(crate) fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// How a window reaches an exposed sidecar: its loopback base URL and this
/// launch's bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub base_url: String,
    pub token: String,
}
