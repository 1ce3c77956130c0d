use serde::Serialize;
use specta::Type;
use tauri_plugin_convoy_supervisor::rendering::RenderingChoice;

/// What the shell is: shown in the UI's About line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub tauri_version: String,
    pub os: String,
    pub arch: String,
    pub debug: bool,
    /// How the webview draws, as the shell chose first thing at start-up;
    /// `null` from the UI's browser platform, where no shell chose.
    pub rendering: Option<RenderingChoice>,
}

/// How long start-up took, as the shell measured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StartupReport {
    /// Milliseconds from the shell's start to the main window showing data from the api.
    pub main_with_data_ms: u32,
}
