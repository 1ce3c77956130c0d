//! The app itself: its version, quitting.

pub mod commands;
pub mod types;
