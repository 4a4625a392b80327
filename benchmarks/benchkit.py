"""What the plugin benchmarks share: a run in a fresh process (so its peak RSS is its own), the
latency proxy's request log counted by operation, start-up time, and the result table.

Each provider benchmark (``bench_aws.py``, ``bench_gcp.py``, ``bench_azure.py``) measures, at
+0 ms and +150 ms per request, the plugin at default settings against a raw 32-thread loop of the
same reads, and prints one :func:`table`.
"""

from __future__ import annotations

import collections
import multiprocessing
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from latency_proxy import latency_proxy, request_lines

__all__ = [
    "Run",
    "by_operation",
    "empty_scan_startup",
    "in_child",
    "latency_proxy",
    "request_lines",
    "startup_seconds",
    "table",
]

RAW_THREADS = 32  # the floor every plugin is compared with: a raw loop on 32 threads


@dataclass
class Run:
    """One measured scan."""

    label: str  # "plugin" or "raw loop"
    delay_ms: float
    buckets: int
    seconds: float
    calls: int  # requests the emulator received (from the proxy's log, or client-side at +0)
    peak_rss_mib: float
    operations: dict[str, int] = field(default_factory=dict)  # requests by operation

    @property
    def per_bucket(self) -> float:
        return self.calls / self.buckets if self.buckets else 0.0


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    result = fn(*args)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    conn.send((result, peak))
    conn.close()


def in_child(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """``fn(*args)`` in a fresh spawned interpreter: (its result, the child's peak RSS in MiB).

    ``fn`` and its result must pickle (a module-level function of the benchmark)."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args))
    proc.start()
    child.close()
    try:
        result, peak = parent.recv()
    except EOFError:
        proc.join()
        raise RuntimeError(f"benchmark child failed (exit code {proc.exitcode})") from None
    proc.join()
    return result, float(peak)


def by_operation(lines: Iterable[str], classify: Callable[[str], str | None]) -> dict[str, int]:
    """Requests by operation: ``classify`` names a logged request line's operation (None: not
    counted, such as the proxy's CONNECT lines)."""
    counts: collections.Counter[str] = collections.Counter()
    for line in lines:
        if line == "CONNECT":
            continue
        name = classify(line)
        if name:
            counts[name] += 1
    return dict(counts.most_common())


def startup_seconds(
    argv: Sequence[str],
    *,
    repeat: int = 3,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> float:
    """The best wall time of ``argv`` (a whole command, e.g. ``residency-audit scan`` of an
    empty estate) over ``repeat`` runs, in ``env`` (default: this one); raises if it fails."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode not in (0, 1):  # 1: findings at or above --fail-on
            raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr}")
        best = min(best, elapsed)
    return best


def empty_scan_startup(*, history: bool = False, repeat: int = 5) -> float:
    """The best wall time of the real ``residency-audit`` console script scanning an empty estate
    (the core's fixture provider with an inventory of no buckets, default reports), so every
    benchmark's start-up figure means the same thing. ``history``: record the scan in the
    default SQLite history, as a user's scan does unless told ``--no-history``.

    Python may write bytecode, as for an installed package (pip compiles it at install): with
    ``PYTHONDONTWRITEBYTECODE`` set, every run would compile the core's own modules from source
    again. The bytecode goes to a cache outside the tree (``PYTHONPYCACHEPREFIX``)."""
    import os
    import tempfile

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "ra-bench-pycache")
    with tempfile.TemporaryDirectory(prefix="ra-startup-") as tmp:
        work = Path(tmp)
        (work / "empty.json").write_text('{"buckets": [], "scopes": []}', encoding="utf-8")
        (work / "scan.toml").write_text(
            '[providers.fixture]\npath = "empty.json"\n', encoding="utf-8"
        )
        cli = Path(sys.executable).with_name("residency-audit")
        argv = [str(cli), "scan", "--config", str(work / "scan.toml")]
        argv += ["-o", str(work / "out"), *(["-q"] if history else ["--no-history", "-q"])]
        return startup_seconds(argv, repeat=repeat, cwd=work, env=env)


def table(title: str, runs: Sequence[Run], *, startup: float | None = None) -> str:
    """The benchmark's result: each run, the plugin/raw ratio per delay, and the calls per bucket
    by operation of the plugin runs."""
    lines = [f"\n{title}", ""]
    lines.append(
        f"{'run':<12}{'+ms':>6}{'buckets':>9}{'seconds':>10}{'calls/bucket':>14}"
        f"{'peak RSS MiB':>14}{'ratio':>8}"
    )
    raw = {r.delay_ms: r for r in runs if r.label == "raw loop"}
    for r in runs:
        floor = raw.get(r.delay_ms)
        ratio = f"{r.seconds / floor.seconds:.2f}x" if floor and r is not floor else ""
        lines.append(
            f"{r.label:<12}{r.delay_ms:>6g}{r.buckets:>9}{r.seconds:>10.2f}"
            f"{r.per_bucket:>14.2f}{r.peak_rss_mib:>14.0f}{ratio:>8}"
        )
    for r in runs:
        if r.label != "raw loop" and r.operations:
            per = ", ".join(f"{op} {n / r.buckets:.3g}" for op, n in r.operations.items())
            lines.append(f"\n{r.label} calls per bucket at +{r.delay_ms:g} ms: {per}")
    if startup is not None:
        lines.append(f"\nstart-up (scan of an empty estate): {startup:.2f} s")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - a library for the benchmarks
    sys.exit("benchkit is imported by bench_aws.py, bench_gcp.py and bench_azure.py")
