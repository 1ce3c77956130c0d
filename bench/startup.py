#!/usr/bin/env python3
"""Start-up: launch → Runbook's main window showing data from the api, against
launch → the empty Tauri app's DOMContentLoaded; both measured inside the app
and reported by it (its `startup_report` command). Release builds on an X
display; the two apps take turns. Then a few profiled Runbook launches, the
process table polled every few milliseconds, say where the time goes.
Writes startup.json (every sample, machine) and startup.md. Run by startup.sh."""

import json
import statistics
import time
from pathlib import Path

import desktop_apps as apps
from desktop_record import desktop_machine, fmt, machine_line
from record import first_line, report_parser, stats, write_report

AIM_RATIO = 1.25


def measure(app, display, work):
    run = apps.launch(app, display, work)
    try:
        return apps.wait_reported(run)
    finally:
        left = apps.stop(run)
        if left:
            print(f"  note: {len(left)} process(es) of {app.name} outlived it by 5 s and were killed")


def profile(app, display, work):
    """One launch with the process table polled: when each process of the app
    started (from /proc, 10 ms ticks), relative to the shell's own start."""
    run = apps.launch(app, display, work)
    seen = {}

    def poll():
        now = time.clock_gettime(time.CLOCK_BOOTTIME)
        for pid in apps.descendants(run.proc.pid):
            entry = seen.get(pid)
            if entry is None:
                st = apps.stat(pid)
                if not st:
                    continue
                entry = seen[pid] = {"start": st[1]}
            # Read again each time: a child is the shell's own fork until it execs.
            role = apps.role(pid)
            if role != "?" or "role" not in entry:
                entry["role"] = role
            entry["last_seen"] = now
            used = apps.cpu_ms(pid)
            if used is not None:
                entry["cpu_ms"] = used

    try:
        report = apps.wait_reported(run, on_poll=poll)
        shell_cpu = apps.cpu_ms(run.proc.pid)
        shell = apps.stat(run.proc.pid)
        shell_start = shell[1] if shell else None
    finally:
        apps.stop(run)
    events = []
    for entry in sorted(seen.values(), key=lambda e: e["start"]):
        if shell_start is None:
            break
        role = "short-lived child (gone before it could be named)" if entry["role"] == "?" else entry["role"]
        event = {"role": role, "started_ms": round((entry["start"] - shell_start) * 1000),
                 "cpu_ms": entry.get("cpu_ms", 0)}
        if entry["role"] == "sidecar migrate":
            event["gone_by_ms"] = round((entry["last_seen"] - shell_start) * 1000)
        events.append(event)
    # The second WebKitWebProcess is another window's: number them.
    counts = {}
    for event in events:
        counts[event["role"]] = counts.get(event["role"], 0) + 1
        if counts[event["role"]] > 1:
            event["role"] += f" #{counts[event['role']]}"
    return {**report, "processes": events, "shell_cpu_ms": shell_cpu}


def main():
    p = report_parser(root=True)
    apps.add_app_args(p)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--profile-runs", type=int, default=3)
    p.add_argument("--smoke", action="store_true")
    args = p.parse_args()

    runbook, empty = apps.apps_from(args)
    samples = {"runbook": [], "empty-tauri": []}

    print("warm-up: one launch of each (not counted)", flush=True)
    for app in (runbook, empty):
        measure(app, args.display, args.work)

    for i in range(args.runs):
        # Taking turns, and swapping who goes first, so a busy spell on the
        # machine does not land on one app only.
        for app in (runbook, empty) if i % 2 == 0 else (empty, runbook):
            result = measure(app, args.display, args.work)
            samples[app.name].append(result)
            print(f"  run {i + 1}/{args.runs} {app.name}: {result['milestone']} "
                  f"{result['in_app_ms']:.0f} ms in the app, {result['from_spawn_ms']:.0f} ms from spawn",
                  flush=True)
            time.sleep(0.5)

    profiles = {"runbook": [], "empty-tauri": []}
    for i in range(args.profile_runs):
        for app in (runbook, empty):
            result = profile(app, args.display, args.work)
            profiles[app.name].append(result)
            print(f"  profiled launch {i + 1}/{args.profile_runs} {app.name}: {result['in_app_ms']:.0f} ms",
                  flush=True)

    (args.work / "loadavg-after").write_text(Path("/proc/loadavg").read_text())
    data = {
        "machine": desktop_machine(args.work, args.root, {
            "valkey": first_line("redis-server", "--version"),
            "sidecar": args.sidecar,
        }),
        "smoke": args.smoke,
        "runs": args.runs,
        "runbook": samples["runbook"],
        "empty_tauri": samples["empty-tauri"],
        "runbook_profiles": profiles["runbook"],
        "empty_tauri_profiles": profiles["empty-tauri"],
    }
    data["supervisor_alone"] = supervisor_alone(args.root)
    data["ui_main_chunk_kb"] = main_chunk_kb(args.root)
    data["summary"] = summarise(data)
    write_report(args, data, render(data))


