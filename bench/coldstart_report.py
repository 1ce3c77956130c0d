#!/usr/bin/env python3
"""Turns the raw figures bench/coldstart.sh collected (starts.json from
coldstart_driver.py) into coldstart.json (raw figures + machine info) and
coldstart.md (tables, aims, where the time goes)."""

import json
from pathlib import Path

from record import first_line, machine_info, median, report_parser, stats, write_report

# The issue names no number; this is the benchmark's: the api is one of three
# sidecar starts in series before Runbook's window opens, and the supervisor
# benchmark's aim for all of them is 300 ms.
AIM_READY_MS = 100
TABLE_HEAD = "| measurement | n | median | p90 | min | max |\n|---|---:|---:|---:|---:|---:|"


def fmt(x):
    if x is None:
        return "–"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}"


def row(label, samples):
    st = stats([s for s in samples if s is not None])
    if st is None:
        return f"| {label} | 0 | – | – | – | – |"
    return f"| {label} | {st['n']} | " + " | ".join(fmt(st[k]) for k in ("median", "p90", "min", "max")) + " |"


def summarize(starts):
    servers = starts["servers"]
    out = {"servers": {}, "floors": {}}
    for name, r in servers.items():
        out["servers"][name] = {
            "health_ms": stats(r["health_ms"]),
            "ready_line_ms": stats(r["ready_line_ms"]),
            "stop_ms": stats([s for s in r["stop_ms"] if s is not None]),
        }
    base = median(servers["fastapi"]["health_ms"])
    for name in servers:
        out["servers"][name]["health_ratio_to_fastapi"] = median(servers[name]["health_ms"]) / base
    for name, r in starts["floors"].items():
        out["floors"][name] = stats(r["exit_ms"])
    return out


