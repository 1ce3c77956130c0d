use std::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex, PoisonError,
};

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_convoy_supervisor::SupervisorExt;
use tauri_specta::Event;

use super::types::{LaunchFailure, LaunchPhase, LaunchState};
use crate::{
    error::{CommandError, CommandResult},
    features::{api::types::ApiEndpoint, app::startup},
    paths::AppPaths,
    sidecars, windows,
};

/// Runs start-up and remembers where it got to.
pub struct Launcher {
    pub paths: AppPaths,
    state: Mutex<LaunchState>,
    endpoint: Mutex<Option<ApiEndpoint>>,
    in_flight: AtomicBool,
}

impl Launcher {
    pub fn new(paths: AppPaths) -> Self {
        Self {
            paths,
            state: Mutex::new(LaunchState::starting(Vec::<String>::new())),
            endpoint: Mutex::new(None),
            in_flight: AtomicBool::new(false),
        }
    }
    pub fn state(&self) -> LaunchState {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn endpoint(&self) -> CommandResult<ApiEndpoint> {
        self.endpoint
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(CommandError::ApiNotReady)
    }

    fn update<R: Runtime>(&self, app: &AppHandle<R>, change: impl FnOnce(&mut LaunchState)) {
        let snapshot = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            change(&mut state);
            state.clone()
        };
        // A window that is gone cannot miss anything: new windows read `launch_state`.
        let _ = snapshot.emit(app);
    }
}

/// Starts the sidecars in the background; the splash follows along.
pub fn start<R: Runtime>(app: &AppHandle<R>) -> CommandResult<()> {
    let launcher = app.state::<Launcher>();
    if launcher.state().phase == LaunchPhase::Ready {
        return Ok(());
    }
    // Claimed atomically, so two Retry clicks start once.
    if launcher.in_flight.swap(true, Ordering::AcqRel) {
        return Err(CommandError::LaunchInProgress);
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        run(&app).await;
        app.state::<Launcher>()
            .in_flight
            .store(false, Ordering::Release);
    });
    Ok(())
}

async fn run<R: Runtime>(app: &AppHandle<R>) {
    let launcher = app.state::<Launcher>();
    let sidecars = app.sidecars();
    launcher.update(app, |state| {
        *state = LaunchState::starting(sidecars.declared())
    });
    let result = sidecars
        .launch(|step| launcher.update(app, |state| state.apply(&step)))
        .await;
    if let Err(error) = result {
        return launcher.update(app, |state| state.fail(&error));
    }
    let endpoint = sidecars
        .port(sidecars::API)
        .zip(sidecars.secret(sidecars::API_TOKEN));
    let Some((port, token)) = endpoint else {
        let failure = LaunchFailure {
            sidecar: sidecars::API.into(),
            reason: format!(
                "tauri.conf.json gives {} no port or no {{secret:{}}}",
                sidecars::API,
                sidecars::API_TOKEN
            ),
            last_lines: Vec::new(),
        };
        return launcher.update(app, |state| state.fail_with(failure));
    };
    *launcher
        .endpoint
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(ApiEndpoint {
        base_url: format!("http://127.0.0.1:{port}"),
        token,
    });
    launcher.update(app, LaunchState::ready);
    startup::sidecars_ready();
    windows::reveal_main(app);
}
