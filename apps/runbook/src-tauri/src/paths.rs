use std::path::{Path, PathBuf};

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
        let runtime_dir = create_runtime_dir()?;
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

/// A new directory only this user can enter, under `$XDG_RUNTIME_DIR` when
/// there is one (itself private, and cleared at logout), else the temp dir.
/// Its name is random and it must not exist yet, so nobody can plant it first.
fn create_runtime_dir() -> std::io::Result<PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let token = convoy_supervisor::random_token()?;
    let dir = base.join(format!("runbook-{}", &token[..12]));
    create_private_dir(&dir)?;
    Ok(dir)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_runtime_dir_is_private_and_new() {
        let dir = super::create_runtime_dir().expect("created");
        let mode = std::fs::metadata(&dir).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(
            super::create_private_dir(&dir).is_err(),
            "an existing directory is never reused"
        );
        std::fs::remove_dir(&dir).expect("removed");
    }
}
