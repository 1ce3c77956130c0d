/**
 * Masks a run's secret values in its output before any of it leaves the
 * worker. Text arrives in pieces cut anywhere, so the end of a piece that
 * could be the start of a secret is held back until the next piece (or the
 * end) shows whether it is one.
 */
export const SECRET_MASK = "••••••";

export class SecretMask {
  /** Longest first, so a secret containing another is masked whole. */
  readonly #secrets: string[];
  #held = "";

  constructor(secrets: readonly string[]) {
    this.#secrets = [...new Set(secrets.filter((secret) => secret !== ""))].sort(
      (a, b) => b.length - a.length,
    );
  }

  get active(): boolean {
    return this.#secrets.length > 0;
  }

  /** What of `text` (after what was held back) can go out now, masked. */
  push(text: string): string {
    if (!this.active) return text;
    const masked = this.#mask(this.#held + text);
    const keep = this.#partialTail(masked);
    this.#held = masked.slice(masked.length - keep);
    return masked.slice(0, masked.length - keep);
  }

  /** What was held back, once the stream has ended: no secret can complete it now. */
  end(): string {
    const rest = this.#held;
    this.#held = "";
    return rest;
  }

  #mask(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join(SECRET_MASK);
    return out;
  }

  /** Length of the longest end of `text` that is a proper start of a secret. */
  #partialTail(text: string): number {
    let longest = 0;
    for (const secret of this.#secrets) {
      for (let length = Math.min(secret.length - 1, text.length); length > longest; length--) {
        if (text.endsWith(secret.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
