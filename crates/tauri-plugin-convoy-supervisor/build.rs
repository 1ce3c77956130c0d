/// The commands the plugin exposes; `allow-<command>` permissions are generated for each.
const COMMANDS: &[&str] = &["list", "restart", "logs", "endpoint"];

fn main() {
    tauri_plugin::Builder::new(COMMANDS).build();
}
