import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useMemo, useState } from "react";
import { type ApiClient, asProblem, type Job, type Problem } from "../../lib/api/client";
import { createApiQueries } from "../../lib/api/query";
import { describeError } from "../../lib/errors";

const SECRETS_REQUIRED = "urn:runbook:problem:secrets-required";
const SECRET_PATH = "secrets.";

/**
 * Re-run a job. A template run's secrets were never kept: when the api says
 * so (`secrets-required`, naming each as `secrets.<name>`), a small form asks
 * for them and the re-run is tried again with them.
 */
export function RerunButton({
  api,
  job,
  onRerun,
}: {
  api: ApiClient;
  job: Job;
  onRerun?: (job: Job) => void;
}) {
  const queries = useMemo(() => createApiQueries(api), [api]);
  const cache = useQueryClient();
  const rerun = queries.useMutation("post", "/jobs/{id}/rerun");
  const [asked, setAsked] = useState<string[] | null>(null);
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem | null>(null);

  const attempt = async (given: Record<string, string>) => {
    setProblem(null);
    try {
      const next = await rerun.mutateAsync({ params: { path: { id: job.id } }, body: { secrets: given } });
      setAsked(null);
      setSecrets({});
      void cache.invalidateQueries({ queryKey: ["get", "/jobs"] });
      onRerun?.(next);
    } catch (error) {
      const refused = asProblem(error);
      if (refused.type === SECRETS_REQUIRED && "errors" in refused && refused.errors) {
        const names = refused.errors
          .filter((field) => field.path.startsWith(SECRET_PATH))
          .map((field) => field.path.slice(SECRET_PATH.length));
        setAsked(names);
        if (asked !== null) setProblem(refused);
      } else {
        setProblem(refused);
      }
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void attempt(secrets);
  };

  return (
    <>
      <button
        type="button"
        data-testid="rerun-job"
        disabled={rerun.isPending}
        onClick={() => void attempt({})}
      >
        {rerun.isPending && asked === null ? "Re-running…" : "Re-run"}
      </button>
      {asked && (
        <form className="rerun-secrets" data-testid="rerun-secrets" onSubmit={onSubmit}>
          <p className="muted">Secrets are never kept: type them again to re-run.</p>
          {asked.map((name) => (
            <label key={name}>
              <span className="field-label">{name}</span>
              <input
                type="password"
                autoComplete="new-password"
                aria-label={name}
                data-testid={`rerun-secret-${name}`}
                value={secrets[name] ?? ""}
                onChange={(event) => setSecrets((current) => ({ ...current, [name]: event.target.value }))}
              />
            </label>
          ))}
          <button type="submit" data-testid="rerun-with-secrets" disabled={rerun.isPending}>
            Re-run
          </button>
          <button type="button" onClick={() => setAsked(null)}>
            Cancel
          </button>
        </form>
      )}
      {problem && (
        <p className="error" role="alert" data-testid="rerun-problem" data-problem-type={problem.type}>
          {describeError(problem)}
        </p>
      )}
    </>
  );
}
