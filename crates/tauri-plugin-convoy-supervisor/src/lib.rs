#![doc = include_str!("../README.md")]

mod commands;
mod error;
mod launch;
mod models;
mod pump;
pub mod rendering;
mod standalone;

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{Arc, Mutex, PoisonError},
};

use convoy_supervisor::{
    config::{LaunchContext, Secrets},
    LaunchLedger, Supervisor, SupervisorOptions,
};
use tauri::{
    plugin::{Builder, TauriPlugin},
    AppHandle, Emitter, Manager, RunEvent, Runtime,
};
use tauri_specta::Event;

pub use commands::MAX_LOG_LINES;
pub use convoy_supervisor::config::{self, ConfigError};
pub use error::{EndpointError, Error, Result};
pub use launch::LaunchError;
pub use models::{Endpoint, SidecarLogBatch, SidecarLogs, SidecarState, SidecarStatus};

/// The plugin's name: its commands are `plugin:convoy-supervisor|<command>`.
pub const PLUGIN_NAME: &str = "convoy-supervisor";

/// What the app tells the plugin in Rust: where its files go, and what only
/// it knows. The sidecars themselves are declared in `tauri.conf.json`
/// (`plugins."convoy-supervisor"`, see [`config`]).
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Redacted from every line any sidecar prints (tokens, passwords).
    pub secrets: Vec<String>,
    /// Secrets the app made itself, by name, for `{secret:<name>}` (a token
    /// for a server the app runs, say); the rest are generated. All are redacted.
    pub named_secrets: BTreeMap<String, String>,
    /// This launch's private (0700) directory: `{runtimeDir}`.
    pub runtime_dir: PathBuf,
    /// The app's data directory: `{dataDir}`.
    pub data_dir: PathBuf,
    /// In development builds, the app's directory (the one holding
    /// `tauri.conf.json`), so a sidecar's `program.dev` runs instead.
    pub dev_dir: Option<PathBuf>,
    /// Each sidecar's output also goes to `<log_dir>/<name>.log`, rotated.
    pub log_dir: Option<PathBuf>,
    /// A file recording each launch, so the next one can clean up after a crash.
    pub ledger: Option<PathBuf>,
    /// Each line is also printed to the shell's stderr (for development).
    pub echo: bool,
    /// Stop the app (and so the sidecars) on SIGTERM and SIGINT.
    pub handle_signals: bool,
    /// The plugin launches the graph itself once it is set up (failures go
    /// to stderr and the sidecars' statuses), for an app with no start-up
    /// screen of its own.
    pub launch_on_start: bool,
    /// The plugin removes `runtime_dir` when the app exits, after the
    /// sidecars have stopped.
    pub remove_runtime_dir: bool,
}

/// The supervisor, in the app's state.
pub struct Sidecars {
    supervisor: Arc<Supervisor>,
    ledger: Mutex<Option<LaunchLedger>>,
    graph: launch::Graph,
    /// Each sidecar's port in the last launch.
    ports: Mutex<BTreeMap<String, u16>>,
}

impl Sidecars {
    pub fn supervisor(&self) -> Arc<Supervisor> {
        self.supervisor.clone()
    }

    pub fn statuses(&self) -> Vec<SidecarStatus> {
        self.supervisor
            .statuses()
            .iter()
            .map(SidecarStatus::from)
            .collect()
    }

    /// Stops every sidecar, the last started first, and closes this launch's
    /// ledger entry. Blocks; for the app's exit.
    pub fn shutdown(&self) {
        tauri::async_runtime::block_on(self.supervisor.stop_all());
        if let Some(ledger) = self
            .ledger
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            ledger.close();
        }
    }
}

/// Access to the supervisor from anything that can reach the app.
pub trait SupervisorExt<R: Runtime> {
    fn sidecars(&self) -> tauri::State<'_, Sidecars>;
}

impl<R: Runtime, T: Manager<R>> SupervisorExt<R> for T {
    fn sidecars(&self) -> tauri::State<'_, Sidecars> {
        self.state::<Sidecars>()
    }
}

/// The plugin's commands, for its bindings (`guest-js/bindings.ts`).
pub fn specta_builder<R: Runtime>() -> tauri_specta::Builder<R> {
    tauri_specta::Builder::<R>::new()
        .plugin_name(PLUGIN_NAME)
        .disable_serde_phases()
        .commands(tauri_specta::collect_commands![
            commands::list,
            commands::restart,
            commands::logs,
            commands::endpoint,
        ])
}

/// The plugin's event types, for the app to list in its own `collect_events!`.
pub type StatusEvent = SidecarStatus;
pub type LogEvent = SidecarLogBatch;

