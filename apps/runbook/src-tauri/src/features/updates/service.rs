//! The update flow: check, download (signature and version verified, then
//! staged), install through the supervisor, relaunch.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Mutex, PoisonError,
    },
    time::Duration,
};

use tauri::{ipc::Channel, AppHandle, Manager, Runtime};
use tauri_plugin_convoy_supervisor::SupervisorExt;
use tauri_plugin_updater::{Error as PluginError, Update, UpdaterExt};

use super::{
    build, endpoint, jobs,
    package::{self, Staged},
    types::{
        AvailableUpdate, BuildInfo, DownloadProgress, JobsPolicy, StagedUpdate, UpdateCheck,
        UpdateError,
    },
};

/// The update in progress, in the app's state.
pub struct Updates {
    pending: Mutex<Option<Update>>,
    staged: Mutex<Option<Staged>>,
    busy: AtomicBool,
    /// Where a verified package waits for its install (the app's cache dir).
    staging_dir: PathBuf,
}

impl Updates {
    pub fn new(staging_dir: PathBuf) -> Self {
        // A package left from an earlier run is either installed or stale.
        package::clear(&staging_dir);
        Self {
            pending: Mutex::new(None),
            staged: Mutex::new(None),
            busy: AtomicBool::new(false),
            staging_dir,
        }
    }
}

/// Held while a download or install runs; a second one is `Busy`.
struct BusyGuard<'a>(&'a AtomicBool);

impl<'a> BusyGuard<'a> {
    fn claim(flag: &'a AtomicBool) -> Result<Self, UpdateError> {
        if flag.swap(true, Ordering::AcqRel) {
            return Err(UpdateError::Busy);
        }
        Ok(Self(flag))
    }
}

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

pub fn shell_build<R: Runtime>(app: &AppHandle<R>) -> BuildInfo {
    BuildInfo {
        version: app.package_info().version.to_string(),
        build: build::build_id(),
    }
}

