use tauri::State;

use super::types::ApiEndpoint;
use crate::{error::CommandResult, features::launch::service::Launcher};

/// The api's base URL and token, once the api is ready.
#[tauri::command]
#[specta::specta]
pub fn api_endpoint(launcher: State<'_, Launcher>) -> CommandResult<ApiEndpoint> {
    launcher.endpoint()
}
