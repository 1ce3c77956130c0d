/**
 * Where a role's start-up time goes: with `RUNBOOK_STARTUP_PROFILE=1` each
 * phase that ends logs `startup phase=<name> ms=<n> cpuMs=<n>` (debug, on
 * stderr): `ms` counted from the process's start (Bun's
 * `performance.timeOrigin`), `cpuMs` the CPU time the process has used, which
 * a busy machine stretches less; so the first mark also shows what the
 * runtime and module loading took. Off, a mark costs one comparison.
 */
import { log } from "@convoy/sidecar-runtime";

const enabled = process.env.RUNBOOK_STARTUP_PROFILE === "1";

export function startupMark(phase: string): void {
  if (!enabled) return;
  const cpu = process.cpuUsage();
  log.debug("startup", {
    phase,
    ms: Math.round(performance.now() * 10) / 10,
    cpuMs: Math.round((cpu.user + cpu.system) / 100) / 10,
  });
}
