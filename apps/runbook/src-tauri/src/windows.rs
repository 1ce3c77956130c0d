//! The app's windows. The main window is created first, hidden, so its
//! webview loads while the sidecars start; the splash is its own small static
//! page (`splash.html`, no React: it shares the cores with the main window's
//! page and the sidecars) and shows progress; the settings window opens on
//! request. Each kind has its own capability file.

use convoy_backchannel::WindowRoute;
use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub const MAIN: &str = "main";
pub const SPLASH: &str = "splash";
pub const SETTINGS: &str = "settings";

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("Runbook")
        .inner_size(1100.0, 720.0)
        .min_inner_size(640.0, 420.0)
        .visible(false)
        .build()?;
    WebviewWindowBuilder::new(app, SPLASH, WebviewUrl::App("splash.html".into()))
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

fn label(route: WindowRoute) -> &'static str {
    match route {
        WindowRoute::Main => MAIN,
        WindowRoute::Settings => SETTINGS,
    }
}

/// Shows, unminimises and focuses the window for `route`; `false` if it is not open.
pub fn focus<R: Runtime>(app: &AppHandle<R>, route: WindowRoute) -> bool {
    let Some(window) = app.get_webview_window(label(route)) else {
        return false;
    };
    let _ = window.show();
    let _ = window.unminimize();
    let _ = window.set_focus();
    true
}

/// Opens the window for `route`, or focuses it if it is open.
pub fn open<R: Runtime>(app: &AppHandle<R>, route: WindowRoute) -> tauri::Result<()> {
    if focus(app, route) {
        return Ok(());
    }
    match route {
        // The main window lives as long as the app; there is nothing to reopen.
        WindowRoute::Main => Ok(()),
        WindowRoute::Settings => {
            WebviewWindowBuilder::new(
                app,
                SETTINGS,
                WebviewUrl::App("index.html#/settings".into()),
            )
            .title("Runbook settings")
            .inner_size(520.0, 420.0)
            .build()?;
            Ok(())
        }
    }
}
