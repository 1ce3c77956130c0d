/**
 * The secret values of runs not yet ended, in the api's memory only: the
 * dispatcher seals them for the worker (secret-seal.ts) when it sends the
 * job, and they are dropped once the job ends. An api that restarts has lost
 * them, and fails the runs that still needed them, saying so.
 */
export class SecretVault {
  readonly #values = new Map<string, Readonly<Record<string, string>>>();

  put(jobId: string, env: Readonly<Record<string, string>>): void {
    this.#values.set(jobId, env);
  }

  get(jobId: string): Readonly<Record<string, string>> | undefined {
    return this.#values.get(jobId);
  }

  delete(jobId: string): void {
    this.#values.delete(jobId);
  }

  /** Drops the values of every run `ended` says has ended. */
  forget(ended: (jobId: string) => boolean): void {
    for (const jobId of this.#values.keys()) if (ended(jobId)) this.#values.delete(jobId);
  }

  get size(): number {
    return this.#values.size;
  }
}
