use tauri::{ipc::Channel, AppHandle, Runtime};

use super::{
    service,
    types::{BuildInfo, DownloadProgress, JobsPolicy, StagedUpdate, UpdateCheck, UpdateError},
};

/// The shell's version and build (the SHA-256 of its running executable).
#[tauri::command]
#[specta::specta]
pub fn shell_build<R: Runtime>(app: AppHandle<R>) -> BuildInfo {
    service::shell_build(&app)
}

/// Asks the update endpoint for a newer release.
#[tauri::command]
#[specta::specta]
pub async fn check_update<R: Runtime>(app: AppHandle<R>) -> Result<UpdateCheck, UpdateError> {
    service::check(&app).await
}

/// Downloads the checked release with progress on `on_progress`; verified and staged, or refused.
#[tauri::command]
#[specta::specta]
pub async fn download_update<R: Runtime>(
    app: AppHandle<R>,
    on_progress: Channel<DownloadProgress>,
) -> Result<StagedUpdate, UpdateError> {
    service::download(&app, &on_progress).await
}

/// Stops jobs (per `jobs`) and sidecars, installs the staged release, relaunches.
#[tauri::command]
#[specta::specta]
pub async fn install_update<R: Runtime>(
    app: AppHandle<R>,
    jobs: JobsPolicy,
) -> Result<(), UpdateError> {
    service::install(&app, jobs).await
}
