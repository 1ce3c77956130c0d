/**
 * `worker`: keeps a heartbeat in Valkey and runs queued jobs until asked to
 * stop. Valkey being down is an outage to wait out, never a reason to exit;
 * Valkey refusing the password is (the shell started us wrongly).
 */
import { announceReady, connectValkey, log, readWorkerEnv } from "@convoy/sidecar-runtime";
import { readConcurrency, readOutputLimits } from "../runner/config.ts";
import { JobRunner } from "../runner/runner.ts";
import { reportBuild } from "../version.ts";
import { runHeartbeatLoop } from "../workers/heartbeat-loop.ts";
import type { Role } from "./role.ts";
import { startupMark } from "./startup-marks.ts";

/** A loop of the worker: runs until its signal aborts, throws only when it cannot go on. */
type WorkerLoop = (signal: AbortSignal) => Promise<void>;

export const runWorker: Role = async ({ signal }) => {
  const env = readWorkerEnv();
  const concurrency = readConcurrency();
  const outputLimits = readOutputLimits();
  log.redact(env.valkey.password);
  const valkey = connectValkey({ ...env.valkey, name: "worker" });
  startupMark("valkey connecting");
  const runner = new JobRunner({
    valkey,
    // Opened only once `valkey` is up, so a refused password is logged once, by `valkey`.
    openQueueConnection: () => connectValkey({ ...env.valkey, name: "worker-queue" }),
    concurrency,
    outputLimits,
  });
  startupMark("runner created");
  try {
    // The readiness probe is the heartbeat: ready once Valkey took the first one.
    await runLoops(signal, [
      (loopSignal) =>
        runHeartbeatLoop(valkey, {
          signal: loopSignal,
          onFirstBeat: () => {
            startupMark("first heartbeat");
            announceReady("worker");
            reportBuild("worker");
          },
        }),
      (loopSignal) => runner.run(loopSignal),
    ]);
    log.info("worker stopped");
  } finally {
    valkey.close();
  }
};

/**
 * Runs every loop until `signal` aborts. When one fails the others are
 * stopped too, and the first failure is rethrown once all have finished.
 */
async function runLoops(signal: AbortSignal, loops: readonly WorkerLoop[]): Promise<void> {
  const stop = new AbortController();
  const forwardStop = () => stop.abort();
  signal.addEventListener("abort", forwardStop, { once: true });
  try {
    const outcomes = await Promise.allSettled(
      loops.map((loop) =>
        loop(stop.signal).catch((error: unknown) => {
          stop.abort();
          throw error;
        }),
      ),
    );
    const failure = outcomes.find((outcome) => outcome.status === "rejected");
    if (failure !== undefined) throw failure.reason;
  } finally {
    signal.removeEventListener("abort", forwardStop);
  }
}
