#!/usr/bin/env python3
"""Turns the raw figures bench/supervisor.sh collected into supervisor.json
(raw samples + machine info) and supervisor.md (tables, aims, where time goes)."""

import json
import statistics
from pathlib import Path

from record import first_line, machine_info, report_parser, stats, write_report

AIM_RESTART_MS = 300
AIM_ALL_READY_MS = 300


def machine(args):
    return machine_info(args.work, {
        "rustc": first_line("rustc", "--version"),
        "bun": first_line(args.bun, "--version"),
        "valkey": first_line(args.valkey, "--version"),
        "compiled_sidecar": args.compiled,
    })


def fmt(x, unit="ms"):
    if x is None:
        return "–"
    if unit == "ms":
        return f"{x:.0f}" if x >= 100 else f"{x:.1f}"
    return f"{x:,.0f}"


def row(label, samples, unit="ms"):
    st = stats(samples)
    if st is None:
        return f"| {label} | 0 | – | – | – | – |"
    cells = [fmt(st[k], unit) for k in ("median", "p90", "min", "max")]
    return f"| {label} | {st['n']} | " + " | ".join(cells) + " |"


TABLE_HEAD = "| measurement | n | median | p90 | min | max |\n|---|---:|---:|---:|---:|---:|"
ORDER = ["valkey", "migrate", "api", "worker"]


def render(data, smoke):
    m = data["machine"]
    out = []
    add = out.append
    add("# Supervisor benchmark")
    add("")
    if smoke:
        add("**Smoke run** (each measurement once, tiny flood): checks the benchmark works; "
            "the figures mean nothing.")
        add("")
    add(f"Recorded {m['date']} by `bash bench/supervisor.sh` at commit {m['git_head']} "
        "(plus any uncommitted changes in the working tree).")
    add("")
    add(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"load average (1, 5, 15 min) before {m['load_average_before']}, after {m['load_average_after']}. "
        f"{m['rustc']}; Bun {m['bun']}; {m['valkey']}.")
    add("")
    add("All times in milliseconds. Shared, noisy machine: read the medians; p90 is nearest-rank. "
        "The graph is Runbook's own (valkey → migrate → api → worker, same probes, environment, "
        "log files and redaction as the app); the shell is this benchmark's process in place of "
        "Tauri.")
    add("")

    graphs = data["graph"]
    execs = data["exec"]

    # ---- Aims
    add("## Aims")
    add("")
    add("| aim | sidecar | median | p90 | met (median) |")
    add("|---|---|---:|---:|---|")
    verdicts = []
    for g in graphs:
        for label, samples, aim in (
            ("api crash → ready again < 300 ms", g["crash"]["kill_to_ready_ms"], AIM_RESTART_MS),
            ("start of first sidecar → all ready < 300 ms, first launch (empty data dir)",
             g["first_launch"]["all_ready_ms"], AIM_ALL_READY_MS),
            ("start of first sidecar → all ready < 300 ms, later launch (existing data)",
             g["relaunch"]["all_ready_ms"], AIM_ALL_READY_MS),
        ):
            st = stats(samples)
            met = st["median"] < aim
            verdicts.append((label, g["label"], met, st))
            p90_note = "" if (st["p90"] < aim) == met else (" (p90 is not)" if met else " (p90 is)")
            add(f"| {label} | {g['label']} | {fmt(st['median'])} | {fmt(st['p90'])} | "
                f"{'yes' if met else '**no**'}{p90_note} |")
    add("")

    # ---- Launch
    for g in graphs:
        add(f"## Launch → all ready: {g['label']}")
        add("")
        add(f"`{relative(g['program'])}`. Each sidecar's figure is its own start → ready (spawn, start-up, "
            "probe). A sidecar starts once what it depends on is ready, independent ones side by side "
            f"({chain(g['first_launch'])}), so all ready is the longest chain of them; the rest is the "
            "supervisor between steps.")
        add("")
        add(TABLE_HEAD)
        for key, title in (("first_launch", "first launch (empty data dir)"),
                           ("relaunch", "later launch (existing data)")):
            launch = g[key]
            add(row(f"**all ready, {title}**", launch["all_ready_ms"]))
            for name in ORDER:
                if name in launch["sidecar_ready_ms"]:
                    add(row(f"&nbsp;&nbsp;{name} start → ready", launch["sidecar_ready_ms"][name]))
            add(row("&nbsp;&nbsp;the rest (the supervisor between steps)", between_steps(launch)))
        add(row("stop_all (every sidecar, reverse order)", g["stop_all_ms"]))
        add("")

    # ---- Crash
    for g in graphs:
        c = g["crash"]
        add(f"## api crash → ready again: {g['label']}")
        add("")
        add(f"SIGKILL to the api's pid, {fmt(c['pause_between_ms'])} ms apart so each crash is a first "
            f"one (the app's restart policy: initial backoff {fmt(c['initial_backoff_ms'])} ms, doubling "
            "for crashes in quick succession). Split at the status events the supervisor reports.")
        add("")
        add(TABLE_HEAD)
        add(row("**kill → api ready again (new pid)**", c["kill_to_ready_ms"]))
        add(row("&nbsp;&nbsp;kill → exit noticed", c["kill_to_exit_noticed_ms"]))
        add(row("&nbsp;&nbsp;backoff (restarting → starting)", c["backoff_ms"]))
        add(row("&nbsp;&nbsp;starting → ready (spawn, start-up, `/health`)", c["start_to_ready_ms"]))
        add("")

    # ---- Floors
    add("## Start-up floors")
    add("")
    add("A program started and waited for, output discarded: what no supervisor can go below. "
        "The sidecar with no role loads its whole module graph, prints its usage and exits 2; it is "
        "timed once before each launch above, so it saw the same machine.")
    add("")
    add(TABLE_HEAD)
    for e in execs:
        add(row(f"`{relative(e['command'])}` – {e['label']}", e["runs_ms"]))
    for g in graphs:
        add(row(f"`{relative(g['program'])}` – the sidecar ({g['label']}) with no role",
                g["load_floor_ms"]))
    add("")

    # ---- Flood
    f = data["flood"]
    runs = f["runs"]
    mb = f["bytes"] / 1e6
    add("## Flood: the shell while a sidecar floods its output")
    add("")
    add(f"A one-shot sidecar prints {mb:,.0f} MB as {f['line_bytes']}-byte lines "
        f"(`{f['command']}`); the supervisor reads both pipes, redacts two secrets per line, keeps "
        "the last 2000 lines and writes rotating log files. CPU is this process (all threads, "
        "getrusage), not the producer; RSS sampled every 50 ms.")
    add("")
    add(TABLE_HEAD)
    add(row("wall time, ms", [r["wall_ms"] for r in runs]))
    add(row("throughput through the supervisor, MB/s", [mb / (r["wall_ms"] / 1000) for r in runs], "n"))
    add(row("producer alone into /dev/null, MB/s", [mb / (r["producer_alone_ms"] / 1000) for r in runs], "n"))
    add(row("shell CPU (user + system), ms", [r["cpu_user_ms"] + r["cpu_system_ms"] for r in runs]))
    add(row("shell CPU, % of one core", [100 * (r["cpu_user_ms"] + r["cpu_system_ms"]) / r["wall_ms"]
                                          for r in runs], "n"))
    add(row("shell CPU per MB, ms", [(r["cpu_user_ms"] + r["cpu_system_ms"]) / mb for r in runs]))
    add(row("RSS, peak sample, kB", [max(r["rss_kb"]) for r in runs], "n"))
    add(row("RSS, median sample, kB", [statistics.median(r["rss_kb"]) for r in runs], "n"))
    add(row(f"log files on disk after ({runs[0]['log_files']} files), bytes", [r["log_bytes"] for r in runs], "n"))
    add("")
    add(f"RSS before the first flood {f['rss_before_kb']:,} kB; VmHWM (peak over the whole process) "
        f"{f['vm_hwm_kb']:,} kB after {len(runs)} floods totalling {mb * len(runs):,.0f} MB.")
    add("")

    # ---- Reading
    add("## Where the time goes")
    add("")
    for line in reading(data, verdicts):
        add(f"- {line}")
    add("")
    return "\n".join(out)


