//! For an app whose Rust is only this plugin: the usual directories, a
//! private runtime directory, and a launch nobody else has to start.

use std::path::PathBuf;

use tauri::{AppHandle, Manager, Runtime};

use crate::{Config, SupervisorExt};

/// Set to a directory to keep every file the app writes under it
/// (`data/`, `logs/`): the tests use it so they never touch a user's data.
pub const DATA_DIR_ENV: &str = "CONVOY_DATA_DIR";

impl Config {
    /// The app's data and log directories (under `$CONVOY_DATA_DIR` when it
    /// is set), the launch ledger in the data directory, a new private
    /// runtime directory removed at exit, signals handled, and the graph
    /// launched as soon as the plugin is set up.
    pub fn standalone<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Self> {
        let (data_dir, log_dir) = match std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
            Some(root) => {
                let root = PathBuf::from(root);
                (root.join("data"), root.join("logs"))
            }
            None => (app.path().app_data_dir()?, app.path().app_log_dir()?),
        };
        std::fs::create_dir_all(&data_dir)?;
        std::fs::create_dir_all(&log_dir)?;
        let prefix = app
            .config()
            .identifier
            .rsplit('.')
            .next()
            .unwrap_or("convoy");
        Ok(Self {
            runtime_dir: convoy_supervisor::create_runtime_dir(prefix)?,
            ledger: Some(data_dir.join("launches")),
            log_dir: Some(log_dir),
            data_dir,
            handle_signals: true,
            launch_on_start: true,
            remove_runtime_dir: true,
            ..Self::default()
        })
    }
}

/// Starts the graph on a runtime worker (not a blocking thread: Linux ties a
/// sidecar's life to the thread that spawned it).
pub(crate) fn launch<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        if let Err(error) = app.sidecars().launch(|_| {}).await {
            let sidecar = error.sidecar().unwrap_or("the sidecars");
            eprintln!("convoy: {sidecar} did not start: {}", error.reason());
            for line in error.last_lines() {
                eprintln!("convoy:   {line}");
            }
        }
    });
}
