use serde::Serialize;

use crate::graph::GraphError;

/// Why a sidecar configuration cannot be launched: each case names what is
/// wrong and where. Serialized with a `type` tag for a UI to switch on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum ConfigError {
    #[error("tauri.conf.json has no plugins.\"convoy-supervisor\" section declaring the sidecars")]
    Missing,
    /// A wrong type, a missing or unknown field, an unknown preset: serde's
    /// message, at its JSON path.
    #[error("the sidecar configuration is not valid at {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("two sidecars are named {sidecar}")]
    DuplicateSidecar { sidecar: String },
    #[error("{sidecar} depends on {missing}, which is not declared")]
    UnknownDependency { sidecar: String, missing: String },
    #[error("the dependencies form a cycle through {sidecar}")]
    Cycle { sidecar: String },
    #[error("{sidecar}: {field} has {placeholder}, which is not known: {reason}")]
    UnknownPlaceholder {
        sidecar: String,
        field: String,
        placeholder: String,
        reason: String,
    },
    #[error("{sidecar}: {field} is not a valid template: {reason}")]
    BadTemplate {
        sidecar: String,
        field: String,
        reason: String,
    },
    #[error(
        "{sidecar}: {field} has {placeholder}; secrets reach a sidecar only through its environment, never argv"
    )]
    SecretOutsideEnv {
        sidecar: String,
        field: String,
        placeholder: String,
    },
    #[error("port {port} is used by both {first} and {second}")]
    PortUsedTwice {
        port: u16,
        first: String,
        second: String,
    },
    #[error("{sidecar}: its readiness probe needs a port, and it declares none")]
    NoPort { sidecar: String },
    #[error("{sidecar}: a one-shot step (\"ready\": \"exit\") is never restarted, so it takes no restart policy")]
    OneShotRestart { sidecar: String },
    #[error("{sidecar}: it is exposed to windows, so it needs a port, and it declares none")]
    ExposeWithoutPort { sidecar: String },
    #[error("{sidecar}: its exposed token {{secret:{secret}}} does not reach it through its env")]
    ExposedTokenNotInEnv { sidecar: String, secret: String },
    #[error("{sidecar}: its program needs exactly one of externalBin, resource or system")]
    ProgramSource { sidecar: String },
    #[error("{sidecar}: its program is {program:?}, which is not one of `programs`")]
    UnknownProgram { sidecar: String, program: String },
    #[error("could not start {program} for {sidecar}: {reason}")]
    MissingProgram {
        sidecar: String,
        program: String,
        reason: String,
    },
    #[error("{sidecar}: {variable}={value:?} is not {expected}")]
    BadOverride {
        sidecar: String,
        variable: String,
        value: String,
        expected: String,
    },
    #[error("{sidecar}: {field} is {value:?}, not a port number")]
    NotAPort {
        sidecar: String,
        field: String,
        value: String,
    },
    /// Something the launch needed from the system failed (a free port, a
    /// secret, a private file).
    #[error("{sidecar}: could not prepare its launch: {reason}")]
    Prepare { sidecar: String, reason: String },
}

impl ConfigError {
    /// The sidecar the error is about, if it is about one.
    pub fn sidecar(&self) -> Option<&str> {
        match self {
            Self::Missing | Self::Invalid { .. } => None,
            Self::DuplicateSidecar { sidecar }
            | Self::UnknownDependency { sidecar, .. }
            | Self::Cycle { sidecar }
            | Self::UnknownPlaceholder { sidecar, .. }
            | Self::BadTemplate { sidecar, .. }
            | Self::SecretOutsideEnv { sidecar, .. }
            | Self::NoPort { sidecar }
            | Self::OneShotRestart { sidecar }
            | Self::ExposeWithoutPort { sidecar }
            | Self::ExposedTokenNotInEnv { sidecar, .. }
            | Self::ProgramSource { sidecar }
            | Self::UnknownProgram { sidecar, .. }
            | Self::MissingProgram { sidecar, .. }
            | Self::BadOverride { sidecar, .. }
            | Self::NotAPort { sidecar, .. }
            | Self::Prepare { sidecar, .. } => Some(sidecar),
            Self::PortUsedTwice { second, .. } => Some(second),
        }
    }
}

impl From<GraphError> for ConfigError {
    fn from(error: GraphError) -> Self {
        match error {
            GraphError::UnknownDependency { sidecar, missing } => {
                Self::UnknownDependency { sidecar, missing }
            }
            GraphError::Cycle { sidecar } => Self::Cycle { sidecar },
            GraphError::Duplicate { sidecar } => Self::DuplicateSidecar { sidecar },
        }
    }
}