def render(data, smoke):
    m = data["machine"]
    starts = data["starts"]
    spec = starts["spec"]
    labels = {s["name"]: s["label"] for s in spec["servers"] + spec["floors"]}
    servers = starts["servers"]
    floors = starts["floors"]
    summary = data["summary"]["servers"]
    out = []
    add = out.append
    add("# Cold start benchmark: sidecar exec → ready")
    add("")
    if smoke:
        add("**Smoke run** (each start once): checks the benchmark works; the figures mean nothing.")
        add("")
    add(f"Recorded {m['date']} by `bash bench/coldstart.sh` at commit {m['git_head']} "
        "(plus any uncommitted changes in the working tree).")
    add("")
    add(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"load average (1, 5, 15 min) before {m['load_average_before']}, after {m['load_average_after']}. "
        f"Bun {m['bun']}; {m['python']}; {m['baseline_packages']}.")
    add("")
    add(f"All times in milliseconds, {starts['runs_per_item']} starts of each, everything taking turns start by "
        "start after one discarded round (so files are in the page cache: a process cold start, not a cold "
        "disk). Each server starts on the same SQLite database (migrated, "
        f"{starts['seed_jobs']} jobs seeded through the api; every server was checked to answer "
        "`GET /jobs?limit=20` with the same page), with the api's environment (data dir, port, token). "
        "**exec → /health** is the headline: from just before the spawn to the first `GET /health` answered "
        f"200, tried every {starts['poll_ms']:g} ms from the spawn on, the same test for every server. "
        "**exec → ready line** is the server's own word (the sidecar's `convoy:ready` on stdout, uvicorn's "
        "\"Uvicorn running on\" on stderr). The FastAPI baseline is `bench/baselines/fastapi/app.py` run by "
        "the venv's Python as the templates run it (`uvicorn.run(app)` in `__main__`).")
    add("")

    add("## Aims")
    add("")
    add("| aim | server | median | p90 | ÷ FastAPI (median) | met (median) |")
    add("|---|---|---:|---:|---:|---|")
    verdicts = []
    for name in ("compiled", "bun"):
        if name not in summary:
            continue
        st = summary[name]["health_ms"]
        ratio = summary[name]["health_ratio_to_fastapi"]
        if name == "compiled":
            # As shipped; under Bun is development only.
            met = st["median"] < AIM_READY_MS
            verdicts.append((f"exec → /health < {AIM_READY_MS} ms", name, met, st))
            add(f"| exec → /health < {AIM_READY_MS} ms | {labels[name]} | {fmt(st['median'])} | "
                f"{fmt(st['p90'])} | {ratio:.2f} | {'yes' if met else '**no**'} |")
        faster = ratio < 1
        verdicts.append(("faster than the FastAPI baseline", name, faster, st))
        add(f"| faster than the FastAPI baseline | {labels[name]} | {fmt(st['median'])} | {fmt(st['p90'])} | "
            f"{ratio:.2f} | {'yes' if faster else '**no**'} |")
    add("")

    add("## Servers")
    add("")
    add(TABLE_HEAD)
    for name, r in servers.items():
        add(row(f"**{labels[name]}: exec → /health**", r["health_ms"]))
        add(row("&nbsp;&nbsp;exec → ready line", r["ready_line_ms"]))
        add(row("&nbsp;&nbsp;SIGTERM → exit (for the record)", r["stop_ms"]))
    add("")

    add("## Floors (exec → exit)")
    add("")
    add(TABLE_HEAD)
    for name, r in floors.items():
        add(row(labels[name], r["exit_ms"]))
    add("")

    add("## Where the time goes")
    add("")
    add("Each start split by the floors above. The pieces are differences between the fastest of each "
        "floor's and each server's starts: on a shared machine noise only adds time, so the minimums are "
        "the steadiest estimates (medians would be the same split, blurred). The floors are timed to their "
        "exit, so each includes its process's teardown, and the piece after it is understated by that much. "
        "Estimates, not measurements of their own:")
    add("")
    add("| piece | " + " | ".join(labels[n] for n in servers) + " |")
    add("|---|" + "---:|" * len(servers))
    for piece, values in split(starts).items():
        add(f"| {piece} | " + " | ".join(fmt(values.get(n)) for n in servers) + " |")
    add("")
    increments = step_increments(starts.get("steps", []))
    if increments:
        add("The api's start-up under Bun, step by step (`bench/coldstart_steps.ts`: the steps of `main.ts api`, "
            "the imports one layer at a time, each step's own duration):")
        add("")
        add(TABLE_HEAD)
        for name, durations in increments:
            add(row(name, durations))
        add(row("**total, process start → ready line out**", [run[list(run)[-1]] for run in starts["steps"]]))
        add("")
    imports = starts.get("python_import_ms") or {}
    if imports:
        top = sorted(imports.items(), key=lambda kv: -kv[1])[:8]
        add("The FastAPI baseline's imports by package (`python -X importtime -c \"import fastapi, uvicorn, "
            "sqlite3\"`, self time summed per top-level package, median of 5): "
            + ", ".join(f"{k} {fmt(v)} ms" for k, v in top) + f"; all packages {fmt(sum(imports.values()))} ms.")
        add("")
    for line in reading(data, verdicts):
        add(f"- {line}")
    add("")
    return "\n".join(out)


