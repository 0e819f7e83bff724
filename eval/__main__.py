"""``make eval``: run every measurement in ``eval/`` and write ``eval/REPORT.md``.

Each script writes its own Markdown under ``eval/out/``; this runner runs them one by
one (a failing script is reported, not fatal), then joins their reports with the model
and machine they were measured on. It never gates CI.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

EVAL = Path(__file__).resolve().parent
ROOT = EVAL.parent
# Cheap, deterministic measurements first; the ones that drive the embedded model last.
ORDER = [
    "segments",
    "real_segments",
    "value",
    "drift",
    "retrieval",
    "privacy",
    "research",
    "personas",
    "interview",
    "relevance",
    "injection",
]


def main() -> int:
    """Run the scripts, then write ``eval/REPORT.md``. Returns 0 unless none ran."""
    scripts = sorted(EVAL.glob("*.py"), key=_rank)
    scripts = [s for s in scripts if not s.name.startswith("_")]
    results: list[tuple[str, int, float, str]] = []
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    for script in scripts:
        print(f"eval: {script.name} …", flush=True)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        seconds = time.perf_counter() - started
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        results.append((script.stem, done.returncode, seconds, "\n".join(tail)))
        print(f"eval: {script.name} exit {done.returncode} in {seconds:.0f} s", flush=True)
    (EVAL / "REPORT.md").write_text(_report(results), encoding="utf-8")
    print(f"eval: wrote {EVAL / 'REPORT.md'}")
    return 0 if results else 1


def _rank(script: Path) -> tuple[int, str]:
    return (ORDER.index(script.stem) if script.stem in ORDER else len(ORDER), script.stem)


def _report(results: list[tuple[str, int, float, str]]) -> str:
    from persona.config import load_settings
    from persona.llm import describe_provider

    settings = load_settings()
    provider = describe_provider(settings)
    lines = [
        "# Persona Studio — quality report",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}.",
        f"Model: {provider.get('detail', settings.resolved_provider)}.",
        "Everything below is measured by the scripts in `eval/`; nothing is typed in by hand.",
        "Personas, transcripts and briefs measured here are synthetic.",
        "",
        "| script | exit | seconds |",
        "|---|---:|---:|",
    ]
    lines += [f"| `eval/{n}.py` | {code} | {secs:.0f} |" for n, code, secs, _ in results]
    for name, code, _seconds, tail in results:
        report = EVAL / "out" / f"{name}.md"
        lines.append("")
        if code == 0 and report.is_file():
            body = report.read_text(encoding="utf-8").strip()
            lines.append(body.replace("\n# ", "\n## ").replace("# ", "## ", 1))
        else:
            lines += [f"## {name}", "", f"Did not finish (exit {code}):", "", "```", tail, "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
