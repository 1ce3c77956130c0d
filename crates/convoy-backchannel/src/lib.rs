//! The sidecars' channel back to the shell: HTTP/1.1 on a Unix socket in the
//! app's private runtime directory (0700; the socket 0600), with a per-launch
//! bearer token and the peer's uid checked (SO_PEERCRED). A sidecar asks the
//! shell to focus or open a window, show a notification, or broadcast an
//! event to every window.
//!
//! The wire protocol ([`protocol`]) is declared here once and exported to
//! TypeScript for the client in `packages/sidecar-runtime`. No Tauri
//! dependency: the shell implements [`Handler`].

pub mod protocol;
mod server;

pub use protocol::{BackchannelError, Request};
pub use server::{bind, serve, Handler};
