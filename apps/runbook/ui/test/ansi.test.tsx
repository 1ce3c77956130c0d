import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { AnsiText } from "../src/features/jobs/AnsiText";
import { applySgr, color256, parseAnsi, styleClasses, styleColors } from "../src/features/jobs/ansi";

afterEach(cleanup);

/** The style of the line's first segment. */
function firstStyle(text: string) {
  const segment = parseAnsi(text)[0];
  if (!segment) throw new Error(`no segment in ${JSON.stringify(text)}`);
  return segment.style;
}

/** Whether `text` holds a control character (tab aside), raw. */
function hasRawControl(text: string): boolean {
  return [...text].some((c) => {
    const code = c.charCodeAt(0);
    return (code < 0x20 && code !== 0x09) || (code >= 0x7f && code <= 0x9f);
  });
}

const visible = (text: string, mode?: "last" | "mark") =>
  parseAnsi(text, { carriageReturn: mode })
    .map((segment) => segment.text)
    .join("");

describe("parseAnsi", () => {
  it("turns SGR into styles and keeps each segment's raw offset", () => {
    const segments = parseAnsi("a\x1b[1;31mred\x1b[0m b");
    expect(segments.map((s) => [s.text, s.start, styleClasses(s.style)])).toEqual([
      ["a", 0, ""],
      ["red", 8, "ansi-fg-1 ansi-bold"],
      [" b", 15, ""],
    ]);
  });

  it("reads 256-colour and truecolor, in ; and : forms", () => {
    expect(styleColors(firstStyle("\x1b[38;5;208mx"))).toEqual({ color: color256(208) });
    expect(styleColors(firstStyle("\x1b[48;2;1;2;3mx"))).toEqual({ backgroundColor: "rgb(1, 2, 3)" });
    expect(styleColors(firstStyle("\x1b[38:2::10:20:30mx"))).toEqual({ color: "rgb(10, 20, 30)" });
    // A bright colour, and the low 256 colours as the palette.
    expect(styleClasses(firstStyle("\x1b[94mx"))).toBe("ansi-fg-12");
    expect(styleClasses(firstStyle("\x1b[38;5;3mx"))).toBe("ansi-fg-3");
    expect(color256(16)).toBe("rgb(0, 0, 0)");
    expect(color256(231)).toBe("rgb(255, 255, 255)");
    expect(color256(255)).toBe("rgb(238, 238, 238)");
  });

  it("dims, italicises, underlines, inverts and resets each", () => {
    let style = applySgr(applySgr(applySgr(firstStyle("x"), "2;3;4"), "7"), "31");
    expect(styleClasses(style)).toBe("ansi-bg-1 ansi-fg-inverse ansi-dim ansi-italic ansi-underline");
    style = applySgr(style, "22;23;24;27;39");
    expect(styleClasses(style)).toBe("");
    expect(styleClasses(applySgr(applySgr(style, "1;4"), ""))).toBe("");
  });

  it("drops every other escape sequence and never shows ESC", () => {
    const nasty =
      "\x1b[2K\x1b[1Gup\x1b[?25l\x1b]0;title\x07\x1b]8;;https://x.example\x1b\\link\x1b]8;;\x1b\\" +
      "\x1b(B\x1b7\x1bPq#0;2\x1b\\\x9b31mc1\x9d2;t\x07 end\x1b[";
    const text = visible(nasty);
    expect(text).toBe("uplinkc1 end");
    expect(hasRawControl(text)).toBe(false);
    // The C1 CSI set a colour.
    expect(styleClasses(firstStyle("\x9b32mx"))).toBe("ansi-fg-2");
  });

  it("shows control characters as pictures, one for one", () => {
    const segments = parseAnsi("a\x00b\x07\x7f\tc");
    expect(segments.map((s) => [s.text, s.start, s.control ?? false])).toEqual([
      ["a", 0, false],
      ["\u2400", 1, true],
      ["b", 2, false],
      ["\u2407", 3, true],
      ["\u2421", 4, true],
      ["\tc", 5, false],
    ]);
  });

  it("a bare CR redraws the line: the last drawing shows, or a picture in mark mode", () => {
    expect(visible("10%\r50%\r\x1b[32m100%")).toBe("100%");
    expect(styleClasses(firstStyle("\x1b[32m10%\r100%"))).toBe("ansi-fg-2");
    expect(visible("10%\r50%", "mark")).toBe("10%\u240d50%");
  });

  it("an unterminated OSC or CSI at the end hides only itself", () => {
    expect(visible("ok\x1b]0;no end")).toBe("ok");
    expect(visible("ok\x1b[12;")).toBe("ok");
    expect(visible("ok\x1b")).toBe("ok");
  });

  it("parses 64 KiB of garbage quickly, showing nothing raw", () => {
    let garbage = "";
    for (let i = 0; i < 65_536; i++) garbage += String.fromCharCode((i * 7919) % 256);
    const started = performance.now();
    const text = visible(garbage);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(text).not.toContain("\x1b");
    expect(hasRawControl(text)).toBe(false);
  });
});

describe("AnsiText", () => {
  it("renders colours as classes and style properties, and marks ranges in raw offsets", () => {
    const { container } = render(
      <pre>
        <AnsiText text={"\x1b[31mfatal\x1b[0m: \x1b[38;2;0;128;255mdisk full"} ranges={[[5, 9]]} />
      </pre>,
    );
    expect(container.textContent).toBe("fatal: disk full");
    const spans = [...container.querySelectorAll("pre > span")];
    expect(spans[0]?.className).toBe("ansi-fg-1");
    expect((spans[2] as HTMLElement).style.color).toBe("rgb(0, 128, 255)");
    expect(container.querySelector("mark")?.textContent).toBe("fata");
  });

  it("marks ranges in plain text", () => {
    const { container } = render(
      <AnsiText
        text="no disk here, disk"
        ranges={[
          [3, 7],
          [14, 18],
        ]}
      />,
    );
    expect([...container.querySelectorAll("mark")].map((mark) => mark.textContent)).toEqual(["disk", "disk"]);
    expect(container.textContent).toBe("no disk here, disk");
  });
});
