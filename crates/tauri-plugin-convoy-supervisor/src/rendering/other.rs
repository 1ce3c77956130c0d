//! Windows and macOS: the system webview has one rendering path.

use super::{Override, Reason, Rendering, RenderingChoice};

pub(super) fn choose(_wanted: Override) -> RenderingChoice {
    RenderingChoice {
        rendering: Rendering::Composited,
        reason: Reason::Platform,
    }
}
