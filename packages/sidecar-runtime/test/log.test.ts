import { describe, expect, test } from "bun:test";
import { LineLogger } from "../src/log.ts";

function capture(): { logger: LineLogger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new LineLogger((line) => lines.push(line)), lines };
}

describe("LineLogger", () => {
  test("writes `level message key=value` as one line", () => {
    const { logger, lines } = capture();
    logger.info("listening", { port: 4000, tls: false, skipped: undefined });
    expect(lines).toEqual(["info listening port=4000 tls=false\n"]);
  });

  test("quotes values that would be ambiguous and escapes line breaks", () => {
    const { logger, lines } = capture();
    logger.error("first\nsecond", { reason: 'no "such" file', empty: "" });
    expect(lines).toEqual(['error first\\nsecond reason="no \\"such\\" file" empty=""\n']);
  });

  test("redacts registered secrets from the message, keys and values", () => {
    const { logger, lines } = capture();
    const token = "abcdefghijklmnopqrstuvwxyz012345";
    logger.redact(token);
    logger.warn(`bad header Bearer ${token}`, {
      header: `Bearer ${token}`,
      [token]: 1,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(token);
    expect(lines[0]).toBe('warn bad header Bearer [redacted] header="Bearer [redacted]" [redacted]=1\n');
  });

  test("redacts a secret even when its value needs escaping", () => {
    const { logger, lines } = capture();
    logger.redact('se"cret\nvalue-0123456789');
    logger.info("x", { value: 'se"cret\nvalue-0123456789' });
    expect(lines[0]).toBe("info x value=[redacted]\n");
  });

  test("ignores an empty secret", () => {
    const { logger, lines } = capture();
    logger.redact("");
    logger.debug("unchanged");
    expect(lines).toEqual(["debug unchanged\n"]);
  });
});
