//! A Valkey (or Redis) server as a sidecar, locked down: no TCP listener, a
//! socket only this user can open, a per-launch password, persistence in the
//! app's data directory, and the dangerous commands renamed away. The config
//! is a 0600 file, so the password is never in argv. This is the `valkey`
//! preset of the sidecar configuration (`"preset": "valkey"`).

use std::{
    io,
    path::{Path, PathBuf},
    time::Duration,
};

use crate::{probe::ReadinessProbe, spec::SidecarSpec};

/// Commands no app process needs and an intruder would want.
pub const RENAMED_AWAY: &[&str] = &[
    "CONFIG",
    "DEBUG",
    "MODULE",
    "SHUTDOWN",
    "REPLICAOF",
    "SLAVEOF",
    "SYNC",
    "PSYNC",
    "MIGRATE",
    "FLUSHALL",
    "FLUSHDB",
    "ACL",
    "BGREWRITEAOF",
    "BGSAVE",
    "SAVE",
    "MONITOR",
    "CLUSTER",
    "FAILOVER",
];

/// Where one launch's Valkey listens and keeps its data.
#[derive(Debug, Clone)]
pub struct ValkeyConfig {
    /// Its Unix socket, in the app's private runtime directory.
    pub socket: PathBuf,
    /// Its config file, beside the socket.
    pub config_file: PathBuf,
    /// Where its append-only file lives (in the app's data directory).
    pub data_dir: PathBuf,
    pub password: String,
}

impl ValkeyConfig {
    /// The socket and config in `runtime_dir`, the data in `data_dir`.
    pub fn new(runtime_dir: &Path, data_dir: PathBuf, password: String) -> Self {
        Self {
            socket: runtime_dir.join("valkey.sock"),
            config_file: runtime_dir.join("valkey.conf"),
            data_dir,
            password,
        }
    }

    pub fn text(&self) -> String {
        let mut text = format!(
            "port 0\n\
             unixsocket {socket}\n\
             unixsocketperm 600\n\
             requirepass {password}\n\
             dir {data}\n\
             appendonly yes\n\
             appendfsync everysec\n\
             save \"\"\n\
             daemonize no\n\
             logfile \"\"\n\
             protected-mode yes\n",
            socket = self.socket.display(),
            password = self.password,
            data = self.data_dir.display(),
        );
        for command in RENAMED_AWAY {
            text.push_str(&format!("rename-command {command} \"\"\n"));
        }
        text
    }

    /// Writes the config file (0600) and creates the data directory.
    pub fn write(&self) -> io::Result<()> {
        std::fs::create_dir_all(&self.data_dir)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&self.config_file)?;
        io::Write::write_all(&mut file, self.text().as_bytes())
    }

    /// The sidecar: `server <config file>`, ready when it answers `AUTH` and
    /// `PING`, with time to write its append-only file when stopped.
    pub fn spec(&self, name: &str, server: &Path) -> SidecarSpec {
        SidecarSpec::new(name, server)
            .args([self.config_file.display().to_string()])
            .probe(ReadinessProbe::RedisPing {
                socket: self.socket.clone(),
                password: self.password.clone(),
            })
            .grace(Duration::from_secs(5))
            .ready_timeout(Duration::from_secs(10))
    }
}

/// `valkey-server` if installed, else `redis-server` (Debian's package speaks
/// the same protocol), found on `PATH`; `None` if neither is.
pub fn find_server() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["valkey-server", "redis-server"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ValkeyConfig {
        ValkeyConfig::new(
            Path::new("/run/user/1000/app-x"),
            PathBuf::from("/data/valkey"),
            "p".repeat(64),
        )
    }

    #[test]
    fn listens_on_a_private_socket_only() {
        let text = config().text();
        assert!(text.contains("port 0\n"));
        assert!(text.contains("unixsocket /run/user/1000/app-x/valkey.sock\n"));
        assert!(text.contains("unixsocketperm 600\n"));
        assert!(text.contains(&format!("requirepass {}\n", "p".repeat(64))));
        assert!(text.contains("dir /data/valkey\n"));
        assert!(text.contains("appendonly yes\n"));
        assert!(text.contains("rename-command CONFIG \"\"\n"));
        assert!(!text.contains("bind "));
    }

    #[test]
    fn the_password_is_in_the_file_not_argv() {
        let spec = config().spec("valkey", Path::new("/usr/bin/redis-server"));
        assert_eq!(spec.args, ["/run/user/1000/app-x/valkey.conf"]);
        assert!(spec.env.iter().all(|(_, v)| !v.contains(&"p".repeat(64))));
    }

    #[cfg(unix)]
    #[test]
    fn the_config_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("convoy-valkey-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let config = ValkeyConfig::new(&dir, dir.join("data"), "p".repeat(64));
        config.write().expect("written");
        let mode = std::fs::metadata(&config.config_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(config.data_dir.is_dir());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
