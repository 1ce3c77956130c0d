import { useCallback, useEffect, useState } from "react";
import type { SidecarStatus } from "../../lib/bindings";
import { type ShellError, shellError } from "../../lib/errors";
import type { Platform } from "../../platform";
import { appendBatch, emptyTail, type LogTail, mergeLines, TAIL_LINES } from "./logTail";

export interface SidecarsView {
  /** Status by name, in start order; a sidecar first seen in an event comes last. */
  statuses: ReadonlyMap<string, SidecarStatus>;
  logs: ReadonlyMap<string, LogTail>;
  /** The last refusal of an action on a sidecar (a restart, or reading its log), by name. */
  errors: ReadonlyMap<string, ShellError>;
  /** Names with a restart request under way. */
  restarting: ReadonlySet<string>;
  loading: boolean;
  /** Why the list of sidecars could not be read. */
  error: ShellError | null;
  restart(name: string): Promise<void>;
}

function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): Map<K, V> {
  return new Map(map).set(key, value);
}

function withoutEntry<K, V>(map: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V> {
  if (!map.has(key)) return map;
  const next = new Map(map);
  next.delete(key);
  return next;
}

/**
 * The list read once, over the statuses events brought while it was on its way:
 * of two statuses for one sidecar the later `since` wins, a tie going to the
 * event, which was sent after the subscription.
 */
function mergeList(list: readonly SidecarStatus[], seen: ReadonlyMap<string, SidecarStatus>) {
  const merged = new Map<string, SidecarStatus>();
  for (const listed of list) {
    const event = seen.get(listed.name);
    merged.set(listed.name, event && event.since >= listed.since ? event : listed);
  }
  for (const [name, status] of seen) if (!merged.has(name)) merged.set(name, status);
  return merged;
}

/** Every sidecar's status and output as they change, and restarting one. */
export function useSidecars(platform: Platform): SidecarsView {
  const [statuses, setStatuses] = useState<ReadonlyMap<string, SidecarStatus>>(() => new Map());
  const [logs, setLogs] = useState<ReadonlyMap<string, LogTail>>(() => new Map());
  const [errors, setErrors] = useState<ReadonlyMap<string, ShellError>>(() => new Map());
  const [restarting, setRestarting] = useState<ReadonlySet<string>>(() => new Set());
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ShellError | null>(null);

  useEffect(() => {
    let live = true;
    const stops: Array<() => void> = [];
    const tailsRead = new Set<string>();

    const readTail = (name: string) => {
      if (tailsRead.has(name)) return;
      tailsRead.add(name);
      platform.sidecarLogs(name, TAIL_LINES).then(
        (result) => {
          if (!live) return;
          if (result.status === "ok") {
            const { lines, total } = result.data;
            setLogs((current) =>
              withEntry(current, name, mergeLines(current.get(name) ?? emptyTail, lines, total)),
            );
          } else {
            setErrors((current) => withEntry(current, name, result.error));
          }
        },
        (reason) => live && setErrors((current) => withEntry(current, name, shellError(reason))),
      );
    };

    const subscribe = async (start: () => Promise<() => void>) => {
      const stop = await start();
      if (live) stops.push(stop);
      else stop();
    };

    // Subscribe before reading, so a change between the two is not missed.
    (async () => {
      await subscribe(() =>
        platform.onSidecarStatus((status) => {
          if (!live) return;
          setStatuses((current) => withEntry(current, status.name, status));
          readTail(status.name);
        }),
      );
      await subscribe(() =>
        platform.onSidecarLog((batch) => {
          if (!live) return;
          setLogs((current) =>
            withEntry(current, batch.sidecar, appendBatch(current.get(batch.sidecar) ?? emptyTail, batch)),
          );
        }),
      );
      const list = await platform.sidecars();
      if (!live) return;
      setStatuses((seen) => mergeList(list, seen));
      for (const status of list) readTail(status.name);
    })()
      .catch((reason) => live && setError(shellError(reason)))
      .finally(() => live && setLoading(false));

    return () => {
      live = false;
      for (const stop of stops) stop();
    };
  }, [platform]);

  const restart = useCallback(
    async (name: string) => {
      setRestarting((current) => new Set(current).add(name));
      let refusal: ShellError | null = null;
      try {
        const result = await platform.restartSidecar(name);
        if (result.status === "error") refusal = result.error;
      } catch (reason) {
        refusal = shellError(reason);
      }
      setErrors((current) => (refusal ? withEntry(current, name, refusal) : withoutEntry(current, name)));
      setRestarting((current) => {
        const next = new Set(current);
        next.delete(name);
        return next;
      });
    },
    [platform],
  );

  return { statuses, logs, errors, restarting, loading, error, restart };
}
