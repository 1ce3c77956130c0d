use convoy_supervisor::StartStep;
use serde::Serialize;
use specta::Type;
use tauri_plugin_convoy_supervisor::LaunchError;
use tauri_specta::Event;

/// Named on the failure screen when the configuration as a whole is wrong.
const CONFIGURATION: &str = "tauri.conf.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum StepStatus {
    Pending,
    Starting,
    Ready,
    Failed,
}

/// One sidecar's progress through start-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct LaunchStep {
    pub sidecar: String,
    pub status: StepStatus,
    /// Milliseconds from its start to ready.
    pub elapsed_ms: Option<u32>,
}

/// Why start-up stopped, for the failure screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct LaunchFailure {
    pub sidecar: String,
    pub reason: String,
    pub last_lines: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum LaunchPhase {
    Starting,
    Ready,
    Failed,
}

/// Where start-up is; sent whole on every change as `launch:progress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, Event)]
#[serde(rename_all = "camelCase")]
#[tauri_specta(event_name = "launch:progress")]
pub struct LaunchState {
    pub phase: LaunchPhase,
    pub steps: Vec<LaunchStep>,
    pub failure: Option<LaunchFailure>,
}

impl LaunchState {
    pub fn starting<S: Into<String>>(sidecars: impl IntoIterator<Item = S>) -> Self {
        Self {
            phase: LaunchPhase::Starting,
            steps: sidecars
                .into_iter()
                .map(|sidecar| LaunchStep {
                    sidecar: sidecar.into(),
                    status: StepStatus::Pending,
                    elapsed_ms: None,
                })
                .collect(),
            failure: None,
        }
    }

    pub fn apply(&mut self, step: &StartStep) {
        let (name, status, elapsed_ms) = match step {
            StartStep::Starting { sidecar } => (sidecar, StepStatus::Starting, None),
            StartStep::Ready { sidecar, elapsed } => (
                sidecar,
                StepStatus::Ready,
                Some(u32::try_from(elapsed.as_millis()).unwrap_or(u32::MAX)),
            ),
        };
        if let Some(entry) = self.steps.iter_mut().find(|s| &s.sidecar == name) {
            entry.status = status;
            entry.elapsed_ms = elapsed_ms;
        }
    }

    pub fn ready(&mut self) {
        self.phase = LaunchPhase::Ready;
    }

    pub fn fail(&mut self, error: &LaunchError) {
        self.fail_with(LaunchFailure {
            sidecar: error.sidecar().unwrap_or(CONFIGURATION).to_owned(),
            reason: error.reason(),
            last_lines: error.last_lines().to_vec(),
        });
    }

    pub fn fail_with(&mut self, failure: LaunchFailure) {
        self.phase = LaunchPhase::Failed;
        if let Some(entry) = self.steps.iter_mut().find(|s| s.sidecar == failure.sidecar) {
            entry.status = StepStatus::Failed;
        }
        self.failure = Some(failure);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use convoy_supervisor::{config::ConfigError, StartError, StartFailure};

    use super::*;

    #[test]
    fn steps_move_from_pending_to_ready() {
        let mut state = LaunchState::starting(["migrate", "api"]);
        state.apply(&StartStep::Starting {
            sidecar: "migrate".into(),
        });
        assert_eq!(state.steps[0].status, StepStatus::Starting);
        state.apply(&StartStep::Ready {
            sidecar: "migrate".into(),
            elapsed: Duration::from_millis(42),
        });
        assert_eq!(state.steps[0].status, StepStatus::Ready);
        assert_eq!(state.steps[0].elapsed_ms, Some(42));
        assert_eq!(state.steps[1].status, StepStatus::Pending);
        state.ready();
        assert_eq!(state.phase, LaunchPhase::Ready);
    }

    #[test]
    fn a_failure_names_the_sidecar_and_keeps_its_lines() {
        let mut state = LaunchState::starting(["migrate", "api"]);
        state.fail(&LaunchError::Start(StartFailure {
            sidecar: "api".into(),
            error: StartError::ExitedEarly { code: Some(3) },
            last_lines: vec!["port 4000 is already in use".into()],
        }));
        assert_eq!(state.phase, LaunchPhase::Failed);
        assert_eq!(state.steps[1].status, StepStatus::Failed);
        let failure = state.failure.expect("failure");
        assert_eq!(
            failure.reason,
            "exited with exit code 3 before it was ready"
        );
        assert_eq!(failure.last_lines, ["port 4000 is already in use"]);
    }

    #[test]
    fn a_bad_configuration_is_shown_as_a_failure() {
        let mut state = LaunchState::starting(["migrate", "api"]);
        state.fail(&LaunchError::Config(ConfigError::MissingProgram {
            sidecar: "migrate".into(),
            program: "/nonexistent/runbook-sidecar".into(),
            reason: "no such program (from CONVOY_SIDECAR)".into(),
        }));
        assert_eq!(state.steps[0].status, StepStatus::Failed);
        let failure = state.failure.expect("failure");
        assert_eq!(failure.sidecar, "migrate");
        assert!(failure
            .reason
            .starts_with("could not start /nonexistent/runbook-sidecar"));

        let mut state = LaunchState::starting(Vec::<String>::new());
        state.fail(&LaunchError::Config(ConfigError::Missing));
        assert_eq!(state.failure.expect("failure").sidecar, "tauri.conf.json");
    }

    #[test]
    fn serializes_in_camel_case() {
        let state = LaunchState::starting(["api"]);
        let json = serde_json::to_value(&state).expect("json");
        assert_eq!(json["phase"], "starting");
        assert_eq!(json["steps"][0]["status"], "pending");
        assert!(json["steps"][0]["elapsedMs"].is_null());
    }
}
