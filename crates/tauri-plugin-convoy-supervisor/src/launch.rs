//! Launching the graph the app declared in `tauri.conf.json`.

use convoy_supervisor::{
    config::{ConfigError, LaunchContext, Secrets, SupervisorConfig},
    StartFailure, StartStep,
};

use crate::{models::Endpoint, EndpointError, SidecarState, Sidecars};

/// Why a launch did not bring every sidecar up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// The configuration is wrong, or this launch could not be resolved
    /// (a missing program, a bad override); nothing was started.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A sidecar did not become ready; everything started was stopped again.
    #[error(transparent)]
    Start(#[from] StartFailure),
}

impl LaunchError {
    /// The sidecar it is about, if it is about one.
    pub fn sidecar(&self) -> Option<&str> {
        match self {
            Self::Config(error) => error.sidecar(),
            Self::Start(failure) => Some(&failure.sidecar),
        }
    }

    /// Why, in words, without the sidecar's name.
    pub fn reason(&self) -> String {
        match self {
            Self::Config(error) => error.to_string(),
            Self::Start(failure) => failure.error.to_string(),
        }
    }

    /// The failed sidecar's last lines of output.
    pub fn last_lines(&self) -> &[String] {
        match self {
            Self::Config(_) => &[],
            Self::Start(failure) => &failure.last_lines,
        }
    }
}

/// The parsed graph and what every launch of it shares.
pub(crate) struct Graph {
    pub config: Result<SupervisorConfig, ConfigError>,
    pub secrets: Secrets,
    pub context: LaunchContext,
}

impl Sidecars {
    /// The declared sidecars' names, in declared order (none if the
    /// configuration is invalid).
    pub fn declared(&self) -> Vec<String> {
        self.graph
            .config
            .as_ref()
            .map(SupervisorConfig::names)
            .unwrap_or_default()
    }

    /// This launch's value of `{secret:<name>}`.
    pub fn secret(&self, name: &str) -> Option<String> {
        self.graph.secrets.get(name).map(str::to_owned)
    }

    /// The port the last launch gave a sidecar.
    pub fn port(&self, sidecar: &str) -> Option<u16> {
        self.ports
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(sidecar)
            .copied()
    }

    /// An exposed sidecar's base URL and token, while it is ready.
    pub fn endpoint(&self, name: &str) -> Result<Endpoint, EndpointError> {
        let declared = self
            .graph
            .config
            .as_ref()
            .ok()
            .and_then(|config| config.sidecars.iter().find(|s| s.name == name))
            .ok_or_else(|| EndpointError::UnknownSidecar { name: name.into() })?;
        let expose = declared
            .expose
            .as_ref()
            .ok_or_else(|| EndpointError::NotExposed { name: name.into() })?;
        let not_ready = || EndpointError::NotReady { name: name.into() };
        let ready = self
            .statuses()
            .iter()
            .any(|s| s.name == name && s.state == SidecarState::Ready);
        if !ready {
            return Err(not_ready());
        }
        let port = self.port(name).ok_or_else(not_ready)?;
        let token = self.secret(&expose.token).ok_or_else(not_ready)?;
        Ok(Endpoint {
            base_url: format!("http://127.0.0.1:{port}"),
            token,
        })
    }

    /// Resolves the declared graph for this launch (fresh free ports), writes
    /// what its presets need, and starts it; `on_step` follows along.
    pub async fn launch(&self, on_step: impl FnMut(StartStep)) -> Result<(), LaunchError> {
        let config = self.graph.config.as_ref().map_err(Clone::clone)?;
        let plan = self.graph.context.plan(config, &self.graph.secrets)?;
        plan.prepare()?;
        *self
            .ports
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = plan.ports.clone();
        Ok(self.supervisor.start_all(&plan.specs, on_step).await?)
    }
}
