"""Start-up benchmark: ``residency-audit scan`` of an empty estate (issue 14, part 4: <= 0.6 s).

The real console script in the venv scans the core's fixture provider with an inventory of no
buckets and writes the default reports (JSON, CSV, HTML) as a user gets them -- best of
``--repeat`` wall times, with ``--no-history`` (as the plugin benchmarks measure it) and with the
default SQLite history beside the reports (every run after the first: the history exists). Python
may write bytecode, as for an installed package (see ``benchkit.empty_scan_startup``). Then one run
under ``python -X importtime`` names the costliest imports: by top-level package (self time summed)
and by module (cumulative).
Not run by the tests.

    .venv/bin/python benchmarks/bench_startup.py
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchkit import empty_scan_startup

TARGET_S = 0.6  # issue 14, part 4
EMPTY_INVENTORY = '{"buckets": [], "scopes": []}'

# the CLI as its console script starts it, so -X importtime sees every import a user's run makes
RUN_CLI = (
    "import sys; from residency_audit.cli import main; sys.argv[0] = 'residency-audit'; main()"
)


def import_times(history: bool) -> list[tuple[str, int, int]]:
    """(module, self µs, cumulative µs) of every import of one empty-estate scan: the second
    into the same directory (the history, if any, exists), with bytecode as ``benchkit`` has it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "ra-bench-pycache")
    with tempfile.TemporaryDirectory(prefix="ra-importtime-") as tmp:
        work = Path(tmp)
        (work / "empty.json").write_text(EMPTY_INVENTORY, encoding="utf-8")
        (work / "scan.toml").write_text('[providers.fixture]\npath = "empty.json"\n')
        argv = [sys.executable, "-X", "importtime", "-c", RUN_CLI, "scan"]
        argv += ["--config", "scan.toml", "-o", "out", "-q"]
        argv += [] if history else ["--no-history"]
        for _ in range(2):
            done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True)
            if done.returncode not in (0, 1):
                raise RuntimeError(f"scan failed ({done.returncode}): {done.stderr[-2000:]}")
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, total, name = line.removeprefix("import time:").split("|")
        rows.append((name.strip(), int(own), int(total)))
    return rows


def offenders(rows: list[tuple[str, int, int]], top: int) -> str:
    by_package: collections.Counter[str] = collections.Counter()
    for name, own, _ in rows:
        by_package[name.split(".")[0]] += own
    total = sum(by_package.values())
    lines = [f"imports: {len(rows)} modules, {total / 1e6:.2f} s of import time in all"]
    lines.append("  by package (self time summed):")
    lines += [f"    {us / 1e3:7.0f} ms  {pkg}" for pkg, us in by_package.most_common(top)]
    lines.append("  by module (cumulative):")
    ranked = sorted(rows, key=lambda r: -r[2])[:top]
    lines += [f"    {cum / 1e3:7.0f} ms  {name}" for name, _, cum in ranked]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    for history in (False, True):
        label = "with the default history" if history else "--no-history"
        best = empty_scan_startup(history=history, repeat=args.repeat)
        verdict = "ok" if best <= TARGET_S else "OVER"
        print(f"\nscan of an empty estate, {label}: best of {args.repeat} {best:.2f} s "
              f"(target <= {TARGET_S:g} s: {verdict}; "
              f"load average {os.getloadavg()[0]:.2f})")  # fmt: skip
        print(offenders(import_times(history), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
