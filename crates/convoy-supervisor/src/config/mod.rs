//! The sidecar graph as configuration: what an app writes in the
//! `plugins."convoy-supervisor"` section of its `tauri.conf.json`.
//!
//! [`parse`] turns that JSON into a [`SupervisorConfig`] and checks everything
//! that can be checked without launching (names, dependencies, placeholders,
//! fixed ports); [`LaunchContext::plan`] then resolves one launch's values
//! (free ports, secrets, programs on disk) into [`SidecarSpec`](crate::SidecarSpec)s.
//! Every bad configuration is a [`ConfigError`] naming what is wrong, never a
//! panic. The JSON Schema the plugin ships is generated from these types.

mod error;
mod resolve;
mod template;

use std::{collections::BTreeMap, path::Path};

use schemars::JsonSchema;
use serde::{de, Deserialize, Deserializer};

pub use error::ConfigError;
pub use resolve::{LaunchContext, LaunchPlan, Secrets};
use template::{Placeholder, Template};

/// The `plugins."convoy-supervisor"` section of `tauri.conf.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "Convoy supervisor configuration")]
pub struct SupervisorConfig {
    /// The sidecars. Each starts once everything it depends on is ready;
    /// independent ones start side by side, and the declared order is kept
    /// where nothing else decides it. They stop in reverse.
    pub sidecars: Vec<SidecarConfig>,
    /// Programs that several sidecars run (one executable in several
    /// roles, say), by name: a sidecar's `program` may be one of these names.
    #[serde(default)]
    pub programs: BTreeMap<String, ProgramConfig>,
}

/// One sidecar.
///
/// Strings in `args`, `env`, `socket` and the readiness probe may hold
/// placeholders, filled in at each launch:
///
/// - `{port:<sidecar>}`: that sidecar's port.
///
/// - `{socket:<sidecar>}`: its Unix socket.
///
/// - `{secret:<name>}`: a 256-bit secret generated for this launch, the same
///   wherever the name recurs; allowed only in `env` and a probe's password,
///   so it never reaches argv, and redacted from every log line.
///
/// - `{runtimeDir}`: this launch's private 0700 directory.
///
/// - `{dataDir}`: the app's data directory.
///
/// `{{` and `}}` are literal braces; any other placeholder is an error.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SidecarConfig {
    /// Unique; shown in the UI and used by `dependsOn` and placeholders.
    pub name: String,
    /// Launch settings Convoy knows for a well-known server. Anything else
    /// declared here overrides or extends them.
    #[serde(default)]
    pub preset: Option<Preset>,
    /// What to run: a program, or the name of one in `programs`. Optional
    /// only with a preset that names one.
    #[serde(default)]
    pub program: Option<ProgramRef>,
    /// Arguments (after the preset's, if any). Never a secret.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment variables, the way secrets reach a sidecar.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Sidecars that must be ready before this one starts; stopped after it.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// How the supervisor knows it is ready (default `started`; a preset may set one).
    #[serde(default)]
    pub ready: Option<ReadyConfig>,
    /// When it is started again after it exits (one-shots never are).
    #[serde(default)]
    pub restart: Option<RestartConfig>,
    /// The loopback port it listens on: `{port:<name>}`, shown in its status.
    #[serde(default)]
    pub port: Option<PortConfig>,
    /// The Unix socket it listens on: `{socket:<name>}` (the `valkey` preset
    /// uses `{runtimeDir}/<name>.sock`).
    #[serde(default)]
    pub socket: Option<String>,
    /// Milliseconds between SIGTERM and SIGKILL when it is stopped (default 3000).
    #[serde(default)]
    pub grace_ms: Option<u64>,
    /// Milliseconds it may take to become ready (default 15000).
    #[serde(default)]
    pub ready_timeout_ms: Option<u64>,
    /// An environment variable that, when set, gives `readyTimeoutMs` instead.
    #[serde(default)]
    pub ready_timeout_override_env: Option<String>,
    /// Windows may ask for its base URL and token (the plugin's `endpoint`
    /// command, granted by a capability): for the HTTP server a UI talks to.
    #[serde(default)]
    pub expose: Option<ExposeConfig>,
}

/// What a window gets of an exposed sidecar: `http://127.0.0.1:<port>` and a token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExposeConfig {
    /// The name of the secret (`{secret:<name>}`) the sidecar checks as its
    /// bearer token; it must reach the sidecar through its `env`.
    pub token: String,
}

