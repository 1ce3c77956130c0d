//! The shell's end of the back-channel: what a sidecar may ask of it.

use std::{path::Path, sync::Arc};

use convoy_backchannel::{
    protocol::{Broadcast, FocusWindow, Notify, OpenWindow},
    BackchannelError, Handler, Request,
};
use tauri::{AppHandle, Emitter, Runtime};
use tauri_plugin_notification::NotificationExt;

use crate::windows;

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
                if windows::focus(&self.app, window) {
                    Ok(())
                } else {
                    Err(BackchannelError::WindowNotOpen { window })
                }
            }
            Request::OpenWindow(OpenWindow { route }) => {
                windows::open(&self.app, route).map_err(|err| unavailable(&err))
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

/// Binds the back-channel socket at `path` and serves it for the app's life.
pub fn start<R: Runtime>(app: &AppHandle<R>, path: &Path, token: String) -> std::io::Result<()> {
    let listener = tauri::async_runtime::block_on(async { convoy_backchannel::bind(path) })?;
    let handler = Arc::new(Shell { app: app.clone() });
    tauri::async_runtime::spawn(async move {
        let _ = convoy_backchannel::serve(listener, token, handler).await;
    });
    Ok(())
}
