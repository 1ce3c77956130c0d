import { useCallback, useEffect, useState } from "react";
import { type ApiClient, asProblem, type Job, type Problem } from "../../lib/api/client";
import type { Platform } from "../../platform/types";

export interface JobsView {
  jobs: Job[];
  loading: boolean;
  problem: Problem | null;
  submit(command: string): Promise<boolean>;
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
      if (!api) return false;
      try {
        const { data, error, response } = await api.POST("/jobs", { body: { command } });
        if (!data) {
          setProblem(asProblem(error, response.status));
          return false;
        }
        setJobs((current) => [data, ...current.filter((job) => job.id !== data.id)]);
        setProblem(null);
        return true;
      } catch (error) {
        setProblem(asProblem(error));
        return false;
      }
    },
    [api],
  );

  useEffect(() => {
    void reload();
  }, [reload]);

  // Another window (or anything else) changed the jobs: the api told the shell, the shell told us.
  useEffect(() => {
    if (!platform) return;
    let unsubscribe: (() => void) | null = null;
    let gone = false;
    void platform
      .onJobsChanged(() => void reload())
      .then((stop) => {
        if (gone) stop();
        else unsubscribe = stop;
      });
    return () => {
      gone = true;
      unsubscribe?.();
    };
  }, [platform, reload]);

  return { jobs, loading, problem, submit, reload };
}
