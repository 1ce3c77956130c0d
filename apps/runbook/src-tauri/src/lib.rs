//! Runbook's shell: windows, typed commands, and the sidecars' supervisor.
//! Commands are thin adapters; the work lives in `convoy-supervisor` and the
//! feature services.

mod backchannel;
mod bindings;
mod error;
mod features;
mod paths;
mod sidecars;
mod windows;

use std::{collections::BTreeMap, path::PathBuf};

use features::launch::{self, service::Launcher, types::LaunchPhase};
use tauri::{Manager, RunEvent, WindowEvent};
use tauri_plugin_convoy_supervisor::Config as SupervisorConfig;

pub fn run() {
    features::app::startup::mark_launch();
    // Before any thread starts: it may set WebKitGTK's environment.
    let rendering = match tauri_plugin_convoy_supervisor::rendering::choose_webview_rendering() {
        Ok(choice) => choice,
        Err(err) => {
            eprintln!("runbook: could not start: {err}");
            std::process::exit(1);
        }
    };
    let builder = bindings::builder();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            app.manage(rendering);
            let paths = paths::AppPaths::resolve(app.handle())?;
            // The back-channel is the shell's own server, so its token is made
            // here; every other secret comes from the graph in tauri.conf.json.
            let backchannel_token = convoy_supervisor::random_token()?;
            app.handle()
                .plugin(tauri_plugin_convoy_supervisor::init(SupervisorConfig {
                    named_secrets: BTreeMap::from([(
                        sidecars::BACKCHANNEL_TOKEN.to_owned(),
                        backchannel_token.clone(),
                    )]),
                    runtime_dir: paths.runtime_dir.clone(),
                    data_dir: paths.data_dir.clone(),
                    // Debug builds run the sidecar's TypeScript under the repository's Bun.
                    dev_dir: cfg!(debug_assertions)
                        .then(|| PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
                    log_dir: Some(paths.log_dir.clone()),
                    ledger: Some(paths.ledger()),
                    echo: cfg!(debug_assertions),
                    handle_signals: true,
                    ..SupervisorConfig::default()
                }))?;
            backchannel::start(
                app.handle(),
                &paths.backchannel_socket(),
                backchannel_token.clone(),
            )?;
            app.manage(features::selection::types::SelectionState::default());
            app.manage(Launcher::new(paths));
            features::updates::setup(app.handle())?;
            // The windows before the sidecars, on purpose. Creating a window
            // asks the session bus for the colour scheme (tao's portal check);
            // without a running bus, libdbus forks a helper and reads its pipe
            // until EOF. A sidecar spawned meanwhile inherits that pipe's write
            // end and keeps it open, and the main thread then waits forever
            // (seen when the supervisor was started first). Starting the
            // supervisor first gained nothing measurable anyway: the main
            // window's page, not the sidecar chain, decides when data shows
            // (bench/results/startup.md).
            windows::create(app.handle())?;
            launch::service::start(app.handle())?;
            Ok(())
        })
        .build(tauri::generate_context!())
        .unwrap_or_else(|err| {
            eprintln!("runbook: could not start: {err}");
            std::process::exit(1);
        });

    app.run(|app, event| match event {
        // Closing the splash before start-up finishes quits; the hidden main
        // window would otherwise keep the app alive with nothing on screen.
        RunEvent::WindowEvent {
            label,
            event: WindowEvent::Destroyed,
            ..
        } if label == windows::SPLASH
            && app.state::<Launcher>().state().phase != LaunchPhase::Ready =>
        {
            app.exit(0);
        }
        // The supervisor plugin has stopped the sidecars by now (it sees
        // `Exit` first: plugins are called before this closure).
        RunEvent::Exit => app.state::<Launcher>().paths.remove_runtime_dir(),
        _ => {}
    });
}
