use tauri::{AppHandle, Runtime};

use super::types::WindowRoute;
use crate::{
    error::{CommandError, CommandResult},
    windows,
};

/// Opens the window for `route`, or focuses it if it is open.
#[tauri::command]
#[specta::specta]
pub fn open_window<R: Runtime>(app: AppHandle<R>, route: WindowRoute) -> CommandResult<()> {
    windows::open(&app, route).map_err(|err| CommandError::WindowFailed {
        reason: err.to_string(),
    })
}
