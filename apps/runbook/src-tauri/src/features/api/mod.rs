//! How the UI reaches the api sidecar.

pub mod commands;
pub mod types;
