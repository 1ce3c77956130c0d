//! The shell's end of the back-channel: what a sidecar may ask of it.

use std::{path::Path, sync::Arc};

use convoy_backchannel::{
    protocol::{Broadcast, FocusWindow, Notify, OpenWindow},
    BackchannelError, Handler, Request,
};
use tauri::{AppHandle, Emitter, Runtime};
use tauri_plugin_notification::NotificationExt;

use crate::{features::windows::types::WindowRoute, windows};

struct Shell<R: Runtime> {
    app: AppHandle<R>,
}

impl<R: Runtime> Handler for Shell<R> {
    fn handle(&self, request: Request) -> Result<(), BackchannelError> {
        let unavailable = |err: &dyn std::fmt::Display| BackchannelError::Unavailable {
            reason: err.to_string(),
        };
        match request {
            Request::FocusWindow(FocusWindow { window }) => {
                if windows::focus(&self.app, known(&window)?) {
                    Ok(())
                } else {
                    Err(BackchannelError::WindowNotOpen { window })
                }
            }
            Request::OpenWindow(OpenWindow { route }) => {
                windows::open(&self.app, known(&route)?).map_err(|err| unavailable(&err))
            }
            Request::Notify(Notify { title, body }) => self
                .app
                .notification()
                .builder()
                .title(title)
                .body(body)
                .show()
                .map_err(|err| unavailable(&err)),
            Request::Broadcast(Broadcast { event, payload }) => self
                .app
                .emit(&event, payload)
                .map_err(|err| unavailable(&err)),
        }
    }
}

/// The protocol carries any well-formed route; only the app knows its windows.
fn known(route: &str) -> Result<WindowRoute, BackchannelError> {
    WindowRoute::from_name(route).ok_or_else(|| BackchannelError::UnknownWindow {
        window: route.to_owned(),
    })
}

/// Binds the back-channel socket at `path` and serves it for the app's life.
pub fn start<R: Runtime>(app: &AppHandle<R>, path: &Path, token: String) -> std::io::Result<()> {
    let listener = tauri::async_runtime::block_on(async { convoy_backchannel::bind(path) })?;
    let handler = Arc::new(Shell { app: app.clone() });
    tauri::async_runtime::spawn(async move {
        let _ = convoy_backchannel::serve(listener, token, handler).await;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apps_own_windows_are_known() {
        assert_eq!(known("settings"), Ok(WindowRoute::Settings));
        // Well-formed for the protocol, but no window of Runbook's.
        let refused = known("splash").expect_err("the splash is not a route");
        assert_eq!(
            (
                refused.status(),
                serde_json::to_value(&refused).expect("json")
            ),
            (
                400,
                serde_json::json!({"type": "UnknownWindow", "window": "splash"})
            )
        );
    }
}
