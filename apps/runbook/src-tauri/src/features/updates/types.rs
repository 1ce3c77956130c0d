use serde::{Deserialize, Serialize};
use specta::Type;

/// What a process is running: its version and the SHA-256 of its executable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct BuildInfo {
    pub version: String,
    pub build: String,
}

/// A newer release the endpoint offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AvailableUpdate {
    pub version: String,
    /// The release notes, as the manifest gives them.
    pub notes: Option<String>,
    /// RFC 3339, when the manifest says.
    pub date: Option<String>,
}

/// The answer of a check: the running version, and a newer one if offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCheck {
    pub current_version: String,
    pub available: Option<AvailableUpdate>,
}

/// Bytes received so far, on the download's channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DownloadProgress {
    pub received: u32,
    /// The whole size, when the server says it.
    pub total: Option<u32>,
}

/// A verified package, staged for install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StagedUpdate {
    pub version: String,
    pub size: u32,
}

/// What to do with running jobs when installing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum JobsPolicy {
    /// Refuse with `jobsRunning` if any job runs, so the UI can ask.
    Ask,
    /// Wait until no job runs, then install.
    Wait,
    /// Stop them: they end `interrupted`.
    Stop,
}

/// Every way an update can be refused or fail. The UI switches on `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, thiserror::Error)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum UpdateError {
    /// This build has no public key or no endpoint, or the endpoint override is unusable.
    #[error("updates are not configured: {message}")]
    NotConfigured { message: String },
    /// This copy was not installed from a package the updater can replace.
    #[error("this copy cannot update itself: {message}")]
    Unsupported { message: String },
    /// The endpoint or the download failed: unreachable, an HTTP error, cut short.
    #[error("the update could not be fetched: {message}")]
    Network { message: String },
    /// The endpoint answered something that is not a valid update manifest.
    #[error("the update manifest is not valid: {message}")]
    InvalidManifest { message: String },
    /// The package's signature is not of this app's key, or the bytes were changed.
    #[error("the update's signature does not verify: {message}")]
    BadSignature { message: String },
    /// The signed version, or the package's own, is not the version announced.
    #[error("the update is for version {found}, but {announced} was announced")]
    VersionMismatch { announced: String, found: String },
    /// The package is not this app's.
    #[error("the update is not a package of this app: {message}")]
    WrongPackage { message: String },
    /// Download or install was asked with nothing checked or staged first.
    #[error("there is no {what} update: check for updates first")]
    NothingPending { what: String },
    /// A download or install is already under way.
    #[error("an update is already in progress")]
    Busy,
    /// Jobs are running; the UI asks whether to wait for them or stop them.
    #[error("{count} job(s) are running")]
    JobsRunning { count: u32 },
    /// The api could not say which jobs run, so nothing was stopped.
    #[error("could not list the running jobs: {message}")]
    JobsUnknown { message: String },
    /// Installing needs root and there is no way to ask for it here (no
    /// pkexec, no polkit agent, or the request was dismissed). `command` is
    /// what to run by hand; the app never asks for a password itself.
    #[error("installing needs administrator rights: {message}; run: {command}")]
    NeedsPrivilege { message: String, command: String },
    /// The package manager refused the package.
    #[error("the package could not be installed: {message}")]
    InstallFailed { message: String },
}
