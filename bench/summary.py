#!/usr/bin/env python3
"""Writes results/summary.md: every benchmark's aims table, one after another,
each with its recording date and a link to its full report. Run by run.sh
after the benchmarks; reads only the reports they wrote."""

import argparse
import re
from pathlib import Path

TITLES = {
    "supervisor": "Supervisor: crash → ready again, launch → all sidecars ready",
    "api": "api: requests/s of a SQLite-backed read against a bare Bun.serve",
    "coldstart": "Sidecar cold start against FastAPI/uvicorn",
    "startup": "Start-up against an empty Tauri app",
    "memory": "Memory (Pss) against an empty Tauri app",
    "ipc": "UI ↔ shell IPC in the real webview",
    "ui": "UI ↔ api, and job output → UI, in the real webview",
}


def section(text, heading):
    """The body of `## heading` up to the next `## `."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match[1].strip() if match else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--results", type=Path, required=True)
    p.add_argument("names", nargs="+")
    args = p.parse_args()
    out = ["# Benchmark summary", "",
           "Each benchmark's aims, as its last recorded run measured them; medians over repeated runs on a "
           "shared machine, each against a baseline measured in the same run. The full tables, the machine, "
           "and where the time (or memory) goes are in each report.", ""]
    for name in args.names:
        path = args.results / f"{name}.md"
        out.append(f"## {TITLES.get(name, name)}")
        out.append("")
        if not path.exists():
            out += ["Not recorded yet.", ""]
            continue
        text = path.read_text()
        recorded = re.search(r"^Recorded (\S+) by `([^`]+)` at commit (\S+)", text, re.M)
        if recorded:
            out.append(f"Recorded {recorded[1]} (`{recorded[2]}`, commit {recorded[3]}). "
                       f"Full report: [{name}.md]({name}.md).")
        else:
            out.append(f"Full report: [{name}.md]({name}.md).")
        out.append("")
        aims = section(text, "Aims")
        out += [aims if aims else "(no aims table)", ""]
    (args.results / "summary.md").write_text("\n".join(out))


if __name__ == "__main__":
    main()
