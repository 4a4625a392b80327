"""`make demo`: a full scan of the bundled demo estate, served by local emulators.

For each provider whose plugin is installed and has a demo backend here (`demo/<p>_backend.py`),
the backend starts the local emulator(s) (moto_server, gcp-storage-emulator, Azurite + an ARM stub),
seeds that provider's part of the estate from `fixtures/demo/<p>.json`, and yields the plugin
settings that point at them. Providers without a backend are served from the normalized estate
`fixtures/estates/demo.json` by the core's `fixture` provider. Then the real CLI runs
`residency-audit scan` over all of them and writes the reports; an English copy of the report is
made offline with `residency-audit evaluate`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ESTATE = ROOT / "fixtures" / "estates" / "demo.json"
PROVIDERS = ("aws", "gcp", "azure")
EXIT_TEXT = {
    0: "no findings at or above high",
    1: "findings at or above high",
    3: "scan incomplete",
}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _table(name: str, settings: dict[str, Any]) -> str:
    lines = [f"[providers.{name}]"]
    lines += [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in settings.items()]
    return "\n".join(lines)


def _live_backend(provider: str) -> Any | None:
    """The demo backend module, if both it and the provider's plugin are installed."""
    if importlib.util.find_spec(f"residency_audit_{provider}") is None:
        return None
    if not (ROOT / "demo" / f"{provider}_backend.py").exists():
        return None
    sys.path.insert(0, str(ROOT / "demo"))
    return importlib.import_module(f"{provider}_backend")


def _fixture_part(providers: set[str], workdir: Path) -> Path | None:
    """The part of the normalized estate that no live backend serves."""
    if not providers:
        return None
    estate = json.loads(ESTATE.read_text(encoding="utf-8"))
    estate["buckets"] = [b for b in estate["buckets"] if b["provider"] in providers]
    estate["scopes"] = [s for s in estate["scopes"] if s["provider"] in providers]
    estate["providers"] = sorted(providers)
    path = workdir / "estate-fixture.json"
    path.write_text(json.dumps(estate, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


CONFIG_HEAD = """\
# Written by demo/run.py for one demo run.
profile = "jp-default"

[output]
lang = "ja"
fail_on = "high"
formats = ["json", "csv", "html", "xlsx"]

[classification]
keys = ["data-classification", "classification"]

[[attestations]]
provider = "aws"
scope = "*"
item = "(1)-1"
reviewed_on = 2026-04-01
reviewer = "法務部 輸出管理課"
expires = 2027-03-31
note = "AWS カスタマーアグリーメント第 3.2 条を確認"

[[attestations]]
provider = "gcp"
scope = "*"
item = "(1)-1"
reviewed_on = 2025-01-15
reviewer = "法務部 輸出管理課"
expires = 2026-01-14
note = "期限切れ（再確認が遅れている）"
"""


@contextlib.contextmanager
def _backends(workdir: Path) -> Iterator[dict[str, dict[str, Any]]]:
    settings: dict[str, dict[str, Any]] = {}
    with contextlib.ExitStack() as stack:
        for provider in PROVIDERS:
            backend = _live_backend(provider)
            if backend is None:
                continue
            print(f"demo: starting local {provider} emulator(s) and seeding the estate", flush=True)
            settings[provider] = stack.enter_context(backend.serve(workdir / provider))
        yield settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "demo")
    args = parser.parse_args()
    workdir = ROOT / ".demo"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    cli = [sys.executable, "-m", "residency_audit"]
    with _backends(workdir) as live:
        tables = [_table(p, s) for p, s in live.items()]
        fixture = _fixture_part(set(PROVIDERS) - set(live), workdir)
        if fixture is not None:
            tables.append(_table("fixture", {"path": str(fixture)}))
        config = workdir / "config.toml"
        config.write_text(CONFIG_HEAD + "\n" + "\n\n".join(tables) + "\n", encoding="utf-8")
        print(
            f"demo: live providers: {', '.join(live) or 'none'}; "
            f"from the normalized estate: {', '.join(sorted(set(PROVIDERS) - set(live))) or 'none'}"
        )
        scan = subprocess.run([*cli, "scan", "--config", str(config), "--output", str(args.output)])
    if scan.returncode not in EXIT_TEXT:
        print(f"demo: scan failed with exit code {scan.returncode}", file=sys.stderr)
        return scan.returncode
    english = subprocess.run(
        [
            *cli,
            "evaluate",
            str(args.output / "inventory.json"),
            "--config",
            str(config),
            "--lang",
            "en",
            "--output",
            str(args.output / "en"),
            "--quiet",
        ],
    )
    if english.returncode not in EXIT_TEXT:
        return english.returncode
    print(f"demo: scan exit code {scan.returncode} ({EXIT_TEXT[scan.returncode]})")
    names = (
        "report.html",
        "findings.xlsx",
        "findings.json",
        "findings.csv",
        "inventory.csv",
        "history.db",
        "en/report.html",
    )
    for name in names:
        print(f"demo: wrote {args.output / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
