import { describe, expect, it } from "vitest";
import { CLIP_CHARS, type JobLines, LineStore, LiveLines } from "../src/features/jobs/lineStore";
import {
  atBottom,
  contentHeight,
  firstLine,
  followAfterScroll,
  LINE_HEIGHT,
  lineTop,
  MAX_SCROLL_PX,
  scrollTopFor,
  windowRange,
} from "../src/features/jobs/scrollMath";

describe("LiveLines", () => {
  it("splits per stream as the api does: LF ends a line, CRLF's CR goes, a bare CR stays", () => {
    const live = new LiveLines();
    live.add("stdout", "a\r\nb");
    live.add("stderr", "e1\n");
    live.add("stdout", "c\n50%\r100%\n");
    expect(live.count).toBe(4);
    expect([0, 1, 2, 3].map((n) => live.line(n))).toEqual([
      { n: 0, stream: "stdout", text: "a" },
      { n: 1, stream: "stderr", text: "e1" },
      { n: 2, stream: "stdout", text: "bc" },
      { n: 3, stream: "stdout", text: "50%\r100%" },
    ]);
    live.add("stderr", "tail");
    expect(live.pending()).toEqual([{ n: 4, stream: "stderr", text: "tail" }]);
    live.end();
    expect(live.line(4)).toEqual({ n: 4, stream: "stderr", text: "tail" });
    expect(live.pending()).toEqual([]);
  });

  it("clips a huge line and counts its bytes", () => {
    const live = new LiveLines();
    const piece = "é".repeat(40_000);
    live.add("stdout", piece);
    live.add("stdout", `${piece}\n`);
    const line = live.line(0);
    expect(line?.text.length).toBe(CLIP_CHARS);
    expect(line?.clipped).toBe(160_000);
  });
});

/** A run of `total` lines "line <n>", stored up to `stored`; each request is logged. */
function fakeApi(total: number, stored = total) {
  const asked: number[] = [];
  const state = { stored, total };
  const fetch = async (from: number, count: number): Promise<JobLines> => {
    asked.push(from);
    const end = Math.min(from + count, state.stored);
    const lines = [];
    for (let n = from; n < end; n++) lines.push({ n, stream: "stdout" as const, text: `line ${n}` });
    return { lines, total: state.stored, complete: state.stored === state.total, truncated: false };
  };
  return { fetch, asked, state };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("LineStore", () => {
  it("loads the pages a window needs, once, and keeps only the newest few", async () => {
    const api = fakeApi(1_000_000);
    const store = new LineStore(api.fetch, { pageSize: 100, maxPages: 3 });
    store.want(0, 50);
    await settle();
    expect(store.meta).toMatchObject({ total: 1_000_000, complete: true, loaded: true });
    expect(store.count).toBe(1_000_000);
    store.want(999_950, 1_000_000);
    store.want(999_950, 1_000_000);
    await settle();
    expect(store.line(999_999)?.text).toBe("line 999999");
    store.want(500_000, 500_150);
    await settle();
    expect(api.asked).toEqual([0, 999_900, 500_000, 500_100]);
    expect(store.pagesCached).toBe(3);
    // The oldest page was dropped; its lines are asked for again when wanted.
    expect(store.line(0)).toBeUndefined();
    store.want(0, 10);
    await settle();
    expect(store.line(0)?.text).toBe("line 0");
    expect(api.asked.at(-1)).toBe(0);
  });

  it("merges live lines past the stored ones: nothing twice, nothing missed", async () => {
    const api = fakeApi(10, 3);
    const store = new LineStore(api.fetch, { pageSize: 100 });
    store.want(0, 100);
    await settle();
    expect(store.count).toBe(3);
    store.addLive(
      [{ stream: "stdout", text: "line 0\nline 1\nline 2\nline 3\nline 4\nline 5\nline" }],
      false,
    );
    expect(store.count).toBe(7);
    expect(store.line(4)?.text).toBe("line 4");
    // A line not ended yet shows as it stands.
    expect(store.line(6)?.text).toBe("line");
    expect(store.ended).toBe(false);
    // The stored page was partial: it grows as the api stores more.
    api.state.stored = 8;
    await store.refresh();
    expect(store.line(7)?.text).toBe("line 7");
    store.addLive([{ stream: "stdout", text: " 6\nline 7\nline 8\nline 9\n" }], true);
    expect(store.ended).toBe(true);
    expect(store.count).toBe(10);
    expect(Array.from({ length: 10 }, (_, n) => store.line(n)?.text)).toEqual(
      Array.from({ length: 10 }, (_, n) => `line ${n}`),
    );
    expect(store.line(10)).toBeUndefined();
  });

  it("a failed read is reported and the next success clears it", async () => {
    let fail = true;
    let asked = 0;
    const store = new LineStore(async () => {
      asked += 1;
      if (fail) throw new Error("down");
      return { lines: [], total: 0, complete: true, truncated: false };
    });
    store.want(0, 10);
    await settle();
    expect(store.error).toBeInstanceOf(Error);
    // Renders after a failure ask nothing: the timed refresh does.
    store.want(0, 10);
    store.want(0, 10);
    await settle();
    expect(asked).toBe(1);
    fail = false;
    await store.refresh();
    expect(store.error).toBeNull();
    expect(store.ended).toBe(true);
  });
});

describe("scroll math", () => {
  it("maps scroll positions to lines exactly while the content fits", () => {
    const count = 1_000_000;
    expect(contentHeight(count)).toBe(count * LINE_HEIGHT);
    expect(firstLine(count, { scrollTop: 18 * 500_000, height: 360 })).toBe(500_000);
    expect(scrollTopFor(123_456, count, 360)).toBe(123_456 * LINE_HEIGHT);
    const { from, to, first } = windowRange(count, { scrollTop: 18 * 1000, height: 360 });
    expect([from, to]).toEqual([980, 1041]);
    expect(lineTop(1000, first, 18 * 1000)).toBe(18 * 1000);
    // At the very end the last line is in the window.
    const end = windowRange(count, { scrollTop: count * LINE_HEIGHT - 360, height: 360 });
    expect(end.to).toBe(count);
  });

  it("scales past the browser's height limit, keeping both ends reachable", () => {
    const count = 10_000_000;
    const height = 360;
    expect(contentHeight(count)).toBe(MAX_SCROLL_PX);
    const bottom = MAX_SCROLL_PX - height;
    const last = windowRange(count, { scrollTop: bottom, height });
    expect(last.to).toBe(count);
    // The last line's bottom is the content's bottom.
    expect(lineTop(count - 1, last.first, bottom) + LINE_HEIGHT).toBeCloseTo(MAX_SCROLL_PX, 3);
    expect(firstLine(count, { scrollTop: scrollTopFor(5_000_000, count, height), height })).toBeCloseTo(
      5_000_000,
      3,
    );
    expect(windowRange(count, { scrollTop: 0, height }).from).toBe(0);
  });

  it("follows at the bottom, stops when the user scrolls up, ignores its own scrolls", () => {
    expect(atBottom(1000 - 360, 360, 1000)).toBe(true);
    expect(atBottom(500, 360, 1000)).toBe(false);
    expect(followAfterScroll(true, true, false)).toBe(false);
    expect(followAfterScroll(false, true, true)).toBe(true);
    expect(followAfterScroll(true, false, false)).toBe(true);
    expect(followAfterScroll(false, false, true)).toBe(false);
  });
});
