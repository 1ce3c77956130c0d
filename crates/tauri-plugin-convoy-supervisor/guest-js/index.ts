// The plugin's typed commands. Its events (`sidecar:status`, `sidecar:log`)
// are exported with the app's own bindings.

export type { SidecarError, SidecarLogs, SidecarState, SidecarStatus } from "./bindings";
export { commands } from "./bindings";
