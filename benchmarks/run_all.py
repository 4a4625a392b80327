"""`make bench`: every benchmark, one after the other, with its own defaults (N=2,000 buckets for
the plugins, 20,000 for the report, 2,000 and 100,000 for memory). Pass --quick for a short smoke
run of each (N=200)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK = {
    "bench_aws.py": ["--n", "200"],
    "bench_gcp.py": ["--n", "200"],
    "bench_azure.py": ["--n", "200"],
    "bench_report.py": ["--buckets", "500"],
    "bench_faults.py": ["--n", "40", "--read-timeout", "2", "--stall", "5"],
    "bench_history_size.py": ["--buckets", "500"],
    "bench_startup.py": ["--repeat", "2"],
    "bench_memory.py": ["--n", "200", "--repeat", "1"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small N for a smoke run")
    args = parser.parse_args()
    failed = []
    for script, quick_args in QUICK.items():
        print(f"== {script}", flush=True)
        extra = quick_args if args.quick else []
        if subprocess.run([sys.executable, str(HERE / script), *extra]).returncode != 0:
            failed.append(script)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
