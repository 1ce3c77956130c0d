//! Version 1 of the back-channel protocol, shared by both ends.
//!
//! `POST /v1/<action>` with `Authorization: Bearer <token>` and a JSON body;
//! one request per connection. Success is `204 No Content`; a refusal is its
//! HTTP status with a [`BackchannelError`] body.
//!
//! Window routes are the app's own names: this crate only bounds their shape
//! ([`is_route`]); the app's [`Handler`](crate::Handler) maps them to its
//! windows and answers [`BackchannelError::UnknownWindow`] for the rest.

use serde::{Deserialize, Serialize};
use specta::Type;

pub const VERSION: u32 = 1;
/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
const MAX_TITLE_CHARS: usize = 200;
const MAX_TEXT_CHARS: usize = 2000;
const MAX_EVENT_CHARS: usize = 64;
/// Longest window route accepted.
pub const MAX_ROUTE_CHARS: usize = 64;
/// Features whose events only the shell sends: a sidecar cannot impersonate it.
const SHELL_FEATURES: &[&str] = &["sidecar", "launch"];

/// `POST /v1/focus-window`: show, unminimise and focus a window that is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FocusWindow {
    /// The window's route, as the app names it: a lower-case word.
    pub window: String,
}

/// `POST /v1/open-window`: open the window for a route, or focus it if open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenWindow {
    /// As the app names it: a lower-case word.
    pub route: String,
}

/// `POST /v1/notify`: a native notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Notify {
    pub title: String,
    pub body: String,
}

/// `POST /v1/broadcast`: an event sent to every window. `event` is
/// `feature:event-name` in lower case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Broadcast {
    pub event: String,
    #[specta(type = specta_typescript::Unknown)]
    pub payload: serde_json::Value,
}

/// A request that passed authentication and validation.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    FocusWindow(FocusWindow),
    OpenWindow(OpenWindow),
    Notify(Notify),
    Broadcast(Broadcast),
}

/// Why the shell refused or could not carry out a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type, thiserror::Error)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum BackchannelError {
    /// No token, or not this launch's token.
    #[error("missing or wrong token")]
    Unauthorized,
    /// The connecting process runs as another user.
    #[error("forbidden: {reason}")]
    Forbidden { reason: String },
    #[error("no such endpoint: {method} {path}")]
    NotFound { method: String, path: String },
    /// Malformed HTTP or JSON, or a value out of bounds.
    #[error("bad request: {reason}")]
    BadRequest { reason: String },
    #[error("request body over {limit} bytes")]
    PayloadTooLarge { limit: u32 },
    /// The window is not open.
    #[error("the {window} window is not open")]
    WindowNotOpen { window: String },
    /// The app has no window by that route.
    #[error("no window is called {window}")]
    UnknownWindow { window: String },
    /// The shell could not do it (no notification service, a window that would not open).
    #[error("the shell could not do it: {reason}")]
    Unavailable { reason: String },
}

impl BackchannelError {
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::Forbidden { .. } => 403,
            Self::NotFound { .. } => 404,
            Self::BadRequest { .. } => 400,
            Self::PayloadTooLarge { .. } => 413,
            Self::WindowNotOpen { .. } => 409,
            Self::UnknownWindow { .. } => 400,
            Self::Unavailable { .. } => 503,
        }
    }

    pub(crate) fn bad(reason: impl Into<String>) -> Self {
        Self::BadRequest {
            reason: reason.into(),
        }
    }
}

impl Request {
    /// Parses and validates the body of `POST <path>`.
    pub fn parse(path: &str, body: &[u8]) -> Result<Self, BackchannelError> {
        fn json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, BackchannelError> {
            serde_json::from_slice(body).map_err(|err| BackchannelError::bad(err.to_string()))
        }
        let request = match path {
            "/v1/focus-window" => Self::FocusWindow(json(body)?),
            "/v1/open-window" => Self::OpenWindow(json(body)?),
            "/v1/notify" => Self::Notify(json(body)?),
            "/v1/broadcast" => Self::Broadcast(json(body)?),
            _ => {
                return Err(BackchannelError::NotFound {
                    method: "POST".into(),
                    path: path.chars().take(200).collect(),
                })
            }
        };
        request.validate()?;
        Ok(request)
    }

    fn validate(&self) -> Result<(), BackchannelError> {
        match self {
            Self::Notify(Notify { title, body }) => {
                let title_chars = title.chars().count();
                if title.trim().is_empty() || title_chars > MAX_TITLE_CHARS {
                    return Err(BackchannelError::bad(format!(
                        "title must be 1 to {MAX_TITLE_CHARS} characters"
                    )));
                }
                if body.chars().count() > MAX_TEXT_CHARS {
                    return Err(BackchannelError::bad(format!(
                        "body must be at most {MAX_TEXT_CHARS} characters"
                    )));
                }
            }
            Self::FocusWindow(FocusWindow { window: route })
            | Self::OpenWindow(OpenWindow { route })
                if !is_route(route) =>
            {
                return Err(BackchannelError::bad(format!(
                    "a window route is a lower-case word of letters, digits and '-', \
                     at most {MAX_ROUTE_CHARS} characters"
                )));
            }
            Self::Broadcast(Broadcast { event, .. }) if !is_event_name(event) => {
                return Err(BackchannelError::bad(
                    "event must look like feature:event-name (lower case, at most 64 characters)",
                ));
            }
            Self::Broadcast(Broadcast { event, .. })
                if SHELL_FEATURES
                    .iter()
                    .any(|f| event.split(':').next() == Some(f)) =>
            {
                return Err(BackchannelError::bad(format!(
                    "{event} belongs to the shell and cannot be broadcast by a sidecar"
                )));
            }
            _ => {}
        }
        Ok(())
    }
}

