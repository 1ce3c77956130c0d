import { commands } from "tauri-plugin-convoy-supervisor-api";

const result = await commands.restart("api");
if (result.status === "error") {
  switch (result.error.type) {
    case "UnknownSidecar":
    case "NotRestartable":
      console.warn(result.error);
      break;
    default:
      console.error(result.error);
  }
}

const api = await commands.endpoint("api");
if (api.status === "ok") {
  await fetch(`${api.data.baseUrl}/health`, { headers: { Authorization: `Bearer ${api.data.token}` } });
}
