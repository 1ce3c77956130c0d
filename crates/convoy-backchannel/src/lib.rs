#![doc = include_str!("../README.md")]

pub mod protocol;
mod server;

pub use protocol::{BackchannelError, Request};
pub use server::{bind, serve, Handler};