def between_steps(launch):
    """Per run: all ready minus the longest chain of the sidecars' own start → ready times."""
    names = list(launch["sidecar_ready_ms"])
    per_run = zip(launch["all_ready_ms"], zip(*launch["sidecar_ready_ms"].values()))
    return [total - longest_chain(dict(zip(names, parts)), launch) for total, parts in per_run]


def depends_on(launch):
    """Each sidecar's dependencies as the benchmark declared them (older records: one after another)."""
    if "depends_on" in launch:
        return launch["depends_on"]
    names = [n for n in ORDER if n in launch["sidecar_ready_ms"]]
    return {n: names[i - 1:i] for i, n in enumerate(names)}


def longest_chain(times, launch):
    """The time until the last sidecar is ready, each starting when its dependencies are."""
    deps = depends_on(launch)
    done = {}

    def finish(name):
        if name not in done:
            done[name] = times.get(name, 0) + max((finish(d) for d in deps.get(name, [])), default=0)
        return done[name]

    return max((finish(n) for n in times), default=0)


def chain(launch):
    """The start order in words: "valkey beside migrate, then api, then worker"."""
    deps = depends_on(launch)
    depth = {}

    def level(name):
        if name not in depth:
            depth[name] = 1 + max((level(d) for d in deps.get(name, [])), default=-1)
        return depth[name]

    steps = {}
    for name in sorted(deps, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER)):
        steps.setdefault(level(name), []).append(name)
    return ", then ".join(" beside ".join(names) for _, names in sorted(steps.items()))


def relative(command):
    return command.replace(str(ROOT) + "/", "")


def med(samples):
    return statistics.median(samples) if samples else None


def exec_median(execs, word):
    for e in execs:
        if word in e["label"]:
            return med(e["runs_ms"])
    return None


