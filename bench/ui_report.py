#!/usr/bin/env python3
"""Turns the raw figures bench/ui.mjs collected in Runbook's main window into
ui.json (raw samples + summary + machine) and ui.md (tables, aims, reading)."""

import json

from desktop_record import desktop_machine, fmt, machine_line
from record import percentile, report_parser, stats, write_report


def latency_summary(samples):
    return {**stats(samples), "p50": percentile(samples, 50), "p99": percentile(samples, 99),
            "mean": sum(samples) / len(samples)}


def summarise(raw):
    read = raw["read"]
    intervals = sorted({run["intervalMs"] for run in raw["latency"]})
    latency = {str(interval): latency_summary([ms for run in raw["latency"] if run["intervalMs"] == interval
                                               for ms in run["samples"]])
               for interval in intervals}
    # Each line's latency in two parts, where the page's resource timing saw the answer that brought it.
    parts = {str(interval): {part: latency_summary(values) if (values := [ms for run in raw["latency"]
                                                                          if run["intervalMs"] == interval
                                                                          for ms in run.get(part) or []
                                                                          if ms is not None]) else None
                             for part in ("answered", "rendered")}
             for interval in intervals}
    flood = raw["flood"]
    # From Queue clicked to the last line on screen: the whole path, the job's start included.
    rates = [run["lines"] / (run["submitToLastMs"] / 1000) for run in flood]
    # From the first line on screen to the last (none when one answer carried them all).
    first_rates = [run["lines"] / (run["firstToLastMs"] / 1000) for run in flood if run["firstToLastMs"] > 0]
    return {
        "timer_resolution_ms": raw["timerResolutionMs"],
        "read": {**latency_summary(read["samples"]), "page_mean": read["totalMs"] / read["calls"],
                 "calls_per_s": read["calls"] / (read["totalMs"] / 1000)},
        # By the interval between the job's lines, in ms; the first (the most frequent) is the headline.
        "line_latency": latency,
        "line_latency_parts": parts,
        "flood": {
            "lines": flood[0]["lines"],
            "runs": len(flood),
            "lines_per_s": stats(rates),
            "lines_per_s_from_first_line": stats(first_rates),
            "first_to_last_ms": stats([run["firstToLastMs"] for run in flood]),
            "dropped": sum(run["lines"] - run["received"] + run["mismatches"] for run in flood),
            "extra": sum(run["extra"] for run in flood),
            "all_succeeded": all(run["status"] == "succeeded" for run in flood),
            "trimmed": any(run["trimmed"] for run in flood),
        },
    }


def main():
    args = report_parser(root=True).parse_args()
    raw = json.loads((args.work / "raw.json").read_text())
    data = {
        "machine": desktop_machine(args.work, args.root, {"user_agent": raw.get("userAgent")}),
        "smoke": raw["smoke"],
        "plan": raw["plan"],
        "summary": summarise(raw),
        "raw": raw,
    }
    write_report(args, data, render(data))


