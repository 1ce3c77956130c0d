//! Windows and macOS: the system webview has one rendering path.

use super::{Override, Rendering, RenderingChoice, RenderingReason};

pub(super) fn choose(_wanted: Override) -> RenderingChoice {
    RenderingChoice {
        rendering: Rendering::Composited,
        reason: RenderingReason::Platform,
    }
}
