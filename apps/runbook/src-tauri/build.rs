/// The app's own commands. Listing them makes Tauri generate an
/// `allow-<command>` permission for each and refuse any window whose
/// capability does not grant it.
const COMMANDS: &[&str] = &[
    "app_info",
    "quit",
    "launch_state",
    "retry_launch",
    "api_endpoint",
    "open_window",
    "startup_report",
    "selection",
    "select_job",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build");
}
