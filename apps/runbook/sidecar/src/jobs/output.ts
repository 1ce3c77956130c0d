/**
 * Reads a job's output from its Valkey stream for the api, as a long poll:
 * what follows the reader's cursor, or, when nothing does yet, whatever
 * arrives within `wait`. A blocked read holds its connection, so waiting
 * reads share a small pool of their own; when all are taken, a reader polls.
 */
import { connectValkey, type ValkeyConnection, type ValkeyOptions } from "@convoy/sidecar-runtime";
import { pause } from "../roles/role.ts";
import {
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
  /** Whether the job has ended: once it has, every chunk is in the stream. */
  ended: () => boolean;
}

export class JobOutputReader {
  readonly #valkey: ValkeyConnection;
  readonly #options: Omit<ValkeyOptions, "name">;
  readonly #idle: ValkeyConnection[] = [];
  #open = 0;

  /** `valkey` answers the quick reads; waiting ones open connections with `options`. */
  constructor(valkey: ValkeyConnection, options: Omit<ValkeyOptions, "name">) {
    this.#valkey = valkey;
    this.#options = options;
  }

  async read(request: OutputRequest, signal?: AbortSignal): Promise<JobOutput> {
    const key = jobOutputKey(request.id);
    let entries = await this.#readNow(key, request);
    if (entries.length === 0 && request.wait > 0 && !request.ended()) {
      entries = await this.#wait(key, request, signal);
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
          request.after,
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
      request.after,
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

/** Adjacent chunks of one stream are joined, so a page stays small. */
function toOutput(entries: readonly StreamEntry[], after: string, ended: boolean): JobOutput {
  const chunks: { stream: OutputStream; text: string }[] = [];
  let end = ended;
  for (const entry of entries) {
    const decoded = decodeOutputEntry(entry.fields);
    if (decoded === null) continue;
    if (decoded.kind === "end") {
      end = true;
      continue;
    }
    const previous = chunks.at(-1);
    if (previous?.stream === decoded.stream) previous.text += decoded.text;
    else chunks.push({ stream: decoded.stream, text: decoded.text });
  }
  return { chunks, cursor: entries.at(-1)?.id ?? after, end };
}
