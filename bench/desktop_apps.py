"""Launching the release builds of Runbook and of the empty Tauri baseline on
an X display, reading the start-up line each app reports, and reading their
process trees from /proc. Shared by startup.py and memory.py (Linux only)."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICK = os.sysconf("SC_CLK_TCK")
# Printed once by each app's `startup_report` command (see the app's
# features/app/startup.rs and bench/baselines/empty-tauri/src/main.rs).
STARTUP_LINE = re.compile(r"convoy:startup (?P<milestone>[a-z-]+)-ms=(?P<ms>[0-9.]+) unix-ms=(?P<unix_ms>[0-9]+)")
# Printed by Runbook when every sidecar is ready, before the main window shows
# (features/app/startup.rs): it tells the sidecars' share of start-up from the page's.
SIDECARS_LINE = re.compile(r"convoy:launch sidecars-ready-ms=(?P<ms>[0-9.]+)")


@dataclass
class App:
    name: str  # "runbook" or "empty-tauri"
    binary: str
    env: dict = field(default_factory=dict)


@dataclass
class Launch:
    app: App
    proc: subprocess.Popen
    spawned_unix_ms: float
    work: Path
    report: Path
    stderr: Path


def launch(app: App, display: str, work_root: Path) -> Launch:
    """Starts `app` on `display` with a fresh data directory of its own."""
    work = Path(tempfile.mkdtemp(prefix=f"{app.name}-", dir=work_root))
    report = work / "startup.txt"
    stderr = work / "stderr.txt"
    env = {
        **os.environ,
        **app.env,
        "DISPLAY": display,
        "CONVOY_STARTUP_REPORT": str(report),
        "CONVOY_DATA_DIR": str(work / "data"),
    }
    # Software rendering under Xvfb, as in the real-webview tests.
    with open(stderr, "wb") as err:
        spawned = time.time() * 1000
        proc = subprocess.Popen([app.binary], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    return Launch(app, proc, spawned, work, report, stderr)


def wait_reported(run: Launch, timeout_s=90.0, on_poll=None):
    """The app's start-up line, parsed: {milestone, in_app_ms, from_spawn_ms},
    and sidecars_ready_ms (in the app) when the app reports it (Runbook)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if on_poll:
            on_poll()
        try:
            text = run.report.read_text()
        except OSError:
            text = ""
        match = STARTUP_LINE.search(text)
        if match:
            result = {
                "milestone": match["milestone"],
                "in_app_ms": float(match["ms"]),
                "from_spawn_ms": round(int(match["unix_ms"]) - run.spawned_unix_ms, 1),
            }
            sidecars = SIDECARS_LINE.search(text)
            if sidecars:
                result["sidecars_ready_ms"] = float(sidecars["ms"])
            return result
        if run.proc.poll() is not None:
            raise RuntimeError(f"{run.app.name} exited ({run.proc.returncode}) before reporting start-up: "
                               f"{tail(run.stderr)}")
        time.sleep(0.005)
    raise RuntimeError(f"{run.app.name} did not report start-up within {timeout_s:.0f} s: {tail(run.stderr)}")


def tail(path: Path, lines=15):
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop(run: Launch, keep=False):
    """SIGTERM to the shell (the app stops its sidecars), then SIGKILL to
    whatever of its tree is left after 15 s; removes the run's files."""
    tree = [run.proc.pid] + descendants(run.proc.pid)
    if run.proc.poll() is None:
        run.proc.send_signal(signal.SIGTERM)
        try:
            run.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            run.proc.kill()
            run.proc.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(alive(pid) for pid in tree):
        time.sleep(0.05)
    left = [pid for pid in tree if alive(pid)]
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if not keep:
        shutil.rmtree(run.work, ignore_errors=True)
    return left


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return False


def stat(pid):
    """(ppid, start time in seconds since boot) or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[19]) / CLOCK_TICK
    except (OSError, IndexError, ValueError):
        return None


def cpu_ms(pid):
    """User + system CPU time the process has used so far, in ms, or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / CLOCK_TICK
    except (OSError, IndexError, ValueError):
        return None


def descendants(root):
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = stat(int(name))
            if st:
                children.setdefault(st[0], []).append(int(name))
    found, queue = [], [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def role(pid):
    """What a process of the app is: shell, WebKit's web or network process, or a sidecar by its role."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        exe = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return "?"
    args = [a.decode(errors="replace") for a in argv if a]
    if exe in ("runbook", "empty-tauri"):
        return "shell"
    if exe.startswith("WebKit"):
        return exe
    if "redis" in exe or "valkey" in exe:
        return "valkey"
    if exe.startswith("runbook-sidecar") or exe == "bun":
        roles = [a for a in args[1:] if a in ("api", "worker", "migrate")]
        return f"sidecar {roles[-1]}" if roles else "sidecar"
    return exe


def smaps_rollup(pid):
    """Pss, Pss_Anon, Pss_File, Pss_Shmem and Rss in kB (smaps_rollup), or None if it is gone."""
    wanted = {"Rss", "Pss", "Pss_Anon", "Pss_File", "Pss_Shmem"}
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in wanted:
                    out[key] = int(rest.split()[0])
    except (OSError, ValueError):
        return None
    return out


def pss_by_mapping(pid, top=10):
    """Where a process's Pss is, from /proc/<pid>/smaps: kB per mapping name
    (a file's base name, [heap], [stack], or "anonymous"), largest first."""
    totals = {}
    name = "anonymous"
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                first = line.split(maxsplit=6)
                if "-" in first[0] and len(first) >= 5 and ":" not in first[0]:
                    path = first[5].strip() if len(first) > 5 else ""
                    name = os.path.basename(path) if path.startswith("/") else (path or "anonymous")
                elif first[0] == "Pss:":
                    totals[name] = totals.get(name, 0) + int(first[1])
    except (OSError, ValueError, IndexError):
        return []
    return sorted(([k, v] for k, v in totals.items() if v), key=lambda kv: -kv[1])[:top]


def add_app_args(parser):
    """The two release apps a desktop benchmark compares, and where they run."""
    parser.add_argument("--runbook", required=True)
    parser.add_argument("--empty", required=True)
    parser.add_argument("--sidecar", required=True)
    parser.add_argument("--display", required=True)


def apps_from(args):
    """Runbook (with its compiled sidecar) and the empty Tauri app, from add_app_args' arguments."""
    return App("runbook", args.runbook, {"CONVOY_SIDECAR": args.sidecar}), App("empty-tauri", args.empty)
