use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri_specta::Event;

use crate::error::{CommandError, CommandResult};

/// What is selected; sent whole as `selection:changed` whenever it changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type, Event)]
#[serde(rename_all = "camelCase")]
#[tauri_specta(event_name = "selection:changed")]
pub struct Selection {
    /// The selected job's id (the api's), or none.
    pub job_id: Option<String>,
}

/// Longer than any id the api gives (UUIDs, 36 characters).
const MAX_JOB_ID_LEN: usize = 64;

impl Selection {
    /// A selection of `job_id`, refused when it cannot be a job id.
    pub fn of_job(job_id: Option<String>) -> CommandResult<Self> {
        if let Some(id) = &job_id {
            let reason = if id.is_empty() {
                Some("it is empty")
            } else if id.len() > MAX_JOB_ID_LEN {
                Some("it is longer than 64 characters")
            } else if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                Some("only letters, digits and '-' can appear in it")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(CommandError::InvalidJobId {
                    reason: reason.to_owned(),
                });
            }
        }
        Ok(Self { job_id })
    }
}

/// The shell's copy, in the app's managed state.
#[derive(Debug, Default)]
pub struct SelectionState(Mutex<Selection>);

impl SelectionState {
    pub fn get(&self) -> Selection {
        self.lock().clone()
    }

    /// Replaces the selection; whether it changed.
    pub fn set(&self, selection: Selection) -> bool {
        let mut current = self.lock();
        let changed = *current != selection;
        *current = selection;
        changed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Selection> {
        // A panic elsewhere cannot leave a half-written Option behind.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_api_ids_and_none() {
        let id = "019a8f3e-7c1d-7b2a-9f00-123456789abc".to_owned();
        let selection = Selection::of_job(Some(id.clone())).expect("an api id");
        assert_eq!(selection.job_id, Some(id));
        assert_eq!(Selection::of_job(None), Ok(Selection::default()));
    }

    #[test]
    fn refuses_what_cannot_be_a_job_id() {
        for bad in ["", "a b", "../etc", "ü", &"a".repeat(65)] {
            let result = Selection::of_job(Some(bad.to_owned()));
            assert!(
                matches!(result, Err(CommandError::InvalidJobId { .. })),
                "{bad:?}: {result:?}"
            );
        }
    }

    #[test]
    fn set_says_whether_anything_changed() {
        let state = SelectionState::default();
        let a = Selection::of_job(Some("a".into())).expect("an id");
        assert!(state.set(a.clone()));
        assert!(!state.set(a.clone()));
        assert_eq!(state.get(), a);
        assert!(state.set(Selection::default()));
    }
}
