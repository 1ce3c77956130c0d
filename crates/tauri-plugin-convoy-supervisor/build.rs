/// The commands the plugin exposes; `allow-<command>` permissions are generated for each.
const COMMANDS: &[&str] = &["list", "restart", "logs"];

fn main() {
    tauri_plugin::Builder::new(COMMANDS).build();
}
