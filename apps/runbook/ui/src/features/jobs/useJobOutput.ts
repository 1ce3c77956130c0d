import { useEffect, useState } from "react";
import { type ApiClient, asProblem, type Problem } from "../../lib/api/client";

export type OutputStream = "stdout" | "stderr";

export interface OutputChunk {
  stream: OutputStream;
  text: string;
}

export interface OutputPiece extends OutputChunk {
  /** Unique within the view, for rendering. */
  key: number;
}

export interface JobOutputView {
  pieces: OutputPiece[];
  nextKey: number;
  /** Characters dropped from the start to keep the view within MAX_OUTPUT_CHARS. */
  trimmed: number;
  /** The job has ended and every piece of its output is here. */
  ended: boolean;
  /** The last failure to read, cleared by the next success; reading goes on. */
  problem: Problem | null;
}

/** Most characters of output a view holds: the start of a long output gives way to its end. */
export const MAX_OUTPUT_CHARS = 2_000_000;
/** How long one request waits for new output (the api's long poll). */
const WAIT_MS = 15_000;
/** Before trying again after a failed read. */
const RETRY_MS = 1000;

const EMPTY: JobOutputView = { pieces: [], nextKey: 0, trimmed: 0, ended: false, problem: null };

/**
 * A job's output, followed live: one long poll at a time, each resuming from
 * the last cursor, until the job has ended. Nothing is read twice or skipped.
 */
export function useJobOutput(api: ApiClient, id: string): JobOutputView {
  const [view, setView] = useState<JobOutputView>(EMPTY);

  useEffect(() => {
    setView(EMPTY);
    const controller = new AbortController();
    const { signal } = controller;
    void (async () => {
      let after = "0";
      while (!signal.aborted) {
        try {
          const { data, error, response } = await api.GET("/jobs/{id}/output", {
            params: { path: { id }, query: { after, wait: WAIT_MS, limit: 1000 } },
            signal,
          });
          if (signal.aborted) return;
          if (!data) {
            setView((current) => ({ ...current, problem: asProblem(error, response.status) }));
            await sleep(RETRY_MS, signal);
            continue;
          }
          after = data.cursor;
          setView((current) => append(current, data.chunks, data.end));
          if (data.end) return;
        } catch (error) {
          if (signal.aborted) return;
          setView((current) => ({ ...current, problem: asProblem(error) }));
          await sleep(RETRY_MS, signal);
        }
      }
    })();
    return () => controller.abort();
  }, [api, id]);

  return view;
}

/** Adds chunks, joining a chunk to the last piece of the same stream, and trims from the start. */
export function append(view: JobOutputView, chunks: readonly OutputChunk[], ended: boolean): JobOutputView {
  const pieces = view.pieces.slice();
  let nextKey = view.nextKey;
  for (const chunk of chunks) {
    const last = pieces.at(-1);
    if (last?.stream === chunk.stream) pieces[pieces.length - 1] = { ...last, text: last.text + chunk.text };
    else pieces.push({ stream: chunk.stream, text: chunk.text, key: nextKey++ });
  }
  let total = pieces.reduce((sum, piece) => sum + piece.text.length, 0);
  let trimmed = view.trimmed;
  while (total > MAX_OUTPUT_CHARS && pieces.length > 0) {
    const first = pieces[0] as OutputPiece;
    const excess = total - MAX_OUTPUT_CHARS;
    if (first.text.length <= excess) {
      pieces.shift();
      total -= first.text.length;
      trimmed += first.text.length;
    } else {
      pieces[0] = { ...first, text: first.text.slice(excess) };
      total -= excess;
      trimmed += excess;
    }
  }
  return { pieces, nextKey, trimmed, ended: view.ended || ended, problem: null };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
