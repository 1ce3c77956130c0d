//! The whole shell: the supervisor plugin, set up with the usual directories.
//! The sidecars (Valkey, the FastAPI api, the worker), the window and its
//! permissions are all in `tauri.conf.json` and `capabilities/`.

use std::path::PathBuf;

use tauri_plugin_convoy_supervisor::Config;

pub fn run() {
    // Before any thread starts: it may set WebKitGTK's environment.
    if let Err(err) = tauri_plugin_convoy_supervisor::rendering::choose_webview_rendering() {
        eprintln!("fastapi-valkey: {err}");
        std::process::exit(1);
    }
    tauri::Builder::default()
        .setup(|app| {
            let config = Config {
                // Debug builds run the Python from the example's venv.
                dev_dir: cfg!(debug_assertions).then(|| PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
                echo: cfg!(debug_assertions),
                ..Config::standalone(app.handle())?
            };
            app.handle()
                .plugin(tauri_plugin_convoy_supervisor::init(config))?;
            Ok(())
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|err| {
            eprintln!("fastapi-valkey: {err}");
            std::process::exit(1);
        });
}
