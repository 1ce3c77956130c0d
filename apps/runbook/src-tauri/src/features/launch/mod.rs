//! Start-up: the splash, the ordered start of the sidecars, Retry and Quit.

pub mod commands;
pub mod service;
pub mod types;
