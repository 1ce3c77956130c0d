#!/usr/bin/env python3
"""Turns the raw figures bench/ipc.mjs collected in the webview into ipc.json
(raw samples + summary + machine) and ipc.md (tables, aims, reading)."""

import json

from desktop_record import desktop_machine, fmt, machine_line
from record import percentile, report_parser, stats, write_report


def summarise_suite(suite):
    out = {"timer_resolution_ms": suite["timerResolutionMs"], "invoke": {}, "bytes": {}, "streams": []}
    for command, result in suite["invoke"].items():
        samples = result["samples"]
        out["invoke"][command] = {
            **stats(samples),
            "p50": percentile(samples, 50),
            "p99": percentile(samples, 99),
            "mean": sum(samples) / len(samples),
            # The page's own figure, at its clock's grain: total / calls.
            "page_mean": result["totalMs"] / result["calls"],
            "calls_per_s": result["calls"] / (result["totalMs"] / 1000),
        }
    mib = suite["bytesLen"] / 2**20
    for kind, samples in suite["bytes"].items():
        st = stats(samples)
        out["bytes"][kind] = {**st, "mib": mib, "mib_per_s_median": mib / (st["median"] / 1000)}
    for stream in suite["streams"]:
        rates = [r["messages"] / (r["ms"] / 1000) for r in stream["runs"]]
        line_rates = [r["lines"] / (r["ms"] / 1000) for r in stream["runs"]]
        out["streams"].append({
            "via": stream["via"],
            "batch": stream["batch"],
            "messages": stream["messages"],
            "messages_per_s": stats(rates),
            "lines_per_s": stats(line_rates),
            "ms": stats([r["ms"] for r in stream["runs"]]),
        })
    out["csp_violations"] = len(suite.get("cspViolations", []))
    return out


def main():
    args = report_parser(root=True).parse_args()
    raw = json.loads((args.work / "raw.json").read_text())
    # The page's per-call times are at its 1 ms clock grain: only their mean is kept.
    for suite in (raw["customProtocol"], raw["postMessage"]):
        for result in suite["invoke"].values():
            result.pop("pageSamples", None)
            result["samples"] = [round(x, 4) for x in result["samples"]]
    data = {
        "machine": desktop_machine(args.work, args.root, {"user_agent": raw.get("userAgent")}),
        "smoke": raw["smoke"],
        "plan": raw["plan"],
        "summary": {
            "custom_protocol": summarise_suite(raw["customProtocol"]),
            "post_message": summarise_suite(raw["postMessage"]),
        },
        "raw": raw,
    }
    write_report(args, data, render(data))


BYTES_LABEL = {
    "out": "shell → page: raw `ipc::Response`",
    "in": "page → shell: raw request body (`Uint8Array`)",
    "echo": "both ways in one call (raw body in, raw `Response` out)",
    "channel": "shell → page: one raw `Channel` message",
}