def split(starts):
    """Exec → /health as spawn + runtime + the first stdout write + loading the code + the role's
    own start-up, each the difference of two floors' fastest starts: on a shared machine noise
    only adds time, so the minimums are the steadiest estimates (differences of medians can
    even come out negative)."""
    f = {name: min(r["exit_ms"]) for name, r in starts["floors"].items()}
    s = {name: min(r["health_ms"]) for name, r in starts["servers"].items()}
    # Per server: (runtime doing nothing, runtime writing one line, code loaded).
    floors = {"compiled": ("bun_runtime_compiled", "bun_first_write_compiled", "sidecar_load_compiled"),
              "bun": ("bun_runtime", "bun_first_write", "sidecar_load_bun"),
              "fastapi": ("python_runtime", None, "python_imports")}
    spawn = f.get("spawn")
    pieces = {PIECE_SPAWN: {}, PIECE_RUNTIME: {}, PIECE_WRITE: {}, PIECE_LOAD: {}, PIECE_ROLE: {}, PIECE_TOTAL: {}}
    for name in s:
        runtime, write, loaded = (f.get(k) if k else None for k in floors[name])
        if runtime is None or loaded is None:
            continue
        pieces[PIECE_SPAWN][name] = spawn
        pieces[PIECE_RUNTIME][name] = runtime - spawn
        if write is not None:
            pieces[PIECE_WRITE][name] = write - runtime
        pieces[PIECE_LOAD][name] = loaded - (write if write is not None else runtime)
        pieces[PIECE_ROLE][name] = s[name] - loaded
        pieces[PIECE_TOTAL][name] = s[name]
    return pieces


STEP_FIRST_WRITE = "the ready line: the process's first process.stdout.write"
PIECE_SPAWN = "spawn (`/bin/true`)"
PIECE_RUNTIME = "runtime start, doing nothing"
PIECE_WRITE = "the first `process.stdout`/`stderr` write"
PIECE_LOAD = "loading the code (modules, imports)"
PIECE_ROLE = "the role's own start-up, to /health answered"
PIECE_TOTAL = "**exec → /health, the fastest start**"


def step_increments(steps):
    """Per step of coldstart_steps.ts: the median over runs of its own duration (ms)."""
    if not steps:
        return []
    names = list(steps[0])
    out = []
    for i, name in enumerate(names):
        durations = [run[name] - (run[names[i - 1]] if i else 0) for run in steps]
        out.append((name, durations))
    return out


