import { describe, expect, test } from "vitest";
import { append, type JobOutputView, MAX_OUTPUT_CHARS } from "../src/features/jobs/useJobOutput";

const empty: JobOutputView = { pieces: [], nextKey: 0, trimmed: 0, ended: false, problem: null };

describe("append", () => {
  test("joins a chunk to the last piece of its stream and starts a new piece on a switch", () => {
    let view = append(empty, [{ stream: "stdout", text: "a\n" }], false);
    view = append(
      view,
      [
        { stream: "stdout", text: "b\n" },
        { stream: "stderr", text: "oops\n" },
        { stream: "stdout", text: "c" },
      ],
      false,
    );
    expect(view.pieces.map(({ stream, text }) => [stream, text])).toEqual([
      ["stdout", "a\nb\n"],
      ["stderr", "oops\n"],
      ["stdout", "c"],
    ]);
    expect(new Set(view.pieces.map((piece) => piece.key)).size).toBe(3);
    expect(view.ended).toBe(false);
  });

  test("stays ended once ended, and a successful read clears the last problem", () => {
    const failing: JobOutputView = {
      ...empty,
      problem: { type: "urn:convoy:problem:unreachable", title: "x", status: 0 },
    };
    const ended = append(failing, [], true);
    expect(ended.ended).toBe(true);
    expect(ended.problem).toBeNull();
    expect(append(ended, [], false).ended).toBe(true);
  });

  test("keeps the last MAX_OUTPUT_CHARS characters, counting what it dropped, keys unique", () => {
    const line = `${"x".repeat(99)}\n`;
    let view = empty;
    for (let i = 0; i < 25; i += 1) {
      const stream = i % 2 === 0 ? "stdout" : "stderr";
      view = append(view, [{ stream, text: line.repeat(1000) }], false);
    }
    const total = view.pieces.reduce((sum, piece) => sum + piece.text.length, 0);
    expect(total).toBe(MAX_OUTPUT_CHARS);
    expect(view.trimmed).toBe(25 * 100_000 - MAX_OUTPUT_CHARS);
    expect(view.pieces.at(-1)?.stream).toBe("stdout");
    expect(new Set(view.pieces.map((piece) => piece.key)).size).toBe(view.pieces.length);
  });
});
