#![doc = include_str!("../README.md")]

use std::path::Path;

/// Set to rewrite the committed files rather than check them.
pub const UPDATE_ENV: &str = "UPDATE_BINDINGS";

/// Panics if `committed` is not exactly `generated`; with `UPDATE_BINDINGS`
/// set, writes `generated` to `committed` instead.
pub fn check_or_update(committed: &Path, generated: &str) {
    if std::env::var_os(UPDATE_ENV).is_some() {
        if let Err(err) = std::fs::write(committed, generated) {
            panic!("could not write {}: {err}", committed.display());
        }
        return;
    }
    let current = std::fs::read_to_string(committed).unwrap_or_default();
    assert!(
        current == generated,
        "{} is out of date: run `npm run generate` and commit the result",
        committed.display()
    );
}

/// [`check_or_update`] for exporters that write only to a file: `export`
/// writes to the temporary path it is given.
pub fn check_export(committed: &Path, export: impl FnOnce(&Path)) {
    let name = committed
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fresh = std::env::temp_dir().join(format!("convoy-{}-{name}", std::process::id()));
    export(&fresh);
    let generated = std::fs::read_to_string(&fresh);
    let _ = std::fs::remove_file(&fresh);
    match generated {
        Ok(generated) => check_or_update(committed, &generated),
        Err(err) => panic!("the export to {} wrote nothing: {err}", fresh.display()),
    }
}
