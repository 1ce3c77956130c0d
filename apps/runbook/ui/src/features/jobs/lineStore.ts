/**
 * A run's output as numbered lines, for a view that shows a window of them.
 * Stored lines come from `GET /jobs/{id}/lines` in pages, kept in a cache
 * bounded by count (least recently used pages go first): a million-line run
 * never sits whole in the page. The query cache would bound by time, not by
 * size, so pages live here. A running job's newest lines come from the live
 * output (the `/output` long poll), split into lines exactly as the api splits
 * them (per stream, ending at "\n", a CRLF's "\r" dropped), so line n is the
 * same line whichever side it comes from: a stored page wins where it has it.
 */
import type { components } from "../../lib/api/schema";

export type Line = components["schemas"]["Line"];
export type JobLines = components["schemas"]["JobLines"];
type OutputStream = Line["stream"];

/** Longest line text kept (UTF-16 units, like the api's 64 KiB cut); the rest only counted. */
export const CLIP_CHARS = 65_536;
/** Lines per request. */
export const PAGE_SIZE = 500;
/** Pages kept: the window and a few screens around it, a few thousand lines. */
export const MAX_PAGES = 24;
/** Live lines kept past the stored ones. */
export const LIVE_MAX = 20_000;

const utf8 = new TextEncoder();

interface Tail {
  text: string;
  /** Bytes beyond `text` (past CLIP_CHARS), counted only. */
  extraBytes: number;
}

/**
 * Lines from live chunks, numbered from 0 in the order they end; only the
 * newest LIVE_MAX are kept, each clipped to CLIP_CHARS.
 */
export class LiveLines {
  /** Lines ended so far. */
  count = 0;
  #lines: Line[] = [];
  #tails: Record<OutputStream, Tail> = {
    stdout: { text: "", extraBytes: 0 },
    stderr: { text: "", extraBytes: 0 },
  };

  /** The first line still kept. */
  get start(): number {
    return this.count - this.#lines.length;
  }

  add(stream: OutputStream, text: string): void {
    let from = 0;
    let end = text.indexOf("\n");
    while (end !== -1) {
      this.#grow(stream, text.slice(from, end));
      this.#endLine(stream);
      from = end + 1;
      end = text.indexOf("\n", from);
    }
    if (from < text.length) this.#grow(stream, text.slice(from));
  }

  /** The output has ended: each unended tail is a last line, stdout's first. */
  end(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      const tail = this.#tails[stream];
      if (tail.text !== "" || tail.extraBytes > 0) this.#endLine(stream, false);
    }
  }

  line(n: number): Line | undefined {
    return this.#lines[n - this.start];
  }

  /** The lines not ended yet (a prompt, a progress bar), shown after the ended ones. */
  pending(): Line[] {
    const lines: Line[] = [];
    for (const stream of ["stdout", "stderr"] as const) {
      const tail = this.#tails[stream];
      if (tail.text !== "" || tail.extraBytes > 0)
        lines.push(this.#asLine(this.count + lines.length, stream, tail));
    }
    return lines;
  }

  #grow(stream: OutputStream, piece: string): void {
    const tail = this.#tails[stream];
    const room = CLIP_CHARS - tail.text.length;
    if (piece.length <= room) tail.text += piece;
    else {
      tail.text += piece.slice(0, room);
      tail.extraBytes += utf8.encode(piece.slice(room)).length;
    }
  }

  #endLine(stream: OutputStream, crlf = true): void {
    const tail = this.#tails[stream];
    if (crlf && tail.extraBytes === 0 && tail.text.endsWith("\r")) tail.text = tail.text.slice(0, -1);
    this.#lines.push(this.#asLine(this.count, stream, tail));
    this.count += 1;
    if (this.#lines.length > LIVE_MAX) this.#lines.splice(0, this.#lines.length - LIVE_MAX);
    this.#tails[stream] = { text: "", extraBytes: 0 };
  }

  #asLine(n: number, stream: OutputStream, tail: Tail): Line {
    if (tail.extraBytes === 0) return { n, stream, text: tail.text };
    return { n, stream, text: tail.text, clipped: utf8.encode(tail.text).length + tail.extraBytes };
  }
}

export type FetchLines = (from: number, count: number, signal: AbortSignal) => Promise<JobLines>;

interface Page {
  lines: Line[];
}

export interface LinesMeta {
  /** Lines stored so far. */
  total: number;
  /** The run ended and all its lines are stored. */
  complete: boolean;
  /** The run reached its output cap. */
  truncated: boolean;
  /** A first answer came. */
  loaded: boolean;
}

