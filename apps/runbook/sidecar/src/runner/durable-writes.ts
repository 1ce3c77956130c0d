/**
 * Writes to Valkey that must land: job events, acknowledgements, output.
 * Valkey being down is waited out and a refused write is retried, until the
 * write lands or the worker gives up on it (`abandon`, some seconds after it
 * was asked to stop). What is given up on is not lost: its queue entry stays
 * pending and the next worker reports the job interrupted.
 */
import {
  log,
  ValkeyAuthError,
  type ValkeyConnection,
  ValkeyError,
  ValkeyReplyError,
} from "@convoy/sidecar-runtime";
import {
  encodeOutputEntry,
  JOB_OUTPUT_CHUNK_BYTES,
  JOB_OUTPUT_TTL_SECONDS,
  jobOutputKey,
  type OutputStream,
} from "../jobs/queue.ts";
import { splitUtf8 } from "../jobs/utf8.ts";
import { pause } from "../roles/role.ts";
import { OUTPUT_BACKLOG, OUTPUT_BACKLOG_POLL_MS } from "./config.ts";

/** After a refused write (e.g. Valkey out of memory), before the next try. */
const REFUSED_RETRY_MS = 500;

/** Whether the outcome of one try is worth another. */
type Attempt<T> = { done: true; value: T } | { done: false };

/**
 * Runs `attempt` until it returns, waiting out outages; resolves null once
 * `abandon` aborts first. Errors other than Valkey's are rethrown.
 */
export async function untilWritten<T>(
  valkey: ValkeyConnection,
  abandon: AbortSignal,
  what: string,
  attempt: () => Promise<T>,
): Promise<Attempt<T>> {
  let refused = false;
  while (!abandon.aborted) {
    try {
      return { done: true, value: await attempt() };
    } catch (error) {
      if (!(error instanceof ValkeyError)) throw error;
      if (error instanceof ValkeyAuthError) {
        // The heartbeat loop stops the worker for this; keep trying meanwhile.
        await pause(REFUSED_RETRY_MS, abandon);
      } else if (error instanceof ValkeyReplyError) {
        if (!refused) log.warn(`${what} refused by valkey, retrying`, { error: error.message });
        refused = true;
        await pause(REFUSED_RETRY_MS, abandon);
      } else if (valkey.status() === "down") {
        await valkey.untilUp(abandon).catch(() => pause(REFUSED_RETRY_MS, abandon));
      }
    }
  }
  return { done: false };
}

/**
 * Commands written one after another, each retried until it lands: the
 * order of everything pushed is the order Valkey sees it, so a job's events
 * arrive as they happened, and its acknowledgement after its last event.
 * A command retried after a lost reply may land twice; every command here is
 * idempotent or read idempotently (the api applies events idempotently).
 */
export class OrderedWrites {
  readonly #valkey: ValkeyConnection;
  readonly #abandon: AbortSignal;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(valkey: ValkeyConnection, abandon: AbortSignal) {
    this.#valkey = valkey;
    this.#abandon = abandon;
  }

  /** Resolves true once every command landed, false if they were given up on. */
  push(what: string, commands: readonly (readonly string[])[]): Promise<boolean> {
    const written = this.#tail.then(async () => {
      for (const command of commands) {
        const result = await untilWritten(this.#valkey, this.#abandon, what, () =>
          this.#valkey.command(command),
        );
        if (!result.done) return false;
      }
      return true;
    });
    this.#tail = written.catch(() => {});
    return written;
  }

  /** Resolves once everything pushed so far has landed or been given up on. */
  settled(): Promise<void> {
    return this.#tail.then(() => {});
  }
}

/** A Stream entry id, `<ms>-<seq>`. */
interface EntryId {
  ms: number;
  seq: number;
}

export function parseEntryId(text: string): EntryId | null {
  const match = /^(\d+)-(\d+)$/.exec(text);
  return match ? { ms: Number(match[1]), seq: Number(match[2]) } : null;
}

export function compareEntryIds(a: EntryId, b: EntryId): number {
  return a.ms === b.ms ? a.seq - b.seq : a.ms - b.ms;
}

/**
 * One job's output stream, written in order, each entry exactly once. The
 * writer picks every entry's id itself, increasing, so a write retried after
 * a lost reply is recognised: if the stream's last id has reached the
 * entry's, the first try landed. Only this writer writes to the stream while
 * the job runs.
 *
 * It holds the job back rather than lose output: the api trims what it
 * copied, so the stream's length is what is not copied yet, and while that
 * is `backlogEntries` a write waits (and the pump reads no more of the pipe,
 * so the job's own writes block). It asks Valkey for the length only once
 * its own count says the limit may be reached; trimming only ever lowers it.
 */