/// Launch settings for a well-known server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Preset {
    /// Valkey (or Redis), locked down: no TCP port, a 0600 socket
    /// `{runtimeDir}/<name>.sock`, the password `{secret:<name>-password}`
    /// (`requirepass`, in a 0600 config file, never argv), its append-only
    /// file in `{dataDir}/<name>`, dangerous commands renamed away; ready when
    /// it answers `AUTH` and `PING`; 5 s grace, 10 s to become ready; run as
    /// `valkey-server`, else `redis-server`, from `PATH`.
    Valkey,
}

/// A sidecar's program, given in place or by its name in `programs`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum ProgramRef {
    /// The name of a program in `programs`.
    Named(String),
    /// The program itself.
    Inline(ProgramConfig),
}

/// By hand rather than `untagged`, whose one message for every mistake
/// ("did not match any variant") would hide what is wrong inside a program.
impl<'de> Deserialize<'de> for ProgramRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = ProgramRef;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a program, or the name of one in `programs`")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<ProgramRef, E> {
                Ok(ProgramRef::Named(name.to_owned()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<ProgramRef, A::Error> {
                ProgramConfig::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ProgramRef::Inline)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Where the program comes from: exactly one of `externalBin`, `resource`
/// and `system`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProgramConfig {
    /// An `externalBin` of the bundle, by the name Tauri installs it under:
    /// beside the shell's executable, without the target triple.
    #[serde(default)]
    pub external_bin: Option<String>,
    /// A file bundled as a resource, relative to the app's resource directory.
    #[serde(default)]
    pub resource: Option<String>,
    /// A program on `PATH`; the first of these names found is run.
    #[serde(default)]
    pub system: Option<Vec<String>>,
    /// An environment variable that, when set, names the program to run
    /// instead (a path, or a name looked up on `PATH`). Wins over `dev`.
    #[serde(default)]
    pub override_env: Option<String>,
    /// What development builds run instead.
    #[serde(default)]
    pub dev: Option<DevProgram>,
}

/// In development builds: `<interpreter> <script> <args>…`, for a sidecar
/// that runs from source. Relative paths are relative to the app's directory
/// (the one holding `tauri.conf.json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DevProgram {
    /// A path, or a bare name looked up on `PATH`.
    pub interpreter: String,
    /// An environment variable that, when set, names the interpreter instead.
    #[serde(default)]
    pub override_env: Option<String>,
    /// The script the interpreter runs; the sidecar's `args` follow it.
    pub script: String,
}

/// How the supervisor knows a sidecar is ready.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum ReadyConfig {
    /// As soon as it runs.
    Started,
    /// A one-shot step (migrations, say): ready when it exits 0, never restarted.
    Exit,
    /// When a TCP connection to 127.0.0.1 succeeds.
    Tcp {
        /// A port number or `{port:<sidecar>}`; default: the sidecar's own port.
        #[serde(default)]
        port: Option<String>,
    },
    /// When `GET http://127.0.0.1:<port><path>` answers 200.
    Http {
        /// The request's path, such as `/health`.
        path: String,
        /// A port number or `{port:<sidecar>}`; default: the sidecar's own port.
        #[serde(default)]
        port: Option<String>,
    },
    /// When a Redis-protocol server on a Unix socket answers `AUTH` and `PING`.
    RedisPing {
        /// The socket's path, such as `{socket:<sidecar>}`.
        socket: String,
        /// The password for `AUTH`, such as `{secret:<name>}`.
        password: String,
    },
    /// When it prints a line starting with `prefix` (after each start).
    Line {
        /// The text the line starts with.
        prefix: String,
    },
}

/// Restarts after an exit: exponential backoff within a budget.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RestartConfig {
    /// Default `onFailure`.
    #[serde(default)]
    pub mode: Option<RestartModeConfig>,
    /// More restarts than this within `windowMs` mark it failed (default 5).
    #[serde(default)]
    pub max_restarts: Option<u32>,
    /// Default 60000.
    #[serde(default)]
    pub window_ms: Option<u64>,
    /// The first restart's delay, doubling with each recent one (default 100).
    #[serde(default)]
    pub initial_backoff_ms: Option<u64>,
    /// Default 5000.
    #[serde(default)]
    pub max_backoff_ms: Option<u64>,
}

/// After which exits a sidecar is started again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RestartModeConfig {
    /// After any exit.
    Always,
    /// After a non-zero exit or a signal.
    OnFailure,
    /// Never: it is marked failed (or stopped, after exit 0).
    Never,
}

/// A loopback port: free, picked at each launch, unless `fixed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortConfig {
    /// This port at every launch instead of a free one; `overrideEnv` wins
    /// over it, and no two sidecars may fix the same one.
    #[serde(default)]
    pub fixed: Option<u16>,
    /// An environment variable that, when set, gives the port instead.
    #[serde(default)]
    pub override_env: Option<String>,
}

