/**
 * The worker's job loop: takes jobs from the queue up to a fixed
 * concurrency, runs each once, watches their cancel marks, and, asked to
 * stop, ends every job (reported interrupted) before it returns. Valkey
 * being down is waited out; only a refused password ends it early.
 */
import {
  log,
  ValkeyAuthError,
  type ValkeyConnection,
  ValkeyError,
  ValkeyReplyError,
} from "@convoy/sidecar-runtime";
import {
  decodeQueuedJob,
  JOB_MARK_TTL_SECONDS,
  JOB_QUEUE,
  JOB_QUEUE_GROUP,
  JOB_RUNNING,
  jobCancelKey,
  jobClaimKey,
  type QueuedJob,
  type StreamEntry,
  streamEntries,
} from "../jobs/queue.ts";
import { generateWorkerKey, openSecrets, WORKER_KEY } from "../jobs/secret-seal.ts";
import { pause } from "../roles/role.ts";
import {
  ABANDON_WRITES_AFTER_MS,
  CANCEL_POLL_MS,
  type OutputLimits,
  QUEUE_BLOCK_MS,
  RUNNING_REASSERT_MS,
} from "./config.ts";
import { OrderedWrites, OutputWriter, untilWritten } from "./durable-writes.ts";
import { ackCommand, type Finish, finishCommands, JOB_QUEUE_CONSUMER } from "./job-events.ts";
import { findDeathSignalPrefix } from "./job-process.ts";
import { JobRun } from "./job-run.ts";
import { encodeRunningJob } from "./process-group.ts";
import { recoverPendingJobs } from "./recovery.ts";

/** What Valkey may take beyond the BLOCK time before the read counts as failed. */
const BLOCK_SLACK_MS = 2000;
const READ_RETRY_MS = 500;

export interface JobRunnerOptions {
  /** For every write and quick read; it may be shared (with the heartbeat). */
  valkey: ValkeyConnection;
  /** Opens the connection the blocking queue reads hold; called once Valkey took our password. */
  openQueueConnection: () => ValkeyConnection;
  concurrency: number;
  /** The worker's environment, which jobs get without its secrets. */
  env?: Readonly<Record<string, string | undefined>>;
  /** How a job's output is bounded (RUNBOOK_OUTPUT_*); the defaults when absent. */
  outputLimits?: OutputLimits;
}

interface Running {
  run: JobRun;
  done: Promise<void>;
}

export class JobRunner {
  readonly #options: JobRunnerOptions;
  readonly #running = new Map<string, Running>();
  /** What this worker's claims are marked with (with the entry id), to know its own. */
  readonly #claimMark = `${process.pid}:${crypto.randomUUID()}`;
  #slotFreed: (() => void) | null = null;
  /** Aborts ABANDON_WRITES_AFTER_MS after the stop: writes still waiting for Valkey are given up. */
  readonly #abandon = new AbortController();
  readonly #writes: OrderedWrites;
  /** Secrets are sealed to its public key; the private key never leaves this process's memory. */
  readonly #key = generateWorkerKey();

