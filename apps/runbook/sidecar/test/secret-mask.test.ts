import { describe, expect, test } from "bun:test";
import { generateWorkerKey, openSecrets, sealSecrets } from "../src/jobs/secret-seal.ts";
import { SECRET_MASK, SecretMask } from "../src/runner/secret-mask.ts";

/** Feeds `text` cut at every given point, and returns all that went out. */
function masked(secrets: string[], pieces: string[]): string {
  const mask = new SecretMask(secrets);
  return pieces.map((piece) => mask.push(piece)).join("") + mask.end();
}

describe("SecretMask", () => {
  const secret = "hunter2-secret";
  const text = `a ${secret} b ${secret}${secret} c hunter d`;
  const expected = `a ${SECRET_MASK} b ${SECRET_MASK}${SECRET_MASK} c hunter d`;

  test("masks every occurrence, however the text is cut", () => {
    for (let cut = 0; cut <= text.length; cut++) {
      for (let second = cut; second <= text.length; second += 3) {
        expect(masked([secret], [text.slice(0, cut), text.slice(cut, second), text.slice(second)])).toBe(
          expected,
        );
      }
    }
    expect(masked([secret], [...text])).toBe(expected);
  });

  test("what might start a secret is held only until it cannot; the end lets it out", () => {
    const mask = new SecretMask([secret]);
    expect(mask.push("x hunt")).toBe("x ");
    expect(mask.push("ing")).toBe("hunting");
    expect(mask.push(" hun")).toBe(" ");
    expect(mask.end()).toBe("hun");
  });

  test("a secret inside another is masked with the longer one whole; empty secrets mask nothing", () => {
    expect(masked(["abc", "abcdef"], ["xabcdefy abc"])).toBe(`x${SECRET_MASK}y ${SECRET_MASK}`);
    expect(masked([""], ["text"])).toBe("text");
  });
});

describe("sealed secrets", () => {
  test("open only with the worker's key, for the job they were sealed for", () => {
    const worker = generateWorkerKey();
    const values = { RUNBOOK_PARAM_token: "s3cret ✓" };
    const sealed = sealSecrets(worker.publicKey, "job-1", values);
    expect(sealed).not.toContain("s3cret");
    expect(Buffer.from(sealed, "base64").toString("latin1")).not.toContain("s3cret");
    expect(openSecrets(worker.privateKey, "job-1", sealed)).toEqual(values);
    expect(openSecrets(worker.privateKey, "job-2", sealed)).toBeNull();
    expect(openSecrets(generateWorkerKey().privateKey, "job-1", sealed)).toBeNull();
    expect(openSecrets(worker.privateKey, "job-1", "not a box")).toBeNull();
  });
});