/** A run's lines: stored pages (bounded), the live tail, and what the view must show. */
export class LineStore {
  readonly live = new LiveLines();
  meta: LinesMeta = { total: 0, complete: false, truncated: false, loaded: false };
  /** The last failed read; cleared by the next success. */
  error: unknown = null;
  #liveEnded = false;
  #fetch: FetchLines;
  #pageSize: number;
  #maxPages: number;
  #pages = new Map<number, Page>();
  #inflight = new Map<number, Promise<void>>();
  #abort = new AbortController();
  #listeners = new Set<() => void>();
  #version = 0;

  constructor(fetch: FetchLines, options: { pageSize?: number; maxPages?: number } = {}) {
    this.#fetch = fetch;
    this.#pageSize = options.pageSize ?? PAGE_SIZE;
    this.#maxPages = options.maxPages ?? MAX_PAGES;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Changes with every change worth a render (for useSyncExternalStore). */
  version = (): number => this.#version;

  /** Lines the view has: every stored one, and the live ones past them. */
  get count(): number {
    if (this.meta.complete) return this.meta.total;
    return Math.max(this.meta.total, this.live.count + this.live.pending().length);
  }

  /** Every line is known: all stored, or the live output ended with nothing missing between. */
  get ended(): boolean {
    return this.meta.complete || (this.#liveEnded && this.live.start <= this.meta.total);
  }

  get pagesCached(): number {
    return this.#pages.size;
  }

  line(n: number): Line | undefined {
    const first = n - (n % this.#pageSize);
    const stored = this.#pages.get(first)?.lines[n - first];
    if (stored) return stored;
    if (n < this.live.count) return this.live.line(n);
    return this.meta.complete ? undefined : this.live.pending()[n - this.live.count];
  }

  /** Makes sure lines [from, to) are loaded or on their way. */
  want(from: number, to: number): void {
    const size = this.#pageSize;
    // The first answer says how many lines there are.
    if (!this.meta.loaded) {
      void this.#load(0);
      return;
    }
    const last = Math.min(to, this.meta.total) - 1;
    for (let first = Math.max(0, from - (from % size)); first <= last; first += size) {
      const page = this.#pages.get(first);
      if (page) {
        // Touched: the newest in the LRU order.
        this.#pages.delete(first);
        this.#pages.set(first, page);
        const stale = page.lines.length < size && this.meta.total > first + page.lines.length;
        if (!stale) continue;
      } else if (this.meta.loaded) {
        // The live lines hold it all: the same lines, no request.
        const end = Math.min(first + size, this.meta.total);
        if (first >= this.live.start && end <= this.live.count) continue;
      }
      void this.#load(first);
    }
  }

  /** Asks for the newest page again: the count grows while the run does. */
  refresh(): Promise<void> {
    if (!this.meta.loaded) return this.#load(0, true);
    const size = this.#pageSize;
    const end = Math.max(0, this.meta.total - 1);
    return this.#load(end - (end % size), true);
  }

  /** Adds chunks from the live output; `end` once it has ended. */
  addLive(chunks: readonly { stream: OutputStream; text: string }[], end: boolean): void {
    for (const chunk of chunks) this.live.add(chunk.stream, chunk.text);
    if (end && !this.#liveEnded) {
      this.live.end();
      this.#liveEnded = true;
    }
    this.#changed();
  }

  dispose(): void {
    this.#abort.abort();
    this.#listeners.clear();
  }

  #load(first: number, force = false): Promise<void> {
    const running = this.#inflight.get(first);
    if (running && !force) return running;
    // After a failure, only the timed refresh asks again: never a request per render.
    if (this.error !== null && !force) return Promise.resolve();
    const promise = this.#fetch(first, this.#pageSize, this.#abort.signal)
      .then((answer) => {
        // Answers may cross: the count only grows, an ended run stays ended.
        this.meta = {
          total: Math.max(this.meta.total, answer.total),
          complete: this.meta.complete || answer.complete,
          truncated: this.meta.truncated || answer.truncated,
          loaded: true,
        };
        this.error = null;
        if (answer.lines.length > 0 || first === 0) {
          this.#pages.delete(first);
          this.#pages.set(first, { lines: answer.lines });
          while (this.#pages.size > this.#maxPages) {
            const oldest = this.#pages.keys().next().value as number;
            this.#pages.delete(oldest);
          }
        }
        this.#changed();
      })
      .catch((error: unknown) => {
        if (this.#abort.signal.aborted) return;
        this.error = error;
        this.#changed();
      })
      .finally(() => {
        if (this.#inflight.get(first) === promise) this.#inflight.delete(first);
      });
    this.#inflight.set(first, promise);
    return promise;
  }

  #changed(): void {
    this.#version += 1;
    for (const listener of this.#listeners) listener();
  }
}
