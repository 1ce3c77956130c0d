//! Opening the app's other windows.

pub mod commands;
pub mod types;
