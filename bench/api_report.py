#!/usr/bin/env python3
"""Turns the raw figures bench/api.sh collected (load.json from api_load.mjs,
parts.json from api_parts.ts) into api.json (raw figures + machine info) and
api.md (tables, aims, where the time goes)."""

import json
from pathlib import Path

from record import first_line, machine_info, median, report_parser, stats, write_report

# The issue names no number for these; they are this benchmark's, chosen so a
# desktop UI never waits on its own api: a page of jobs costs well under a
# frame (16 ms at 60 Hz) even with many requests in flight.
AIM_RPS = 10_000
AIM_P99_MS = 10
JOBS_PAGE = "/jobs?limit=20"
TABLE_HEAD = "| measurement | n | median | p90 | min | max |\n|---|---:|---:|---:|---:|---:|"


def fmt(x, digits=None):
    if x is None:
        return "–"
    if digits is not None:
        return f"{x:,.{digits}f}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def row(label, samples, digits=None):
    st = stats([s for s in samples if s is not None])
    if st is None:
        return f"| {label} | 0 | – | – | – | – |"
    return f"| {label} | {st['n']} | " + " | ".join(fmt(st[k], digits) for k in ("median", "p90", "min", "max")) + " |"


def runs_of(load, server, connections, path=None, key="runs"):
    return [r for r in load[key] if r["server"] == server and r["connections"] == connections
            and (path is None or r["path"] == path)]


def core_pct(run, field):
    return 100 * run[field] / (run["duration_s"] * 1000)


def others_cores(run):
    """CPU the rest of the machine used meanwhile: busy cores minus server and load generator."""
    if run["machine_busy_cores"] is None:
        return None
    return max(0.0, run["machine_busy_cores"] - (run["server_cpu_ms"] + run["client_cpu_ms"]) / (run["duration_s"] * 1000))


def summarize(load, parts):
    labels = {s["name"]: s["label"] for s in load["servers"]}
    out = {"servers": {}, "parts_us": {}}
    for server in labels:
        per_c = {}
        for c in load["config"]["connections"]:
            runs = runs_of(load, server, c)
            if not runs:
                continue
            per_c[str(c)] = {
                "path": runs[0]["path"],
                "rps": stats([r["rps"] for r in runs]),
                "latency_p50_ms": stats([r["latency_ms"]["p50"] for r in runs]),
                "latency_p99_ms": stats([r["latency_ms"]["p99"] for r in runs]),
                "server_cpu_us_per_request": stats([r["server_cpu_us_per_request"] for r in runs]),
            }
        out["servers"][server] = {"label": labels[server], "by_connections": per_c}
    for c in load["config"]["connections"]:
        floor = median([r["rps"] for r in runs_of(load, "floor", c)])
        floor_cpu = median([r["server_cpu_us_per_request"] for r in runs_of(load, "floor", c)])
        for server in labels:
            if server == "floor" or str(c) not in out["servers"][server]["by_connections"]:
                continue
            entry = out["servers"][server]["by_connections"][str(c)]
            entry["rps_ratio_to_floor"] = entry["rps"]["median"] / floor if floor else None
            entry["cpu_per_request_ratio_to_floor"] = (
                entry["server_cpu_us_per_request"]["median"] / floor_cpu if floor_cpu else None)
    for part in parts["parts"] if parts else []:
        out["parts_us"][part["name"]] = stats(part["us_per_call"])
    return out


