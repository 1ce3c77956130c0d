/**
 * A back-channel that records what the api asks the shell to broadcast and
 * answers everything else with success: the api's side of the contract,
 * without a shell. The real socket is tested in crates/convoy-backchannel.
 */
import type { Backchannel, Broadcast } from "@convoy/sidecar-runtime";

export function recordingBackchannel(): { backchannel: Backchannel; broadcasts: Broadcast[] } {
  const broadcasts: Broadcast[] = [];
  const backchannel: Backchannel = {
    focusWindow: async () => ({ ok: true }),
    openWindow: async () => ({ ok: true }),
    notify: async () => ({ ok: true }),
    broadcast: async (request) => {
      broadcasts.push(request);
      return { ok: true };
    },
  };
  return { backchannel, broadcasts };
}