  constructor(options: JobRunnerOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer (got ${options.concurrency})`);
    }
    this.#options = options;
    this.#writes = new OrderedWrites(options.valkey, this.#abandon.signal);
  }

  /** Resolves once `signal` aborted and every job has ended; rejects only on a refused password. */
  async run(signal: AbortSignal): Promise<void> {
    const { valkey } = this.#options;
    const abandon = this.#abandon;
    const writes = this.#writes;
    let abandonTimer: ReturnType<typeof setTimeout> | undefined;
    const onStop = () => {
      abandonTimer = setTimeout(() => abandon.abort(), ABANDON_WRITES_AFTER_MS);
    };
    signal.addEventListener("abort", onStop, { once: true });
    let queue: ValkeyConnection | null = null;
    const closeQueue = () => queue?.close();
    try {
      if (!(await untilUp(valkey, signal))) return;
      queue = this.#options.openQueueConnection();
      // Closing ends a blocked read at once.
      signal.addEventListener("abort", closeQueue, { once: true });
      const deathSignalPrefix = await findDeathSignalPrefix();
      if (deathSignalPrefix.length === 0) {
        log.warn("jobs will not die with the worker (no setpriv --pdeathsig); the next start cleans up");
      }
      const context = {
        valkey,
        writes,
        abandon: abandon.signal,
        deathSignalPrefix,
        env: this.#options.env,
        outputLimits: this.#options.outputLimits,
        openSecrets: (jobId: string, sealed: string) => openSecrets(this.#key.privateKey, jobId, sealed),
      };

      if (!(await this.#publishKey(signal))) return;
      if (!(await this.#ensureGroup(signal))) return;
      if (!(await recoverPendingJobs({ valkey, writes, abandon: abandon.signal, signal }))) return;
      const polling = this.#pollCancels(signal);
      await this.#takeJobs(queue, signal, (job, entryId) => this.#start(new JobRun(job, entryId, context)));
      await polling;
    } finally {
      for (const { run } of this.#running.values()) run.terminate("stopped");
      await Promise.all([...this.#running.values()].map(({ done }) => done));
      await writes.settled();
      clearTimeout(abandonTimer);
      signal.removeEventListener("abort", onStop);
      signal.removeEventListener("abort", closeQueue);
      queue?.close();
    }
  }

  async #publishKey(signal: AbortSignal): Promise<boolean> {
    const { valkey } = this.#options;
    const published = await untilWritten(valkey, signal, "worker key", () =>
      valkey.command(["SET", WORKER_KEY, this.#key.publicKey]),
    );
    return published.done;
  }

  async #ensureGroup(signal: AbortSignal): Promise<boolean> {
    const { valkey } = this.#options;
    const created = await untilWritten(valkey, signal, "queue group creation", async () => {
      try {
        await valkey.command(["XGROUP", "CREATE", JOB_QUEUE, JOB_QUEUE_GROUP, "0", "MKSTREAM"]);
      } catch (error) {
        // The api creates it too.
        if (!(error instanceof ValkeyReplyError && error.code === "BUSYGROUP")) throw error;
      }
    });
    return created.done;
  }

  async #takeJobs(
    queue: ValkeyConnection,
    signal: AbortSignal,
    start: (job: QueuedJob, entryId: string) => void,
  ): Promise<void> {
    let failing = false;
    while (!signal.aborted) {
      const free = this.#options.concurrency - this.#running.size;
      if (free <= 0) {
        await this.#untilSlotFreed(signal);
        continue;
      }
      let entries: StreamEntry[];
      try {
        if (queue.status() !== "up") await queue.untilUp(signal);
        const reply = await queue.command(
          [
            "XREADGROUP",
            "GROUP",
            JOB_QUEUE_GROUP,
            JOB_QUEUE_CONSUMER,
            "COUNT",
            String(free),
            "BLOCK",
            String(QUEUE_BLOCK_MS),
            "STREAMS",
            JOB_QUEUE,
            ">",
          ],
          { timeoutMs: QUEUE_BLOCK_MS + BLOCK_SLACK_MS },
        );
        entries = streamEntries(reply);
        failing = false;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ValkeyAuthError || !(error instanceof ValkeyError)) throw error;
        // Valkey restarted empty: the group went with the stream.
        if (error instanceof ValkeyReplyError && error.code === "NOGROUP") {
          if (!(await this.#publishKey(signal))) return;
          if (!(await this.#ensureGroup(signal))) return;
          continue;
        }
        if (!failing && queue.status() === "up") log.warn("queue not read", { error: error.message });
        failing = true;
        await pause(READ_RETRY_MS, signal);
        continue;
      }
      for (const entry of entries) await this.#take(entry, signal, start);
    }
  }

  /** Decides what one new queue entry is: a job to run, a duplicate, or one cancelled already. */
  async #take(
    entry: StreamEntry,
    signal: AbortSignal,
    start: (job: QueuedJob, entryId: string) => void,
  ): Promise<void> {
    const { valkey } = this.#options;
    const job = decodeQueuedJob(entry.fields);
    if (job === null) {
      log.warn("queue entry skipped: not a job", { entry: entry.id });
      void this.#writes.push("queue ack", [ackCommand(entry.id)]);
      return;
    }
    const claimed = await untilWritten(valkey, signal, "job claim", () => this.#claim(job.id, entry.id));
    if (!claimed.done) {
      await this.#finishUnstarted(job, entry.id, {
        outcome: "interrupted",
        exitCode: null,
        reason: "the worker stopped before it started",
      });
      return;
    }
    if (!claimed.value) {
      log.info("duplicate queue entry skipped", { id: job.id, entry: entry.id });
      void this.#writes.push("queue ack", [ackCommand(entry.id)]);
      return;
    }
    const cancel = await untilWritten(valkey, signal, "cancel mark read", () =>
      valkey.command(["EXISTS", jobCancelKey(job.id)]),
    );
    if (!cancel.done || cancel.value === 1) {
      const finish: Finish = cancel.done
        ? { outcome: "cancelled", exitCode: null, reason: "cancelled before it started" }
        : { outcome: "interrupted", exitCode: null, reason: "the worker stopped before it started" };
      await this.#finishUnstarted(job, entry.id, finish);
      return;
    }
    start(job, entry.id);
  }

  /**
   * True when this entry holds the job's claim now, also when a lost reply
   * hid that its first try took it: the mark names this worker and entry, so
   * a duplicate entry of the same job never passes for it.
   */
  async #claim(jobId: string, entryId: string): Promise<boolean> {
    const { valkey } = this.#options;
    const key = jobClaimKey(jobId);
    const mark = `${this.#claimMark}:${entryId}`;
    const reply = await valkey.command(["SET", key, mark, "NX", "EX", String(JOB_MARK_TTL_SECONDS)]);
    if (reply !== null) return true;
    return (await valkey.get(key)) === mark;
  }

  async #finishUnstarted(job: QueuedJob, entryId: string, finish: Finish): Promise<void> {
    await new OutputWriter(this.#options.valkey, job.id, this.#abandon.signal).end();
    const landed = await this.#writes.push("job end", finishCommands(job.id, entryId, finish));
    log.info("job finished", {
      id: job.id,
      outcome: finish.outcome,
      exitCode: "none",
      reason: finish.reason ?? undefined,
      reported: landed ? undefined : "no",
    });
  }

  #start(run: JobRun): void {
    const done = run
      .run()
      .catch((error: unknown) => {
        log.error("job runner failed", {
          id: run.job.id,
          error: error instanceof Error ? error.message : String(error),
        });
      })
      .finally(() => {
        this.#running.delete(run.job.id);
        this.#slotFreed?.();
      });
    this.#running.set(run.job.id, { run, done });
  }