/// The JSON Schema of [`SupervisorConfig`], as the plugin ships it.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(SupervisorConfig);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads the plugin's section of a Tauri configuration and checks it.
pub fn parse(section: &serde_json::Value) -> Result<SupervisorConfig, ConfigError> {
    if section.is_null() {
        return Err(ConfigError::Missing);
    }
    let config: SupervisorConfig =
        serde_path_to_error::deserialize(section).map_err(|err| ConfigError::Invalid {
            path: err.path().to_string(),
            message: err.inner().to_string(),
        })?;
    config.check()?;
    Ok(config)
}

/// For an app's `build.rs`: checks the `plugins."convoy-supervisor"` section
/// of the `tauri.conf.json` at `path`, so a bad graph fails `cargo build`.
pub fn check_tauri_conf(path: &Path) -> Result<SupervisorConfig, ConfigError> {
    let unreadable = |message: String| ConfigError::Invalid {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|err| unreadable(err.to_string()))?;
    let conf: serde_json::Value =
        serde_json::from_str(&text).map_err(|err| unreadable(err.to_string()))?;
    parse(&conf["plugins"][crate::config::SECTION])
}

/// The section's name under `plugins` (the plugin's name).
pub const SECTION: &str = "convoy-supervisor";

impl SupervisorConfig {
    /// Every check that needs no launch: the graph, the placeholders, where
    /// secrets may go, fixed ports, and each program's source.
    fn check(&self) -> Result<(), ConfigError> {
        let nodes: Vec<_> = self
            .sidecars
            .iter()
            .map(|s| (s.name.as_str(), s.depends_on.as_slice()))
            .collect();
        crate::graph::order(&nodes)?;
        let mut fixed: BTreeMap<u16, &str> = BTreeMap::new();
        for sidecar in &self.sidecars {
            self.check_program(sidecar)?;
            for (field, text) in sidecar.templates() {
                let template =
                    Template::parse(text).map_err(|reason| ConfigError::BadTemplate {
                        sidecar: sidecar.name.clone(),
                        field: field.clone(),
                        reason,
                    })?;
                for placeholder in template.placeholders() {
                    self.check_placeholder(sidecar, &field, placeholder)?;
                }
            }
            if matches!(
                sidecar.ready,
                Some(ReadyConfig::Tcp { port: None } | ReadyConfig::Http { port: None, .. })
            ) && sidecar.port.is_none()
            {
                return Err(ConfigError::NoPort {
                    sidecar: sidecar.name.clone(),
                });
            }
            if matches!(sidecar.ready, Some(ReadyConfig::Exit)) && sidecar.restart.is_some() {
                return Err(ConfigError::OneShotRestart {
                    sidecar: sidecar.name.clone(),
                });
            }
            if let Some(expose) = &sidecar.expose {
                if sidecar.port.is_none() {
                    return Err(ConfigError::ExposeWithoutPort {
                        sidecar: sidecar.name.clone(),
                    });
                }
                if !sidecar.env_secrets().contains(&expose.token) {
                    return Err(ConfigError::ExposedTokenNotInEnv {
                        sidecar: sidecar.name.clone(),
                        secret: expose.token.clone(),
                    });
                }
            }
            if let Some(port) = sidecar.port.as_ref().and_then(|p| p.fixed) {
                if let Some(first) = fixed.insert(port, &sidecar.name) {
                    return Err(ConfigError::PortUsedTwice {
                        port,
                        first: first.to_owned(),
                        second: sidecar.name.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    fn check_placeholder(
        &self,
        sidecar: &SidecarConfig,
        field: &str,
        placeholder: &Placeholder,
    ) -> Result<(), ConfigError> {
        let unknown = |reason: String| ConfigError::UnknownPlaceholder {
            sidecar: sidecar.name.clone(),
            field: field.to_owned(),
            placeholder: placeholder.to_string(),
            reason,
        };
        let target = |name: &str| self.sidecars.iter().find(|s| s.name == name);
        match placeholder {
            Placeholder::Unknown(_) => Err(unknown(
                "Convoy knows {port:…}, {socket:…}, {secret:…}, {runtimeDir} and {dataDir}".into(),
            )),
            Placeholder::Secret(_) if !field.starts_with("env.") && field != "ready.password" => {
                Err(ConfigError::SecretOutsideEnv {
                    sidecar: sidecar.name.clone(),
                    field: field.to_owned(),
                    placeholder: placeholder.to_string(),
                })
            }
            Placeholder::Port(name) if target(name).is_none_or(|t| t.port.is_none()) => Err(
                unknown(format!("no sidecar named {name:?} declares a port")),
            ),
            Placeholder::Socket(name) if field == "socket" => Err(unknown(format!(
                "a socket's path cannot depend on {name:?}'s socket"
            ))),
            Placeholder::Socket(name)
                if target(name).is_none_or(|t| t.socket_template().is_none()) =>
            {
                Err(unknown(format!("no sidecar named {name:?} has a socket")))
            }
            _ => Ok(()),
        }
    }

    /// The sidecar's program, looked up in `programs` if it names one;
    /// `None` when it has none of its own (a preset's is used).
    fn program_of<'a>(
        &'a self,
        sidecar: &'a SidecarConfig,
    ) -> Result<Option<&'a ProgramConfig>, ConfigError> {
        match &sidecar.program {
            None => Ok(None),
            Some(ProgramRef::Inline(program)) => Ok(Some(program)),
            Some(ProgramRef::Named(name)) => {
                self.programs
                    .get(name)
                    .map(Some)
                    .ok_or_else(|| ConfigError::UnknownProgram {
                        sidecar: sidecar.name.clone(),
                        program: name.clone(),
                    })
            }
        }
    }

    fn check_program(&self, sidecar: &SidecarConfig) -> Result<(), ConfigError> {
        let Some(program) = self.program_of(sidecar)? else {
            return match sidecar.preset {
                Some(_) => Ok(()),
                None => Err(ConfigError::ProgramSource {
                    sidecar: sidecar.name.clone(),
                }),
            };
        };
        let sources = [
            program.external_bin.is_some(),
            program.resource.is_some(),
            program
                .system
                .as_ref()
                .is_some_and(|names| !names.is_empty()),
        ];
        if sources.iter().filter(|&&s| s).count() != 1 {
            return Err(ConfigError::ProgramSource {
                sidecar: sidecar.name.clone(),
            });
        }
        Ok(())
    }

    /// The names, in declared order.
    pub fn names(&self) -> Vec<String> {
        self.sidecars.iter().map(|s| s.name.clone()).collect()
    }

    /// Every `{secret:…}` name the sidecars use, the presets' included.
    pub fn secret_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for sidecar in &self.sidecars {
            let mut found: Vec<String> = sidecar
                .templates()
                .into_iter()
                .filter_map(|(_, text)| Template::parse(text).ok())
                .flat_map(|t| {
                    t.placeholders()
                        .filter_map(|p| match p {
                            Placeholder::Secret(name) => Some(name.clone()),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            if let Some(name) = sidecar.preset_password() {
                found.push(name);
            }
            for name in found {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }
}

impl SidecarConfig {
    /// Every string that may hold placeholders, with its field's name.
    fn templates(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = self
            .args
            .iter()
            .enumerate()
            .map(|(i, arg)| (format!("args[{i}]"), arg.as_str()))
            .collect();
        out.extend(
            self.env
                .iter()
                .map(|(k, v)| (format!("env.{k}"), v.as_str())),
        );
        if let Some(socket) = &self.socket {
            out.push(("socket".into(), socket));
        }
        match &self.ready {
            Some(
                ReadyConfig::Tcp { port: Some(port) }
                | ReadyConfig::Http {
                    port: Some(port), ..
                },
            ) => {
                out.push(("ready.port".into(), port));
            }
            Some(ReadyConfig::RedisPing { socket, password }) => {
                out.push(("ready.socket".into(), socket));
                out.push(("ready.password".into(), password));
            }
            _ => {}
        }
        out
    }

    /// The `{secret:…}` names its `env` uses.
    fn env_secrets(&self) -> Vec<String> {
        self.env
            .values()
            .filter_map(|text| Template::parse(text).ok())
            .flat_map(|t| {
                t.placeholders()
                    .filter_map(|p| match p {
                        Placeholder::Secret(name) => Some(name.clone()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Its socket's path, before placeholders are filled in.
    fn socket_template(&self) -> Option<String> {
        match (&self.socket, self.preset) {
            (Some(socket), _) => Some(socket.clone()),
            (None, Some(Preset::Valkey)) => Some(format!("{{runtimeDir}}/{}.sock", self.name)),
            (None, None) => None,
        }
    }

    /// The secret a preset uses as the server's password.
    fn preset_password(&self) -> Option<String> {
        self.preset
            .map(|Preset::Valkey| format!("{}-password", self.name))
    }
}

#[cfg(test)]
mod tests;