def render(data, smoke):
    m = data["machine"]
    load = data["load"]
    cfg = load["config"]
    labels = {s["name"]: s["label"] for s in load["servers"]}
    apis = [s for s in labels if s != "floor"]
    body = {c["server"] + c["path"]: c["body_bytes"] for c in load["checks"]}
    out = []
    add = out.append
    add("# api benchmark: requests per second of a SQLite-backed read")
    add("")
    if smoke:
        add("**Smoke run** (one short run of each): checks the benchmark works; the figures mean nothing.")
        add("")
    add(f"Recorded {m['date']} by `bash bench/api.sh` at commit {m['git_head']} "
        "(plus any uncommitted changes in the working tree).")
    add("")
    add(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"load average (1, 5, 15 min) before {m['load_average_before']}, after {m['load_average_after']}. "
        f"Bun {m['bun']}; Node {m['node']}; autocannon {m['autocannon']}.")
    add("")
    add(f"autocannon (in one Node process) loads each server on loopback for {cfg['durationSeconds']} s per run, "
        f"{cfg['repetitions']} runs per row, after a {cfg['warmupSeconds']} s warm-up; the servers run side by side "
        "and take turns run by run, so a busy spell on the shared machine does not land on one only. "
        f"The api serves `GET {JOBS_PAGE}` with its bearer token: a page of 20 of the {cfg['seedJobs']} jobs "
        f"seeded through `POST /jobs`, newest first, read from SQLite ({fmt(body.get(apis[0] + JOBS_PAGE), 0)} "
        "bytes of JSON). The floor is a bare `Bun.serve` hello-world (`bench/baselines/hello.ts`, "
        f"{fmt(body.get('floor/'), 0)} bytes). Both api servers read one database. "
        "Latencies are per request as autocannon saw them; server CPU is the server process's user + system "
        "time (all threads, `/proc`) divided by the requests it answered.")
    add("")

    summary = data["summary"]["servers"]
    add("## Aims")
    add("")
    add("| aim | server | median | p90 | × floor (median) | met (median) |")
    add("|---|---|---:|---:|---:|---|")
    verdicts = []
    for server in apis:
        per_c = summary[server]["by_connections"]
        if "10" in per_c:
            st = per_c["10"]["rps"]
            met = st["median"] >= AIM_RPS
            verdicts.append(("rps", server, met, st))
            add(f"| `GET {JOBS_PAGE}`, 10 connections: ≥ {AIM_RPS:,} requests/s | {labels[server]} | "
                f"{fmt(st['median'], 0)} | {fmt(st['p90'], 0)} | {fmt(per_c['10']['rps_ratio_to_floor'])} | "
                f"{'yes' if met else '**no**'} |")
        c_max = str(max(cfg["connections"]))
        if c_max in per_c:
            st = per_c[c_max]["latency_p99_ms"]
            met = st["median"] < AIM_P99_MS
            verdicts.append(("p99", server, met, st))
            add(f"| `GET {JOBS_PAGE}`, {c_max} connections: p99 latency < {AIM_P99_MS} ms | {labels[server]} | "
                f"{fmt(st['median'])} | {fmt(st['p90'])} | – | {'yes' if met else '**no**'} |")
    add("")

    for c in cfg["connections"]:
        add(f"## {c} connections")
        add("")
        add(TABLE_HEAD)
        for server in labels:
            runs = runs_of(load, server, c)
            if not runs:
                continue
            path = runs[0]["path"]
            add(row(f"**{labels[server]}: `GET {path}`, requests/s**", [r["rps"] for r in runs], 0))
            add(row("&nbsp;&nbsp;latency p50, ms", [r["latency_ms"]["p50"] for r in runs]))
            add(row("&nbsp;&nbsp;latency p99, ms", [r["latency_ms"]["p99"] for r in runs]))
            add(row("&nbsp;&nbsp;server CPU per request, µs", [r["server_cpu_us_per_request"] for r in runs]))
            add(row("&nbsp;&nbsp;server CPU, % of one core", [core_pct(r, "server_cpu_ms") for r in runs], 0))
            add(row("&nbsp;&nbsp;load generator CPU, % of one core", [core_pct(r, "client_cpu_ms") for r in runs], 0))
            add(row("&nbsp;&nbsp;everything else on the machine, cores", [others_cores(r) for r in runs]))
            add(row("&nbsp;&nbsp;stolen by the hypervisor, cores", [r.get("machine_steal_cores") for r in runs]))
        for server in apis:
            entry = summary[server]["by_connections"].get(str(c))
            if entry:
                add(f"| {labels[server]} ÷ floor: requests/s | | {fmt(entry['rps_ratio_to_floor'])} | | | |")
                add(f"| {labels[server]} ÷ floor: server CPU per request | | "
                    f"{fmt(entry['cpu_per_request_ratio_to_floor'])} | | | |")
        add("")

    if load["breakdown"]:
        bc = cfg["breakdown"]["connections"]
        shipped = cfg["breakdown"]["targets"][0]["server"]
        add(f"## Breakdown by request ({labels[shipped]}, {bc} connections)")
        add("")
        add("From least to most work: the floor; `GET /health` (guard without token, router, one PRAGMA); "
            "`GET /jobs?limit=1` (token, query validation, a 2-row query); the page of 20. "
            "Medians of the runs.")
        add("")
        add("| request | n | requests/s | latency p50, ms | server CPU per request, µs | response body, bytes |")
        add("|---|---:|---:|---:|---:|---:|")
        rows = [("floor", "/", runs_of(load, "floor", bc))]
        rows += [(shipped, t["path"], runs_of(load, shipped, bc, t["path"], "breakdown"))
                 for t in cfg["breakdown"]["targets"]]
        rows += [(shipped, JOBS_PAGE, runs_of(load, shipped, bc, JOBS_PAGE))]
        for server, path, runs in rows:
            add(f"| {labels[server]}: `GET {path}` | {len(runs)} | {fmt(median([r['rps'] for r in runs]), 0)} | "
                f"{fmt(median([r['latency_ms']['p50'] for r in runs]))} | "
                f"{fmt(median([r['server_cpu_us_per_request'] for r in runs]))} | {fmt(body.get(server + path), 0)} |")
        add("")

    parts = data["parts"]
    if parts:
        add("## In-process parts (no network)")
        add("")
        add("`bench/api_parts.ts` times each part in a loop on one thread, on the same seeded database: "
            "µs per call, each batch about 200 ms.")
        add("")
        add(TABLE_HEAD)
        for part in parts["parts"]:
            add(row(part["what"], part["us_per_call"]))
        add("")

    add("## Where the time goes")
    add("")
    for line in reading(data, verdicts):
        add(f"- {line}")
    add("")
    return "\n".join(out)


