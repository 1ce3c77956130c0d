use std::{path::PathBuf, time::Duration};

use crate::{probe::ReadinessProbe, restart::RestartPolicy};

/// Whether a sidecar runs for the life of the app or once to completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SidecarKind {
    /// Runs until stopped; ready when its probe answers.
    Service,
    /// Runs to completion; ready when it exits 0 (for example, migrations).
    OneShot,
}

/// One sidecar, declared as data.
#[derive(Debug, Clone)]
pub struct SidecarSpec {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Passed in the environment, never in argv, so secrets stay out of `ps`.
    pub env: Vec<(String, String)>,
    pub kind: SidecarKind,
    /// Sidecars that must be ready before this one starts; stopped after it.
    pub depends_on: Vec<String>,
    pub probe: ReadinessProbe,
    /// The loopback port the sidecar was given (see [`crate::free_loopback_port`]),
    /// shown in its status.
    pub port: Option<u16>,
    pub restart: RestartPolicy,
    pub ready_timeout: Duration,
    /// Time between SIGTERM and SIGKILL when stopping.
    pub grace: Duration,
}

impl SidecarSpec {
    pub fn new(name: impl Into<String>, program: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            kind: SidecarKind::Service,
            depends_on: Vec::new(),
            probe: ReadinessProbe::Started,
            port: None,
            restart: RestartPolicy::default(),
            ready_timeout: Duration::from_secs(15),
            grace: Duration::from_secs(3),
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Runs once to completion; never restarted.
    pub fn one_shot(mut self) -> Self {
        self.kind = SidecarKind::OneShot;
        self.restart = RestartPolicy::never();
        self
    }

    pub fn depends_on<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.depends_on.extend(names.into_iter().map(Into::into));
        self
    }

    pub fn restart(mut self, policy: RestartPolicy) -> Self {
        self.restart = policy;
        self
    }

    pub fn probe(mut self, probe: ReadinessProbe) -> Self {
        self.probe = probe;
        self
    }

    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }
}
