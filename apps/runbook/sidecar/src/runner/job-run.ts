/**
 * One job, from spawn to acknowledgement: starts the command, streams its
 * output, progress and status, ends its process group when the leader exits (or when
 * cancelled or stopped: SIGTERM, a grace, SIGKILL), and reports how it ended.
 */
import { log, type ValkeyConnection } from "@convoy/sidecar-runtime";
import {
  type ControlLine,
  JOB_OUTPUT_CHUNK_BYTES,
  JOB_RUNNING,
  type OutputStream,
  type QueuedJob,
} from "../jobs/queue.ts";
import {
  DEFAULT_OUTPUT_LIMITS,
  OUTPUT_BURST_WRITES,
  OUTPUT_FLUSH_MS,
  type OutputLimits,
  PIPE_DRAIN_MS,
  PROGRESS_INTERVAL_MS,
  TERMINATE_GRACE_MS,
} from "./config.ts";
import type { OrderedWrites } from "./durable-writes.ts";
import { OutputWriter } from "./durable-writes.ts";
import { eventCommand, type Finish, finishCommands, finishFromExit } from "./job-events.ts";
import { JobSpawnError, type SpawnedJob, spawnJob } from "./job-process.ts";
import { OutputBudget, truncationNotice } from "./output-budget.ts";
import { pumpOutput } from "./output-pump.ts";
import { encodeRunningJob, type RunningJobRecord, signalGroup } from "./process-group.ts";
import { ProgressThrottle, systemClock } from "./progress-throttle.ts";
import { SecretMask } from "./secret-mask.ts";
import { ControlLineFilter, type FilteredText } from "./text.ts";

export interface JobRunContext {
  valkey: ValkeyConnection;
  writes: OrderedWrites;
  /** Aborts when writes that have not landed are given up on. */
  abandon: AbortSignal;
  deathSignalPrefix: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
  /** Opens the secrets sealed for this worker (secret-seal.ts); absent: none can be opened. */
  openSecrets?: (jobId: string, sealed: string) => Record<string, string> | null;
  /** How much output waits for the api, and how much a run keeps; the defaults when absent. */
  outputLimits?: OutputLimits;
}

/** Why the worker ended a job that had not ended on its own. */
export type Termination = "cancelled" | "stopped" | "timed-out";

const TERMINATION_FINISH: Record<Exclude<Termination, "timed-out">, Finish> = {
  cancelled: { outcome: "cancelled", exitCode: null, reason: "cancelled while running" },
  stopped: { outcome: "interrupted", exitCode: null, reason: "the worker stopped" },
};

export const SECRETS_UNOPENED =
  "its secret values could not be opened (sealed for an earlier worker); run it again with them";

export class JobRun {
  readonly job: QueuedJob;
  readonly entryId: string;
  readonly #context: JobRunContext;
  #spawned: SpawnedJob | null = null;
  #termination: Termination | null = null;
  #killTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set once the leader exited: there is nothing left to cancel or to record. */
  #exited = false;

  constructor(job: QueuedJob, entryId: string, context: JobRunContext) {
    this.job = job;
    this.entryId = entryId;
    this.#context = context;
  }

  /** Where its processes are while it runs; null before the spawn and once it has exited. */
  record(): RunningJobRecord | null {
    const spawned = this.#spawned;
    return spawned === null || this.#exited ? null : { pgid: spawned.pgid, startTime: spawned.startTime };
  }

