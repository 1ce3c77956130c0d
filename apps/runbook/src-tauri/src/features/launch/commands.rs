use tauri::{AppHandle, Runtime, State};

use super::{service, service::Launcher, types::LaunchState};
use crate::error::CommandResult;

/// Where start-up is now; a window that opens late reads this once, then
/// follows `launch:progress`.
#[tauri::command]
#[specta::specta]
pub fn launch_state(launcher: State<'_, Launcher>) -> LaunchState {
    launcher.state()
}

/// Starts again after a failure.
#[tauri::command]
#[specta::specta]
pub fn retry_launch<R: Runtime>(app: AppHandle<R>) -> CommandResult<()> {
    service::start(&app)
}
