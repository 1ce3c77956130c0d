use serde::Serialize;
use specta::Type;

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
}

/// How long start-up took, as the shell measured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StartupReport {
    /// Milliseconds from the shell's start to the main window showing data from the api.
    pub main_with_data_ms: u32,
}