/// The plugin. Its section of `tauri.conf.json` is taken as raw JSON and
/// parsed here, so a wrong type is named with its JSON path (Tauri's own
/// message has none) and a bad graph reaches the app's failure screen through
/// [`Sidecars::launch`] instead of ending setup.
pub fn init<R: Runtime>(config: Config) -> TauriPlugin<R, serde_json::Value> {
    let handler = specta_builder::<R>().invoke_handler();
    let (remove_runtime_dir, runtime_dir) = (config.remove_runtime_dir, config.runtime_dir.clone());
    Builder::<R, serde_json::Value>::new(PLUGIN_NAME)
        .invoke_handler(handler)
        .setup(move |app, api| {
            let graph = convoy_supervisor::config::parse(api.config());
            let secrets = match &graph {
                Ok(graph) => Secrets::generate(graph, config.named_secrets.clone())?,
                Err(_) => Secrets::default(),
            };
            let mut context =
                LaunchContext::from_env(config.runtime_dir.clone(), config.data_dir.clone());
            context.resource_dir = app.path().resource_dir().ok();
            context.dev_dir = config.dev_dir.clone();
            let mut redacted = config.secrets.clone();
            redacted.extend(secrets.values());
            redacted.extend(config.named_secrets.values().cloned());
            let launch_id = convoy_supervisor::random_token()?[..16].to_owned();
            let ledger = match &config.ledger {
                Some(path) => {
                    let (ledger, killed) = LaunchLedger::open(path, launch_id.clone())?;
                    if killed > 0 {
                        eprintln!(
                            "convoy: stopped {killed} process(es) a previous launch left running"
                        );
                    }
                    Some(ledger)
                }
                None => None,
            };
            let emitter = app.clone();
            let supervisor = Supervisor::new(
                SupervisorOptions {
                    secrets: redacted,
                    log_dir: config.log_dir.clone(),
                    echo: config.echo,
                    launch_id: Some(launch_id),
                },
                Arc::new(move |status| {
                    // No window listening is not an error: windows read `list` when they open.
                    let _ = emitter.emit(SidecarStatus::NAME, SidecarStatus::from(status));
                }),
            );
            let supervisor = Arc::new(supervisor);
            install_panic_hook(&supervisor);
            app.manage(Sidecars {
                supervisor: supervisor.clone(),
                ledger: Mutex::new(ledger),
                graph: launch::Graph {
                    config: graph,
                    secrets,
                    context,
                },
                ports: Mutex::new(BTreeMap::new()),
            });
            pump::spawn(app.clone(), supervisor);
            if config.handle_signals {
                exit_on_signals(app.clone());
            }
            if config.launch_on_start {
                standalone::launch(app.clone());
            }
            Ok(())
        })
        .on_event(move |app, event| {
            if let RunEvent::Exit = event {
                app.sidecars().shutdown();
                if remove_runtime_dir {
                    let _ = std::fs::remove_dir_all(&runtime_dir);
                }
            }
        })
        .build()
}

/// A panic on the main thread ends the app without `RunEvent::Exit`: kill
/// every sidecar's process group on the way out. Panics on other threads are
/// caught by their runtimes and the app keeps running, so they are left alone.
fn install_panic_hook(supervisor: &Arc<Supervisor>) {
    let supervisor = Arc::downgrade(supervisor);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("main") {
            if let Some(supervisor) = supervisor.upgrade() {
                supervisor.kill_all_now();
            }
        }
        previous(info);
    }));
}

/// SIGTERM and SIGINT exit the app the normal way, which stops the sidecars.
fn exit_on_signals<R: Runtime>(app: AppHandle<R>) {
    #[cfg(unix)]
    tauri::async_runtime::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            eprintln!("convoy: could not watch SIGTERM/SIGINT");
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        app.exit(0);
    });
    #[cfg(not(unix))]
    let _ = app;
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use specta_typescript::Typescript;

    /// Fails when `guest-js/bindings.ts` differs from what the Rust declares.
    /// `UPDATE_BINDINGS=1 cargo test -p tauri-plugin-convoy-supervisor` rewrites it.
    #[test]
    fn bindings_are_current() {
        let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("guest-js/bindings.ts");
        convoy_generated::check_export(&committed, |fresh| {
            super::specta_builder::<tauri::Wry>()
                .export(Typescript::default(), fresh)
                .expect("bindings export");
        });
    }

    /// Fails when `config.schema.json` differs from what the config types
    /// generate. `UPDATE_BINDINGS=1 cargo test -p tauri-plugin-convoy-supervisor` rewrites it.
    #[test]
    fn config_schema_is_current() {
        let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config.schema.json");
        convoy_generated::check_or_update(&committed, &super::config::json_schema());
    }

    #[test]
    fn statuses_serialize_for_the_ui() {
        let mut status = convoy_supervisor::SidecarStatus::pending("api", Some(4000), false);
        status.pid = Some(42);
        let json = serde_json::to_value(super::SidecarStatus::from(&status)).expect("json");
        assert_eq!(json["name"], "api");
        assert_eq!(json["state"], "pending");
        assert_eq!(json["port"], 4000);
        assert_eq!(json["pid"], 42);
        assert!(json["lastExitCode"].is_null());
        assert!(json["since"].as_u64().is_some_and(|s| s > 1_700_000_000));
    }

    #[test]
    fn errors_are_tagged() {
        let json =
            serde_json::to_value(super::Error::UnknownSidecar { name: "x".into() }).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"type": "UnknownSidecar", "name": "x"})
        );
    }

    #[test]
    fn endpoint_errors_are_tagged() {
        let json = serde_json::to_value(super::EndpointError::NotReady { name: "api".into() })
            .expect("json");
        assert_eq!(json, serde_json::json!({"type": "NotReady", "name": "api"}));
    }
}
