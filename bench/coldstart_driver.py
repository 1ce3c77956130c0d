#!/usr/bin/env python3
"""The driver of bench/coldstart.sh (Linux): spawns each server and times exec →
ready, polling as a supervisor would, then stops it; spawns each floor and times
exec → exit. Everything takes turns run by run, after one discarded round that
warms the page cache. Writes every raw figure to one JSON file.

    coldstart_driver.py --bun <bun> --entry <main.ts> [--compiled <exe>]
        --python <venv python> --fastapi-app <app.py>
        --noop <noop.ts> [--noop-compiled <exe>] --first-write <first_write.ts> [--first-write-compiled <exe>]
        --steps <coldstart_steps.ts> --data-dir <migrated dir> --out <file.json> [--runs 20] [--seed 1000]

Servers: the api role compiled and under Bun, and the FastAPI baseline under
uvicorn, all on one database seeded (through the api under Bun) before timing.
Floors, each timed exec → exit: the spawn itself (/bin/true), each runtime doing
nothing (Bun, compiled Bun, the venv's Python), Bun writing one line to stdout,
and each loading its code and stopping there (the sidecar with no role; Python
importing FastAPI and uvicorn). Each round also runs coldstart_steps.ts once
(the api's start-up step by step, under Bun); at the end, `python -X importtime`
splits the baseline's imports by package.

Two readiness figures per server start:
- ready line: its first line matching the ready regex (the sidecar's
  `convoy:ready` on stdout; uvicorn's "Uvicorn running on" on stderr), read
  between probes, so late by up to one probe (a probe that got through waits
  for the answer);
- /health: the first `GET /health` answered 200, tried every POLL_S from the
  moment of exec (a refused connection costs microseconds), which is what the
  shell's probe waits for, and is the same test for every server.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import selectors
import signal
import socket
import subprocess
import time
from pathlib import Path

POLL_S = 0.001
READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(data_dir, port, token):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVOY_")}
    env.update(CONVOY_DATA_DIR=str(data_dir), CONVOY_API_PORT=str(port), CONVOY_API_TOKEN=token,
               CONVOY_STDIN_WATCHDOG="0")
    return env


def health_answered(port):
    """True once GET /health answers 200; False while nothing listens yet."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/health", headers={"Connection": "close"})
        status = conn.getresponse().status
        conn.close()
        return status == 200
    except (ConnectionError, http.client.HTTPException):
        return False