  /** Ends the job's process group: SIGTERM now, SIGKILL after the grace. The first cause wins. */
  terminate(cause: Termination): void {
    if (this.#termination !== null || this.#exited) return;
    this.#termination = cause;
    if (this.#spawned !== null) this.#signalTermination(this.#spawned);
  }

  /** Resolves once the job's end is reported (or given up on, when the worker stops without Valkey). */
  async run(): Promise<void> {
    const { job } = this;
    const { writes } = this.#context;
    const startedAt = performance.now();
    const limits = this.#context.outputLimits ?? DEFAULT_OUTPUT_LIMITS;
    const output = new OutputWriter(
      this.#context.valkey,
      job.id,
      this.#context.abandon,
      limits.backlogEntries,
    );
    const budget = new OutputBudget(limits.maxBytes);

    let secrets: Record<string, string> = {};
    if (job.sealed !== undefined) {
      const opened = this.#context.openSecrets?.(job.id, job.sealed) ?? null;
      if (opened === null) {
        await output.end();
        await this.#report(
          { outcome: "failed", exitCode: null, reason: SECRETS_UNOPENED, failure: "secrets-unavailable" },
          startedAt,
        );
        return;
      }
      secrets = opened;
    }

    let spawned: SpawnedJob;
    try {
      spawned = spawnJob({
        jobId: job.id,
        command: job.command,
        deathSignalPrefix: this.#context.deathSignalPrefix,
        env: this.#context.env,
        cwd: job.cwd,
        extraEnv: { ...job.env, ...secrets },
      });
    } catch (error) {
      if (!(error instanceof JobSpawnError)) throw error;
      await output.end();
      await this.#report(
        { outcome: "failed", exitCode: null, reason: error.message, failure: error.failure },
        startedAt,
      );
      return;
    }
    this.#spawned = spawned;
    log.info("job started", { id: job.id, pid: spawned.pid });
    const record = encodeRunningJob({ pgid: spawned.pgid, startTime: spawned.startTime });
    void writes.push("job start", [
      ["HSET", JOB_RUNNING, job.id, record],
      eventCommand({ type: "started", id: job.id, at: new Date().toISOString(), pid: spawned.pid }),
    ]);
    // Cancelled or stopped while it was being spawned.
    if (this.#termination !== null) this.#signalTermination(spawned);
    const timeout =
      job.timeoutSeconds === undefined
        ? null
        : setTimeout(() => this.terminate("timed-out"), job.timeoutSeconds * 1000);

    const at = () => new Date().toISOString();
    const progress = new ProgressThrottle<Extract<ControlLine, { kind: "progress" }>>(
      ({ progress: value, steps }) => {
        const event = { type: "progress" as const, id: job.id, at: at(), progress: value };
        void writes.push("job progress", [eventCommand(steps === null ? event : { ...event, steps })]);
      },
      PROGRESS_INTERVAL_MS,
      systemClock,
      ({ progress: value, steps }) => (steps === null ? String(value) : `${steps.done}/${steps.total}`),
    );
    const status = new ProgressThrottle<string>((statusLine) => {
      void writes.push("job status", [eventCommand({ type: "status", id: job.id, at: at(), statusLine })]);
    }, PROGRESS_INTERVAL_MS);
    const drain = new AbortController();
    const secretValues = Object.values(secrets);
    const report = (controls: readonly ControlLine[]) => {
      for (const control of controls) {
        if (control.kind === "progress") progress.push(control);
        else {
          // A status line leaves the worker too: its secrets are masked like the output's.
          const mask = new SecretMask(secretValues);
          status.push(mask.push(control.statusLine) + mask.end());
        }
      }
    };
    const pump = (source: ReadableStream<Uint8Array>, stream: OutputStream) => {
      // Control lines first: they are reported, never counted or written as output.
      const lines = new ControlLineFilter();
      // Before anything is counted or written: no secret leaves the worker.
      const mask = new SecretMask(secretValues);
      const write = async (text: string) => {
        const kept = budget.take(text);
        if (kept.text !== "") await output.write(stream, kept.text);
        if (kept.truncated) await output.write("stderr", truncationNotice(budget.maxBytes));
      };
      const filter = (filtered: FilteredText) => {
        report(filtered.controls);
        return filtered.output;
      };
      return pumpOutput(source, {
        write: async (text) => {
          const kept = mask.push(filter(lines.push(text)));
          if (kept !== "") await write(kept);
        },
        flushMs: OUTPUT_FLUSH_MS,
        burstWrites: OUTPUT_BURST_WRITES,
        maxBytes: JOB_OUTPUT_CHUNK_BYTES,
        stop: drain.signal,
      }).then(async () => {
        const rest = mask.push(filter(lines.end())) + mask.end();
        if (rest !== "") await write(rest);
      });
    };
    const pumps = Promise.all([
      pump(spawned.process.stdout, "stdout"),
      pump(spawned.process.stderr, "stderr"),
    ]);

    await spawned.process.exited;
    this.#exited = true;
    if (timeout !== null) clearTimeout(timeout);
    // What is left is what the pipes hold: written now, not held for the api.
    output.stopHoldingBack();
    if (this.#killTimer !== null) clearTimeout(this.#killTimer);
    // Whatever it left behind in its group would hold the pipes open forever.
    signalGroup(spawned.pgid, "SIGKILL");
    const drainTimer = setTimeout(() => drain.abort(), PIPE_DRAIN_MS);
    await pumps;
    clearTimeout(drainTimer);
    progress.flush();
    status.flush();
    await output.end();

    const { exitCode, signalCode } = spawned.process;
    const termination = this.#termination;
    const finish =
      termination === null
        ? finishFromExit(exitCode, signalCode === null ? null : String(signalCode))
        : termination === "timed-out"
          ? {
              outcome: "failed" as const,
              exitCode,
              reason: `timed out after ${job.timeoutSeconds} s`,
              failure: "timed-out" as const,
            }
          : { ...TERMINATION_FINISH[termination], exitCode };
    await this.#report({ ...finish, droppedOutputBytes: budget.droppedBytes }, startedAt);
  }

  async #report(finish: Finish, startedAt: number): Promise<void> {
    const landed = await this.#context.writes.push(
      "job end",
      finishCommands(this.job.id, this.entryId, finish),
    );
    log.info("job finished", {
      id: this.job.id,
      outcome: finish.outcome,
      exitCode: finish.exitCode ?? "none",
      ms: Math.round(performance.now() - startedAt),
      droppedBytes: finish.droppedOutputBytes || undefined,
      reported: landed ? undefined : "no (valkey unavailable; the next worker reports it interrupted)",
    });
  }

  #signalTermination(spawned: SpawnedJob): void {
    signalGroup(spawned.pgid, "SIGTERM");
    this.#killTimer = setTimeout(() => {
      this.#killTimer = null;
      signalGroup(spawned.pgid, "SIGKILL");
    }, TERMINATE_GRACE_MS);
  }
}
