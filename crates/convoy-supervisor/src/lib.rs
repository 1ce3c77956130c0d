//! Starts sidecar processes in order behind readiness probes, keeps their
//! recent output, and stops them in reverse order.
//!
//! This crate has no Tauri dependency: the shell adapts it, and its tests run
//! real child processes without a window.

mod error;
mod log;
mod probe;
mod process;
mod secret;
mod spec;
mod supervisor;

pub use error::{StartError, StartFailure};
pub use log::LogBuffer;
pub use probe::ReadinessProbe;
pub use process::RunningSidecar;
pub use secret::{free_loopback_port, random_token};
pub use spec::{SidecarKind, SidecarSpec};
pub use supervisor::{StartStep, Supervisor};