/// A lower-case letter, then lower-case letters, digits and `-`.
fn is_word(w: &str) -> bool {
    w.starts_with(|c: char| c.is_ascii_lowercase())
        && w.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `feature:event-name`: two words joined by `:`.
fn is_event_name(event: &str) -> bool {
    event.len() <= MAX_EVENT_CHARS
        && matches!(event.split_once(':'), Some((feature, name)) if is_word(feature) && is_word(name))
}

/// A window route the protocol carries: one word of at most
/// [`MAX_ROUTE_CHARS`], so no path, URL or markup ever reaches the app's handler.
pub fn is_route(route: &str) -> bool {
    route.len() <= MAX_ROUTE_CHARS && is_word(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_endpoint() {
        assert_eq!(
            Request::parse("/v1/open-window", br#"{"route":"settings"}"#),
            Ok(Request::OpenWindow(OpenWindow {
                route: "settings".into()
            }))
        );
        assert!(matches!(
            Request::parse(
                "/v1/broadcast",
                br#"{"event":"jobs:changed","payload":{"id":1}}"#
            ),
            Ok(Request::Broadcast(_))
        ));
    }

    #[test]
    fn refuses_bad_bodies_with_reasons() {
        let bad = |path: &str, body: &str| match Request::parse(path, body.as_bytes()) {
            Err(BackchannelError::BadRequest { reason }) => reason,
            other => panic!("{path} {body}: {other:?}"),
        };
        bad("/v1/open-window", "{not json");
        bad("/v1/open-window", r#"{"route":"../../etc"}"#);
        bad("/v1/open-window", r#"{"route":"main","extra":1}"#);
        assert!(bad("/v1/notify", r#"{"title":"","body":""}"#).contains("title"));
        bad(
            "/v1/notify",
            &format!(r#"{{"title":"{}","body":""}}"#, "x".repeat(201)),
        );
        assert!(bad(
            "/v1/broadcast",
            r#"{"event":"Jobs Changed","payload":null}"#
        )
        .contains("event"));
        bad(
            "/v1/broadcast",
            r#"{"event":"tauri://close-requested","payload":null}"#,
        );
        assert_eq!(
            Request::parse("/v1/../admin", b"{}").map_err(|e| e.status()),
            Err(404)
        );
    }

    #[test]
    fn event_names() {
        assert!(is_event_name("jobs:changed"));
        assert!(is_event_name("sidecar:log-2"));
        for bad in [
            "jobs",
            ":x",
            "jobs:",
            "Jobs:x",
            "jobs:x:y",
            "jobs:x y",
            "tauri://x",
        ] {
            assert!(!is_event_name(bad), "{bad}");
        }
    }

    #[test]
    fn routes_are_one_bounded_word() {
        assert!(is_route("settings"));
        assert!(is_route("job-detail-2"));
        let longest = "r".repeat(MAX_ROUTE_CHARS);
        assert!(is_route(&longest));
        let too_long = format!("{longest}r");
        for bad in [
            "", "Settings", "2fa", "-x", "a/b", "../etc", "main#x", "é", &too_long,
        ] {
            assert!(!is_route(bad), "{bad}");
        }
        assert!(matches!(
            Request::parse("/v1/focus-window", br#"{"window":"tauri://main"}"#),
            Err(BackchannelError::BadRequest { .. })
        ));
    }

    #[test]
    fn errors_are_tagged() {
        let json =
            serde_json::to_value(BackchannelError::PayloadTooLarge { limit: 5 }).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"type": "PayloadTooLarge", "limit": 5})
        );
    }
}

#[cfg(test)]
mod export {
    use std::path::PathBuf;

    use super::*;

    /// Fails when the TypeScript protocol in the sidecar runtime differs from
    /// these declarations. `UPDATE_BINDINGS=1 cargo test -p convoy-backchannel` rewrites it.
    #[test]
    fn typescript_protocol_is_current() {
        let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../packages/sidecar-runtime/src/backchannel-protocol.ts");
        let types = specta::Types::default()
            .register::<FocusWindow>()
            .register::<OpenWindow>()
            .register::<Notify>()
            .register::<Broadcast>()
            .register::<BackchannelError>();
        let generated = specta_typescript::Typescript::default()
            .header(format!(
                "// Generated from crates/convoy-backchannel (protocol version {VERSION}). Do not edit.\n\
                 // Regenerate with `npm run generate`.\n"
            ))
            .export(&types, specta_serde::Format)
            .expect("export");
        convoy_generated::check_or_update(&committed, &generated);
    }
}
