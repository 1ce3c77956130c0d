/**
 * Runs made from a template: the values checked against its parameters, the
 * command rendered so each value is an environment variable's expansion, and
 * a job recording the template version and the values (never a secret's,
 * which stays in the api's memory for the run: SecretVault).
 */
import { problem, runbookProblem } from "../api/problems.ts";
import type { JobsChanged } from "../jobs/routes.ts";
import type { Job } from "../jobs/schemas.ts";
import type { SecretVault } from "../jobs/secret-vault.ts";
import type { JobStore } from "../jobs/store.ts";
import type { ParameterValue, Template } from "./schemas.ts";
import type { TemplateStore } from "./store.ts";
import { expandHome, renderCommand, resolveValues } from "./validate.ts";

export class TemplateRuns {
  readonly #jobs: JobStore;
  readonly #templates: TemplateStore;
  readonly #secrets: SecretVault;
  readonly #queued: JobsChanged;

  constructor(jobs: JobStore, templates: TemplateStore, secrets: SecretVault, queued: JobsChanged) {
    this.#jobs = jobs;
    this.#templates = templates;
    this.#secrets = secrets;
    this.#queued = queued;
  }

  /** A queued job running `template` with `given`; throws a validation problem naming each bad value. */
  start(template: Template, given: Readonly<Record<string, ParameterValue>>, name?: string): Job {
    const { values, errors } = resolveValues(template.parameters, given);
    if (errors.length > 0)
      throw problem("validation", { detail: "the parameter values are invalid", errors });
    const job = this.#jobs.create({
      command: renderCommand(template.command),
      name: name ?? template.name,
      run: {
        templateId: template.id,
        templateVersion: template.version,
        parameters: values.recorded,
        secretParameters: values.secretNames,
        workingDirectory: template.workingDirectory === null ? null : expandHome(template.workingDirectory),
        environment: { ...template.env, ...values.env },
        timeoutSeconds: template.timeoutSeconds,
        retries: template.retries,
        concurrency: template.concurrency,
      },
    });
    if (values.secretNames.length > 0) this.#secrets.put(job.id, values.secretEnv);
    this.#queued(job.id);
    return job;
  }

  /**
   * The same run again: the same template version and values. The secret
   * values were never kept, so they must come again in `secrets`.
   */
  rerun(job: Job, secrets: Readonly<Record<string, string>>): Job {
    if (job.templateId === null || job.templateVersion === null || job.parameters === null) {
      const again = this.#jobs.create({ command: job.command, name: job.name });
      this.#queued(again.id);
      return again;
    }
    const missing = job.secretParameters.filter((name) => !Object.hasOwn(secrets, name));
    if (missing.length > 0) {
      throw runbookProblem("secrets-required", {
        detail: `the run had secret parameters, whose values were never kept: ${missing.join(", ")}`,
        errors: missing.map((name) => ({ path: `secrets.${name}`, message: "is needed again" })),
      });
    }
    const template = this.#templates.version(job.templateId, job.templateVersion);
    if (template === null) throw problem("not-found", { detail: "no template version the run names" });
    const given: Record<string, ParameterValue> = {};
    for (const [name, value] of Object.entries(job.parameters)) if (value !== null) given[name] = value;
    for (const name of job.secretParameters) {
      const value = secrets[name];
      if (value !== undefined) given[name] = value;
    }
    return this.start(template, given, job.name);
  }
}
