//! The app's windows. The main window is created first, hidden, so its
//! webview loads while the sidecars start; the splash shows progress.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub const MAIN: &str = "main";
pub const SPLASH: &str = "splash";

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("Runbook")
        .inner_size(1100.0, 720.0)
        .min_inner_size(640.0, 420.0)
        .visible(false)
        .build()?;
    WebviewWindowBuilder::new(app, SPLASH, WebviewUrl::App("index.html#/splash".into()))
        .title("Runbook")
        .inner_size(440.0, 340.0)
        .resizable(false)
        .center()
        .build()?;
    Ok(())
}

/// Start-up finished: the main window takes over from the splash.
pub fn reveal_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(main) = app.get_webview_window(MAIN) {
        let _ = main.show();
        let _ = main.set_focus();
    }
    if let Some(splash) = app.get_webview_window(SPLASH) {
        let _ = splash.close();
    }
}
