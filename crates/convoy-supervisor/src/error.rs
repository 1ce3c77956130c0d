use std::time::Duration;

/// Why one sidecar did not become ready.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error("could not start {program}: {reason}")]
    Spawn { program: String, reason: String },
    #[error("exited with {} before it was ready", describe_exit(*code))]
    ExitedEarly { code: Option<i32> },
    #[error("finished with {} (a one-shot step must exit 0)", describe_exit(*code))]
    OneShotFailed { code: Option<i32> },
    #[error("not ready after {} ms", timeout.as_millis())]
    NotReady { timeout: Duration },
    #[error("cannot start: {reason}")]
    Graph { reason: String },
}

/// A failed start: which sidecar, why, and the last lines it printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{sidecar}: {error}")]
pub struct StartFailure {
    pub sidecar: String,
    pub error: StartError,
    pub last_lines: Vec<String>,
}

fn describe_exit(code: Option<i32>) -> String {
    match code {
        Some(code) => format!("exit code {code}"),
        None => "a signal".to_owned(),
    }
}
