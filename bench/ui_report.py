#!/usr/bin/env python3
"""Turns the raw figures bench/ui.mjs collected in Runbook's main window into
ui.json (raw samples + summary + machine) and ui.md (tables, aims, reading)."""

import argparse
import json
from pathlib import Path

from desktop_record import desktop_machine, fmt, machine_line
from record import percentile, stats


def latency_summary(samples):
    return {**stats(samples), "p50": percentile(samples, 50), "p99": percentile(samples, 99),
            "mean": sum(samples) / len(samples)}


def summarise(raw):
    read = raw["read"]
    latency = [ms for run in raw["latency"] for ms in run["samples"]]
    flood = raw["flood"]
    # From Queue clicked to the last line on screen: the whole path, the job's start included.
    rates = [run["lines"] / (run["submitToLastMs"] / 1000) for run in flood]
    # From the first line on screen to the last (none when one answer carried them all).
    first_rates = [run["lines"] / (run["firstToLastMs"] / 1000) for run in flood if run["firstToLastMs"] > 0]
    return {
        "timer_resolution_ms": raw["timerResolutionMs"],
        "read": {**latency_summary(read["samples"]), "page_mean": read["totalMs"] / read["calls"],
                 "calls_per_s": read["calls"] / (read["totalMs"] / 1000)},
        "line_latency": latency_summary(latency),
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
    p = argparse.ArgumentParser()
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--root", type=Path, required=True)
    p.add_argument("--json", type=Path, required=True)
    p.add_argument("--md", type=Path, required=True)
    args = p.parse_args()
    raw = json.loads((args.work / "raw.json").read_text())
    data = {
        "machine": desktop_machine(args.work, args.root, {"user_agent": raw.get("userAgent")}),
        "smoke": raw["smoke"],
        "plan": raw["plan"],
        "summary": summarise(raw),
        "raw": raw,
    }
    args.json.write_text(json.dumps(data, indent=2) + "\n")
    args.md.write_text(render(data))


def render(data):
    m = data["machine"]
    s = data["summary"]
    plan = data["plan"]
    read, line, flood = s["read"], s["line_latency"], s["flood"]
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
    add(f"- **Line → UI latency**: {plan['latency']['runs']} job(s) queued through the window's form, each "
        f"printing {plan['latency']['lines']} lines {plan['latency']['intervalMs']} ms apart, each line carrying "
        "the wall-clock time it was printed (Python's `time.time_ns()`, flushed at once). A MutationObserver on "
        "the job's output view notes the wall-clock time each line is first in the DOM (the observer runs before "
        "the next paint). The path: the job's pipe → the worker (batched every ~20 ms) → a Valkey stream → "
        "the api's long poll → the page's `fetch` → React.")
    add(f"- **Sustained lines/s**: {plan['flood']['runs']} run(s) of `seq 1 {plan['flood']['lines']:,}` queued "
        "the same way; every line in the view is checked against what `seq` prints (none missing, none "
        "repeated, in order). The rate is lines ÷ the time from clicking Queue to the last line on screen (the job's "
        "start included, so it understates the stream's own rate).")
    add("")
    add("## Aims")
    add("")
    add("The issue sets no number for these, except that no line may be dropped.")
    add("")
    add("| figure | value | met |")
    add("|---|---:|---|")
    add(f"| small authenticated read from the webview, p50 / p99 (ms) | {fmt(read['p50'])} / {fmt(read['p99'])} | – |")
    add(f"| job stdout line → UI, p50 / p99 (ms) | {fmt(line['p50'])} / {fmt(line['p99'])} | – |")
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
    add(f"| job stdout line → in the window's DOM | {line['n']} | {fmt(line['p50'])} | {fmt(line['p90'])} | "
        f"{fmt(line['p99'])} | {fmt(line['min'])} | {fmt(line['max'])} | {fmt(line['mean'])} |")
    add("")
    add("| flood | runs | median | p90 | min | max |")
    add("|---|---:|---:|---:|---:|---:|")
    for key, label, digits in (("lines_per_s", "lines/s, Queue clicked → last line on screen", 0),
                               ("lines_per_s_from_first_line", "lines/s, first line on screen → last", 0),
                               ("first_to_last_ms", "ms, first line on screen → last", None)):
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
    add(f"**Line latency.** p50 {fmt(line['p50'])} ms: the worker holds output for up to ~20 ms to batch it, "
        "then one `XADD`; the api's blocked `XREAD` wakes at once and answers the page's long poll; the page "
        "renders and asks again. A line printed while the page is between two polls waits for the next request's "
        "round trip, which is what the tail shows.")
    add("")
    add(f"**Flood.** {fmt(flood['lines_per_s']['median'], 0)} lines/s from clicking Queue to the last line on screen, "
        "every one of them checked. The worker reads the pipe in ≤ 16 KiB chunks and writes each before reading "
        "more, so a faster job is slowed by its pipe, not buffered without bound; the page asks for up to 1000 "
        "chunks per long poll and React appends them to the view in one render.")
    if flood["trimmed"]:
        add("")
        add("The view trimmed the start of the output (it keeps the last 2,000,000 characters), so those runs "
            "were checked only as far as the view held them.")
    add("")
    return "\n".join(out)


if __name__ == "__main__":
    main()
