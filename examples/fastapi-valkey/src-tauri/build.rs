fn main() {
    // The sidecar graph (`plugins."convoy-supervisor"`) is checked here, so a
    // bad one fails `cargo build` with its named error instead of a launch.
    let conf = std::path::Path::new("tauri.conf.json");
    println!("cargo:rerun-if-changed=tauri.conf.json");
    if let Err(error) = convoy_supervisor::config::check_tauri_conf(conf) {
        eprintln!("error: tauri.conf.json: {error}");
        std::process::exit(1);
    }
    tauri_build::build();
}
