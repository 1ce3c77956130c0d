//! Where updates come from. The configured endpoints (`plugins.updater` in
//! tauri.conf.json) unless `RUNBOOK_UPDATE_ENDPOINT` names another one.
//!
//! The override exists for tests and private mirrors. It moves no trust: a
//! package from any endpoint must carry a signature of the key built into
//! the app, for the version it announces. Plain `http` is accepted only to a
//! loopback address, and only where the build itself allows insecure
//! transport (the plugin refuses it otherwise); anything else must be https.

use url::{Host, Url};

use super::types::UpdateError;

pub const ENDPOINT_ENV: &str = "RUNBOOK_UPDATE_ENDPOINT";

/// The override, checked; `None` when the variable is unset or empty.
pub fn override_from_env() -> Result<Option<Url>, UpdateError> {
    match std::env::var(ENDPOINT_ENV) {
        Ok(value) if !value.is_empty() => parse(&value).map(Some),
        _ => Ok(None),
    }
}

pub fn parse(value: &str) -> Result<Url, UpdateError> {
    let invalid = |reason: &str| UpdateError::NotConfigured {
        message: format!("{ENDPOINT_ENV}={value} is not usable: {reason}"),
    };
    let url = Url::parse(value).map_err(|e| invalid(&e.to_string()))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(invalid("plain http is allowed only to a loopback address")),
        _ => Err(invalid("the endpoint must be an https URL")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_on_loopback() {
        assert!(parse("https://updates.example.org/latest.json").is_ok());
        assert!(parse("http://127.0.0.1:4321/latest.json").is_ok());
        assert!(parse("http://[::1]:4321/latest.json").is_ok());
        assert!(parse("http://localhost:4321/latest.json").is_ok());
        for bad in [
            "http://10.0.0.1/latest.json",
            "http://127.0.0.1.evil.example/latest.json",
            "file:///tmp/latest.json",
            "not a url",
        ] {
            let error = parse(bad).expect_err(bad);
            assert!(
                matches!(&error, UpdateError::NotConfigured { message } if message.contains(ENDPOINT_ENV)),
                "{bad}: {error:?}"
            );
        }
    }
}