def reading(data, verdicts):
    starts = data["starts"]
    servers = starts["servers"]
    parts = split(starts)
    load, role, runtime, write = parts[PIECE_LOAD], parts[PIECE_ROLE], parts[PIECE_RUNTIME], parts[PIECE_WRITE]
    h = {name: median(r["health_ms"]) for name, r in servers.items()}
    fastest = parts[PIECE_TOTAL]
    lines = []
    for name in ("compiled", "bun"):
        if name not in h or name not in load:
            continue
        total = fastest[name]
        lines.append(
            f"**Sidecar, {name}**: {fmt(h[name])} ms to /health (median), {h[name] / h['fastapi']:.2f} of FastAPI's "
            f"{fmt(h['fastapi'])} ms. Its fastest start, {fmt(total)} ms: the Bun runtime itself "
            f"{fmt(runtime[name])} ms, loading the sidecar's modules {fmt(load[name])} ms "
            f"({100 * load[name] / total:.0f}%), the process's first write to stdout or stderr "
            f"{fmt(write.get(name))} ms ({100 * (write.get(name) or 0) / total:.0f}%), the api role's own work "
            f"{fmt(role[name])} ms (reading the environment, SQLite, `createApp`, `Bun.serve`, and serving the "
            "first request, cold).")
    inc = dict(step_increments(starts.get("steps", [])))
    if inc:
        med = {k: median(v) for k, v in inc.items()}
        imports = {k: v for k, v in med.items() if k.startswith("import ")}
        top = sorted(imports.items(), key=lambda kv: -kv[1])
        lines.append(
            "**Step by step under Bun** (`coldstart_steps.ts`, table above): the imports take "
            f"{fmt(sum(imports.values()))} ms — " + ", ".join(f"{k.removeprefix('import ')} {fmt(v)}" for k, v in top)
            + " — while the role's own steps are small: the environment "
            f"{fmt(med.get('read the environment'))} ms, SQLite {fmt(med.get('open SQLite (WAL, pragmas) and check the schema'))} ms, "
            f"`createApp` {fmt(med.get('createApp (guard, routes, OpenAPI registry)'))} ms, `Bun.serve` "
            f"{fmt(med.get('Bun.serve listening'))} ms; the first request costs "
            f"{fmt(med.get('the first request, in-process: GET /health'))} ms (cold code, and Hono builds its "
            "router on first use) where a warm one costs microseconds. The surprise is the ready line: the process's first "
            f"`process.stdout.write` costs {fmt(med.get(STEP_FIRST_WRITE))} ms, "
            "because Bun sets up the Node-compatible stream behind `process.stdout`/`process.stderr` on first use "
            "(the floors agree: one line from an otherwise empty program costs that much more than nothing; "
            "a second write, or `console.log`, costs microseconds). The sidecar pays it once per start, on the "
            "critical path (its ready line and its log lines both go through those streams).")
    if "compiled" in h and "bun" in h:
        lines.append(
            f"**Compiled vs under Bun**: {fmt(h['bun'] - h['compiled'])} ms apart (medians); between the fastest "
            f"starts, loading the code differs by {fmt(load['bun'] - load['compiled'])} ms, the runtime by "
            f"{fmt(runtime['bun'] - runtime['compiled'])}, the first write by "
            f"{fmt((write.get('bun') or 0) - (write.get('compiled') or 0))}, the role's own work by "
            f"{fmt(role['bun'] - role['compiled'])}. `bun build --compile --minify` ships one pre-bundled, "
            "minified script, where `bun main.ts` resolves each TypeScript file and package at start "
            "(from Bun's transpiler cache: this is the warm figure).")
    if "fastapi" in load:
        imports = starts.get("python_import_ms") or {}
        top = sorted(imports.items(), key=lambda kv: -kv[1])[:5]
        lines.append(
            f"**FastAPI baseline**: {fmt(h['fastapi'])} ms to /health (median); its fastest start, "
            f"{fmt(fastest['fastapi'])} ms: Python {fmt(runtime['fastapi'])} ms, "
            f"importing FastAPI, uvicorn and sqlite3 {fmt(load['fastapi'])} ms "
            f"({100 * load['fastapi'] / fastest['fastapi']:.0f}%"
            + (": by `python -X importtime`, mostly " + ", ".join(f"{k} {fmt(v)}" for k, v in top) if top else "")
            + f"), then {fmt(role['fastapi'])} ms for the app module (SQLite, building the routes' pydantic "
            "models) and uvicorn's start-up (event loop, lifespan, bind). The templates ship it frozen "
            "(PyInstaller one-file), which unpacks the bundle on every start first: this venv form is the "
            "baseline's best case.")
    for label, name, met, st in verdicts:
        if not met:
            lines.append(f"Missed: {label} ({name}, median {fmt(st['median'])} ms). The split above says where: "
                         "loading the code and the first stdout write, not the api's own work.")
    lines.append(
        f"The spawn itself costs {fmt(median(starts['floors']['spawn']['exit_ms']))} ms (median) from this Python driver "
        f"(`/bin/true`); /health is tried every {starts['poll_ms']:g} ms, so each figure may include up to that "
        "much waiting.")
    return lines


def main():
    parser = report_parser()
    parser.add_argument("--bun", required=True)
    parser.add_argument("--python", required=True, help="the baseline venv's python")
    parser.add_argument("--requirements", required=True, type=Path)
    parser.add_argument("--compiled")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()

    starts = json.loads((args.work / "starts.json").read_text())
    pins = [line.strip() for line in args.requirements.read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    wanted = ("fastapi==", "uvicorn==", "starlette==", "pydantic==")
    versions = {
        "bun": first_line(args.bun, "--version"),
        "python": first_line(args.python, "--version"),
        "baseline_packages": ", ".join(p for p in pins if p.startswith(wanted)),
        "baseline_requirements": pins,
        "compiled_sidecar": args.compiled,
    }
    data = {"machine": machine_info(args.work, versions), "smoke": args.smoke, "starts": starts}
    data["summary"] = summarize(starts)
    write_report(args, data, render(data, args.smoke) + "\n")


if __name__ == "__main__":
    main()
