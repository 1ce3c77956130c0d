//! The sidecars as the UI sees them.

pub mod commands;
