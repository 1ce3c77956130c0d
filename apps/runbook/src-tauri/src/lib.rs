//! Runbook's shell: windows, typed commands, and the sidecars' supervisor.
//! Commands are thin adapters; the work lives in `convoy-supervisor` and the
//! feature services.

mod bindings;
mod error;
mod features;
mod paths;
mod sidecars;
mod windows;

use features::launch::{self, service::Launcher, types::LaunchPhase};
use tauri::{Manager, RunEvent, WindowEvent};

pub fn run() {
    let builder = bindings::builder();
    let app = tauri::Builder::default()
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            let paths = paths::AppPaths::resolve(app.handle())?;
            let token = convoy_supervisor::random_token()?;
            let program = sidecars::SidecarProgram::locate();
            app.manage(Launcher::new(paths, token, program));
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
        RunEvent::Exit => {
            let supervisor = app.state::<Launcher>().supervisor.clone();
            tauri::async_runtime::block_on(supervisor.stop_all());
        }
        _ => {}
    });
}
