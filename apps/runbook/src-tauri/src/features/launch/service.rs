use std::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex, PoisonError,
};

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_convoy_supervisor::SupervisorExt;
use tauri_specta::Event;

use super::types::{LaunchPhase, LaunchState};
use crate::{
    error::{CommandError, CommandResult},
    features::app::startup,
    paths::AppPaths,
    windows,
};

/// Runs start-up and remembers where it got to.
pub struct Launcher {
    pub paths: AppPaths,
    state: Mutex<LaunchState>,
    in_flight: AtomicBool,
}

impl Launcher {
    pub fn new(paths: AppPaths) -> Self {
        Self {
            paths,
            state: Mutex::new(LaunchState::starting(Vec::<String>::new())),
            in_flight: AtomicBool::new(false),
        }
    }
    pub fn state(&self) -> LaunchState {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
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
    launcher.update(app, LaunchState::ready);
    startup::sidecars_ready();
    windows::reveal_main(app);
}
