import { useEffect, useMemo, useSyncExternalStore } from "react";
import { type ApiClient, asProblem } from "../../lib/api/client";
import { LineStore } from "./lineStore";

/** How long one live read waits for new output (the api's long poll). */
const WAIT_MS = 15_000;
/** Before trying again after a failed read. */
const RETRY_MS = 1000;
/** How often a run not yet all stored is asked for its newest lines (the api stores them about every second). */
const REFRESH_MS = 1000;

/**
 * A run's lines (see LineStore), re-rendering on each change. While `live`,
 * the output is also followed with the long poll, one read at a time, each
 * resuming from the last cursor, so nothing is read twice or skipped.
 */
export function useJobLines(api: ApiClient, id: string, live: boolean): LineStore {
  const store = useMemo(
    () =>
      new LineStore(async (from, count, signal) => {
        const { data, error, response } = await api.GET("/jobs/{id}/lines", {
          params: { path: { id }, query: { from, count } },
          signal,
        });
        if (!data) throw asProblem(error, response.status);
        return data;
      }),
    [api, id],
  );
  useSyncExternalStore(store.subscribe, store.version);
  useEffect(() => () => store.dispose(), [store]);

  // Until every line is stored, the count grows: ask again each second (also after a failure).
  useEffect(() => {
    const timer = setInterval(() => {
      if (!store.meta.complete || store.error !== null) void store.refresh();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [store]);

  // `live` is read once: a view opened on an ended run never follows it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: see above
  useEffect(() => {
    if (!live) return;
    const controller = new AbortController();
    const { signal } = controller;
    void (async () => {
      let after = "0";
      while (!signal.aborted) {
        try {
          const { data } = await api.GET("/jobs/{id}/output", {
            params: { path: { id }, query: { after, wait: WAIT_MS, limit: 1000 } },
            signal,
          });
          if (signal.aborted) return;
          if (!data) {
            await sleep(RETRY_MS, signal);
            continue;
          }
          after = data.cursor;
          store.addLive(data.chunks, data.end);
          if (data.end) return;
        } catch {
          if (signal.aborted) return;
          await sleep(RETRY_MS, signal);
        }
      }
    })();
    return () => controller.abort();
  }, [api, id, store]);

  return store;
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
