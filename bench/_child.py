"""What every bench script shares: peak memory, and each variant in a process of its own.

Each variant runs in a fresh interpreter so that its peak memory (``ru_maxrss``)
is its own; the child prints one JSON line, the parent reads the last line.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys


def peak_mb() -> float:
    """Peak resident memory of this process in MB (``ru_maxrss`` is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(script: str, variant: str, *args: str) -> dict[str, object]:
    """Run ``script --child variant *args`` in a new interpreter; return its JSON line."""
    command = [sys.executable, script, "--child", variant, *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))
