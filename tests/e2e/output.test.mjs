// The output view in the real webview: a run of a million lines scrolls and
// jumps with only a window of lines in the page; ANSI colours are rendered
// (and ESC never shown); a line past 64 KiB is clipped and labelled; search
// within a run steps through its matches.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { outputState, queueCommand, waitForOutput, waitForStored } from "./support/output.mjs";
import { launchReadyToRunJobs } from "./support/sidecars.mjs";

/** Most line nodes the view may hold: a viewport of 24rem (about 20 lines) and 20 each side. */
const MAX_NODES = 100;

function setScrollTop(browser, top) {
  return browser.execute((t) => {
    const view = document.querySelector('[data-testid="job-output"]');
    view.scrollTop = t;
    view.dispatchEvent(new Event("scroll"));
  }, top);
}

describe("Runbook's output view", () => {
  let app;
  before(async () => {
    app = await launchReadyToRunJobs();
  });
  after(async () => {
    await app?.close();
  });

  it("a million-line run scrolls and jumps, holding only a window of lines", async () => {
    const { browser } = app;
    const started = Date.now();
    await queueCommand(browser, "seq 1 1000000");
    const done = await waitForOutput(browser, (s) => s.ended && s.count === 1_000_000, {
      timeout: 240_000,
      message: "the million lines to be stored",
    });
    const seconds = (Date.now() - started) / 1000;
    console.log(`# 1,000,000 lines (6.9 MB) shown complete after ${seconds.toFixed(1)} s`);
    assert.ok(done.nodes <= MAX_NODES, `${done.nodes} line nodes`);
    // 18 px a line: the browser's own scrollbar spans every line.
    assert.equal(done.scrollHeight, 18_000_000);

    await browser.$('[data-testid="output-end"]').click();
    let state = await waitForOutput(
      browser,
      (s) => s.visible.at(-1)?.line === 1_000_000 && !s.visible.at(-1).loading,
      {
        message: "line 1000000 at the bottom",
      },
    );
    assert.equal(state.visible.at(-1).text, "1000000");
    assert.ok(state.nodes <= MAX_NODES, `${state.nodes} line nodes at the end`);

    await browser.$('[data-testid="output-start"]').click();
    state = await waitForOutput(browser, (s) => s.visible[0]?.line === 1 && !s.visible[0].loading, {
      message: "line 1 at the top",
    });
    assert.equal(state.visible[0].text, "1");

    // The middle, by the scrollbar: scroll position is line number, exactly.
    await setScrollTop(browser, 500_000 * 18);
    state = await waitForOutput(browser, (s) => s.visible[0]?.line === 500_001 && !s.visible[0].loading, {
      message: "line 500001 at the top",
    });
    assert.equal(state.visible[0].text, "500001");
    for (const row of state.visible) assert.equal(row.text, String(row.line));
    assert.ok(state.nodes <= MAX_NODES, `${state.nodes} line nodes in the middle`);
  });

  it("follows a running job at the bottom; scrolling up stops it, the button restarts it", async () => {
    const { browser } = app;
    await queueCommand(browser, "for i in $(seq 1 60); do echo tick $i; sleep 0.1; done");
    let state = await waitForOutput(browser, (s) => s.count > 30 && !s.ended, { message: "30 ticks" });
    assert.equal(state.following, true);
    assert.match(state.visible.at(-1).text, /^tick \d+$/);
    await setScrollTop(browser, 0);
    state = await waitForOutput(browser, (s) => !s.following, { message: "follow to stop" });
    await browser.$('[data-testid="output-follow"]').click();
    state = await waitForOutput(browser, (s) => s.following && s.visible.at(-1)?.line === s.count, {
      message: "follow to resume at the bottom",
    });
    await waitForOutput(browser, (s) => s.ended && s.visible.at(-1)?.text === "tick 60", {
      message: "the last tick in view",
    });
  });

  it("renders ANSI colours and never shows ESC or a raw control character", async () => {
    const { browser } = app;
    await queueCommand(
      browser,
      String.raw`printf '\033[1;31mred\033[0m plain \033[38;2;0;128;255mblue\033[0m \033[38;5;208morange\033[0m\n'; ` +
        String.raw`printf '\033]0;a title\007\033[2Kmoved\033[10D\033[?25l bell\007 nul\001\n'`,
    );
    await waitForOutput(browser, (s) => s.ended && s.count === 2, { message: "two lines" });
    const seen = await browser.execute(() => {
      const view = document.querySelector('[data-testid="job-output"]');
      const span = (selector) => view.querySelector(selector);
      const style = (element) => element && getComputedStyle(element);
      const red = span(".ansi-fg-1");
      const blue = [...view.querySelectorAll("span")].find((s) => s.textContent === "blue");
      const orange = [...view.querySelectorAll("span")].find((s) => s.textContent === "orange");
      return {
        text: view.textContent,
        red: red && { text: red.textContent, color: style(red).color, weight: style(red).fontWeight },
        blue: blue && style(blue).color,
        orange: orange && style(orange).color,
      };
    });
    assert.deepEqual(seen.red, { text: "red", color: "rgb(205, 49, 49)", weight: "700" });
    assert.equal(seen.blue, "rgb(0, 128, 255)");
    assert.equal(seen.orange, "rgb(255, 135, 0)");
    assert.equal(seen.text, "red plain blue orange\nmoved bell\u2407 nul\u2401\n");
    assert.ok(!seen.text.includes("\x1b"), "ESC in the text");
  });

  it("a 50 MB line and binary garbage are clipped and labelled, and nothing freezes", async () => {
    const { browser } = app;
    await queueCommand(
      browser,
      "echo before; head -c 50000000 /dev/zero | tr '\\0' x; echo; head -c 3000000 /dev/urandom | tr -d '\\n'; echo; echo after",
    );
    const state = await waitForOutput(
      browser,
      (s) => s.ended && s.count === 4 && !s.visible.some((r) => r.loading),
      {
        timeout: 180_000,
        message: "the four lines stored",
      },
    );
    assert.equal(state.visible[0].text, "before");
    assert.equal(state.visible[3].text, "after");
    const clipped = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="line-clipped"]')].map((marker) => {
        const row = marker.closest(".output-line");
        return {
          marker: marker.textContent,
          line: row?.getAttribute("data-line"),
          length: row?.textContent.length,
          // A tab is whitespace and stays one; any other C0 control or DEL
          // would be shown raw. (Random bytes hold a tab after their last
          // "\r" about half the time.)
          raw: [...row.textContent.replace(/\n$/, "")].some(
            (c) => (c.charCodeAt(0) < 0x20 && c !== "\t") || c === "\x7f",
          ),
        };
      }),
    );
    assert.equal(clipped.length, 2, JSON.stringify(clipped));
    assert.deepEqual(
      clipped.map(({ marker, line, raw }) => ({ marker, line, raw })),
      [
        { marker: "line clipped: 47.7 MB", line: "2", raw: false },
        { marker: clipped[1].marker, line: "3", raw: false },
      ],
    );
    assert.match(clipped[1].marker, /^line clipped: \d+\.\d MB$/);
    for (const { length } of clipped) assert.ok(length < 70_000, `${length} characters in the page`);
    // The window still answers at once.
    const started = Date.now();
    await browser.execute(() => 1);
    assert.ok(Date.now() - started < 2000);
  });

  it("finds matches within the run: next, previous, k of N, the line marked", async () => {
    const { browser } = app;
    const id = await queueCommand(
      browser,
      "for i in $(seq 1 3000); do echo line $i; [ $((i % 1000)) -eq 0 ] && echo needle $i; done; echo 'x' >&2",
    );
    await waitForOutput(browser, (s) => s.ended && s.count === 3004, {
      timeout: 30_000,
      message: "3004 lines",
    });
    await waitForStored(browser, id);
    await browser.$('[data-testid="run-search-input"]').setValue("needle");
    const status = () => browser.$('[data-testid="run-search-status"]').getText();
    const expectMatch = async (k, text) => {
      await browser.waitUntil(async () => (await status()) === `${k} of 3`, {
        timeout: 10_000,
        timeoutMsg: `match ${k} of 3 (now "${await status()}")`,
      });
      // The mark can render in the overscan a moment before the scroll that brings it into view.
      await waitForOutput(
        browser,
        (s) => s.marked.length === 1 && s.marked[0].text === text && s.visible.some((row) => row.marked),
        { message: `${text} marked and in view` },
      );
    };
    await browser.$('[data-testid="run-search-next"]').click();
    await expectMatch(1, "needle 1000");
    await browser.$('[data-testid="run-search-next"]').click();
    await expectMatch(2, "needle 2000");
    await browser.$('[data-testid="run-search-next"]').click();
    await expectMatch(3, "needle 3000");
    // Past the last: round to the first; before the first: round to the last.
    await browser.$('[data-testid="run-search-next"]').click();
    await expectMatch(1, "needle 1000");
    await browser.$('[data-testid="run-search-prev"]').click();
    await expectMatch(3, "needle 3000");
    await browser.$('[data-testid="run-search-prev"]').click();
    await expectMatch(2, "needle 2000");
    assert.ok((await outputState(browser)).nodes <= MAX_NODES);
  });
});