def supervisor_alone(root):
    """The same sidecar chain with no webview beside it: the compiled sidecar's
    first launch in bench/results/supervisor.json (medians, ms), if recorded."""
    try:
        graphs = json.loads((root / "bench/results/supervisor.json").read_text())["graph"]
        launch = next(g for g in graphs if g["label"] == "compiled")["first_launch"]
    except (OSError, ValueError, KeyError, StopIteration):
        return None
    return {
        "recorded": "bench/results/supervisor.json",
        "all_ready_ms": statistics.median(launch["all_ready_ms"]),
        **{f"{name}_ready_ms": statistics.median(v) for name, v in launch["sidecar_ready_ms"].items()},
    }


def main_chunk_kb(root):
    """The size of the main window's JavaScript entry chunk in the UI build the
    release app embeds (kB, 1000 bytes), or None when there is no build."""
    chunks = sorted((root / "apps/runbook/ui/dist/assets").glob("main-*.js"))
    return round(chunks[0].stat().st_size / 1000) if chunks else None


def summarise(data):
    rb = stats([s["in_app_ms"] for s in data["runbook"]])
    em = stats([s["in_app_ms"] for s in data["empty_tauri"]])
    rb_spawn = stats([s["from_spawn_ms"] for s in data["runbook"]])
    em_spawn = stats([s["from_spawn_ms"] for s in data["empty_tauri"]])
    ratio = rb["median"] / em["median"] if rb and em else None
    ready = [s["sidecars_ready_ms"] for s in data["runbook"] if "sidecars_ready_ms" in s]
    page = [s["in_app_ms"] - s["sidecars_ready_ms"] for s in data["runbook"] if "sidecars_ready_ms" in s]
    return {
        "runbook_sidecars_ready_ms": stats(ready),
        "runbook_ready_to_data_ms": stats(page),
        "runbook_in_app_ms": rb,
        "empty_tauri_in_app_ms": em,
        "runbook_from_spawn_ms": rb_spawn,
        "empty_tauri_from_spawn_ms": em_spawn,
        "ratio_in_app": round(ratio, 3) if ratio else None,
        "ratio_from_spawn": round(rb_spawn["median"] / em_spawn["median"], 3) if rb_spawn and em_spawn else None,
        "aim_ratio": AIM_RATIO,
        "aim_met": ratio is not None and ratio <= AIM_RATIO,
    }


HEAD = "| measurement | n | median | p90 | min | max |\n|---|---:|---:|---:|---:|---:|"


def row(label, st):
    if not st:
        return f"| {label} | 0 | – | – | – | – |"
    return f"| {label} | {st['n']} | " + " | ".join(fmt(st[k]) for k in ("median", "p90", "min", "max")) + " |"


def profile_table(profiles):
    """Median over the profiled launches of when each kind of process started."""
    by_role = {}
    for prof in profiles:
        firsts = {}
        for event in prof["processes"]:
            firsts.setdefault(event["role"], event)
        for role, event in firsts.items():
            entry = by_role.setdefault(role, {"started": [], "gone": []})
            entry["started"].append(event["started_ms"])
            if "gone_by_ms" in event:
                entry["gone"].append(event["gone_by_ms"])
    rows = sorted(by_role.items(), key=lambda kv: statistics.median(kv[1]["started"]))
    return rows