def reading(data, verdicts):
    execs = data["exec"]
    lines = []
    bun0 = exec_median(execs, "bun -e 0")
    for g in data["graph"]:
        name = g["label"]
        floor = med(g["load_floor_ms"])
        for key, title in (("first_launch", "first launch"), ("relaunch", "later launch")):
            launch = g[key]
            per = {n: med(s) for n, s in launch["sidecar_ready_ms"].items()}
            total = med(launch["all_ready_ms"])
            parts = ", ".join(f"{n} {fmt(per[n])}" for n in ORDER if n in per)
            text = (f"**{name}, {title}**: all ready in {fmt(total)} ms; each step's own start → ready: "
                    f"{parts} (medians; {chain(launch)}).")
            if floor is not None:
                text += (f" Three of the four steps start the sidecar executable, and loading its code "
                         f"alone takes {fmt(floor)} ms"
                         + (f" (Bun itself starts in {fmt(bun0)} ms)" if name == "bun" and bun0 else "")
                         + (f": about {fmt(3 * floor)} ms of the {fmt(total)} ms is three such loads."
                            if 3 * floor <= total else
                            ", more than a third of the whole launch: the floor was timed on a busy "
                            "spell, read it with care."))
            lines.append(text)
        again = med(g["relaunch"]["sidecar_ready_ms"].get("migrate", []))
        if floor is not None and again is not None and floor >= 0.7 * again:
            lines.append(
                f"**{name}, migrate with nothing to migrate** still costs {fmt(again)} ms, against "
                f"{fmt(floor)} ms to load the sidecar at all: on every launch after the first, that step "
                "is almost entirely the price of starting a separate one-shot process.")
        c = g["crash"]
        lines.append(
            f"**{name}, crash**: {fmt(med(c['kill_to_ready_ms']))} ms = exit noticed after "
            f"{fmt(med(c['kill_to_exit_noticed_ms']))} + backoff {fmt(med(c['backoff_ms']))} + start → ready "
            f"{fmt(med(c['start_to_ready_ms']))} ms; the backoff is the restart policy's initial delay, "
            "spent on purpose.")
    for label, name, met, st in verdicts:
        if not met:
            lines.append(f"Missed: {label} ({name}, median {fmt(st['median'])} ms). "
                         "See the split above: the time is in the sidecars' own start-up, which the "
                         "supervisor only waits for (probes poll every 10 ms).")
    runs = data["flood"]["runs"]
    mb = data["flood"]["bytes"] / 1e6
    through = med([mb / (r["wall_ms"] / 1000) for r in runs])
    alone = med([mb / (r["producer_alone_ms"] / 1000) for r in runs])
    cpu = med([100 * (r["cpu_user_ms"] + r["cpu_system_ms"]) / r["wall_ms"] for r in runs])
    peak = max(max(r["rss_kb"]) for r in runs)
    line_count = data["flood"]["bytes"] / (data["flood"]["line_bytes"] + 1)
    per_line_us = med([(r["cpu_user_ms"] + r["cpu_system_ms"]) * 1000 / line_count for r in runs])
    limit = ("so the supervisor, not the producer, sets the pace (the producer waits on a full pipe)"
             if through < 0.8 * alone else "so the producer sets the pace")
    lines.append(
        f"**Flood**: {through:,.0f} MB/s through the supervisor against {alone:,.0f} MB/s for the producer "
        f"alone, {limit}; the shell spent {per_line_us:.2f} µs of CPU per line (split, redact, keep, write "
        f"to file; the steadiest of these figures on a shared machine), {cpu:.0f}% of one core while it lasted, and its memory stayed at {peak / 1024:,.1f} MB "
        "at most: the line buffer and the log files are bounded.")
    lines.append(
        "Probes poll every 10 ms (the ready-line probe reads the log on the same tick), so each "
        "probed step may include up to 10 ms of waiting for the next tick.")
    return lines


def main():
    global ROOT
    parser = report_parser()
    parser.add_argument("--bun", required=True)
    parser.add_argument("--valkey", required=True)
    parser.add_argument("--compiled")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    ROOT = Path(__file__).resolve().parent.parent

    data = {"machine": machine(args), "smoke": args.smoke, "exec": [], "graph": [], "flood": None}
    for path in sorted(args.work.glob("*.json")):
        figures = json.loads(path.read_text())
        phase = figures.pop("phase")
        if phase == "flood":
            data["flood"] = figures
        elif phase == "graph":
            data["graph"].extend(figures["variants"])
        else:
            data[phase].append(figures)
    data["summary"] = {
        g["label"]: {
            "first_launch_all_ready_ms": stats(g["first_launch"]["all_ready_ms"]),
            "relaunch_all_ready_ms": stats(g["relaunch"]["all_ready_ms"]),
            "crash_to_ready_ms": stats(g["crash"]["kill_to_ready_ms"]),
        }
        for g in data["graph"]
    }
    write_report(args, data, render(data, args.smoke) + "\n")


ROOT = Path(".")

if __name__ == "__main__":
    main()