export class OutputWriter {
  readonly #valkey: ValkeyConnection;
  readonly #abandon: AbortSignal;
  readonly #key: string;
  readonly #jobId: string;
  readonly #backlogEntries: number;
  /** Aborts once holding back is over (the job has exited): `abandon` or this ends a wait. */
  readonly #released = new AbortController();
  readonly #waitEnds: AbortSignal;
  /** Entries that may be appended before the length must be asked again. */
  #room = 0;
  #last: EntryId = { ms: 0, seq: 0 };
  #tail: Promise<unknown> = Promise.resolve();

  constructor(
    valkey: ValkeyConnection,
    jobId: string,
    abandon: AbortSignal,
    backlogEntries = OUTPUT_BACKLOG.fallback,
  ) {
    this.#valkey = valkey;
    this.#key = jobOutputKey(jobId);
    this.#jobId = jobId;
    this.#abandon = abandon;
    this.#backlogEntries = backlogEntries;
    this.#waitEnds = AbortSignal.any([abandon, this.#released.signal]);
  }

  /**
   * Appends `text` in entries of at most JOB_OUTPUT_CHUNK_BYTES, each once the
   * backlog has room; resolves once written or given up on.
   */
  write(stream: OutputStream, text: string): Promise<void> {
    const pieces = splitUtf8(text, JOB_OUTPUT_CHUNK_BYTES);
    return this.#enqueue(async () => {
      for (const piece of pieces) {
        if (!(await this.#untilRoom())) return;
        if (!(await this.#append(encodeOutputEntry({ kind: "text", stream, text: piece })))) return;
        this.#room -= 1;
      }
    });
  }

  /**
   * Writes no longer wait for the backlog: the job has exited, so holding it
   * back is over, and what is left to write is what its pipes still hold.
   */
  stopHoldingBack(): void {
    this.#released.abort();
  }

  /** Appends the `end` entry and sets the stream's expiry. */
  end(): Promise<void> {
    return this.#enqueue(async () => {
      if (!(await this.#append(encodeOutputEntry({ kind: "end" })))) return;
      await untilWritten(this.#valkey, this.#abandon, "job output expiry", () =>
        this.#valkey.command(["EXPIRE", this.#key, String(JOB_OUTPUT_TTL_SECONDS)]),
      );
    });
  }

  /** False when the writes were given up on while waiting. */
  async #untilRoom(): Promise<boolean> {
    let held = false;
    while (this.#room <= 0 && !this.#released.signal.aborted) {
      const length = await untilWritten(this.#valkey, this.#waitEnds, "job output backlog", () =>
        this.#valkey.command(["XLEN", this.#key]),
      );
      if (this.#abandon.aborted) return false;
      if (!length.done) break;
      const entries = Number(length.value);
      this.#room = this.#backlogEntries - entries;
      if (this.#room > 0) break;
      if (!held) {
        log.info("job output held back until the api copies it", { id: this.#jobId, entries });
        held = true;
      }
      await pause(OUTPUT_BACKLOG_POLL_MS, this.#waitEnds);
    }
    if (held) log.info("job output flowing again", { id: this.#jobId });
    return !this.#abandon.aborted;
  }

  #enqueue(write: () => Promise<void>): Promise<void> {
    const done = this.#tail.then(write);
    this.#tail = done.catch(() => {});
    return done;
  }

  async #append(fields: readonly string[]): Promise<boolean> {
    let id = this.#nextId();
    let maybeLanded = false;
    const result = await untilWritten(this.#valkey, this.#abandon, "job output", async () => {
      for (;;) {
        try {
          // No MAXLEN: what is not copied yet must never be trimmed.
          await this.#valkey.command(["XADD", this.#key, idText(id), ...fields]);
          return;
        } catch (error) {
          if (!(error instanceof ValkeyReplyError)) {
            // Sent or not, we cannot tell: the next try finds out.
            if (error instanceof ValkeyError) maybeLanded = true;
            throw error;
          }
          const top = await this.#lastId();
          // Refused for another reason (e.g. out of memory): retried later.
          if (top === null || compareEntryIds(top, id) < 0) throw error;
          // The stream is at or past this id already: our earlier try landed,
          // or (never in practice) the stream had entries before this job ran.
          if (maybeLanded) return;
          this.#last = top;
          id = this.#nextId();
        }
      }
    });
    if (result.done) this.#last = id;
    return result.done;
  }

  #nextId(): EntryId {
    const now = Date.now();
    return now > this.#last.ms ? { ms: now, seq: 0 } : { ms: this.#last.ms, seq: this.#last.seq + 1 };
  }

  async #lastId(): Promise<EntryId | null> {
    const reply = await this.#valkey.command(["XREVRANGE", this.#key, "+", "-", "COUNT", "1"]);
    const [entry] = Array.isArray(reply) ? reply : [];
    return Array.isArray(entry) && typeof entry[0] === "string" ? parseEntryId(entry[0]) : null;
  }
}

function idText(id: EntryId): string {
  return `${id.ms}-${id.seq}`;
}
