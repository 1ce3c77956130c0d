pub mod app;
pub mod launch;
pub mod selection;
pub mod updates;
pub mod windows;
