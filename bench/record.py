"""What every benchmark record shares: the machine that produced it (CPU,
cores, memory, kernel, load, versions, commit) and the summary statistics.
Imported by the *_report.py scripts beside it."""

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
from pathlib import Path


def first_line(*command):
    """The first line a command prints (stdout, else stderr), or None if it cannot run."""
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None


def load_average(work: Path, when):
    """The 1, 5, 15 min load averages the benchmark saved in `loadavg-<when>`."""
    try:
        return [float(x) for x in (work / f"loadavg-{when}").read_text().split()[:3]]
    except (OSError, ValueError):
        return None


def recorded_at(work: Path):
    try:
        return (work / "recorded-at").read_text().strip()
    except OSError:
        return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def memory_gib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def machine_info(work: Path, versions: dict):
    """Date, machine, load before and after (files the benchmark's script wrote
    into `work`), then `versions` (name → version line or path), then the commit."""
    return {
        "date": recorded_at(work),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "kernel": platform.release(),
        "load_average_before": load_average(work, "before"),
        "load_average_after": load_average(work, "after"),
        **versions,
        "git_head": first_line("git", "rev-parse", "--short", "HEAD"),
    }


def stats(samples):
    """Median, p90 (nearest rank), min, max."""
    s = sorted(samples)
    if not s:
        return None
    p90 = s[max(0, math.ceil(0.9 * len(s)) - 1)]
    return {"n": len(s), "median": round(statistics.median(s), 3), "p90": p90, "min": s[0], "max": s[-1]}


def percentile(samples, p):
    """Nearest rank."""
    s = sorted(samples)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)] if s else None


def median(samples):
    return statistics.median(samples) if samples else None


def report_parser(root=False):
    """An argument parser with what every report takes: --work (the benchmark's
    working dir, holding its raw figures), --json and --md (where the record
    goes), and --root (the tree) for those that read it."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    if root:
        parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--md", type=Path, required=True)
    return parser


def write_report(args, data, markdown):
    """Writes the record: `data` as JSON to --json, `markdown` to --md."""
    args.json.write_text(json.dumps(data, indent=2) + "\n")
    args.md.write_text(markdown)
