//! The app's windows. The main window is created first, hidden, so its
//! webview loads while the sidecars start; the splash is its own small static
//! page (`splash.html`, no React: it shares the cores with the main window's
//! page and the sidecars), in the main window's web process on Linux, and
//! shows progress; the settings window opens on request. Each kind has its
//! own capability file.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

use crate::features::windows::types::WindowRoute;

pub const MAIN: &str = "main";
pub const SPLASH: &str = "splash";
pub const SETTINGS: &str = "settings";

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let main = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("Runbook")
        .inner_size(1100.0, 720.0)
        .min_inner_size(640.0, 420.0)
        .visible(false)
        .build()?;
    create_splash(app, &main)
}

fn splash_builder<R: Runtime>(app: &AppHandle<R>) -> WebviewWindowBuilder<'_, R, AppHandle<R>> {
    WebviewWindowBuilder::new(app, SPLASH, WebviewUrl::App("splash.html".into()))
        .title("Runbook")
        .inner_size(440.0, 340.0)
        .resizable(false)
        .center()
}

/// On Linux the splash shares the main window's web process (WebKitGTK's
/// related view) instead of starting its own: a second web process costs
/// start-up CPU on the cores the main window's page and the sidecars need
/// (bench/results/startup.md). Each page keeps its own scripts, CSP and
/// capability; only the process is shared, and the splash is our static page.
#[cfg(target_os = "linux")]
fn create_splash<R: Runtime>(
    app: &AppHandle<R>,
    main: &tauri::WebviewWindow<R>,
) -> tauri::Result<()> {
    let (built, outcome) = std::sync::mpsc::channel();
    let handle = app.clone();
    // Runs at once here: the app is set up on the main thread.
    main.with_webview(move |webview| {
        let result = splash_builder(&handle)
            .with_related_view(webview.inner())
            .build();
        let _ = built.send(result.map(drop));
    })?;
    // Empty only if the closure waits for the main thread: the splash comes then.
    outcome.try_recv().unwrap_or(Ok(()))
}

#[cfg(not(target_os = "linux"))]
fn create_splash<R: Runtime>(
    app: &AppHandle<R>,
    _main: &tauri::WebviewWindow<R>,
) -> tauri::Result<()> {
    splash_builder(app).build().map(drop)
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
