"""Memory benchmark: peak RSS and time of a whole ``residency-audit scan`` of N buckets (issue 14,
part 4: <= 120 MiB at 2,000 buckets, <= 400 MiB at 100,000).

Each run is a fresh spawned process (``benchkit.in_child``), so its peak RSS is its own. In it
the real CLI runs ``scan`` as a user runs it -- config loaded, the collector in ``scan.py`` with
its thread pool, the catalog, the rules, the scan history (SQLite beside the reports, as by
default) and every report a default scan writes (JSON, CSV, HTML; ``--xlsx`` adds the workbook)
-- against a synthetic provider instead of a cloud. The provider yields the demo estate's
buckets (``fixtures/estates/demo.json``: AWS, Google Cloud and Azure; primaries, replicas, keys,
backup copies, multi-region members, public access, tags, gaps) cloned with unique names across
the estate's scopes, one at a time, as a plugin does: nothing is held before the collector.

The only stand-in is the provider's lookup: the child makes ``build_providers`` find the
synthetic provider under the name ``synthetic`` (a benchmark registers no entry point).
Not run by the tests.

    .venv/bin/python benchmarks/bench_memory.py --n 2000 100000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from benchkit import in_child

from residency_audit.model import Bucket, CoverageNote, Inventory
from residency_audit.plugins import Scope

ROOT = Path(__file__).resolve().parent.parent
DEMO_ESTATE = ROOT / "fixtures" / "estates" / "demo.json"
TARGETS_MIB = {2_000: 120.0, 100_000: 400.0}  # issue 14, part 4


class SyntheticProvider:
    """The demo estate's buckets cloned to ``n``, spread over its scopes, made one at a time."""

    name: ClassVar[str] = "synthetic"

    def __init__(self, n: int) -> None:
        demo = Inventory.model_validate_json(DEMO_ESTATE.read_text(encoding="utf-8"))
        # as a plugin yields them: not yet resolved to countries, not yet classified
        self._templates = [
            b.model_copy(
                update={
                    "locations": tuple(
                        loc.model_copy(update={"resolution": None}) for loc in b.locations
                    ),
                    "classification": None,
                    "classification_source": None,
                }
            )
            for b in demo.buckets
        ]
        self._scopes = sorted({(b.provider, b.scope) for b in self._templates})
        self._n = n

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> SyntheticProvider:
        return cls(int(settings["n"]))

    def scopes(self) -> Iterable[Scope]:
        return [Scope(provider=p, id=s, name=f"{p} {s}") for p, s in self._scopes]

    def buckets(self, scope: Scope) -> Iterator[Bucket | CoverageNote]:
        for i in range(self._n):
            t = self._templates[i % len(self._templates)]
            if (t.provider, t.scope) == (scope.provider, scope.id):
                suffix = f"-{i:06d}"
                yield t.model_copy(update={"name": t.name + suffix, "uid": t.uid + suffix})

    def required_permissions(self) -> Sequence[str]:
        return ()

    def permission_policy(self) -> Mapping[str, Any]:
        return {}


def _scan(n: int, history: bool, xlsx: bool, runs: int = 1) -> dict[str, Any]:
    """In the child: ``runs`` scans of ``n`` synthetic buckets into one output directory (with
    history, every run after the first judges against the one before, as a scheduled scan
    does: its open tracks are read back), the last one timed."""
    from residency_audit import cli
    from residency_audit import scan as scan_module

    real = scan_module.load_provider_class

    def lookup(name: str) -> Any:
        return SyntheticProvider if name == "synthetic" else real(name)

    scan_module.load_provider_class = lookup  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        formats = '["json", "csv", "html", "xlsx"]' if xlsx else '["json", "csv", "html"]'
        (work / "scan.toml").write_text(
            f"[providers.synthetic]\nn = {n}\n\n[output]\nformats = {formats}\n",
            encoding="utf-8",
        )
        argv = ["scan", "--config", str(work / "scan.toml"), "-o", str(work / "out"), "-q"]
        if not history:
            argv.append("--no-history")
        for _ in range(runs):
            start = time.perf_counter()
            try:
                cli.cli.main(args=argv, prog_name="residency-audit", standalone_mode=False)
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
            seconds = time.perf_counter() - start
            if code not in (0, 1):
                raise RuntimeError(f"scan of {n} buckets exited {code}")
        out = work / "out"
        sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()}
    return {"seconds": seconds, "sizes": sizes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[2_000, 100_000])
    parser.add_argument("--repeat", type=int, default=2, help="runs per N (the figures vary)")
    parser.add_argument("--no-history", action="store_true", help="scan with --no-history")
    parser.add_argument("--xlsx", action="store_true", help="write the workbook too")
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="scans into one output directory per figure (2: the second judges against the "
        "first's history, as every scheduled scan after the first does; peak RSS is of all)",
    )
    args = parser.parse_args()
    history = not args.no_history
    print(f"machine: {os.cpu_count()} CPUs; history {'on' if history else 'off'}; "
          f"formats json, csv, html{', xlsx' if args.xlsx else ''}; "
          f"{args.runs} scan(s) a figure, the last timed")  # fmt: skip
    print(f"\n{'buckets':>9}{'seconds':>10}{'peak RSS MiB':>14}{'target':>9}  load average")
    for n in args.n:
        for _ in range(args.repeat):
            got, peak = in_child(_scan, n, history, args.xlsx, args.runs)
            target = TARGETS_MIB.get(n)
            verdict = "" if target is None else f"{target:g}{'' if peak <= target else ' OVER'}"
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"{n:>9}{got['seconds']:>10.1f}{peak:>14.0f}{verdict:>9}  {load}", flush=True)
        mb = ", ".join(f"{name} {size / 1e6:.1f}" for name, size in got["sizes"].items())
        print(f"{'':>9}  files (MB): {mb}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
