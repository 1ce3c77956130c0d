use std::path::PathBuf;

use tauri::{AppHandle, Manager, Runtime};

/// Set to a directory to keep every file the app writes (data, logs) under it.
/// Tests use it so they never touch a user's real data.
pub const DATA_DIR_ENV: &str = "CONVOY_DATA_DIR";

/// Where the app keeps its files.
#[derive(Debug, Clone)]
pub struct AppPaths {
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    /// This launch's private directory (0700) for sockets and the Valkey
    /// config; removed when the app exits.
    pub runtime_dir: PathBuf,
}

impl AppPaths {
    pub fn resolve<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Self> {
        let (data_dir, log_dir) = match std::env::var_os(DATA_DIR_ENV).filter(|dir| !dir.is_empty())
        {
            Some(root) => {
                let root = PathBuf::from(root);
                (root.join("data"), root.join("logs"))
            }
            None => (app.path().app_data_dir()?, app.path().app_log_dir()?),
        };
        std::fs::create_dir_all(&data_dir)?;
        std::fs::create_dir_all(&log_dir)?;
        let runtime_dir = convoy_supervisor::create_runtime_dir("runbook")?;
        Ok(Self {
            data_dir,
            log_dir,
            runtime_dir,
        })
    }

    /// The file of launches the supervisor uses to clean up after a crash.
    pub fn ledger(&self) -> PathBuf {
        self.data_dir.join("launches")
    }

    /// The back-channel's socket, in the private runtime directory.
    pub fn backchannel_socket(&self) -> PathBuf {
        self.runtime_dir.join("backchannel.sock")
    }

    pub fn remove_runtime_dir(&self) {
        let _ = std::fs::remove_dir_all(&self.runtime_dir);
    }
}
