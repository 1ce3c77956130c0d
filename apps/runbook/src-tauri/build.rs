/// The app's own commands. Listing them makes Tauri generate an
/// `allow-<command>` permission for each and refuse any window whose
/// capability does not grant it.
const COMMANDS: &[&str] = &[
    "app_info",
    "quit",
    "launch_state",
    "retry_launch",
    "open_window",
    "startup_report",
    "selection",
    "select_job",
    "shell_build",
    "check_update",
    "download_update",
    "install_update",
];

fn main() {
    // The sidecar graph (`plugins."convoy-supervisor"`) is checked here, so a
    // bad one fails `cargo build` with its named error instead of a launch.
    let conf = std::path::Path::new("tauri.conf.json");
    println!("cargo:rerun-if-changed=tauri.conf.json");
    if let Err(error) = convoy_supervisor::config::check_tauri_conf(conf) {
        eprintln!("error: tauri.conf.json: {error}");
        std::process::exit(1);
    }
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build");
}