class Server:
    """One start of a server: spawned on construction, timed by wait_ready()."""

    def __init__(self, spec, data_dir, token):
        self.spec = spec
        self.port = free_port()
        self.ready = re.compile(spec["ready_regex"])
        self.output = {"stdout": b"", "stderr": b""}
        self.t0 = time.perf_counter_ns()
        self.proc = subprocess.Popen(spec["command"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env_for(data_dir, self.port, token),
                                     start_new_session=True)

    def elapsed_ms(self):
        return (time.perf_counter_ns() - self.t0) / 1e6

    def wait_ready(self):
        """(exec → ready line, exec → /health 200), in ms."""
        line_ms = health_ms = None
        sel = selectors.DefaultSelector()
        for name in ("stdout", "stderr"):
            stream = getattr(self.proc, name)
            os.set_blocking(stream.fileno(), False)
            sel.register(stream, selectors.EVENT_READ, name)
        deadline = time.monotonic() + READY_TIMEOUT_S
        try:
            while line_ms is None or health_ms is None:
                for key, _ in sel.select(POLL_S):
                    chunk = os.read(key.fileobj.fileno(), 65536)
                    if not chunk:
                        sel.unregister(key.fileobj)
                        continue
                    self.output[key.data] += chunk
                    if line_ms is None and key.data == self.spec["ready_stream"]:
                        text = self.output[key.data].decode(errors="replace")
                        if any(self.ready.search(line) for line in text.splitlines()):
                            line_ms = self.elapsed_ms()
                if health_ms is None and health_answered(self.port):
                    health_ms = self.elapsed_ms()
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.spec['name']} exited {self.proc.returncode} before it was ready")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.spec['name']} was not ready within {READY_TIMEOUT_S} s")
        except Exception as error:
            self.stop()
            tail = (self.output["stdout"] + self.output["stderr"]).decode(errors="replace")[-2000:]
            raise RuntimeError(f"{error}; its output:\n{tail}") from None
        finally:
            sel.close()
        return line_ms, health_ms

    def stop(self):
        """SIGTERM → exit, in ms (SIGKILL after STOP_TIMEOUT_S)."""
        if self.proc.poll() is not None:
            return None
        t = time.perf_counter_ns()
        self.proc.send_signal(signal.SIGTERM)
        try:
            # Drains the pipes too, so a chatty shutdown cannot block on them.
            self.proc.communicate(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.communicate()
            return None
        return (time.perf_counter_ns() - t) / 1e6


def time_floor(spec):
    """exec → exit of a command that exits by itself, in ms."""
    t0 = time.perf_counter_ns()
    code = subprocess.run(spec["command"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode
    ms = (time.perf_counter_ns() - t0) / 1e6
    if code != spec.get("exit_code", 0):
        raise RuntimeError(f"{spec['name']}: {' '.join(spec['command'])} exited {code}")
    return ms


def request(port, token, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body and json.dumps(body), headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def build_spec(args):
    sidecar_ready = {"ready_regex": r"^convoy:ready ", "ready_stream": "stdout"}
    servers = []
    if args.compiled:
        servers.append({"name": "compiled", "label": "sidecar api, compiled",
                        "command": [args.compiled, "api"], **sidecar_ready})
    servers.append({"name": "bun", "label": "sidecar api, under Bun",
                    "command": [args.bun, args.entry, "api"], **sidecar_ready})
    servers.append({"name": "fastapi", "label": "FastAPI baseline, uvicorn",
                    "command": [args.python, args.fastapi_app],
                    "ready_regex": r"Uvicorn running on", "ready_stream": "stderr"})
    floors = [{"name": "spawn", "label": "spawn floor: `/bin/true`", "command": ["/bin/true"]}]
    if args.noop_compiled:
        floors.append({"name": "bun_runtime_compiled", "label": "Bun runtime, compiled: an empty program",
                       "command": [args.noop_compiled]})
    floors.append({"name": "bun_runtime", "label": "Bun runtime: `bun noop.ts`", "command": [args.bun, args.noop]})
    if args.first_write_compiled:
        floors.append({"name": "bun_first_write_compiled",
                       "label": "Bun runtime, compiled, writing one line with `process.stdout.write`",
                       "command": [args.first_write_compiled]})
    floors.append({"name": "bun_first_write", "label": "Bun runtime writing one line: `bun first_write.ts`",
                   "command": [args.bun, args.first_write]})
    if args.compiled:
        floors.append({"name": "sidecar_load_compiled", "label": "sidecar compiled, no role: loads its code, exits 2",
                       "command": [args.compiled], "exit_code": 2})
    floors.append({"name": "sidecar_load_bun", "label": "sidecar under Bun, no role: loads its code, exits 2",
                    "command": [args.bun, args.entry], "exit_code": 2})
    floors.append({"name": "python_runtime", "label": "Python runtime: `python -c pass` (the venv's)",
                   "command": [args.python, "-c", "pass"]})
    floors.append({"name": "python_imports", "label": "Python importing FastAPI, uvicorn and sqlite3",
                   "command": [args.python, "-c", "import fastapi, uvicorn, sqlite3"]})
    return {"servers": servers, "floors": floors, "seed_through": "bun"}


def run_steps(command, data_dir, token):
    """coldstart_steps.ts's marks: ms since its process started, at the end of each step."""
    out = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         env=env_for(data_dir, free_port(), token), check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {out.returncode}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def python_import_times(python, runs=5):
    """`python -X importtime` of the baseline's imports, self time summed per top-level
    package (ms, median of `runs`): which packages its import time is spent in."""
    per_run = []
    for _ in range(runs):
        err = subprocess.run([python, "-X", "importtime", "-c", "import fastapi, uvicorn, sqlite3"],
                             capture_output=True, text=True, check=True).stderr
        totals = {}
        for line in err.splitlines():
            # "import time:       self [us] |  cumulative | imported package"
            fields = line.removeprefix("import time:").split("|")
            if len(fields) != 3 or not fields[0].strip().isdigit():
                continue
            package = fields[2].strip().split(".")[0]
            totals[package] = totals.get(package, 0) + int(fields[0]) / 1000
        per_run.append(totals)
    packages = {p for totals in per_run for p in totals}
    return {p: sorted(t.get(p, 0) for t in per_run)[runs // 2] for p in packages}


def seed_and_compare(spec, data_dir, token, count):
    """Creates `count` jobs through the seeding server, then checks every server
    answers GET /jobs?limit=20 with the same page: the baselines must do the same work."""
    by_name = {s["name"]: s for s in spec["servers"]}
    pages = {}
    for name in [spec["seed_through"]] + [s["name"] for s in spec["servers"] if s["name"] != spec["seed_through"]]:
        server = Server(by_name[name], data_dir, token)
        server.wait_ready()
        try:
            if name == spec["seed_through"]:
                for i in range(count):
                    status, _ = request(server.port, token, "POST", "/jobs",
                                        {"command": f"make test SHARD={i % 16} # job {i} of the benchmark seed"})
                    if status != 201:
                        raise RuntimeError(f"seeding: POST /jobs answered {status}")
            status, page = request(server.port, token, "GET", "/jobs?limit=20")
            if status != 200:
                raise RuntimeError(f"{name}: GET /jobs?limit=20 answered {status}: {page[:300]!r}")
            pages[name] = json.loads(page)
        finally:
            server.stop()
    first = pages[spec["seed_through"]]
    for name, page in pages.items():
        if page != first:
            raise RuntimeError(f"{name} answers GET /jobs?limit=20 differently from {spec['seed_through']}")
    return {name: len(json.dumps(page, separators=(",", ":"))) for name, page in pages.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bun", required=True)
    parser.add_argument("--entry", required=True)
    parser.add_argument("--compiled")
    parser.add_argument("--python", required=True)
    parser.add_argument("--fastapi-app", required=True)
    parser.add_argument("--noop", required=True)
    parser.add_argument("--noop-compiled")
    parser.add_argument("--first-write", required=True)
    parser.add_argument("--first-write-compiled")
    parser.add_argument("--steps", required=True, help="coldstart_steps.ts, run under Bun")
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1000)
    args = parser.parse_args()
    spec = build_spec(args)
    token = secrets.token_hex(32)

    print(f"seed {args.seed} jobs through {spec['seed_through']}; check every server answers the same page",
          flush=True)
    page_bytes = seed_and_compare(spec, args.data_dir, token, args.seed)

    figures = {"phase": "coldstart", "spec": spec, "runs_per_item": args.runs, "seed_jobs": args.seed,
               "page_bytes": page_bytes, "poll_ms": POLL_S * 1000,
               "servers": {s["name"]: {"ready_line_ms": [], "health_ms": [], "stop_ms": []} for s in spec["servers"]},
               "floors": {f["name"]: {"exit_ms": []} for f in spec["floors"]},
               "steps": [], "python_import_ms": None}
    # Round 0 warms the page cache and is discarded.
    for round_no in range(args.runs + 1):
        for server_spec in spec["servers"]:
            server = Server(server_spec, args.data_dir, token)
            line_ms, health_ms = server.wait_ready()
            stop_ms = server.stop()
            if round_no > 0:
                record = figures["servers"][server_spec["name"]]
                record["ready_line_ms"].append(line_ms)
                record["health_ms"].append(health_ms)
                record["stop_ms"].append(stop_ms)
        for floor in spec["floors"]:
            ms = time_floor(floor)
            if round_no > 0:
                figures["floors"][floor["name"]]["exit_ms"].append(ms)
        steps = run_steps([args.bun, args.steps], args.data_dir, token)
        if round_no > 0:
            figures["steps"].append(steps)
        if round_no > 0:
            summary = ", ".join(f"{name} {r['health_ms'][-1]:.0f}" for name, r in figures["servers"].items())
            print(f"[{round_no}/{args.runs}] exec → /health, ms: {summary}", flush=True)
    figures["python_import_ms"] = python_import_times(args.python)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
