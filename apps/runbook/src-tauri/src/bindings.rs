//! The typed UI ↔ shell contract, exported to `ui/src/lib/bindings.ts`.

use tauri_specta::{collect_commands, collect_events, Builder};

use crate::features::{app, launch, selection, updates, windows};

pub fn builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        // One shape per type: nothing here is deserialized differently than it is sent.
        .disable_serde_phases()
        .commands(collect_commands![
            app::commands::app_info::<tauri::Wry>,
            app::commands::quit::<tauri::Wry>,
            app::commands::startup_report,
            launch::commands::launch_state,
            launch::commands::retry_launch::<tauri::Wry>,
            windows::commands::open_window::<tauri::Wry>,
            selection::commands::selection,
            selection::commands::select_job::<tauri::Wry>,
            updates::commands::shell_build::<tauri::Wry>,
            updates::commands::check_update::<tauri::Wry>,
            updates::commands::download_update::<tauri::Wry>,
            updates::commands::install_update::<tauri::Wry>,
        ])
        // The supervisor plugin's events are declared here, so their names
        // stay `sidecar:status` and `sidecar:log`; its commands have their
        // own bindings in the plugin's `guest-js`.
        .events(collect_events![
            launch::types::LaunchState,
            selection::types::Selection,
            tauri_plugin_convoy_supervisor::StatusEvent,
            tauri_plugin_convoy_supervisor::LogEvent,
        ])
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use specta_typescript::Typescript;

    /// Fails when the committed bindings differ from what the Rust declares.
    /// `UPDATE_BINDINGS=1 cargo test -p runbook bindings` rewrites them.
    #[test]
    fn bindings_are_current() {
        let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
        convoy_generated::check_export(&committed, |fresh| {
            super::builder()
                .export(Typescript::default(), fresh)
                .expect("bindings export");
        });
    }
}
