//! The app itself: its version, quitting, its start-up time.

pub mod commands;
pub mod startup;
pub mod types;
