use tauri::State;

use crate::{
    error::{CommandError, CommandResult},
    features::launch::service::Launcher,
};

const MAX_LOG_LINES: u32 = 1000;

/// The last `limit` lines a sidecar printed (secrets redacted).
#[tauri::command]
#[specta::specta]
pub fn sidecar_logs(
    launcher: State<'_, Launcher>,
    name: String,
    limit: u32,
) -> CommandResult<Vec<String>> {
    if limit == 0 || limit > MAX_LOG_LINES {
        return Err(CommandError::InvalidArgument {
            field: "limit".into(),
            reason: format!("must be between 1 and {MAX_LOG_LINES}"),
        });
    }
    launcher
        .supervisor
        .logs(&name, limit as usize)
        .ok_or(CommandError::UnknownSidecar { name })
}
