/**
 * Reads a job's output for the api, as a long poll: what follows the
 * reader's cursor, or, when nothing does yet, whatever arrives within `wait`.
 * What the api has copied into SQLite is read there; only what follows it is
 * read from the job's Valkey stream. A blocked read holds its connection, so
 * waiting reads share a small pool of their own; when all are taken, a
 * reader polls.
 */
import { connectValkey, type ValkeyConnection, type ValkeyOptions } from "@convoy/sidecar-runtime";
import { pause } from "../roles/role.ts";
import { joinChunks, type OutputStore } from "./output-store.ts";
import {
  clampStreamId,
  decodeOutputEntry,
  jobOutputKey,
  type OutputStream,
  type StreamEntry,
  streamEntries,
} from "./queue.ts";
import type { JobOutput } from "./schemas.ts";

/** Most connections blocked in reads at once; one per window following a job is plenty. */
const MAX_WAITING = 8;
/** How often a reader without a connection of its own looks again. */
const POLL_MS = 50;
/** What Valkey may take beyond the BLOCK time before the read counts as failed. */
const BLOCK_SLACK_MS = 2000;

export interface OutputRequest {
  id: string;
  after: string;
  wait: number;
  limit: number;
  /** Whether the job has ended: once it has, every chunk is in its stream or copied. */
  ended: () => boolean;
}

export class JobOutputReader {
  readonly #copied: OutputStore;
  readonly #valkey: ValkeyConnection;
  readonly #options: Omit<ValkeyOptions, "name">;
  readonly #idle: ValkeyConnection[] = [];
  #open = 0;

  /**
   * `copied` holds what the api copied from the streams; `valkey` answers the
   * quick reads of the rest; waiting ones open connections with `options`.
   */
  constructor(copied: OutputStore, valkey: ValkeyConnection, options: Omit<ValkeyOptions, "name">) {
    this.#copied = copied;
    this.#valkey = valkey;
    this.#options = options;
  }

  async read(request: OutputRequest, signal?: AbortSignal): Promise<JobOutput> {
    // What is copied into SQLite is read there, also while Valkey is down.
    // SQLite is asked again after each read of Valkey: an entry leaves the
    // stream only once it is copied, so whatever that read missed is there.
    const copied = () => this.#copied.read(request.id, request.after, request.limit);
    const key = jobOutputKey(request.id);
    let answer = copied();
    if (answer !== null) return answer;
    let entries = await this.#readNow(key, request);
    answer = copied();
    if (answer !== null) return answer;
    if (entries.length === 0 && request.wait > 0 && !request.ended()) {
      entries = await this.#wait(key, request, signal);
      answer = copied();
      if (answer !== null) return answer;
    }
    return toOutput(entries, request.after, entries.length === 0 && request.ended());
  }

  /** Closes every pooled connection. */
  close(): void {
    for (const connection of this.#idle.splice(0)) connection.close();
  }

  async #wait(key: string, request: OutputRequest, signal?: AbortSignal): Promise<StreamEntry[]> {
    const connection = await this.#acquire();
    const deadline = Date.now() + request.wait;
    if (connection === null) {
      // Every waiting connection is taken: look again every POLL_MS.
      while (Date.now() < deadline && !signal?.aborted && !request.ended()) {
        await pause(Math.min(POLL_MS, deadline - Date.now()), signal ?? new AbortController().signal);
        const entries = await this.#readNow(key, request);
        if (entries.length > 0) return entries;
      }
      return [];
    }
    let healthy = false;
    try {
      const reply = await connection.command(
        [
          "XREAD",
          "COUNT",
          String(request.limit),
          "BLOCK",
          String(request.wait),
          "STREAMS",
          key,
          clampStreamId(request.after),
        ],
        { timeoutMs: request.wait + BLOCK_SLACK_MS },
      );
      healthy = true;
      return streamEntries(reply);
    } finally {
      this.#release(connection, healthy);
    }
  }

  /** What follows the cursor now, without waiting. */
  async #readNow(key: string, request: OutputRequest): Promise<StreamEntry[]> {
    const reply = await this.#valkey.command([
      "XREAD",
      "COUNT",
      String(request.limit),
      "STREAMS",
      key,
      clampStreamId(request.after),
    ]);
    return streamEntries(reply);
  }

  async #acquire(): Promise<ValkeyConnection | null> {
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      if (idle.status() === "up") return idle;
      this.#open -= 1;
      idle.close();
    }
    if (this.#open >= MAX_WAITING) return null;
    this.#open += 1;
    const connection = connectValkey({ ...this.#options, name: "api-output" });
    try {
      await connection.untilUp(AbortSignal.timeout(this.#options.timeoutMs ?? 2000));
      return connection;
    } catch {
      this.#open -= 1;
      connection.close();
      return null;
    }
  }

  #release(connection: ValkeyConnection, healthy: boolean): void {
    if (healthy && connection.status() === "up") {
      this.#idle.push(connection);
    } else {
      this.#open -= 1;
      connection.close();
    }
  }
}

/**
 * Adjacent chunks of one stream are joined, so a page stays small. Once the
 * output has ended, the cursor is the last output entry's (or `after`), not
 * the end marker's: the stored form keeps no marker, so an ended output
 * answers the same cursor from Valkey and from SQLite.
 */
function toOutput(entries: readonly StreamEntry[], after: string, ended: boolean): JobOutput {
  const pieces: { stream: OutputStream; text: string }[] = [];
  let end = ended;
  let lastOutput: string | undefined;
  for (const entry of entries) {
    const decoded = decodeOutputEntry(entry.fields);
    if (decoded?.kind === "end") end = true;
    else if (decoded !== null) {
      pieces.push(decoded);
      lastOutput = entry.id;
    }
  }
  const cursor = end ? (lastOutput ?? after) : (entries.at(-1)?.id ?? after);
  return { chunks: joinChunks(pieces), cursor, end };
}
