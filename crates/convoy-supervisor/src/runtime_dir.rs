//! The launch's private runtime directory: sockets, the Valkey config and
//! other per-launch files live here.

use std::path::{Path, PathBuf};

/// A new directory only this user can enter, under `$XDG_RUNTIME_DIR` when
/// there is one (itself private, and cleared at logout), else the temp dir:
/// `<prefix>-<random>`. The name must not exist yet, so nobody can plant it
/// first.
pub fn create_runtime_dir(prefix: &str) -> std::io::Result<PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let token = crate::random_token()?;
    let dir = base.join(format!("{prefix}-{}", &token[..12]));
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
        let dir = super::create_runtime_dir("convoy-test").expect("created");
        let mode = std::fs::metadata(&dir).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(
            super::create_private_dir(&dir).is_err(),
            "an existing directory is never reused"
        );
        std::fs::remove_dir(&dir).expect("removed");
    }
}
