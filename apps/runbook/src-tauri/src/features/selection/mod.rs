//! UI-level state the shell keeps for all windows: which job is selected.
//! A window that selects a job tells the shell; the shell tells every window
//! (`selection:changed`), so windows agree, and a window that reloads or opens
//! later asks the shell and shows the same job.

pub mod commands;
pub mod types;