def render(data):
    s = data["summary"]
    m = data["machine"]
    out = []
    add = out.append
    add("# Start-up benchmark")
    add("")
    if data["smoke"]:
        add("**Smoke run** (one launch of each): checks the benchmark works; the figures mean nothing.")
        add("")
    add(f"Recorded {m['date']} by `bash bench/startup.sh` at commit {m['git_head']} "
        "(plus any uncommitted changes in the working tree).")
    add("")
    add(machine_line(m) + f" {m['valkey']}.")
    add("")
    add("Release builds (`cargo build --release --features tauri/custom-protocol`, the assets "
        "embedded as `tauri build` does), launched directly on a private Xvfb display, one at a time, "
        f"{data['runs']} launches each after one warm-up launch each, the two apps taking turns. "
        "Runbook runs its compiled sidecar (`CONVOY_SIDECAR`) with a fresh `CONVOY_DATA_DIR` each launch "
        "(so `migrate` creates the database every time). Milliseconds; p90 is nearest-rank; the machine "
        "is shared and noisy: read the medians.")
    add("")
    add("Each app measures its own start-up: the shell takes an `Instant` first thing (Runbook: the top "
        "of `run()`; the baseline: the top of `main()`), and its page calls the `startup_report` command "
        "at the milestone; the command records the time once and prints "
        "`convoy:startup <milestone>-ms=<n> unix-ms=<wall clock>` (stderr, and the file named by "
        "`CONVOY_STARTUP_REPORT`). Runbook's milestone is the jobs list first rendered with data from "
        "the api (the main window is shown by then); the baseline's is its page's DOMContentLoaded. "
        "*From spawn* uses the wall clock in the line against the benchmark's own clock just before it "
        "spawned the process, so it adds exec, dynamic linking and everything before `main`.")
    add("")
    add("## Aims")
    add("")
    add("| aim | Runbook (median) | empty Tauri (median) | ratio | met |")
    add("|---|---:|---:|---:|---|")
    rb, em = s["runbook_in_app_ms"], s["empty_tauri_in_app_ms"]
    add(f"| launch → main window with api data ≤ {AIM_RATIO} × launch → empty app's DOMContentLoaded "
        f"(measured in the app) | {fmt(rb['median'])} ms | {fmt(em['median'])} ms | "
        f"{s['ratio_in_app']:.2f} | {'yes' if s['aim_met'] else '**no**'} |")
    add("")
    add("## Figures")
    add("")
    add(HEAD)
    add(row("**Runbook: launch → main window with api data (in the app)**", rb))
    add(row("Runbook: spawn → main window with api data", s["runbook_from_spawn_ms"]))
    if s.get("runbook_sidecars_ready_ms"):
        add(row("Runbook: launch → every sidecar ready (in the app)", s["runbook_sidecars_ready_ms"]))
        add(row("Runbook: every sidecar ready → main window with api data", s["runbook_ready_to_data_ms"]))
    add(row("**empty Tauri: launch → DOMContentLoaded (in the app)**", em))
    add(row("empty Tauri: spawn → DOMContentLoaded", s["empty_tauri_from_spawn_ms"]))
    add("")
    add(f"Ratio of medians: {s['ratio_in_app']:.2f} in the app, {s['ratio_from_spawn']:.2f} from spawn.")
    add("")
    add("## Where the time goes")
    add("")
    rb_prof, em_prof = data["runbook_profiles"], data["empty_tauri_profiles"]
    if rb_prof:
        add(f"{len(rb_prof)} more launches of each app with the process table polled (every ~5 ms, which "
            "costs CPU: these launches are not in the figures above): when each process of the app "
            "started, from `/proc` (10 ms clock ticks), in ms after the shell's own process started; "
            "medians over those launches. A child still named after the shell is the shell's fork before "
            "it execs a sidecar.")
        add("")
        add("| process | Runbook: started | Runbook: gone by | empty Tauri: started |")
        add("|---|---:|---:|---:|")
        rb_rows = dict(profile_table(rb_prof))
        em_rows = dict(profile_table(em_prof))
        for role in list(rb_rows) + [r for r in em_rows if r not in rb_rows]:
            rb_entry, em_entry = rb_rows.get(role), em_rows.get(role)
            add(f"| {role} | {fmt(statistics.median(rb_entry['started'])) if rb_entry else ''} | "
                f"{fmt(statistics.median(rb_entry['gone'])) if rb_entry and rb_entry['gone'] else ''} | "
                f"{fmt(statistics.median(em_entry['started'])) if em_entry else ''} |")
        add(f"| **milestone reported** (its wall-clock time, from the spawn) | "
            f"{fmt(statistics.median(p['from_spawn_ms'] for p in rb_prof), 0)} | | "
            f"{fmt(statistics.median(p['from_spawn_ms'] for p in em_prof), 0) if em_prof else ''} |")
        add("")
    if rb_prof and "shell_cpu_ms" in rb_prof[0]:
        add("CPU time (user + system, from `/proc`, 10 ms ticks) each kind of process had used by the "
            "milestone, median over the profiled launches (a process that had already exited, such as "
            "`migrate`, shows what it used by the last poll that saw it):")
        add("")
        add("| process | Runbook CPU ms | empty Tauri CPU ms |")
        add("|---|---:|---:|")
        rb_cpu, em_cpu = cpu_by_kind(rb_prof), cpu_by_kind(em_prof)
        for kind in list(rb_cpu) + [k for k in em_cpu if k not in rb_cpu]:
            add(f"| {kind} | {fmt(rb_cpu.get(kind), 0)} | {fmt(em_cpu.get(kind), 0)} |")
        rb_sum = statistics.median(sum(cpu_of(p).values()) for p in rb_prof)
        em_sum = statistics.median(sum(cpu_of(p).values()) for p in em_prof)
        rb_wall = statistics.median(p["from_spawn_ms"] for p in rb_prof)
        em_wall = statistics.median(p["from_spawn_ms"] for p in em_prof)
        add(f"| **all, against wall time from spawn** | {rb_sum:.0f} in {rb_wall:.0f} "
            f"({rb_sum / rb_wall:.2f} cores busy) | {em_sum:.0f} in {em_wall:.0f} ({em_sum / em_wall:.2f}) |")
        add("")
    add(reading(data))
    add("")
    return "\n".join(out)


