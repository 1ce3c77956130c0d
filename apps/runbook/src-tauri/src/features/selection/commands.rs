use tauri::{AppHandle, Runtime, State};
use tauri_specta::Event;

use super::types::{Selection, SelectionState};
use crate::error::CommandResult;

/// What is selected now.
#[tauri::command]
#[specta::specta]
pub fn selection(state: State<'_, SelectionState>) -> Selection {
    state.get()
}

/// Selects a job (or none) for every window; each hears `selection:changed`.
#[tauri::command]
#[specta::specta]
pub fn select_job<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, SelectionState>,
    job_id: Option<String>,
) -> CommandResult<Selection> {
    let selection = Selection::of_job(job_id)?;
    if state.set(selection.clone()) {
        // A window that misses the event still reads the selection when it loads.
        let _ = selection.clone().emit(&app);
    }
    Ok(selection)
}
