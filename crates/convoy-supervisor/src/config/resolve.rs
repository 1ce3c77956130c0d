//! One launch of a configuration: ports picked, secrets filled in, programs
//! found on disk, presets expanded into [`SidecarSpec`]s.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::Duration,
};

use super::{
    template::{Placeholder, Template},
    ConfigError, Preset, ProgramConfig, ReadyConfig, RestartModeConfig, SidecarConfig,
    SupervisorConfig,
};
use crate::{
    probe::ReadinessProbe,
    restart::{RestartMode, RestartPolicy},
    spec::SidecarSpec,
    valkey::ValkeyConfig,
};

/// This launch's secrets by name: generated (256 bits each) unless the app
/// provided one of its own (a token for a server the app runs, say).
#[derive(Clone, Default)]
pub struct Secrets(BTreeMap<String, String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl Secrets {
    /// A secret for every `{secret:…}` the configuration uses.
    pub fn generate(
        config: &SupervisorConfig,
        provided: BTreeMap<String, String>,
    ) -> std::io::Result<Self> {
        let mut secrets = provided;
        for name in config.secret_names() {
            if let std::collections::btree_map::Entry::Vacant(slot) = secrets.entry(name) {
                slot.insert(crate::random_token()?);
            }
        }
        Ok(Self(secrets))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Every value, for the list of what is redacted from logs.
    pub fn values(&self) -> Vec<String> {
        self.0.values().cloned().collect()
    }
}

/// What a launch resolves placeholders and programs against.
#[derive(Clone, Default)]
pub struct LaunchContext {
    /// This launch's private (0700) directory: `{runtimeDir}`.
    pub runtime_dir: PathBuf,
    /// The app's data directory: `{dataDir}`.
    pub data_dir: PathBuf,
    /// Where Tauri installs `externalBin`s: the shell executable's directory.
    pub exe_dir: Option<PathBuf>,
    /// The app's resource directory, for `program.resource`.
    pub resource_dir: Option<PathBuf>,
    /// In development builds, the app's directory: `program.dev` is run,
    /// relative to it. `None` in release builds.
    pub dev_dir: Option<PathBuf>,
    /// The environment that overrides and `PATH` are read from.
    pub env: BTreeMap<String, String>,
}

/// The environment's names only: its values may be anyone's secrets.
impl std::fmt::Debug for LaunchContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaunchContext")
            .field("runtime_dir", &self.runtime_dir)
            .field("data_dir", &self.data_dir)
            .field("exe_dir", &self.exe_dir)
            .field("resource_dir", &self.resource_dir)
            .field("dev_dir", &self.dev_dir)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// One launch's sidecars, ready for [`Supervisor::start_all`](crate::Supervisor::start_all).
#[derive(Debug, Clone)]
pub struct LaunchPlan {
    /// In declared order.
    pub specs: Vec<SidecarSpec>,
    /// Each sidecar's port, by name.
    pub ports: BTreeMap<String, u16>,
    pub(super) valkeys: Vec<(String, ValkeyConfig)>,
}

impl LaunchPlan {
    pub fn port(&self, sidecar: &str) -> Option<u16> {
        self.ports.get(sidecar).copied()
    }

    /// Writes what the presets need on disk: each Valkey's 0600 config file
    /// and its data directory.
    pub fn prepare(&self) -> Result<(), ConfigError> {
        for (sidecar, valkey) in &self.valkeys {
            valkey.write().map_err(|err| ConfigError::Prepare {
                sidecar: sidecar.clone(),
                reason: format!("could not write its config: {err}"),
            })?;
        }
        Ok(())
    }
}

impl LaunchContext {
    /// The process's own environment, with the given directories.
    pub fn from_env(runtime_dir: PathBuf, data_dir: PathBuf) -> Self {
        Self {
            runtime_dir,
            data_dir,
            exe_dir: std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(Path::to_path_buf)),
            env: std::env::vars().collect(),
            ..Self::default()
        }
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Resolves every sidecar of `config` for one launch.
    pub fn plan(
        &self,
        config: &SupervisorConfig,
        secrets: &Secrets,
    ) -> Result<LaunchPlan, ConfigError> {
        let ports = self.ports(config)?;
        let mut values = Values {
            context: self,
            ports: &ports,
            sockets: BTreeMap::new(),
            secrets,
        };
        for sidecar in &config.sidecars {
            if let Some(socket) = sidecar.socket_template() {
                let socket = values.render(sidecar, "socket", &socket)?;
                values.sockets.insert(sidecar.name.clone(), socket);
            }
        }
        let mut specs = Vec::new();
        let mut valkeys = Vec::new();
        for sidecar in &config.sidecars {
            let (program, leading) = self.program(config, sidecar)?;
            let mut spec = SidecarSpec::new(&sidecar.name, program).args(leading);
            if let Some(Preset::Valkey) = sidecar.preset {
                let valkey = values.valkey(sidecar)?;
                spec = valkey.spec(&sidecar.name, &spec.program).args(spec.args);
                valkeys.push((sidecar.name.clone(), valkey));
            }
            specs.push(values.spec(sidecar, spec)?);
        }
        Ok(LaunchPlan {
            specs,
            ports,
            valkeys,
        })
    }

    /// Fixed and overridden ports first, then a distinct free one for the rest.
    fn ports(&self, config: &SupervisorConfig) -> Result<BTreeMap<String, u16>, ConfigError> {
        let mut ports: BTreeMap<String, u16> = BTreeMap::new();
        let claim = |ports: &mut BTreeMap<String, u16>, name: &str, port: u16| {
            if let Some((first, _)) = ports.iter().find(|(_, &p)| p == port) {
                return Err(ConfigError::PortUsedTwice {
                    port,
                    first: first.clone(),
                    second: name.to_owned(),
                });
            }
            ports.insert(name.to_owned(), port);
            Ok(())
        };
        for sidecar in &config.sidecars {
            let Some(port) = &sidecar.port else { continue };
            let overridden = port
                .override_env
                .as_deref()
                .and_then(|var| self.var(var).map(|value| (var, value)));
            if let Some((variable, value)) = overridden {
                let port = value
                    .parse::<u16>()
                    .ok()
                    .filter(|&p| p != 0)
                    .ok_or_else(|| ConfigError::BadOverride {
                        sidecar: sidecar.name.clone(),
                        variable: variable.to_owned(),
                        value: value.to_owned(),
                        expected: "a port number".into(),
                    })?;
                claim(&mut ports, &sidecar.name, port)?;
            } else if let Some(port) = port.fixed {
                claim(&mut ports, &sidecar.name, port)?;
            }
        }
        for sidecar in &config.sidecars {
            if sidecar.port.is_none() || ports.contains_key(&sidecar.name) {
                continue;
            }
            // The sidecar binds it itself; picking one that another sidecar
            // here was given would only fail later, so try again.
            let mut attempts = 0;
            loop {
                let port = crate::free_loopback_port().map_err(|err| ConfigError::Prepare {
                    sidecar: sidecar.name.clone(),
                    reason: format!("no free port: {err}"),
                })?;
                if !ports.values().any(|&p| p == port) {
                    ports.insert(sidecar.name.clone(), port);
                    break;
                }
                attempts += 1;
                if attempts == 16 {
                    return Err(ConfigError::Prepare {
                        sidecar: sidecar.name.clone(),
                        reason: "no free port distinct from the others".into(),
                    });
                }
            }
        }
        Ok(ports)
    }

    /// The program and any arguments that go before the sidecar's own.
    fn program(
        &self,
        config: &SupervisorConfig,
        sidecar: &SidecarConfig,
    ) -> Result<(PathBuf, Vec<String>), ConfigError> {
        let preset_default;
        let program = match (config.program_of(sidecar)?, sidecar.preset) {
            (Some(program), _) => program,
            (None, Some(Preset::Valkey)) => {
                preset_default = ProgramConfig {
                    system: Some(vec!["valkey-server".into(), "redis-server".into()]),
                    external_bin: None,
                    resource: None,
                    override_env: None,
                    dev: None,
                };
                &preset_default
            }
            (None, None) => {
                return Err(ConfigError::ProgramSource {
                    sidecar: sidecar.name.clone(),
                })
            }
        };
        let missing = |program: &Path, reason: &str| ConfigError::MissingProgram {
            sidecar: sidecar.name.clone(),
            program: program.display().to_string(),
            reason: reason.to_owned(),
        };
        if let Some((variable, value)) = program
            .override_env
            .as_deref()
            .and_then(|var| self.var(var).map(|value| (var, value)))
        {
            let path = self.find(Path::new(value), None).ok_or_else(|| {
                missing(
                    Path::new(value),
                    &format!("no such program (from {variable})"),
                )
            })?;
            return Ok((path, Vec::new()));
        }
        if let (Some(dir), Some(dev)) = (&self.dev_dir, &program.dev) {
            let interpreter = dev
                .override_env
                .as_deref()
                .and_then(|var| self.var(var))
                .unwrap_or(&dev.interpreter);
            let path = self
                .find(Path::new(interpreter), Some(dir))
                .ok_or_else(|| {
                    missing(
                        &dir.join(interpreter),
                        "no such interpreter (development build)",
                    )
                })?;
            let script = dir.join(&dev.script);
            if !script.is_file() {
                return Err(missing(&script, "no such script (development build)"));
            }
            return Ok((path, vec![script.display().to_string()]));
        }
        let beside = |dir: &Option<PathBuf>, name: &str, what: &str| {
            let dir = dir.clone().unwrap_or_default();
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(missing(&path, &format!("no such {what}")))
            }
        };
        let path = if let Some(name) = &program.external_bin {
            beside(
                &self.exe_dir,
                &format!("{name}{}", std::env::consts::EXE_SUFFIX),
                "externalBin beside the shell",
            )?
        } else if let Some(resource) = &program.resource {
            beside(&self.resource_dir, resource, "bundled resource")?
        } else {
            let names = program.system.clone().unwrap_or_default();
            names
                .iter()
                .find_map(|name| self.find(Path::new(name), None))
                .ok_or_else(|| missing(Path::new(&names.join(" or ")), "not found on PATH"))?
        };
        Ok((path, Vec::new()))
    }

    /// A path (relative to `base` if given) that is a file, or a bare name on `PATH`.
    fn find(&self, program: &Path, base: Option<&Path>) -> Option<PathBuf> {
        if program.components().count() > 1 || program.is_absolute() {
            let path = base.map_or_else(|| program.to_path_buf(), |b| b.join(program));
            return path.is_file().then_some(path);
        }
        let path = self.var("PATH").unwrap_or_default();
        std::env::split_paths(path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    }
}

/// What placeholders are filled in with.
struct Values<'a> {
    context: &'a LaunchContext,
    ports: &'a BTreeMap<String, u16>,
    sockets: BTreeMap<String, String>,
    secrets: &'a Secrets,
}

impl Values<'_> {
    fn render(
        &self,
        sidecar: &SidecarConfig,
        field: &str,
        text: &str,
    ) -> Result<String, ConfigError> {
        let template = Template::parse(text).map_err(|reason| ConfigError::BadTemplate {
            sidecar: sidecar.name.clone(),
            field: field.to_owned(),
            reason,
        })?;
        template.render(|placeholder| {
            let value = match placeholder {
                Placeholder::Port(name) => self.ports.get(name).map(u16::to_string),
                Placeholder::Socket(name) => self.sockets.get(name).cloned(),
                Placeholder::Secret(name) => self.secrets.get(name).map(str::to_owned),
                Placeholder::RuntimeDir => Some(self.context.runtime_dir.display().to_string()),
                Placeholder::DataDir => Some(self.context.data_dir.display().to_string()),
                Placeholder::Unknown(_) => None,
            };
            value.ok_or_else(|| ConfigError::UnknownPlaceholder {
                sidecar: sidecar.name.clone(),
                field: field.to_owned(),
                placeholder: placeholder.to_string(),
                reason: "it has no value in this launch".into(),
            })
        })
    }

    fn port(&self, sidecar: &SidecarConfig, port: Option<&String>) -> Result<u16, ConfigError> {
        let Some(text) = port else {
            return self
                .ports
                .get(&sidecar.name)
                .copied()
                .ok_or_else(|| ConfigError::NoPort {
                    sidecar: sidecar.name.clone(),
                });
        };
        let value = self.render(sidecar, "ready.port", text)?;
        value.parse().map_err(|_| ConfigError::NotAPort {
            sidecar: sidecar.name.clone(),
            field: "ready.port".into(),
            value,
        })
    }

    fn valkey(&self, sidecar: &SidecarConfig) -> Result<ValkeyConfig, ConfigError> {
        let name = &sidecar.name;
        let password = format!("{name}-password");
        let placeholder = |p: Placeholder| ConfigError::UnknownPlaceholder {
            sidecar: name.clone(),
            field: "preset".into(),
            placeholder: p.to_string(),
            reason: "it has no value in this launch".into(),
        };
        Ok(ValkeyConfig {
            socket: self
                .sockets
                .get(name)
                .map(PathBuf::from)
                .ok_or_else(|| placeholder(Placeholder::Socket(name.clone())))?,
            config_file: self.context.runtime_dir.join(format!("{name}.conf")),
            data_dir: self.context.data_dir.join(name),
            password: self
                .secrets
                .get(&password)
                .ok_or_else(|| placeholder(Placeholder::Secret(password.clone())))?
                .to_owned(),
        })
    }

    /// `spec` (its program, and a preset's settings) with the sidecar's own
    /// declarations on top.
    fn spec(
        &self,
        sidecar: &SidecarConfig,
        mut spec: SidecarSpec,
    ) -> Result<SidecarSpec, ConfigError> {
        for (i, arg) in sidecar.args.iter().enumerate() {
            spec.args
                .push(self.render(sidecar, &format!("args[{i}]"), arg)?);
        }
        for (key, value) in &sidecar.env {
            let value = self.render(sidecar, &format!("env.{key}"), value)?;
            spec = spec.env(key, value);
        }
        spec = spec.depends_on(sidecar.depends_on.iter().cloned());
        if let Some(&port) = self.ports.get(&sidecar.name) {
            spec = spec.port(port);
        }
        let one_shot = matches!(sidecar.ready, Some(ReadyConfig::Exit));
        if one_shot {
            spec = spec.one_shot();
        } else if let Some(restart) = &sidecar.restart {
            let default = RestartPolicy::default();
            let ms = |ms: Option<u64>, default: Duration| ms.map_or(default, Duration::from_millis);
            spec = spec.restart(RestartPolicy {
                mode: match restart.mode.unwrap_or(RestartModeConfig::OnFailure) {
                    RestartModeConfig::Always => RestartMode::Always,
                    RestartModeConfig::OnFailure => RestartMode::OnFailure,
                    RestartModeConfig::Never => RestartMode::Never,
                },
                initial_backoff: ms(restart.initial_backoff_ms, default.initial_backoff),
                max_backoff: ms(restart.max_backoff_ms, default.max_backoff),
                max_restarts: restart.max_restarts.unwrap_or(default.max_restarts),
                window: ms(restart.window_ms, default.window),
            });
        }
        let probe = match &sidecar.ready {
            None => None,
            Some(ReadyConfig::Started | ReadyConfig::Exit) => Some(ReadinessProbe::Started),
            Some(ReadyConfig::Tcp { port }) => Some(ReadinessProbe::Tcp {
                port: self.port(sidecar, port.as_ref())?,
            }),
            Some(ReadyConfig::Http { path, port }) => Some(ReadinessProbe::HttpGet {
                port: self.port(sidecar, port.as_ref())?,
                path: path.clone(),
            }),
            Some(ReadyConfig::RedisPing { socket, password }) => Some(ReadinessProbe::RedisPing {
                socket: self.render(sidecar, "ready.socket", socket)?.into(),
                password: self.render(sidecar, "ready.password", password)?,
            }),
            Some(ReadyConfig::Line { prefix }) => Some(ReadinessProbe::ReadyLine {
                prefix: prefix.clone(),
            }),
        };
        if let Some(probe) = probe {
            spec = spec.probe(probe);
        }
        if let Some(ms) = sidecar.grace_ms {
            spec = spec.grace(Duration::from_millis(ms));
        }
        if let Some(ms) = self.ready_timeout(sidecar)? {
            spec = spec.ready_timeout(Duration::from_millis(ms));
        }
        Ok(spec)
    }

    fn ready_timeout(&self, sidecar: &SidecarConfig) -> Result<Option<u64>, ConfigError> {
        let overridden = sidecar
            .ready_timeout_override_env
            .as_deref()
            .and_then(|var| self.context.var(var).map(|value| (var, value)));
        let Some((variable, value)) = overridden else {
            return Ok(sidecar.ready_timeout_ms);
        };
        value
            .parse()
            .map(Some)
            .map_err(|_| ConfigError::BadOverride {
                sidecar: sidecar.name.clone(),
                variable: variable.to_owned(),
                value: value.to_owned(),
                expected: "a number of milliseconds".into(),
            })
    }
}
