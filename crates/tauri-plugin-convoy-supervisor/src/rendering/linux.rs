//! Linux: WebKitGTK composites through OpenGL unless
//! `WEBKIT_DISABLE_COMPOSITING_MODE` is set. Without a GPU, Mesa runs that
//! OpenGL on the CPU (llvmpipe): on the machine `bench/results/scroll.md`
//! was recorded on, a frame of the scrolling output view took about 90 ms
//! that way, and the screen updated every 17 ms with compositing off.

use std::{fs::OpenOptions, path::Path};

use super::{Override, Rendering, RenderingChoice, RenderingReason};

/// WebKitGTK's own switch: set, the web process paints without a compositor.
pub const DISABLE_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// What the machine offers, as far as the choice goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Machine {
    /// `WEBKIT_DISABLE_COMPOSITING_MODE` is set already.
    pub disabled_already: bool,
    /// Mesa can reach a GPU: a render node opens, and software GL is not forced.
    pub gpu: bool,
}

/// The choice for `machine`: what the override says, else what is set
/// already, else compositing exactly when there is a GPU.
pub(super) fn decide(wanted: Override, machine: Machine) -> RenderingChoice {
    let (rendering, reason) = match wanted {
        Override::On => (Rendering::Composited, RenderingReason::Override),
        Override::Off => (Rendering::Direct, RenderingReason::Override),
        Override::Auto if machine.disabled_already => {
            (Rendering::Direct, RenderingReason::AlreadySet)
        }
        Override::Auto if machine.gpu => (Rendering::Composited, RenderingReason::Gpu),
        Override::Auto => (Rendering::Direct, RenderingReason::NoGpu),
    };
    RenderingChoice { rendering, reason }
}

/// Whether any `renderD*` node under `dri` opens for reading and writing, as
/// Mesa opens it. A node that exists but is not ours to open (no access to
/// the `render` group) gives no GPU either.
pub(super) fn render_node_opens(dri: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dri) else {
        return false;
    };
    entries.flatten().any(|entry| {
        entry.file_name().to_string_lossy().starts_with("renderD")
            && OpenOptions::new()
                .read(true)
                .write(true)
                .open(entry.path())
                .is_ok()
    })
}

/// Mesa's switch for software GL, on unless unset, empty, `0` or `false`.
pub(super) fn software_gl_forced(value: Option<&str>) -> bool {
    !matches!(value.map(str::trim), None | Some("" | "0" | "false"))
}

pub(super) fn choose(wanted: Override) -> RenderingChoice {
    let machine = Machine {
        disabled_already: std::env::var_os(DISABLE_COMPOSITING).is_some(),
        gpu: !software_gl_forced(std::env::var("LIBGL_ALWAYS_SOFTWARE").ok().as_deref())
            && render_node_opens(Path::new("/dev/dri")),
    };
    let choice = decide(wanted, machine);
    // Before any thread starts (the caller's contract), so no reader races the write.
    match (choice.rendering, choice.reason) {
        (Rendering::Direct, RenderingReason::Override | RenderingReason::NoGpu) => {
            std::env::set_var(DISABLE_COMPOSITING, "1")
        }
        (Rendering::Composited, RenderingReason::Override) => {
            std::env::remove_var(DISABLE_COMPOSITING)
        }
        _ => {}
    }
    choice
}

#[cfg(test)]
mod tests {
    use super::*;

    const BARE: Machine = Machine {
        disabled_already: false,
        gpu: false,
    };
    const WITH_GPU: Machine = Machine {
        disabled_already: false,
        gpu: true,
    };

    fn choice(rendering: Rendering, reason: RenderingReason) -> RenderingChoice {
        RenderingChoice { rendering, reason }
    }

    #[test]
    fn auto_composites_only_with_a_gpu() {
        assert_eq!(
            decide(Override::Auto, WITH_GPU),
            choice(Rendering::Composited, RenderingReason::Gpu)
        );
        assert_eq!(
            decide(Override::Auto, BARE),
            choice(Rendering::Direct, RenderingReason::NoGpu)
        );
    }

    #[test]
    fn a_variable_set_already_is_kept() {
        let set = Machine {
            disabled_already: true,
            ..WITH_GPU
        };
        assert_eq!(
            decide(Override::Auto, set),
            choice(Rendering::Direct, RenderingReason::AlreadySet)
        );
    }

    #[test]
    fn the_override_wins_over_the_machine() {
        let set = Machine {
            disabled_already: true,
            gpu: false,
        };
        assert_eq!(
            decide(Override::On, set),
            choice(Rendering::Composited, RenderingReason::Override)
        );
        assert_eq!(
            decide(Override::Off, WITH_GPU),
            choice(Rendering::Direct, RenderingReason::Override)
        );
    }

    #[test]
    fn software_gl_is_forced_by_any_true_value() {
        for value in [None, Some(""), Some("0"), Some("false"), Some(" 0 ")] {
            assert!(!software_gl_forced(value), "{value:?}");
        }
        for value in [Some("1"), Some("true"), Some("yes")] {
            assert!(software_gl_forced(value), "{value:?}");
        }
    }

    #[test]
    fn only_a_render_node_that_opens_is_a_gpu() {
        let dir = std::env::temp_dir().join(format!("convoy-dri-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(!render_node_opens(&dir), "no /dev/dri at all");
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("card0"), b"").expect("card0");
        assert!(!render_node_opens(&dir), "a card node is not a render node");
        // A directory named like a node cannot be opened for writing.
        std::fs::create_dir(dir.join("renderD128")).expect("renderD128");
        assert!(!render_node_opens(&dir), "a node that does not open");
        std::fs::write(dir.join("renderD129"), b"").expect("renderD129");
        assert!(render_node_opens(&dir));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
