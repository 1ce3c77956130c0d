//! Runbook's sidecars, declared as data for the supervisor.

use std::{path::PathBuf, time::Duration};

use convoy_supervisor::{
    valkey::{self, ValkeyConfig},
    ReadinessProbe, SidecarSpec,
};

/// Path to a compiled sidecar executable; overrides the default lookup.
pub const SIDECAR_ENV: &str = "CONVOY_SIDECAR";
/// A fixed port for the api (for poking at it with curl); a free one otherwise.
pub const API_PORT_ENV: &str = "CONVOY_API_PORT";
/// How long the api may take to answer `/health`, in milliseconds.
pub const READY_TIMEOUT_ENV: &str = "CONVOY_READY_TIMEOUT_MS";

/// How to run the sidecar executable: a compiled file, or the TypeScript
/// entry point under Bun in development.
#[derive(Debug, Clone)]
pub struct SidecarProgram {
    pub program: PathBuf,
    pub leading_args: Vec<String>,
}

impl SidecarProgram {
    pub fn locate() -> Self {
        if let Some(path) = std::env::var_os(SIDECAR_ENV).filter(|p| !p.is_empty()) {
            return Self::compiled(PathBuf::from(path));
        }
        if cfg!(debug_assertions) {
            return Self::development();
        }
        // Tauri installs `externalBin` entries beside the shell, without the target triple.
        let beside_shell = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join("runbook-sidecar")))
            .unwrap_or_else(|| PathBuf::from("runbook-sidecar"));
        Self::compiled(beside_shell)
    }

    fn compiled(program: PathBuf) -> Self {
        Self {
            program,
            leading_args: Vec::new(),
        }
    }

    fn development() -> Self {
        let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
        let bun = std::env::var_os("CONVOY_BUN")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("node_modules/.bin/bun"));
        let entry = workspace.join("apps/runbook/sidecar/src/main.ts");
        Self {
            program: bun,
            leading_args: vec![entry.display().to_string()],
        }
    }

    fn role(&self, name: &str) -> SidecarSpec {
        SidecarSpec::new(name, &self.program)
            .args(self.leading_args.iter().cloned())
            .args([name])
            .env("CONVOY_STDIN_WATCHDOG", "1")
    }
}

/// What the sidecars need to know about this launch.
pub struct LaunchConfig {
    pub data_dir: PathBuf,
    pub api_port: u16,
    pub api_token: String,
    /// The Valkey (or Redis) server to run.
    pub valkey_server: PathBuf,
    pub valkey: ValkeyConfig,
    pub backchannel_socket: PathBuf,
    pub backchannel_token: String,
}

/// Path to the Valkey (or Redis) server; overrides the lookup on `PATH`.
pub const VALKEY_ENV: &str = "CONVOY_VALKEY";

/// `CONVOY_VALKEY`, else `valkey-server` or `redis-server` on `PATH`. A
/// missing server shows as a clear spawn failure naming `valkey-server`.
pub fn locate_valkey() -> PathBuf {
    std::env::var_os(VALKEY_ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(valkey::find_server)
        .unwrap_or_else(|| PathBuf::from("valkey-server"))
}

/// valkey (PING) → migrate (one-shot, must exit 0) → api (`GET /health`) →
/// worker (its ready line, printed once it has reached Valkey). `migrate`
/// needs only SQLite, so it depends on nothing; the api depends on both
/// valkey and `migrate`, so it never starts before `migrate` exited 0.
pub fn runbook_sidecars(program: &SidecarProgram, config: &LaunchConfig) -> Vec<SidecarSpec> {
    let data_dir = config.data_dir.display().to_string();
    let socket = config.valkey.socket.display().to_string();
    let api_timeout = std::env::var(READY_TIMEOUT_ENV)
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(20));
    let with_valkey = |spec: SidecarSpec| {
        spec.env("CONVOY_DATA_DIR", &data_dir)
            .env("CONVOY_VALKEY_SOCKET", &socket)
            .env("CONVOY_VALKEY_PASSWORD", &config.valkey.password)
            .depends_on(["valkey"])
    };
    vec![
        config.valkey.spec("valkey", &config.valkey_server),
        program
            .role("migrate")
            .one_shot()
            .env("CONVOY_DATA_DIR", &data_dir)
            .ready_timeout(Duration::from_secs(60)),
        with_valkey(program.role("api"))
            .env("CONVOY_API_PORT", config.api_port.to_string())
            .env("CONVOY_API_TOKEN", &config.api_token)
            .env(
                "CONVOY_BACKCHANNEL_SOCKET",
                config.backchannel_socket.display().to_string(),
            )
            .env("CONVOY_BACKCHANNEL_TOKEN", &config.backchannel_token)
            .depends_on(["migrate"])
            .port(config.api_port)
            .probe(ReadinessProbe::HttpGet {
                port: config.api_port,
                path: "/health".into(),
            })
            .ready_timeout(api_timeout),
        with_valkey(program.role("worker"))
            .depends_on(["api"])
            .probe(ReadinessProbe::ReadyLine {
                prefix: "convoy:ready".into(),
            })
            .ready_timeout(api_timeout),
    ]
}

/// The api's port: `CONVOY_API_PORT` if set, else a free loopback port.
pub fn api_port() -> std::io::Result<u16> {
    match std::env::var(API_PORT_ENV) {
        Ok(port) if !port.is_empty() => port.parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{API_PORT_ENV}={port:?} is not a port number"),
            )
        }),
        _ => convoy_supervisor::free_loopback_port(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LaunchConfig {
        LaunchConfig {
            data_dir: PathBuf::from("/tmp/data"),
            api_port: 4321,
            api_token: "t".repeat(64),
            valkey_server: PathBuf::from("/usr/bin/redis-server"),
            valkey: ValkeyConfig::new(
                std::path::Path::new("/run/user/1000/runbook-x"),
                PathBuf::from("/tmp/data/valkey"),
                "p".repeat(64),
            ),
            backchannel_socket: PathBuf::from("/run/user/1000/runbook-x/backchannel.sock"),
            backchannel_token: "b".repeat(64),
        }
    }

    #[test]
    fn the_graph_is_valkey_migrate_api_worker() {
        let program = SidecarProgram::compiled(PathBuf::from("/opt/runbook-sidecar"));
        let specs = runbook_sidecars(&program, &config());
        let names: Vec<_> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["valkey", "migrate", "api", "worker"]);
        // `migrate` needs only SQLite: nothing holds it back.
        assert!(specs[1].depends_on.is_empty());
        assert_eq!(specs[2].depends_on, ["valkey", "migrate"]);
        assert_eq!(specs[3].depends_on, ["valkey", "api"]);
    }

    #[test]
    fn secrets_travel_in_the_environment_or_a_private_file_never_in_argv() {
        let program = SidecarProgram::compiled(PathBuf::from("/opt/runbook-sidecar"));
        let config = config();
        let specs = runbook_sidecars(&program, &config);
        for spec in &specs {
            for arg in &spec.args {
                assert!(!arg.contains(&config.api_token), "{}: {arg}", spec.name);
                assert!(
                    !arg.contains(&config.valkey.password),
                    "{}: {arg}",
                    spec.name
                );
            }
        }
        let api = &specs[2];
        assert_eq!(api.args, ["api"]);
        assert!(api
            .env
            .contains(&("CONVOY_API_TOKEN".to_owned(), config.api_token.clone())));
        let holds_token =
            |spec: &SidecarSpec| spec.env.iter().any(|(k, _)| k == "CONVOY_API_TOKEN");
        assert!(!holds_token(&specs[1]) && !holds_token(&specs[3]));
    }
}