def render(data):
    m = data["machine"]
    cp = data["summary"]["custom_protocol"]
    pm = data["summary"]["post_message"]
    plan = data["plan"]
    out = []
    add = out.append
    add("# IPC benchmark (UI ↔ shell, in the real webview)")
    add("")
    if data["smoke"]:
        add("**Smoke run** (a few repetitions of each): checks the benchmark works; the figures mean nothing.")
        add("")
    add(f"Recorded {m['date']} by `bash bench/ipc.sh` at commit {m['git_head']} "
        "(plus any uncommitted changes in the working tree).")
    add("")
    add(machine_line(m))
    add("")
    add("The release build of the empty Tauri app (`bench/baselines/empty-tauri`: the benchmark's "
        "commands live there, not in Runbook) in WebKitGTK under Xvfb, started through tauri-driver. Every "
        "loop runs inside the page with `window.__TAURI_INTERNALS__` (what `@tauri-apps/api` calls) and "
        "`performance.now()`; WebDriver only starts each loop and collects its figures. Milliseconds "
        f"unless stated; p90/p99 nearest-rank. WebKit's `performance.now()` ticks in "
        f"{fmt(cp['timer_resolution_ms'], 3)} ms steps here, too coarse for one small invoke, so those are "
        "timed by the shell: the page calls again as soon as an answer arrives, and the `echo` command "
        "notes each arrival (`Instant`), so the time between two arrivals is one whole round trip "
        "(answer to the page, the page's turn, request back to the command). The page's own mean (its "
        "total time / calls) agrees with it.")
    add("")
    add("**`linux-ipc-protocol` on and off.** Tauri 2.12.5 has no such feature: it was removed in "
        "2.0.0-rc.9, since when Linux always sends IPC through `fetch()` to the `ipc://` custom "
        "protocol (raw bodies; responses in the HTTP response) and falls back to "
        "`window.ipc.postMessage` (JSON only; responses evaluated into the page as script) only if that "
        "fetch fails. The old *off* is therefore measured as that fallback: the same app, on a page "
        "(`postmessage.html`) whose CSP forbids `connect-src` to `ipc:`, so Tauri's first fetch fails and "
        f"every call after it goes through postMessage (CSP violations seen there: {pm['csp_violations']}; "
        f"on the normal page: {cp['csp_violations']}).")
    add("")

    add("## Aims")
    add("")
    add("The issue sets no number for IPC; these are the figures it asks for.")
    add("")
    add("| figure | custom protocol (today) | postMessage (old *off*) |")
    add("|---|---:|---:|")
    for command in ("echo", "echo_async"):
        a, b = cp["invoke"][command], pm["invoke"][command]
        add(f"| small invoke `{command}` round trip p50 / p99 (ms) | {fmt(a['p50'], 3)} / {fmt(a['p99'], 3)} | "
            f"{fmt(b['p50'], 3)} / {fmt(b['p99'], 3)} |")
    for kind in ("out", "in", "echo", "channel"):
        a, b = cp["bytes"][kind], pm["bytes"][kind]
        add(f"| 10 MiB {BYTES_LABEL[kind]}, median ms (MiB/s) | {fmt(a['median'])} ({fmt(a['mib_per_s_median'])}) | "
            f"{fmt(b['median'])} ({fmt(b['mib_per_s_median'])}) |")
    for a in cp["streams"]:
        b = next((s for s in pm["streams"] if s["via"] == a["via"] and s["batch"] == a["batch"]), None)
        add(f"| {a['via']} throughput, {a['batch']} line(s) per message: messages/s (lines/s) | "
            f"{fmt(a['messages_per_s']['median'])} ({fmt(a['lines_per_s']['median'])}) | "
            + (f"{fmt(b['messages_per_s']['median'])} ({fmt(b['lines_per_s']['median'])})" if b else "–")
            + " |")
    add("")

    for title, suite in (("custom protocol (today)", cp), ("postMessage (old `linux-ipc-protocol` off)", pm)):
        add(f"## Figures: {title}")
        add("")
        add("| measurement | n | p50 | p90 | p99 | min | max | mean | page's mean | calls/s |")
        add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for command, st in suite["invoke"].items():
            add(f"| small invoke `{command}` (`{{seq, text}}` in and back) | {st['n']} | {fmt(st['p50'], 3)} | "
                f"{fmt(st['p90'], 3)} | {fmt(st['p99'], 3)} | {fmt(st['min'], 3)} | {fmt(st['max'], 3)} | "
                f"{fmt(st['mean'], 3)} | {fmt(st['page_mean'], 3)} | {fmt(st['calls_per_s'])} |")
        add("")
        add("| 10 MiB payload | n | median | p90 | min | max | MiB/s (median) |")
        add("|---|---:|---:|---:|---:|---:|---:|")
        for kind, st in suite["bytes"].items():
            add(f"| {BYTES_LABEL[kind]} | {st['n']} | {fmt(st['median'])} | {fmt(st['p90'])} | {fmt(st['min'])} | "
                f"{fmt(st['max'])} | {fmt(st['mib_per_s_median'])} |")
        add("")
        add("| stream (lines of ~100 bytes of JSON each) | messages × reps | messages/s median | p90 | min | max | "
            "lines/s median |")
        add("|---|---:|---:|---:|---:|---:|---:|")
        for st in suite["streams"]:
            r = st["messages_per_s"]
            add(f"| {st['via']}, {st['batch']} line(s) per message | {st['messages']} × {r['n']} | "
                f"{fmt(r['median'])} | {fmt(r['p90'])} | {fmt(r['min'])} | {fmt(r['max'])} | "
                f"{fmt(st['lines_per_s']['median'])} |")
        add("")
        add("(For throughput, p90 is of the rate, so it is the *faster* tail.)")
        add("")

    add("## Where the time goes")
    add("")
    add(reading(cp, pm, plan))
    add("")
    return "\n".join(out)


