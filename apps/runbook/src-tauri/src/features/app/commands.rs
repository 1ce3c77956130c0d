use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_convoy_supervisor::rendering::RenderingChoice;

use super::types::{AppInfo, StartupReport};

#[tauri::command]
#[specta::specta]
pub fn app_info<R: Runtime>(app: AppHandle<R>) -> AppInfo {
    let package = app.package_info();
    AppInfo {
        name: package.name.clone(),
        version: package.version.to_string(),
        tauri_version: tauri::VERSION.to_owned(),
        os: std::env::consts::OS.to_owned(),
        arch: std::env::consts::ARCH.to_owned(),
        debug: cfg!(debug_assertions),
        rendering: app.try_state::<RenderingChoice>().map(|choice| *choice),
    }
}

/// Quits the app; the sidecars are stopped on the way out.
#[tauri::command]
#[specta::specta]
pub fn quit<R: Runtime>(app: AppHandle<R>) {
    app.exit(0);
}

/// The main window shows data from the api: records start-up time once (for
/// `bench/startup.sh`) and returns it; calling again changes nothing.
#[tauri::command]
#[specta::specta]
pub fn startup_report() -> StartupReport {
    super::startup::report()
}
