"""Public helpers for tests of provider plugins (like ``click.testing``): run the real scan
pipeline over one provider's settings, and look at what a user would see."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from .config import parse_config
from .model import Bucket, Severity
from .results import ScanResult
from .scan import run_scan

__all__ = ["bucket_named", "finding_summary", "load_module", "scan_provider"]


def load_module(path: Path, name: str | None = None) -> ModuleType:
    """Import a module from a file that is not on sys.path (e.g. ``demo/aws_backend.py``)."""
    spec = importlib.util.spec_from_file_location(name or path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scan_provider(
    provider: str, settings: Mapping[str, Any], workdir: Path, profile: str = "jp-default"
) -> ScanResult:
    """Collect, resolve and evaluate one provider exactly as ``residency-audit scan`` does."""
    config = parse_config(
        {"profile": profile, "providers": {provider: dict(settings)}},
        source="<test>",
        base_dir=workdir,
    )
    return run_scan(config)


def bucket_named(result: ScanResult, name: str) -> Bucket:
    return next(b for b in result.inventory.buckets if b.name == name)


def finding_summary(result: ScanResult, name: str) -> set[tuple[str, Severity, str | None]]:
    """(rule id, severity, country) of every finding on the bucket called ``name``."""
    return {
        (f.rule_id, f.severity, f.location.country if f.location else None)
        for f in result.findings
        if f.resource and f.resource.name == name
    }
