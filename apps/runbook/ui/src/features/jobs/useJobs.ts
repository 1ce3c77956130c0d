import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import { type ApiClient, asProblem, type Job, type JobPage, type Problem } from "../../lib/api/client";
import { createApiQueries } from "../../lib/api/query";
import { subscribe } from "../../lib/subscribe";
import type { Platform } from "../../platform/types";

export interface JobsView {
  jobs: Job[];
  loading: boolean;
  problem: Problem | null;
  /** Queues a command; the new job, or null when the api refused it (see `problem`). */
  submit(command: string): Promise<Job | null>;
  /** Asks the api to cancel a job; the problem when it refused. */
  cancel(id: string): Promise<Problem | null>;
  reload(): Promise<void>;
}

const NEWEST = { params: { query: { limit: 50 } } } as const;

/** The newest jobs from the api (in the query cache), and submitting and cancelling. */
export function useJobs(api: ApiClient, platform?: Platform): JobsView {
  const queries = useMemo(() => createApiQueries(api), [api]);
  const cache = useQueryClient();
  const listKey = useMemo(() => queries.queryOptions("get", "/jobs", NEWEST).queryKey, [queries]);
  const list = queries.useQuery("get", "/jobs", NEWEST);
  const createJob = queries.useMutation("post", "/jobs");
  const cancelJob = queries.useMutation("post", "/jobs/{id}/cancel");
  // A refused submission, shown until the next submission or the list's next load.
  const [refused, setRefused] = useState<Problem | null>(null);

  const patch = useCallback(
    (change: (items: Job[]) => Job[]) =>
      cache.setQueryData<JobPage>(listKey, (page) => page && { ...page, items: change(page.items) }),
    [cache, listKey],
  );
  const reload = useCallback(() => cache.invalidateQueries({ queryKey: listKey }), [cache, listKey]);

  const submit = useCallback(
    async (command: string) => {
      try {
        const job = await createJob.mutateAsync({ body: { command } });
        setRefused(null);
        patch((items) => [job, ...items.filter((other) => other.id !== job.id)]);
        return job;
      } catch (error) {
        setRefused(asProblem(error));
        return null;
      }
    },
    [createJob.mutateAsync, patch],
  );

  const cancel = useCallback(
    async (id: string): Promise<Problem | null> => {
      try {
        const job = await cancelJob.mutateAsync({ params: { path: { id } } });
        patch((items) => items.map((other) => (other.id === job.id ? job : other)));
        return null;
      } catch (error) {
        return asProblem(error);
      }
    },
    [cancelJob.mutateAsync, patch],
  );

  useEffect(() => {
    if (list.dataUpdatedAt) setRefused(null);
  }, [list.dataUpdatedAt]);

  // A running job's progress and status line, as it reports them; its status comes with jobs:changed.
  useEffect(() => {
    if (!platform) return;
    return subscribe(
      platform.onJobProgress(({ id, progress, progressSteps, statusLine }) =>
        patch((items) =>
          items.map((job) => (job.id === id ? { ...job, progress, progressSteps, statusLine } : job)),
        ),
      ),
    );
  }, [platform, patch]);

  // Another window (or anything else) changed the jobs: the api told the shell, the shell told us.
  useEffect(() => {
    if (!platform) return;
    return subscribe(platform.onJobsChanged(() => void reload()));
  }, [platform, reload]);

  const problem = refused ?? (list.error ? asProblem(list.error) : null);
  return { jobs: list.data?.items ?? [], loading: list.isPending, problem, submit, cancel, reload };
}
