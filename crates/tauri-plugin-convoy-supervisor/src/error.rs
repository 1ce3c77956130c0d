use serde::Serialize;
use specta::Type;

/// Every error the plugin's commands return. The UI switches on `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, thiserror::Error)]
#[serde(tag = "type", rename = "SidecarError", rename_all_fields = "camelCase")]
pub enum Error {
    /// No sidecar has this name.
    #[error("there is no sidecar named {name:?}")]
    UnknownSidecar { name: String },
    /// A one-shot step, or a sidecar that was never started.
    #[error("{name} cannot be restarted")]
    NotRestartable { name: String },
    /// An argument was well-formed but not an acceptable value.
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: String, reason: String },
}

impl From<convoy_supervisor::SupervisorError> for Error {
    fn from(error: convoy_supervisor::SupervisorError) -> Self {
        use convoy_supervisor::SupervisorError as E;
        match error {
            E::UnknownSidecar { name } => Self::UnknownSidecar { name },
            E::NotRestartable { name } => Self::NotRestartable { name },
        }
    }
}

/// Why `endpoint` has no answer. The UI switches on `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, thiserror::Error)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum EndpointError {
    /// No sidecar has this name.
    #[error("there is no sidecar named {name:?}")]
    UnknownSidecar { name: String },
    /// Its configuration does not expose it to windows.
    #[error("{name} is not exposed to windows")]
    NotExposed { name: String },
    /// It is not ready (yet, or at the moment: starting, restarting, failed).
    #[error("{name} is not ready")]
    NotReady { name: String },
}

pub type Result<T> = std::result::Result<T, Error>;
