// The plugin's typed commands. Its events (`sidecar:status`, `sidecar:log`)
// are exported with the app's own bindings.

export type {
  Endpoint,
  EndpointError,
  SidecarError,
  SidecarLogs,
  SidecarState,
  SidecarStatus,
} from "./bindings";
export { commands } from "./bindings";
