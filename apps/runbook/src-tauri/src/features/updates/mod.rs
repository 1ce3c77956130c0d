//! Signed updates: check the endpoint, download and verify the package, then
//! install it through the supervisor (jobs and sidecars stopped first) and
//! relaunch, so every process runs the new build.

pub mod build;
pub mod commands;
pub mod endpoint;
pub mod jobs;
#[cfg(target_os = "linux")]
pub mod linux;
pub mod package;
pub mod service;
pub mod types;

use tauri::{AppHandle, Manager, Runtime};

/// Puts the update state in the app and reports the shell's build (a
/// `convoy:build` line) off the main thread: hashing the executable takes a
/// few tens of milliseconds.
pub fn setup<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let staging_dir = app.path().app_cache_dir()?.join("updates");
    app.manage(service::Updates::new(staging_dir));
    let shell = service::shell_build(app);
    std::thread::spawn(move || {
        build::write_report(&[build::report_line("shell", &shell.version, &shell.build)]);
    });
    Ok(())
}
