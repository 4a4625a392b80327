"""A scan whose every provider fails to authenticate stops with exit 2, one line a provider, and
writes nothing (no report, no history entry); one where only some fail is exit 3 with the report;
one where every scope failed for other reasons says "nothing could be collected"."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner, Result

from residency_audit import cli_scope, plugins, scan
from residency_audit.cli import cli
from residency_audit.errors import CollectionError, CredentialError, NoProviderAuthenticated
from residency_audit.model import Bucket, CoverageNote, Location, Role, ScopeStatus
from residency_audit.plugins import Scope
from residency_audit.scan import collect

pytestmark = pytest.mark.usefixtures("restore_logging")


def _bucket(provider: str, scope: str) -> Bucket:
    return Bucket(
        provider=provider,
        scope=scope,
        name=f"b-{scope}",
        uid=f"{provider}://b-{scope}",
        locations=(
            Location(role=Role.PRIMARY, provider=provider, region="ap-northeast-1", mechanism="x"),
        ),
    )


class Fake:
    """A provider told how to fail by its settings: ``mode`` is ok, denied (no scope listed),
    scope-denied (both scopes fail for credentials), unreachable, scope-unreachable, or
    late-denied (a bucket, then a credential error)."""

    name: ClassVar[str] = "fake"

    def __init__(self, name: str, mode: str) -> None:
        self.provider, self.mode = name, mode

    def denied(self) -> CredentialError:
        return CredentialError(
            f"{self.provider}: no usable credentials found (tried env); run `login`",
            code="NoCredentials",
            detail="SDK said: Unable to locate credentials AccountKey=c2VjcmV0c2VjcmV0",
        )

    def scopes(self) -> list[Scope]:
        if self.mode == "denied":
            raise self.denied()
        if self.mode == "unreachable":
            raise CollectionError(f"{self.provider}: cannot connect to http://10.0.0.1 within 5 s")
        return [Scope(self.provider, "s1"), Scope(self.provider, "s2")]

    def buckets(self, scope: Scope) -> Iterator[Bucket | CoverageNote]:
        if self.mode == "late-denied":
            yield _bucket(self.provider, scope.id)
        if self.mode in ("scope-denied", "late-denied"):
            raise self.denied()
        if self.mode == "scope-unreachable":
            raise CollectionError(f"{self.provider}: cannot connect within 5 s")
        yield _bucket(self.provider, scope.id)

    def required_permissions(self) -> list[str]:
        return []

    def permission_policy(self) -> Mapping[str, Any]:
        return {}


def _register(monkeypatch: pytest.MonkeyPatch) -> None:
    def load(name: str) -> Any:
        class Named(Fake):
            @classmethod
            def from_settings(cls, settings: Mapping[str, Any]) -> Fake:
                return cls(name, str(settings["mode"]))

        return Named

    # every module that took its own reference to the loader
    for module in (plugins, scan, cli_scope):
        monkeypatch.setattr(module, "load_provider_class", load)


def _scan(tmp_path: Path, *args: str, **modes: str) -> tuple[Result, Path]:
    config = tmp_path / "scan.toml"
    config.write_text(
        'profile = "jp-default"\n'
        + "".join(f'[providers.{name}]\nmode = "{mode}"\n' for name, mode in modes.items()),
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    result = CliRunner().invoke(cli, ["scan", "--config", str(config), "-o", str(out), *args])
    return result, out


def _banner(out: Path) -> str:
    """The text of the report's coverage banner (the page also embeds every label, for its
    language switch, so the whole page would hold both wordings)."""
    html = (out / "report.html").read_text(encoding="utf-8")
    found = re.search(
        r'<div class="notice warn" role="alert" id="incomplete-notice">(.*?)</div>', html, re.S
    )
    assert found is not None
    return found.group(1)


def _files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def test_every_provider_unauthenticated_is_exit_2_one_line_each_and_nothing_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(monkeypatch)
    result, out = _scan(tmp_path, alpha="denied", beta="scope-denied")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "error: no provider could authenticate, so nothing was collected "
        "(no report or history written):",
        "  alpha: no usable credentials found (tried env); run `login`",
        "  beta: no usable credentials found (tried env); run `login`",  # once, for 2 scopes
    ]
    assert _files(out) == []  # no report, no findings, no history.db


def test_verbose_adds_the_sdk_words_masked_and_no_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(monkeypatch)
    result, _ = _scan(tmp_path, "-v", alpha="denied")
    assert result.exit_code == 2
    assert "SDK said: Unable to locate credentials" in result.stderr
    assert "c2VjcmV0c2VjcmV0" not in result.stderr  # the account key is masked
    assert "Traceback" not in result.stderr


def test_some_providers_unauthenticated_is_exit_3_with_the_report_and_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(monkeypatch)
    result, out = _scan(tmp_path, alpha="denied", beta="ok")
    assert result.exit_code == 3, result.output
    assert {"report.html", "findings.json", "history.db"} <= set(_files(out))
    assert (
        "WARNING residency_audit.scan: provider alpha could not list its scopes: alpha: no "
        "usable credentials found (tried env); run `login`" in result.stderr
    )
    summary = result.stderr.splitlines()[-1]
    assert summary.startswith("2 buckets in 3 scopes (INCOMPLETE, ")
    banner = _banner(out)
    assert "このスキャンは不完全です。" in banner and "何も収集できませんでした" not in banner


@pytest.mark.parametrize(
    ("lang", "notice"),
    [("ja", "何も収集できませんでした。"), ("en", "Nothing could be collected.")],
)
def test_every_scope_failed_otherwise_says_nothing_could_be_collected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, notice: str
) -> None:
    _register(monkeypatch)
    result, out = _scan(tmp_path, "--lang", lang, alpha="unreachable", beta="scope-unreachable")
    assert result.exit_code == 3, result.output
    summary = result.stderr.splitlines()[-1]
    assert summary.startswith("0 buckets in 3 scopes (INCOMPLETE: nothing could be collected")
    banner = _banner(out)
    assert notice in banner
    assert "This scan is incomplete." not in banner and "このスキャンは不完全です。" not in banner


def test_collect_counts_a_scope_that_listed_buckets_before_a_credential_error_as_collected() -> (
    None
):
    inventory = collect({"a": Fake("a", "late-denied")})
    assert [s.status for s in inventory.scopes] == [ScopeStatus.INCOMPLETE] * 2
    assert len(inventory.buckets) == 2

    with pytest.raises(NoProviderAuthenticated) as caught:
        collect({"a": Fake("a", "scope-denied"), "b": Fake("b", "denied")})
    assert list(caught.value.failures) == ["a", "b"]
    assert caught.value.exit_code == 2