def kind_of(role):
    """A process role without its `#n` and the shell's not-yet-exec'd forks folded into the shell."""
    return role.split(" #")[0]


def cpu_of(prof):
    out = {"shell": prof.get("shell_cpu_ms") or 0}
    for event in prof["processes"]:
        kind = kind_of(event["role"])
        out[kind] = out.get(kind, 0) + event.get("cpu_ms", 0)
    return out


def cpu_by_kind(profiles):
    per = [cpu_of(p) for p in profiles]
    kinds = sorted({k for p in per for k in p}, key=lambda k: -statistics.median(p.get(k, 0) for p in per))
    return {k: statistics.median(p.get(k, 0) for p in per) for k in kinds}


# What was tried against this benchmark, measured by hand with the same
# release builds, apps and display (8 launches of each variant, taking turns;
# medians of the in-app figure; the machine as noisy as in the runs above).
TRIED = (
    "Tried on 2026-11-22 (by hand: 8 launches of each variant taking turns, medians in the app; not "
    "part of this run's figures):\n\n"
    "- **the splash as a small static page** (`splash.html`, a few kB of JavaScript, no React) instead "
    "of the React bundle: kept; 531 ms against 529 before, no measurable change in the milestone, though "
    "the splash's web process used ~60 ms less CPU (130–180 against 180–240) and shows the steps sooner;\n"
    "- **the supervisor started before the windows**: valkey started ~90 ms earlier and every sidecar "
    "was ready ~110 ms earlier, but the milestone did not move (534 against 529), and in about one launch "
    "in ten the shell hung for good: creating a window asks the session bus for the colour scheme, "
    "without a bus libdbus forks a helper and reads its pipe to EOF, and a sidecar spawned meanwhile "
    "inherited the pipe's write end (fixed since: the supervisor marks every inherited descriptor "
    "close-on-exec, so no sidecar holds such a pipe). Not kept, for no gain: the windows come first;\n"
    "- **`migrate` beside valkey**: the graph says `migrate` depends on nothing (the api still waits "
    "for both), and the supervisor now starts independent sidecars side by side: kept (in this run's "
    "chain above);\n"
    "- **the main window shown when the api is ready** instead of after the worker: 647 against 625, no "
    "gain (the page, not the worker, decides); DESIGN's \"when all are ready\" is kept;\n"
    "- **the api endpoint in the ready event** instead of a command: one small invoke is ~0.5 ms "
    "(`ipc.md`); not done;\n"
    "- **no splash window at all** (an experiment, not a proposal within DESIGN): 477 against 621, so the "
    "splash, in its own web process then, cost ~145 ms of Runbook's start-up on these 2 cores;\n"
    "- **the splash in the main window's web process** (WebKitGTK's related view, `windows.rs`) instead "
    "of a second web process: kept; 479 against 525 ms (two rounds of 6 launches of each, taking turns, "
    "each round against the empty app: ratio 2.11 against 2.26), and every sidecar ready ~80 ms sooner "
    "(345 against 425): one web process fewer starting on the cores the sidecars need. Its price is "
    "memory: the shared process keeps part of the closed splash page, 6 to 17 MiB at idle (`memory.md`).\n\n"
    "Tried on 2026-12-01, after start-up had gone from 475 to 519 ms with templates, sealed secrets and "
    "retention (the same release shell, the compiled sidecar swapped through `CONVOY_SIDECAR`, launches "
    "taking turns with the empty app; the machine busy with other builds, load 5 to 6, so every figure is "
    "about twice a quiet run's; compare within a row):\n\n"
    "- **where the sidecars' time went**: `RUNBOOK_STARTUP_PROFILE=1` logs each phase of a role's start "
    "(ms and CPU since the process started). Each role spent ~65 ms of CPU before its own code ran: "
    "Bun parsing the whole bundle and evaluating every role's modules (the api's zod schemas and routes "
    "in `migrate` and the worker too), 15–20 ms more per role than before those features; everything "
    "after (database, migrations, Valkey, routes, the worker's X25519 key pair: 0.2 ms) was 5–15 ms;\n"
    "- **each role imports only its own modules** (`main.ts`) and **the executable carries bytecode** "
    "(`bun build --compile --bytecode`, `scripts/compile-sidecar.sh`): kept. CPU from spawn to ready, "
    "each role alone against a real Valkey (median of 8): `migrate` 82 → 51 (lazy) → 26 ms (and "
    "bytecode), the api 80 → 80 → 40, the worker 60 → 50 → 20 (the build of 475 ms: 64, 60, 50). In "
    "the app, 10 rounds: every sidecar ready 1673 → 825 ms, data on screen 2009 → 1343, the empty app "
    "804 (8 rounds at load 5 to 7, lazy imports alone: ready 1319 → 1166, both 949);\n"
    "- **retention's first pass** waits 10 s instead of running before the api answers `/health` (a "
    "large history's first pass would delay it); no effect on a fresh data directory;\n"
    "- **the main window's bundle** grew from 241 to 292 kB with TanStack Query (36 kB, kept: the UI's "
    "server state lives in it), the update banner (5 kB) and Re-run (2 kB), both not on the first "
    "screen and candidates for lazy loading."
)


