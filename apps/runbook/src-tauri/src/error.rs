use serde::Serialize;
use specta::Type;

/// Every error a shell command can return. The UI switches on `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, thiserror::Error)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum CommandError {
    /// A start-up is already under way.
    #[error("start-up is already running")]
    LaunchInProgress,
    /// A window could not be opened.
    #[error("the window could not be opened: {reason}")]
    WindowFailed { reason: String },
    /// What was given as a job id cannot be one.
    #[error("not a job id: {reason}")]
    InvalidJobId { reason: String },
}

pub type CommandResult<T> = Result<T, CommandError>;
