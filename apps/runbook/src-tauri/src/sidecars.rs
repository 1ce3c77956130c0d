//! Runbook's sidecars, declared as data for the supervisor.

use std::{path::PathBuf, time::Duration};

use convoy_supervisor::{ReadinessProbe, SidecarSpec};

/// Path to a compiled sidecar executable; overrides the default lookup.
pub const SIDECAR_ENV: &str = "CONVOY_SIDECAR";
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
}

/// migrate (one-shot, must exit 0) → api (ready when `/health` answers).
pub fn runbook_sidecars(program: &SidecarProgram, config: &LaunchConfig) -> Vec<SidecarSpec> {
    let data_dir = config.data_dir.display().to_string();
    let api_timeout = std::env::var(READY_TIMEOUT_ENV)
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(20));
    vec![
        program
            .role("migrate")
            .one_shot()
            .env("CONVOY_DATA_DIR", &data_dir)
            .ready_timeout(Duration::from_secs(60)),
        program
            .role("api")
            .env("CONVOY_DATA_DIR", &data_dir)
            .env("CONVOY_API_PORT", config.api_port.to_string())
            .env("CONVOY_API_TOKEN", &config.api_token)
            .probe(ReadinessProbe::HttpGet {
                port: config.api_port,
                path: "/health".into(),
            })
            .ready_timeout(api_timeout),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_travels_in_the_environment_never_in_argv() {
        let program = SidecarProgram::compiled(PathBuf::from("/opt/runbook-sidecar"));
        let config = LaunchConfig {
            data_dir: PathBuf::from("/tmp/data"),
            api_port: 4321,
            api_token: "t".repeat(64),
        };
        let specs = runbook_sidecars(&program, &config);
        let names: Vec<_> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["migrate", "api"]);
        let api = &specs[1];
        assert_eq!(api.args, ["api"]);
        assert!(api.args.iter().all(|arg| !arg.contains(&config.api_token)));
        assert!(api
            .env
            .contains(&("CONVOY_API_TOKEN".to_owned(), config.api_token.clone())));
        assert!(!specs[0]
            .env
            .iter()
            .any(|(key, _)| key == "CONVOY_API_TOKEN"));
    }
}