def reading(cp, pm, plan):
    def stream(suite, via, batch):
        return next((s for s in suite["streams"] if s["via"] == via and s["batch"] == batch), None)

    def rate(suite, via, batch, key="messages_per_s"):
        st = stream(suite, via, batch)
        return fmt(st[key]["median"]) if st else "–"

    echo, echo_pm = cp["invoke"]["echo"], pm["invoke"]["echo"]
    out, out_pm = cp["bytes"]["out"], pm["bytes"]["out"]
    up, up_pm = cp["bytes"]["in"], pm["bytes"]["in"]
    batches = sorted({s["batch"] for s in cp["streams"]})
    lines = [
        "**Small calls: postMessage is faster.** Through the custom protocol a call is a `fetch()` "
        "from the web process to `ipc://localhost` (WebKit's URL-scheme handler in the shell, a "
        "`Response`, a promise), against one WebKit message each way plus one script evaluation through "
        f"postMessage: a round trip p50 of {fmt(echo['p50'], 3)} ms against {fmt(echo_pm['p50'], 3)} ms "
        f"(means {fmt(echo['mean'], 3)} and {fmt(echo_pm['mean'], 3)}). A synchronous command runs on the "
        "main thread, an async one on the runtime's threads; for a tiny command the difference is noise.",
        "",
        "**Bytes: the custom protocol is what makes them cheap.** 10 MiB from the shell take "
        f"{fmt(out['median'])} ms as an `ipc::Response` ({fmt(out['mib_per_s_median'])} MiB/s) against "
        f"{fmt(out_pm['median'])} ms through postMessage, where Tauri writes the bytes into a script as a "
        "JSON array of numbers and WebKit parses it into a JavaScript array (not an `ArrayBuffer`). Upload "
        f"is starker still: a `Uint8Array` body arrives in {fmt(up['median'])} ms "
        f"({fmt(up['mib_per_s_median'])} MiB/s) against {fmt(up_pm['median'])} ms, since postMessage "
        "turns it into JSON in the page and back in the shell. A raw channel message costs about what "
        "a raw response does (it is fetched the same way).",
    ]
    if batches:
        lines += [
            "",
            "**Streams: messages cost more than bytes, and 8 KiB is a step.** A channel message of up to "
            "8 KiB of JSON is evaluated straight into the page; a larger one is announced and then fetched "
            "back through the IPC. Lines here are ~100 bytes of JSON, so 1 and 10 lines per message stay "
            f"under the step ({rate(cp, 'channel', 1)} and {rate(cp, 'channel', 10)} messages/s, i.e. "
            f"{rate(cp, 'channel', 1, 'lines_per_s')} and {rate(cp, 'channel', 10, 'lines_per_s')} lines/s) "
            f"and 100 lines cross it ({rate(cp, 'channel', 100)} messages/s, "
            f"{rate(cp, 'channel', 100, 'lines_per_s')} lines/s); 1000 lines per message carry "
            f"{rate(cp, 'channel', 1000, 'lines_per_s')} lines/s. Events are always evaluated into the "
            f"page as script, whatever their size: {rate(cp, 'event', 1)} one-line "
            f"events/s, {rate(cp, 'event', 1000, 'lines_per_s')} lines/s in 1000-line batches. So batch "
            "small items (log lines, progress), as the supervisor's `sidecar:log` batches do, and prefer a "
            "channel to an event for a stream meant for one window.",
            "",
            "With postMessage the large channel messages are fetched through postMessage too, which "
            "here is no slower than through the custom protocol for JSON "
            f"({rate(pm, 'channel', 100, 'lines_per_s')} lines/s at 100 lines per message): JSON "
            "streams do not need the custom protocol; binary payloads do.",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
