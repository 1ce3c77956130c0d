/**
 * Sends queued jobs from SQLite to Valkey's queue. SQLite is the record: a
 * job is created there first, and a job not yet sent (Valkey was down, or the
 * api died between the two) is sent by the next pass. A job may so be sent
 * twice; the worker's claim runs it once. A Valkey that lost its data (its
 * epoch key is gone) gets every job still queued again.
 */
import { log, type ValkeyConnection } from "@convoy/sidecar-runtime";
import { pause } from "../roles/role.ts";
import { encodeQueuedJob, JOB_MARK_TTL_SECONDS, JOB_QUEUE, JOB_QUEUE_EPOCH, jobCancelKey } from "./queue.ts";
import { sealSecrets, WORKER_KEY } from "./secret-seal.ts";
import { SecretVault } from "./secret-vault.ts";
import type { JobStore } from "./store.ts";
import { runValkeyLoop } from "./valkey-loop.ts";

export const SECRETS_LOST =
  "its secret values are gone (the api restarted before the job was sent); run it again with them";

/** Between passes when nothing asks for one sooner. */
const PASS_INTERVAL_MS = 1000;
const BATCH = 100;

export class JobDispatcher {
  readonly #store: JobStore;
  readonly #valkey: ValkeyConnection;
  readonly #secrets: SecretVault;
  readonly #failed: (id: string) => void;
  #wake: (() => void) | null = null;
  #kicked = false;

  /** `failed`: told of each job it failed (its secret values were lost with an earlier api). */
  constructor(
    store: JobStore,
    valkey: ValkeyConnection,
    secrets: SecretVault = new SecretVault(),
    failed: (id: string) => void = () => {},
  ) {
    this.#store = store;
    this.#valkey = valkey;
    this.#secrets = secrets;
    this.#failed = failed;
  }

  /** Asks for a pass now (a job was just created). */
  kick(): void {
    this.#kicked = true;
    this.#wake?.();
  }

  /** Passes until `signal` aborts; never throws for Valkey being down. */
  run(signal: AbortSignal): Promise<void> {
    const loop = {
      valkey: this.#valkey,
      signal,
      failing: "queued jobs not sent yet",
      retryMs: PASS_INTERVAL_MS,
    };
    return runValkeyLoop(loop, async () => {
      this.#kicked = false;
      await this.#pass();
      if (!this.#kicked) await this.#sleep(signal);
    });
  }

  async #pass(): Promise<void> {
    if ((await this.#valkey.get(JOB_QUEUE_EPOCH)) === null) {
      const resent = this.#store.resendQueued();
      if (resent > 0) log.warn("valkey has lost its queue; sending the queued jobs again", { jobs: resent });
      await this.#valkey.command(["SET", JOB_QUEUE_EPOCH, crypto.randomUUID(), "NX"]);
    }
    this.#secrets.forget((runId) => this.#store.runEnded(runId));
    for (;;) {
      const batch = this.#store.unsent(BATCH);
      let heldBack = false;
      for (const job of batch) {
        // Beyond its template's limit a run waits; the template's later runs wait behind it.
        if (job.templateId !== null && job.concurrencyLimit !== null) {
          if (this.#store.activeRuns(job.templateId) >= job.concurrencyLimit) {
            heldBack = true;
            continue;
          }
        }
        let sealed: string | undefined;
        if (job.secretParameters.length > 0) {
          const values = this.#secrets.get(job.runId);
          if (values === undefined) {
            if (this.#store.failQueued(job.id, SECRETS_LOST, "secrets-unavailable") !== null)
              this.#failed(job.id);
            continue;
          }
          const workerKey = await this.#valkey.get(WORKER_KEY);
          // No worker has started yet: the job waits for one to seal its secrets to.
          if (workerKey === null) {
            heldBack = true;
            continue;
          }
          sealed = sealSecrets(workerKey, job.id, values);
        }
        await this.#valkey.command(["XADD", JOB_QUEUE, "*", ...encodeQueuedJob({ ...job, sealed })]);
        const status = this.#store.get(job.id)?.status;
        if (status === "queued") {
          this.#store.markEnqueued(job.id);
        } else if (status === "cancelled") {
          // Cancelled while it was being sent: make sure the worker skips it.
          await this.#valkey.command(["SET", jobCancelKey(job.id), "1", "EX", String(JOB_MARK_TTL_SECONDS)]);
        }
      }
      if (batch.length < BATCH || heldBack) return;
    }
  }

  #sleep(signal: AbortSignal): Promise<void> {
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal.addEventListener("abort", stop, { once: true });
    this.#wake = stop;
    return pause(PASS_INTERVAL_MS, controller.signal).finally(() => {
      this.#wake = null;
      signal.removeEventListener("abort", stop);
    });
  }
}