/// The public key this build verifies packages with; empty when unset.
fn configured_pubkey<R: Runtime>(app: &AppHandle<R>) -> String {
    app.config()
        .plugins
        .0
        .get("updater")
        .and_then(|updater| updater.get("pubkey"))
        .and_then(|key| key.as_str())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

pub async fn check<R: Runtime>(app: &AppHandle<R>) -> Result<UpdateCheck, UpdateError> {
    if configured_pubkey(app).is_empty() {
        return Err(UpdateError::NotConfigured {
            message: "this build carries no update signing key (plugins.updater.pubkey)".into(),
        });
    }
    let mut builder = app.updater_builder();
    if let Some(url) = endpoint::override_from_env()? {
        builder = builder.endpoints(vec![url]).map_err(check_error)?;
    }
    let update = builder
        .build()
        .map_err(check_error)?
        .check()
        .await
        .map_err(check_error)?;
    let state = app.state::<Updates>();
    let available = update.as_ref().map(|update| AvailableUpdate {
        version: update.version.clone(),
        notes: update.body.clone(),
        date: update
            .raw_json
            .get("pub_date")
            .and_then(|date| date.as_str())
            .map(str::to_owned),
    });
    // A package staged for another offer is not installed by mistake later.
    {
        let mut staged = state.staged.lock().unwrap_or_else(PoisonError::into_inner);
        let offered = available.as_ref().map(|a| a.version.as_str());
        if staged
            .as_ref()
            .is_some_and(|s| Some(s.version.as_str()) != offered)
        {
            *staged = None;
            package::clear(&state.staging_dir);
        }
    }
    *state.pending.lock().unwrap_or_else(PoisonError::into_inner) = update;
    Ok(UpdateCheck {
        current_version: app.package_info().version.to_string(),
        available,
    })
}

/// Downloads the checked update, verifies it (the plugin: the signature is
/// of this build's key over these bytes, and signed for the announced
/// version) and stages it (here: it is this app's package, at that version).
/// Refused, nothing is kept and nothing else changes.
pub async fn download<R: Runtime>(
    app: &AppHandle<R>,
    progress: &Channel<DownloadProgress>,
) -> Result<StagedUpdate, UpdateError> {
    let state = app.state::<Updates>();
    let _busy = BusyGuard::claim(&state.busy)?;
    let update = state
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .ok_or_else(|| UpdateError::NothingPending {
            what: "checked".into(),
        })?;
    let mut received: u64 = 0;
    let bytes = update
        .download(
            |chunk, total| {
                received += chunk as u64;
                // Progress is advisory: a window that went away misses nothing.
                let _ = progress.send(DownloadProgress {
                    received: clamp(received),
                    total: total.map(clamp),
                });
            },
            || {},
        )
        .await
        .map_err(download_error)?;
    let staging_dir = state.staging_dir.clone();
    let version = update.version.clone();
    let size = bytes.len();
    let staged = tauri::async_runtime::spawn_blocking(move || {
        package::stage(&staging_dir, &bytes, &version)
    })
    .await
    .map_err(|e| UpdateError::InstallFailed {
        message: e.to_string(),
    })??;
    let answer = StagedUpdate {
        version: staged.version.clone(),
        size: u32::try_from(size).unwrap_or(u32::MAX),
    };
    *state.staged.lock().unwrap_or_else(PoisonError::into_inner) = Some(staged);
    Ok(answer)
}

fn clamp(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// Installs the staged update: asks about running jobs per `policy`, stops
/// the sidecars (the worker ends its jobs `interrupted`), installs, relaunches.
/// If the install fails, the sidecars are started again and the error says why.
pub async fn install<R: Runtime>(
    app: &AppHandle<R>,
    policy: JobsPolicy,
) -> Result<(), UpdateError> {
    let state = app.state::<Updates>();
    let _busy = BusyGuard::claim(&state.busy)?;
    let staged = state
        .staged
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .ok_or_else(|| UpdateError::NothingPending {
            what: "downloaded".into(),
        })?;
    if tauri::utils::platform::bundle_type() != Some(tauri::utils::config::BundleType::Deb) {
        return Err(UpdateError::Unsupported {
            message: "only a copy installed from the .deb can install an update".into(),
        });
    }
    let elevation = platform::can_elevate(&staged.path)?;
    settle_jobs(app, policy).await?;

    let sidecars = app.sidecars();
    sidecars.supervisor().stop_all().await;
    let path = staged.path.clone();
    let installed =
        tauri::async_runtime::spawn_blocking(move || platform::install(&elevation, &path))
            .await
            .map_err(|e| UpdateError::InstallFailed {
                message: e.to_string(),
            })?;
    if let Err(error) = installed {
        // Nothing was replaced: bring the app back as it was.
        if let Err(launch) = sidecars.launch(|_| {}).await {
            eprintln!("runbook: the sidecars did not start again after a failed update: {launch}");
        }
        return Err(error);
    }
    package::clear(&state.staging_dir);
    // The restarted shell is the new executable at the same path; it starts
    // the new sidecars itself.
    app.request_restart();
    Ok(())
}

/// Returns once no job runs, as `policy` says.
async fn settle_jobs<R: Runtime>(
    app: &AppHandle<R>,
    policy: JobsPolicy,
) -> Result<(), UpdateError> {
    if policy == JobsPolicy::Stop {
        return Ok(());
    }
    let endpoint = app
        .sidecars()
        .endpoint("api")
        .map_err(|e| UpdateError::JobsUnknown {
            message: e.to_string(),
        })?;
    loop {
        let count = jobs::running(&endpoint.base_url, &endpoint.token).await?;
        match (count, policy) {
            (0, _) => return Ok(()),
            (count, JobsPolicy::Ask) => return Err(UpdateError::JobsRunning { count }),
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

#[cfg(target_os = "linux")]
use super::linux as platform;

#[cfg(not(target_os = "linux"))]
mod platform {
    //! Elsewhere the plugin's own installers apply; not wired up yet.
    use std::path::Path;

    use super::UpdateError;

    pub struct Elevation;

    pub fn can_elevate(_deb: &Path) -> Result<Elevation, UpdateError> {
        Err(UpdateError::Unsupported {
            message: "installing updates is implemented for Linux .deb installs only".into(),
        })
    }

    pub fn install(_elevation: &Elevation, _deb: &Path) -> Result<(), UpdateError> {
        Err(UpdateError::Unsupported {
            message: "installing updates is implemented for Linux .deb installs only".into(),
        })
    }
}

/// A check's failure, as the UI tells it.
fn check_error(error: PluginError) -> UpdateError {
    let message = error.to_string();
    match error {
        PluginError::EmptyEndpoints
        | PluginError::InsecureTransportProtocol
        | PluginError::UrlParse(_) => UpdateError::NotConfigured { message },
        // The body was not JSON at all.
        PluginError::Reqwest(error) if error.is_decode() => {
            UpdateError::InvalidManifest { message }
        }
        PluginError::Reqwest(_) | PluginError::Network(_) | PluginError::Io(_) => {
            UpdateError::Network { message }
        }
        PluginError::UnsupportedArch | PluginError::UnsupportedOs => {
            UpdateError::Unsupported { message }
        }
        _ => UpdateError::InvalidManifest { message },
    }
}

/// A download's failure: cut short, or a package that does not verify.
fn download_error(error: PluginError) -> UpdateError {
    let message = error.to_string();
    match error {
        PluginError::SignedVersionMismatch { signed, announced } => UpdateError::VersionMismatch {
            announced,
            found: signed,
        },
        PluginError::Minisign(_)
        | PluginError::Base64(_)
        | PluginError::SignatureUtf8(_)
        | PluginError::MissingSignedVersion => UpdateError::BadSignature { message },
        _ => UpdateError::Network { message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_signed_for_another_version_is_a_version_mismatch() {
        let error = download_error(PluginError::SignedVersionMismatch {
            signed: "0.1.0".into(),
            announced: "0.2.0".into(),
        });
        assert_eq!(
            error,
            UpdateError::VersionMismatch {
                announced: "0.2.0".into(),
                found: "0.1.0".into()
            }
        );
        assert!(matches!(
            download_error(PluginError::MissingSignedVersion),
            UpdateError::BadSignature { .. }
        ));
        assert!(matches!(
            download_error(PluginError::Network("cut".into())),
            UpdateError::Network { .. }
        ));
    }

    #[test]
    fn a_manifest_that_does_not_parse_is_invalid() {
        let parse = serde_json::from_str::<serde_json::Value>("{").expect_err("garbage");
        assert!(matches!(
            check_error(PluginError::Serialization(parse)),
            UpdateError::InvalidManifest { .. }
        ));
        assert!(matches!(
            check_error(PluginError::ReleaseNotFound),
            UpdateError::InvalidManifest { .. }
        ));
        assert!(matches!(
            check_error(PluginError::EmptyEndpoints),
            UpdateError::NotConfigured { .. }
        ));
    }
}
