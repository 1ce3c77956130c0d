import { useCallback, useEffect, useState } from "react";
import { type ApiClient, asProblem, type Job, type Problem } from "../../lib/api/client";
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

/** The newest jobs from the api, and submitting new ones. */
export function useJobs(api: ApiClient | null, platform?: Platform): JobsView {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<Problem | null>(null);

  const reload = useCallback(async () => {
    if (!api) return;
    try {
      const { data, error, response } = await api.GET("/jobs", { params: { query: { limit: 50 } } });
      if (data) {
        setJobs(data.items);
        setProblem(null);
      } else {
        setProblem(asProblem(error, response.status));
      }
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setLoading(false);
    }
  }, [api]);

  const submit = useCallback(
    async (command: string) => {
      if (!api) return null;
      try {
        const { data, error, response } = await api.POST("/jobs", { body: { command } });
        if (!data) {
          setProblem(asProblem(error, response.status));
          return null;
        }
        setJobs((current) => [data, ...current.filter((job) => job.id !== data.id)]);
        setProblem(null);
        return data;
      } catch (error) {
        setProblem(asProblem(error));
        return null;
      }
    },
    [api],
  );

  const cancel = useCallback(
    async (id: string): Promise<Problem | null> => {
      if (!api) return null;
      try {
        const { data, error, response } = await api.POST("/jobs/{id}/cancel", { params: { path: { id } } });
        if (!data) return asProblem(error, response.status);
        setJobs((current) => current.map((job) => (job.id === data.id ? data : job)));
        return null;
      } catch (error) {
        return asProblem(error);
      }
    },
    [api],
  );

  useEffect(() => {
    void reload();
  }, [reload]);

  // A running job's progress, as it reports it; its status comes with jobs:changed.
  useEffect(() => {
    if (!platform) return;
    return subscribe(
      platform.onJobProgress(({ id, progress }) =>
        setJobs((current) => current.map((job) => (job.id === id ? { ...job, progress } : job))),
      ),
    );
  }, [platform]);

  // Another window (or anything else) changed the jobs: the api told the shell, the shell told us.
  useEffect(() => {
    if (!platform) return;
    return subscribe(platform.onJobsChanged(() => void reload()));
  }, [platform, reload]);

  return { jobs, loading, problem, submit, cancel, reload };
}
