//! How the webview draws the app's pages. On Linux, WebKitGTK composites
//! through OpenGL; on a machine with no GPU it can reach (a VM, a remote
//! desktop, Xvfb), Mesa's software rasteriser does that work on the CPU, and
//! every frame of a scrolling page costs far more than painting it directly.
//! [`choose_webview_rendering`] turns compositing off there, and only there
//! (`bench/results/scroll.md` has the figures). Other platforms have nothing
//! to choose.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as platform;
#[cfg(not(target_os = "linux"))]
mod other;
#[cfg(not(target_os = "linux"))]
use other as platform;

/// Set to `on`, `off` or `auto` (the default) to override the choice.
pub const OVERRIDE_ENV: &str = "CONVOY_WEBVIEW_COMPOSITING";

/// How the pages are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum Rendering {
    /// The platform's default: on Linux, WebKitGTK's OpenGL compositor.
    Composited,
    /// Painted directly on the CPU, with no compositor (WebKitGTK's
    /// `WEBKIT_DISABLE_COMPOSITING_MODE`).
    Direct,
}

/// Why the rendering is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum RenderingReason {
    /// The platform has one way to draw.
    Platform,
    /// [`OVERRIDE_ENV`] said so.
    Override,
    /// `WEBKIT_DISABLE_COMPOSITING_MODE` was already set when the app started.
    AlreadySet,
    /// A GPU render node can be opened: compositing runs on the GPU.
    Gpu,
    /// No GPU render node can be opened, or `LIBGL_ALWAYS_SOFTWARE` asks for
    /// software GL: compositing would run on the CPU.
    NoGpu,
}

/// The choice [`choose_webview_rendering`] made; an app keeps it to show
/// in its diagnostics (Runbook's `app_info` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RenderingChoice {
    pub rendering: Rendering,
    pub reason: RenderingReason,
}

/// [`OVERRIDE_ENV`] holds something other than `on`, `off` or `auto`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{OVERRIDE_ENV}={value:?}: expected \"on\", \"off\" or \"auto\"")]
pub struct RenderingError {
    pub value: String,
}

/// What [`OVERRIDE_ENV`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    Auto,
    On,
    Off,
}

impl Override {
    /// Unset or empty is `auto`; anything but the three words is an error.
    pub fn parse(value: Option<&str>) -> Result<Self, RenderingError> {
        match value.map(str::trim) {
            None | Some("") | Some("auto") => Ok(Self::Auto),
            Some("on") => Ok(Self::On),
            Some("off") => Ok(Self::Off),
            Some(other) => Err(RenderingError {
                value: other.to_owned(),
            }),
        }
    }
}

/// Chooses how the webview draws, from the machine and the environment, and
/// applies it to this process's environment, where WebKitGTK reads it when
/// the first webview is made. Call it first thing in `main`, before Tauri's
/// builder and before any thread starts (it may set an environment
/// variable). An invalid [`OVERRIDE_ENV`] changes nothing and is an error.
pub fn choose_webview_rendering() -> Result<RenderingChoice, RenderingError> {
    let wanted = Override::parse(std::env::var(OVERRIDE_ENV).ok().as_deref())?;
    Ok(platform::choose(wanted))
}