def reading(data, verdicts):
    load = data["load"]
    cfg = load["config"]
    labels = {s["name"]: s["label"] for s in load["servers"]}
    apis = [s for s in labels if s != "floor"]
    # The fastest batch: on a shared machine, noise only ever adds time to a tight loop.
    parts = {k: (v["min"] if v else None) for k, v in data["summary"]["parts_us"].items()}
    lines = []
    c = min(cfg["connections"])
    floor_runs = runs_of(load, "floor", c)
    floor_cpu = median([r["server_cpu_us_per_request"] for r in floor_runs])
    floor_client = median([core_pct(r, "client_cpu_ms") for r in floor_runs])
    floor_server = median([core_pct(r, "server_cpu_ms") for r in floor_runs])
    floor_rps = median([r["rps"] for r in floor_runs])
    for server in apis:
        runs = runs_of(load, server, c)
        rps = median([r["rps"] for r in runs])
        cpu = median([r["server_cpu_us_per_request"] for r in runs])
        server_pct = median([core_pct(r, "server_cpu_ms") for r in runs])
        client_pct = median([core_pct(r, "client_cpu_ms") for r in runs])
        lines.append(
            f"**{labels[server]}, {c} connections**: {fmt(rps, 0)} requests/s, {fmt(rps / floor_rps)} of the floor's "
            f"{fmt(floor_rps, 0)}; each request costs the server {fmt(cpu)} µs of CPU against the floor's "
            f"{fmt(floor_cpu)} µs ({fmt(cpu / floor_cpu)}×). The server process ran at {fmt(server_pct, 0)}% of "
            f"a core and autocannon at {fmt(client_pct, 0)}%: "
            + ("the api's single JavaScript thread is the limit, so requests/s ≈ 1 / CPU per request."
               if server_pct >= 85 else
               f"neither is saturated; the machine is (the rest of it used {fmt(median([others_cores(r) for r in runs]))} "
               f"cores meanwhile), so on a quiet machine expect about 1 / CPU per request ≈ {fmt(1e6 / cpu, 0)} "
               "requests/s."))
    if floor_client >= 85:
        lines.append(
            f"**The floor is the load generator's ceiling, not Bun's**: autocannon used {fmt(floor_client, 0)}% of "
            f"a core against the floor's {fmt(floor_server, 0)}%. With {data['machine']['cores']} cores the two "
            f"share the machine, so the floor could answer more: at {fmt(floor_cpu)} µs per request, a core of "
            f"its own would give about {fmt(1e6 / floor_cpu, 0)} requests/s. The requests/s ratio therefore "
            "flatters the api; the CPU-per-request ratio is the fair one.")
    if parts.get("app_jobs_20") is not None:
        whole = parts["app_jobs_20"]
        without_db = parts.get("app_jobs_20_without_sqlite")
        sqlite = parts.get("sqlite")
        sqlite2 = parts.get("sqlite_2_rows")
        mapping = (parts.get("store_page") or 0) - (sqlite or 0)
        shipped = apis[-1]
        wire = median([r["server_cpu_us_per_request"] for r in runs_of(load, shipped, c)])
        text = (f"**Inside the api** (in-process, no network; the fastest batch of each part, as noise only adds): "
                f"`GET {JOBS_PAGE}` takes {fmt(whole)} µs. ")
        if without_db is not None and sqlite is not None:
            in_situ = whole - without_db
            text += (f"Answering the same page from memory instead of SQLite takes {fmt(without_db)} µs, so the "
                     f"database costs {fmt(in_situ)} µs ({fmt(100 * in_situ / whole, 0)}%): "
                     f"the query alone {fmt(sqlite)} µs, turning rows into jobs {fmt(mapping)} µs")
            if in_situ > 1.2 * (sqlite + mapping):
                text += (f" when each runs in a loop of its own; in the request they cost "
                         f"{fmt(in_situ - sqlite - mapping)} µs more (probably the rows' allocations feeding "
                         "the garbage collector, and colder caches; not split further)")
            text += ". "
        if sqlite2 is not None and sqlite is not None:
            per_row = (sqlite - sqlite2) / 19
            text += (f"The query's cost is mostly fixed: {fmt(sqlite2)} µs for 2 rows, {fmt(sqlite)} µs for 21 "
                     f"(about {fmt(per_row)} µs per further row), against {fmt(parts.get('sqlite_pragma'))} µs for "
                     "`PRAGMA user_version`: a read transaction, an index walk and a row lookup per row. ")
        if without_db is not None:
            text += (f"The other {fmt(without_db)} µs are the framework: Hono's routing and context, the guard "
                     f"(its token check {fmt(parts.get('token_check'))} µs), zod's query validation, the cursor, "
                     f"and the JSON response ({fmt(parts.get('json'))} µs of `JSON.stringify`); "
                     f"`GET /health` through the same stack takes {fmt(parts.get('app_health'))} µs. ")
        if wire is not None:
            text += (f"Over the wire the shipped server spends {fmt(wire)} µs of CPU per request against "
                     f"{fmt(whole)} µs in-process: the difference is `Bun.serve`'s HTTP parsing and the socket "
                     "system calls (less the in-process loop's own `new Request`), which is about all the floor "
                     f"does ({fmt(floor_cpu)} µs per request).")
        lines.append(text)
    c_max = max(cfg["connections"])
    if c_max != c:
        for server in apis:
            runs = runs_of(load, server, c_max)
            rps = median([r["rps"] for r in runs])
            rps_c = median([r["rps"] for r in runs_of(load, server, c)])
            p50 = median([r["latency_ms"]["p50"] for r in runs])
            lines.append(
                f"**{labels[server]}, {c_max} connections**: {fmt(rps, 0)} requests/s ({fmt(rps / rps_c)}× the "
                f"figure at {c}), p50 {fmt(p50)} ms: the thread was already busy, so the extra connections queue "
                f"({c_max} in flight ÷ {fmt(rps, 0)}/s = {fmt(1000 * c_max / rps)} ms, close to the p50 measured).")
        if len(apis) == 2:
            a, b = (median([r["server_cpu_us_per_request"] for r in load["runs"] if r["server"] == s]) for s in apis)
            lines.append(
                f"**Under Bun vs compiled**: {fmt(a)} vs {fmt(b)} µs of CPU per request (median over every run): "
                "the same code on the same JIT, so their differences here, either way, are run-to-run noise; "
                "compiling changes start-up (see `coldstart.md`), not the steady state.")
    others = median([others_cores(r) for r in load["runs"] if others_cores(r) is not None])
    if others is not None and others > 0.2:
        lines.append(f"The rest of the machine used {fmt(others)} cores (median over the runs) while these ran: "
                     "the shared machine's other work competed for the 2 cores; the spread between runs is that.")
    for kind, server, met, st in verdicts:
        if not met:
            what = "requests/s" if kind == "rps" else "p99 latency"
            lines.append(f"Missed: {what} of {labels[server]} (median {fmt(st['median'])}). See the split above.")
    return lines


def main():
    parser = report_parser()
    parser.add_argument("--bun", required=True)
    parser.add_argument("--compiled")
    parser.add_argument("--autocannon", required=True, help="autocannon's package.json")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()

    load = json.loads((args.work / "load.json").read_text())
    parts_file = args.work / "parts.json"
    parts = json.loads(parts_file.read_text()) if parts_file.exists() else None
    versions = {
        "bun": first_line(args.bun, "--version"),
        "node": first_line("node", "--version"),
        "autocannon": json.loads(Path(args.autocannon).read_text())["version"],
        "compiled_sidecar": args.compiled,
    }
    data = {"machine": machine_info(args.work, versions), "smoke": args.smoke, "load": load, "parts": parts}
    data["summary"] = summarize(load, parts)
    write_report(args, data, render(data, args.smoke) + "\n")


if __name__ == "__main__":
    main()