def render(data):
    m = data["machine"]
    s = data["summary"]
    plan = data["plan"]
    read, flood = s["read"], s["flood"]
    intervals = list(s["line_latency"])
    line = s["line_latency"][intervals[0]]
    quiet = s["line_latency"][intervals[-1]]
    out = []
    add = out.append
    add("# UI benchmark: UI ↔ api, and job output → UI (in the real webview)")
    add("")
    if data["smoke"]:
        add("**Smoke run** (a few repetitions of each): checks the benchmark works; the figures mean nothing.")
        add("")
    add(f"Recorded {m['date']} by `bash bench/ui.sh` at commit {m['git_head']} "
        "(plus any uncommitted changes in the working tree).")
    add("")
    add(machine_line(m))
    add("")
    add("Runbook's release build (`--features tauri/custom-protocol`, its compiled sidecar) on a private Xvfb "
        "display, driven through tauri-driver; every loop runs in the main window's page and WebDriver only "
        "starts it and collects its figures. Milliseconds; p50/p90/p99 nearest-rank. WebKit's "
        f"`performance.now()` ticks in {fmt(s['timer_resolution_ms'], 3)} ms steps here, so single "
        "samples are at that grain; means are finer.")
    add("")
    add("- **Small authenticated read**: `fetch` of `GET /jobs?limit=1` with the launch token from the page, "
        f"{plan['read']['calls']} one after another after {plan['read']['warmup']} warm-up requests "
        "(the UI's generated client sends the same request).")
    add(f"- **Line → UI latency**: {plan['latency']['runs']} job(s) per interval queued through the window's form, "
        f"each printing {plan['latency']['lines']} lines {' or '.join(intervals)} ms apart, each line carrying "
        "the wall-clock time it was printed (Python's `time.time_ns()`, flushed at once). A MutationObserver on "
        "the job's output view notes the wall-clock time each line is in the DOM whole (the last change of its "
        "text: a line still being written shows its start first; the observer runs before the next paint). The "
        "path: the job's pipe → the worker (at once, batched only under load) → a Valkey stream → the api's long "
        "poll → the page's `fetch` → React.")
    add(f"- **Sustained lines/s**: {plan['flood']['runs']} run(s) of `seq 1 {plan['flood']['lines']:,}` queued "
        "the same way; every line is checked against what `seq` prints (none missing, none repeated, in order; "
        "see Flood below for how, the view being windowed). The rate is lines ÷ the time from clicking Queue to "
        "the view counting the last line (the job's start included, so it understates the stream's own rate).")
    add("")
    add("## Aims")
    add("")
    add("The issue sets no number for these, except that no line may be dropped.")
    add("")
    add("| figure | value | met |")
    add("|---|---:|---|")
    add(f"| small authenticated read from the webview, p50 / p99 (ms) | {fmt(read['p50'])} / {fmt(read['p99'])} | – |")
    for interval in intervals:
        st = s["line_latency"][interval]
        add(f"| job stdout line → UI, lines {interval} ms apart, p50 / p99 (ms) | {fmt(st['p50'])} / "
            f"{fmt(st['p99'])} | – |")
    add(f"| sustained lines/s to the UI (median of runs) | {fmt(flood['lines_per_s']['median'], 0)} | – |")
    dropped_ok = flood["dropped"] == 0 and flood["extra"] == 0 and flood["all_succeeded"]
    add(f"| lines dropped, repeated or out of order in {flood['runs']} × {flood['lines']:,} | "
        f"{flood['dropped'] + flood['extra']} | {'yes' if dropped_ok else '**no**'} |")
    add("")
    add("## Figures")
    add("")
    add("| measurement | n | p50 | p90 | p99 | min | max | mean |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|")
    add(f"| `GET /jobs?limit=1` from the page | {read['n']} | {fmt(read['p50'])} | {fmt(read['p90'])} | "
        f"{fmt(read['p99'])} | {fmt(read['min'])} | {fmt(read['max'])} | {fmt(read['mean'])} |")
    for interval in intervals:
        st = s["line_latency"][interval]
        add(f"| job stdout line → in the window's DOM, lines {interval} ms apart | {st['n']} | {fmt(st['p50'])} | "
            f"{fmt(st['p90'])} | {fmt(st['p99'])} | {fmt(st['min'])} | {fmt(st['max'])} | {fmt(st['mean'])} |")
        for part, label in (("answered", "printed → its long poll answered in the page"),
                            ("rendered", "answered → in the DOM (React)")):
            st = s.get("line_latency_parts", {}).get(interval, {}).get(part)
            if st is None:
                continue
            add(f"| … of which {label} | {st['n']} | {fmt(st['p50'])} | {fmt(st['p90'])} | {fmt(st['p99'])} | "
                f"{fmt(st['min'])} | {fmt(st['max'])} | {fmt(st['mean'])} |")
    add("")
    add("| flood | runs | median | p90 | min | max |")
    add("|---|---:|---:|---:|---:|---:|")
    for key, label, digits in (("lines_per_s", "lines/s, Queue clicked → last line counted", 0),
                               ("lines_per_s_from_first_line", "lines/s, first line on screen → last counted", 0),
                               ("first_to_last_ms", "ms, first line on screen → last counted", None)):
        st = flood[key]
        if st is None:
            add(f"| {label} | 0 | – | – | – | – |")
            continue
        add(f"| {label} | {st['n']} | {fmt(st['median'], digits)} | {fmt(st['p90'], digits)} | "
            f"{fmt(st['min'], digits)} | {fmt(st['max'], digits)} |")
    add("")
    add("## Where the time goes")
    add("")
    add(f"**Reads.** A small authenticated read from the page takes {fmt(read['mean'])} ms on average "
        f"({fmt(read['calls_per_s'], 0)} requests/s one after another): the webview's network process, loopback "
        "HTTP, the api's guard, router and a 2-row SQLite query (about 27 µs of server CPU, see `api.md`). "
        "Almost all of it is WebKit's fetch path between its web and network processes, not the api.")
    add("")
    add(f"**Line latency.** Lines {intervals[0]} ms apart: p50 {fmt(line['p50'])} ms (min {fmt(line['min'])}); "
        f"lines {intervals[-1]} ms apart: p50 {fmt(quiet['p50'])} ms (min {fmt(quiet['min'])}). The path a line "
        "takes: the job's pipe; the worker, which writes what it read as soon as the pipe has nothing more ready "
        "(a read that does not complete within one turn of its event loop) and batches only under load (past 8 "
        "writes in 20 ms, a batch every 20 ms or 16 KiB, so a chatty job costs a few Valkey entries per 20 ms, not "
        "one per line); one `XADD`; the api's `XREAD BLOCK`, which wakes at once and answers the page's long poll; "
        "the page's `fetch`, React's render, and the next long poll. The two parts below each line's figure split "
        "it where the page's resource timing saw the long poll's answer all in (`responseEnd`, the last answer "
        "in before the line was in the DOM): before it, the job, the worker, Valkey, the api and WebKit's network "
        "process; after it, the page's JavaScript and React. `bun bench/output_stages.ts` splits the first part "
        "further, on the same processes without a webview (the worker's `XADD` apart from the api's answer).")
    for interval in intervals:
        parts = s.get("line_latency_parts", {}).get(interval, {})
        if parts.get("answered") and parts.get("rendered"):
            add("")
            add(f"Lines {interval} ms apart, medians: {fmt(parts['answered']['p50'])} ms from the print to the long "
                f"poll's answer in the page, {fmt(parts['rendered']['p50'])} ms from there to the line in the DOM.")
    busy = m["load_average_before"][0]
    if busy > m["cores"]:
        add("")
        add(f"The machine was busy while this ran (load average {fmt(busy)} on {m['cores']} cores): "
            "every process on the path waited for a core at each step, so these figures are upper "
            "bounds and their tails are the machine's.")
    add("")
    add(f"**Flood.** {fmt(flood['lines_per_s']['median'], 0)} lines/s from clicking Queue to the view counting the "
        "last line, every one of them checked. The worker reads the pipe in ≤ 16 KiB chunks and writes each before "
        "reading more, so a faster job is slowed by its pipe, not buffered without bound; the page asks for up to "
        "1000 chunks per long poll. The view is windowed: it counts the run's lines (`data-lines`) and renders "
        "those in view, so most of a flood scrolls past unrendered; every line the view rendered is checked "
        "against `seq` at its number, its count must be exactly the lines printed, and the whole output the view "
        "followed is read again through the same endpoint and checked line by line.")
    if flood["trimmed"]:
        add("")
        add("A run hit its output cap (the view said the output was truncated): what was dropped counts as lost.")
    add("")
    return "\n".join(out)


if __name__ == "__main__":
    main()
