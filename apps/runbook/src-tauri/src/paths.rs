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
}

impl AppPaths {
    pub fn resolve<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Self> {
        let paths = match std::env::var_os(DATA_DIR_ENV).filter(|dir| !dir.is_empty()) {
            Some(root) => {
                let root = PathBuf::from(root);
                Self {
                    data_dir: root.join("data"),
                    log_dir: root.join("logs"),
                }
            }
            None => Self {
                data_dir: app.path().app_data_dir()?,
                log_dir: app.path().app_log_dir()?,
            },
        };
        std::fs::create_dir_all(&paths.data_dir)?;
        std::fs::create_dir_all(&paths.log_dir)?;
        Ok(paths)
    }
}
