use std::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex, PoisonError,
};

use convoy_supervisor::{valkey::ValkeyConfig, StartError, StartFailure};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_convoy_supervisor::SupervisorExt;
use tauri_specta::Event;

use super::types::{LaunchPhase, LaunchState};
use crate::{
    error::{CommandError, CommandResult},
    features::{api::types::ApiEndpoint, app::startup},
    paths::AppPaths,
    sidecars::{api_port, locate_valkey, runbook_sidecars, LaunchConfig, SidecarProgram},
    windows,
};

/// Runs start-up and remembers where it got to.
pub struct Launcher {
    pub paths: AppPaths,
    token: String,
    valkey_password: String,
    backchannel_token: String,
    program: SidecarProgram,
    state: Mutex<LaunchState>,
    endpoint: Mutex<Option<ApiEndpoint>>,
    in_flight: AtomicBool,
}

impl Launcher {
    pub fn new(
        paths: AppPaths,
        token: String,
        valkey_password: String,
        backchannel_token: String,
        program: SidecarProgram,
    ) -> Self {
        Self {
            paths,
            token,
            valkey_password,
            backchannel_token,
            program,
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
    let fail_before_start = |sidecar: &str, reason: String| {
        let failure = StartFailure {
            sidecar: sidecar.into(),
            error: StartError::Spawn {
                program: sidecar.into(),
                reason,
            },
            last_lines: Vec::new(),
        };
        launcher.update(app, |state| state.fail(&failure));
    };
    let api_port = match api_port() {
        Ok(port) => port,
        Err(err) => return fail_before_start("api", format!("no port for the api: {err}")),
    };
    let config = LaunchConfig {
        data_dir: launcher.paths.data_dir.clone(),
        api_port,
        api_token: launcher.token.clone(),
        valkey_server: locate_valkey(),
        valkey: ValkeyConfig::new(
            &launcher.paths.runtime_dir,
            launcher.paths.data_dir.join("valkey"),
            launcher.valkey_password.clone(),
        ),
        backchannel_socket: launcher.paths.backchannel_socket(),
        backchannel_token: launcher.backchannel_token.clone(),
    };
    if let Err(err) = config.valkey.write() {
        return fail_before_start("valkey", format!("could not write its config: {err}"));
    }
    let specs = runbook_sidecars(&launcher.program, &config);
    let names: Vec<String> = specs.iter().map(|spec| spec.name.clone()).collect();
    launcher.update(app, |state| *state = LaunchState::starting(names));

    let supervisor = app.sidecars().supervisor();
    let result = supervisor
        .start_all(&specs, |step| {
            launcher.update(app, |state| state.apply(&step))
        })
        .await;
    match result {
        Ok(()) => {
            *launcher
                .endpoint
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(ApiEndpoint {
                base_url: format!("http://127.0.0.1:{api_port}"),
                token: launcher.token.clone(),
            });
            launcher.update(app, LaunchState::ready);
            startup::sidecars_ready();
            windows::reveal_main(app);
        }
        Err(failure) => launcher.update(app, |state| state.fail(&failure)),
    }
}
