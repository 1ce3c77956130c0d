//! One-line adapters over the supervisor.

use tauri::State;

use crate::{
    error::{EndpointError, Error, Result},
    models::{count, Endpoint, SidecarLogs, SidecarStatus},
    Sidecars,
};

/// Most lines `logs` returns at once.
pub const MAX_LOG_LINES: u32 = 2000;

/// Every declared sidecar's status, in start order.
#[tauri::command]
#[specta::specta]
pub fn list(sidecars: State<'_, Sidecars>) -> Vec<SidecarStatus> {
    sidecars.statuses()
}

/// Stops a sidecar and starts it again, with a fresh restart budget.
#[tauri::command]
#[specta::specta]
pub fn restart(sidecars: State<'_, Sidecars>, name: String) -> Result<()> {
    Ok(sidecars.supervisor().restart(&name)?)
}

/// The last `limit` lines a sidecar printed (secrets redacted).
#[tauri::command]
#[specta::specta]
pub fn logs(sidecars: State<'_, Sidecars>, name: String, limit: u32) -> Result<SidecarLogs> {
    if limit == 0 || limit > MAX_LOG_LINES {
        return Err(Error::InvalidArgument {
            field: "limit".into(),
            reason: format!("must be between 1 and {MAX_LOG_LINES}"),
        });
    }
    let supervisor = sidecars.supervisor();
    let (lines, _, total) = supervisor
        .logs_since(&name, 0, limit as usize)
        .ok_or(Error::UnknownSidecar { name })?;
    Ok(SidecarLogs {
        lines,
        total: count(total),
    })
}

/// An exposed sidecar's base URL and token (`expose` in its configuration),
/// once it is ready. Grant `allow-endpoint` only to windows that talk to it.
#[tauri::command]
#[specta::specta]
pub fn endpoint(
    sidecars: State<'_, Sidecars>,
    name: String,
) -> std::result::Result<Endpoint, EndpointError> {
    sidecars.endpoint(&name)
}