def reading(data):
    """The prose under "Where the time goes", filled from the figures."""
    s = data["summary"]
    rb_prof, em_prof = data["runbook_profiles"], data["empty_tauri_profiles"]
    if not rb_prof or not em_prof:
        return ""
    rb = {role: statistics.median(e["started"]) for role, e in profile_table(rb_prof)}
    em = {role: statistics.median(e["started"]) for role, e in profile_table(em_prof)}
    # On the same clock as the process start times: from the spawn (the fork).
    rb_total = statistics.median(p["from_spawn_ms"] for p in rb_prof)
    em_total = statistics.median(p["from_spawn_ms"] for p in em_prof)
    pre_main = statistics.median(
        [x["from_spawn_ms"] - x["in_app_ms"] for x in data["runbook"] + data["empty_tauri"]])
    net_rb, net_em = rb.get("WebKitNetworkProcess"), em.get("WebKitNetworkProcess")
    valkey, migrate = rb.get("valkey"), rb.get("sidecar migrate")
    api, worker = rb.get("sidecar api"), rb.get("sidecar worker")
    if None in (net_rb, net_em, valkey, migrate, api, worker):
        return "(The profiled launches missed a process; see startup.json.)"
    def ms(x):
        return f"{x:.0f}"

    lines = [
        f"Both shells spend ~{ms(pre_main)} ms between the spawn and `main()` (exec, loading and linking "
        "GTK, WebKit and their libraries: the difference between the *from spawn* and *in the app* "
        f"figures), and their first ~{ms(net_rb)} ms (Runbook) and ~{ms(net_em)} ms (empty app) before "
        "WebKit's first process appears (that, Tauri's set-up, the first webview). The empty app then "
        f"has its page's DOMContentLoaded at ~{ms(em_total)} ms from the spawn.",
        "",
        "Runbook's launch is a chain (medians of the profiled launches, ms after the shell's start):",
        "",
        "1. the shell creates both windows (the hidden main window, whose React page starts loading, and "
        "the splash, a small static page drawn by the same web process), then starts the supervisor: "
        f"valkey starts at ~{ms(valkey)};",
        f"2. `migrate`, which depends on nothing, starts beside it at ~{ms(migrate)} ({ms(migrate - valkey)} "
        "after valkey: the supervisor starts every sidecar whose dependencies are ready at once);",
        f"3. valkey answers PING and `migrate` creates the database and exits; the api, which needs both, "
        f"starts at ~{ms(api)} ({ms(api - migrate)} after `migrate`);",
        f"4. the api answers `/health`; the worker starts at ~{ms(worker)} ({ms(worker - api)} later);",
        "5. the worker reaches Valkey and prints its ready line; the shell marks start-up ready and shows "
        "the main window, whose page (loaded while hidden) asks for the api endpoint, fetches `/jobs` and "
        f"renders: data on screen at ~{ms(rb_total)} ({ms(rb_total - worker)} after the worker started).",
        "",
        f"The sidecar chain (valkey start → data) takes ~{ms(rb_total - valkey)} ms and starts only after "
        f"~{ms(valkey)} ms of shell and window set-up; each step waits for the one before.",
    ]
    ready, page = s.get("runbook_sidecars_ready_ms"), s.get("runbook_ready_to_data_ms")
    if ready and page:
        lines += [
            "",
            f"In the timed launches every sidecar was ready at a median of {ms(ready['median'])} ms in the app "
            f"(the shell prints the moment), and the data was on screen {ms(page['median'])} ms later "
            f"(median; {ms(page['min'])} to {ms(page['max'])}): the ready event, a React render, one command, "
            "the `/jobs` request (with its CORS preflight) and another render, on busy cores, and whatever of "
            f"the main window's React bundle ({data.get('ui_main_chunk_kb') or '?'} kB) is still loading. "
            "Sidecars ready earlier do not bring "
            "the data earlier (tried, below): the main window's page, loaded on two cores shared with the "
            "sidecars, the splash and the shell, is what decides.",
        ]
    alone = data.get("supervisor_alone")
    if alone:
        lines += [
            "",
            f"The same chain with no webview beside it (`bench/results/supervisor.md`, compiled sidecar, "
            f"first launch) is all ready in {ms(alone['all_ready_ms'])} ms: valkey "
            f"{ms(alone['valkey_ready_ms'])}, `migrate` {ms(alone['migrate_ready_ms'])}, the api "
            f"{ms(alone['api_ready_ms'])}, the worker {ms(alone['worker_ready_ms'])}. In the app, valkey's "
            f"start to the worker's takes {ms(worker - valkey)} ms against "
            f"{ms(alone['valkey_ready_ms'] + alone['migrate_ready_ms'] + alone['api_ready_ms'])} there: "
            "the sidecars start while WebKit's web process parses and runs the main window's React bundle "
            "and draws the splash, all on 2 cores.",
        ]
        if "shell_cpu_ms" in rb_prof[0]:
            rb_cpu, em_cpu = cpu_by_kind(rb_prof), cpu_by_kind(em_prof)
            sidecar_cpu = sum(v for k, v in rb_cpu.items() if k.startswith("sidecar") or k == "valkey")
            lines += [
                "",
                f"The CPU figures say the same: by the milestone Runbook's web process had used "
                f"~{ms(rb_cpu.get('WebKitWebProcess', 0))} ms of CPU (the empty app's one: "
                f"~{ms(em_cpu.get('WebKitWebProcess', 0))} ms), its shell ~{ms(rb_cpu.get('shell', 0))} "
                f"(~{ms(em_cpu.get('shell', 0))}), all its sidecars together only ~{ms(sidecar_cpu)}. "
                "The web process (the main window's JavaScript, layout and software-rendered painting, and "
                "the splash's small page beside it) is the largest cost. The sidecars use little CPU themselves; what lengthens their chain is starting one "
                "after another while sharing 2 cores with those web processes.",
            ]
        lines += [
            "",
            "The last step (worker started → data on screen, "
            f"{ms(rb_total - worker)} ms) is the worker's start (~{ms(alone['worker_ready_ms'])} ms alone), "
            "the ready event, showing the window, and the page's two round trips (shell, then api).",
        ]
    lines += ["", TRIED]
    if not s["aim_met"]:
        lines += [
            "",
            f"The aim (≤ {AIM_RATIO}×) is **missed** ({s['ratio_in_app']:.2f}×): the empty app only shows a "
            "page, Runbook must load a React page, start four processes in dependency order and round-trip "
            "to the api, with a splash window beside it. What could still win time: a lighter main page "
            "(its bundle parsed and run while the sidecars start is the deciding cost: load the panels that "
            "are not on screen lazily, or render the first view without React); a splash shown only when "
            "start-up is slow (a departure from DESIGN's step 1: its window and page still cost part of the "
            "~145 ms measured without it, of which sharing the web process won back ~45).",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