  #untilSlotFreed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#slotFreed = null;
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#slotFreed = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /**
   * Every CANCEL_POLL_MS, one MGET of the running jobs' cancel marks. Every
   * RUNNING_REASSERT_MS the running-jobs hash is written again too, so a
   * Valkey that restarted empty learns again what a next worker must clean up.
   */
  async #pollCancels(signal: AbortSignal): Promise<void> {
    const { valkey } = this.#options;
    let lastReassert = performance.now();
    while (!signal.aborted) {
      await pause(CANCEL_POLL_MS, signal);
      const reassert = performance.now() - lastReassert >= RUNNING_REASSERT_MS;
      if (reassert) {
        lastReassert = performance.now();
        // Valkey may have restarted empty: the api seals secrets to this key.
        await valkey.command(["SET", WORKER_KEY, this.#key.publicKey]).catch(() => {});
      }
      const runs = [...this.#running.values()].map(({ run }) => run).filter((run) => run.record() !== null);
      if (runs.length === 0 || signal.aborted) continue;
      try {
        const marks = await valkey.command(["MGET", ...runs.map((run) => jobCancelKey(run.job.id))]);
        if (Array.isArray(marks)) {
          marks.forEach((mark, i) => {
            if (mark !== null) runs[i]?.terminate("cancelled");
          });
        }
        if (reassert) {
          const fields = runs.flatMap((run) => {
            const record = run.record();
            return record === null ? [] : [run.job.id, encodeRunningJob(record)];
          });
          if (fields.length > 0) await valkey.command(["HSET", JOB_RUNNING, ...fields]);
        }
      } catch (error) {
        // Down or refusing: the next poll tries again.
        if (!(error instanceof ValkeyError)) throw error;
      }
    }
  }
}

/** False when `signal` aborted first; rethrows a refused password. */
async function untilUp(valkey: ValkeyConnection, signal: AbortSignal): Promise<boolean> {
  try {
    await valkey.untilUp(signal);
    return true;
  } catch (error) {
    if (signal.aborted) return false;
    throw error;
  }
}
