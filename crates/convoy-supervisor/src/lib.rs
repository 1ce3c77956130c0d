#![doc = include_str!("../README.md")]

pub mod config;
mod error;
mod graph;
mod ledger;
mod log;
mod probe;
mod process;
mod restart;
mod runtime_dir;
mod secret;
mod spec;
mod status;
mod supervisor;
pub mod valkey;

pub use error::{StartError, StartFailure};
pub use graph::GraphError;
pub use ledger::{LaunchLedger, LAUNCH_ID_ENV};
pub use log::LogBuffer;
pub use probe::ReadinessProbe;
#[cfg(target_os = "macos")]
pub use process::watch_parent_exit;
pub use restart::{RestartMode, RestartPolicy};
pub use runtime_dir::create_runtime_dir;
pub use secret::{free_loopback_port, random_token};
pub use spec::{SidecarKind, SidecarSpec};
pub use status::{SidecarState, SidecarStatus};
pub use supervisor::{StartStep, StatusListener, Supervisor, SupervisorError, SupervisorOptions};
