"""What the desktop benchmarks (startup.py, memory.py, ipc_report.py) write
beside the figures: the machine, its load, and the versions of everything
the apps run on."""

import re
import subprocess
from pathlib import Path

from record import first_line, machine_info


def dpkg_version(package):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                             capture_output=True, text=True, timeout=30)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def locked_version(root: Path, crate):
    """The version of `crate` in Cargo.lock."""
    lock = (root / "Cargo.lock").read_text()
    match = re.search(r'name = "' + re.escape(crate) + r'"\nversion = "([^"]+)"', lock)
    return match[1] if match else None


def desktop_machine(work: Path, root: Path, extra=None):
    return machine_info(work, {
        "rustc": first_line("rustc", "--version"),
        "tauri": locked_version(root, "tauri"),
        "wry": locked_version(root, "wry"),
        "webkit2gtk": dpkg_version("libwebkit2gtk-4.1-0"),
        "xvfb": dpkg_version("xvfb"),
        **(extra or {}),
    })


def machine_line(m):
    load = (f"load average (1, 5, 15 min) before {m['load_average_before']}, "
            f"after {m['load_average_after']}")
    return (f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, {load}. "
            f"{m['rustc']}; Tauri {m['tauri']} (wry {m['wry']}); WebKitGTK {m['webkit2gtk']}; "
            f"Xvfb {m['xvfb']}.")


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
