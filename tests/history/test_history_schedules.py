"""Every schedule shipped in docs/schedules parses, and every residency-audit command in it (and in
docs/scheduling.md) is accepted by the CLI exactly as written."""

from __future__ import annotations

import re
import shlex
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from residency_audit.cli import cli
from residency_audit.config import load_config
from residency_audit.history import load_suppressions
from residency_audit.plugins import available_providers, load_provider_class

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCHEDULES = DOCS / "schedules"
SHELL_OPERATORS = {"&&", "||", ";", "|"}
REDIRECTS = re.compile(r"^\d*(>>?|<)(&\d+)?$")


def parse_cli(argv: list[str]) -> list[str]:
    """Parse argv as the CLI would, down to the last subcommand, without running anything.
    Returns the command path, e.g. ["scan"] or ["history", "prune"]; raises click.UsageError."""
    path: list[str] = []
    command: click.Command = cli
    ctx = command.make_context("residency-audit", list(argv))
    while isinstance(command, click.Group):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # click 8.2+: protected_args
            rest = [*getattr(ctx, "protected_args", []), *ctx.args]
        name, sub, args = command.resolve_command(ctx, rest)
        assert name and sub, f"no subcommand in {argv}"
        path.append(name)
        command, ctx = sub, sub.make_context(name, args, parent=ctx)
    return path


def shell_commands(script: str) -> Iterator[list[str]]:
    """residency-audit invocations in a shell snippet (line continuations joined)."""
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
        segment: list[str] = []
        for token in [*tokens, ";"]:
            if token in SHELL_OPERATORS:
                if segment and Path(segment[0]).name == "residency-audit":
                    yield segment
                segment = []
            else:
                segment.append(token)


def strip_redirects(argv: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif REDIRECTS.match(token):
            skip = not token.endswith(tuple("0123456789"))
        else:
            out.append(token)
    return out


def systemd_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    text = path.read_text().replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None and "=" in line, f"{path.name}: bad line {line!r}"
        key, _, value = line.partition("=")
        current.append((key.strip(), value.strip()))
    return sections


def cron_commands(path: Path) -> Iterator[list[str]]:
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or re.match(r"^[A-Z_]+=", line):
            continue
        fields = line.split(None, 6)
        assert len(fields) == 7, f"cron.d lines have 5 time fields, a user and a command: {line!r}"
        for spec in fields[:5]:
            assert re.fullmatch(r"[\d*,/-]+", spec), f"bad cron field {spec!r}"
        yield from shell_commands(fields[6])


def yaml_docs(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def k8s_containers(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def all_commands() -> Iterator[tuple[str, list[str]]]:
    """(where, argv) for every residency-audit command shipped in docs/schedules and the doc."""
    files = sorted(p for p in SCHEDULES.rglob("*") if p.is_file())
    assert files, "no schedules shipped"
    for path in files:
        where = str(path.relative_to(DOCS))
        if path.suffix in (".yml", ".yaml"):
            for doc in yaml_docs(path):
                if doc.get("kind") == "CronJob":
                    for c in k8s_containers(doc):
                        argv = [*c.get("command", []), *c.get("args", [])]
                        if argv and Path(argv[0]).name == "residency-audit":
                            yield where, argv
                for job in (doc.get("jobs") or {}).values():
                    for step in job["steps"]:
                        for argv in shell_commands(step.get("run", "")):
                            yield where, strip_redirects(argv)
        elif path.suffix in (".service", ".timer"):
            for section in systemd_unit(path).values():
                for key, value in section:
                    if key.startswith("Exec"):
                        argv = shlex.split(value.lstrip("-@:+!"))
                        assert Path(argv[0]).name == "residency-audit", value
                        yield where, argv
        elif path.parent.name == "cron":
            for argv in cron_commands(path):
                yield where, argv
    # ```sh blocks are commands to run as written (```text blocks are synopses)
    for block in re.findall(r"```sh\n(.*?)```", (DOCS / "scheduling.md").read_text(), re.S):
        for argv in shell_commands(block):
            yield "scheduling.md", strip_redirects(argv)


COMMANDS = list(all_commands())


def test_every_schedule_file_is_covered() -> None:
    wheres = {w for w, _ in COMMANDS}
    for name in (
        "schedules/cron/residency-audit",
        "schedules/systemd/residency-audit.service",
        "schedules/kubernetes/residency-audit-cronjob.yaml",
        "schedules/github-actions/residency-audit.yml",
        "scheduling.md",
    ):
        assert name in wheres, f"no residency-audit command found in {name}"


@pytest.mark.parametrize(
    ("where", "argv"), COMMANDS, ids=[f"{w}:{' '.join(a[1:4])}" for w, a in COMMANDS]
)
def test_command_is_accepted_by_the_cli(where: str, argv: list[str]) -> None:
    try:
        path = parse_cli(argv[1:])
    except click.UsageError as exc:
        pytest.fail(f"{where}: `{shlex.join(argv)}` is rejected: {exc.format_message()}")
    if path == ["scan"]:
        # a scheduled scan records history and gates on severity
        assert "--fail-on" in argv and "--history" in argv, where


def test_the_parser_rejects_what_the_cli_rejects() -> None:
    with pytest.raises(click.UsageError):
        parse_cli(["scan", "--config", "x.toml", "--fail-on", "severe"])
    with pytest.raises(click.UsageError):
        parse_cli(["history", "prune", "--keep", "many"])
    with pytest.raises(click.UsageError):
        parse_cli(["scan", "--config", "x.toml", "--histroy", "sqlite:///h.db"])
    assert parse_cli(["history", "diff", "a", "b"]) == ["history", "diff"]


def test_systemd_timer_starts_the_shipped_service() -> None:
    timer = dict(systemd_unit(SCHEDULES / "systemd" / "residency-audit.timer")["Timer"])
    assert timer["OnCalendar"] and timer["Persistent"] == "true"
    assert (SCHEDULES / "systemd" / timer["Unit"]).is_file()
    service = dict(systemd_unit(SCHEDULES / "systemd" / "residency-audit.service")["Service"])
    assert service["Type"] == "oneshot" and service["User"] != "root"


def test_kubernetes_history_and_credentials_come_from_the_cluster() -> None:
    docs = yaml_docs(SCHEDULES / "kubernetes" / "residency-audit-cronjob.yaml")
    assert {d["kind"] for d in docs} == {"ServiceAccount", "ConfigMap", "CronJob"}
    assert not any(d["kind"] == "Secret" for d in docs)  # no credential is shipped in the file
    for job in (d for d in docs if d["kind"] == "CronJob"):
        pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == "residency-audit"
        assert pod["securityContext"]["runAsNonRoot"] is True
        for c in k8s_containers(job):
            env = {e["name"]: e for e in c["env"]}
            assert env["RESIDENCY_AUDIT_HISTORY"]["valueFrom"]["secretKeyRef"]["key"] == "url"
            assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "password"
            argv = [*c["command"], *c.get("args", [])]
            if "scan" in argv:
                assert argv[argv.index("--history") + 1] == "$(RESIDENCY_AUDIT_HISTORY)"


def test_kubernetes_configmap_holds_a_valid_config_and_suppressions(tmp_path: Path) -> None:
    docs = yaml_docs(SCHEDULES / "kubernetes" / "residency-audit-cronjob.yaml")
    (data,) = [d["data"] for d in docs if d["kind"] == "ConfigMap"]
    for name, text in data.items():
        (tmp_path / name).write_text(text)
    check_config(tmp_path / "scan.toml")
    assert load_suppressions(tmp_path / "suppressions.toml").items


def test_github_actions_uses_oidc_for_every_cloud() -> None:
    (wf,) = yaml_docs(SCHEDULES / "github-actions" / "residency-audit.yml")
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["schedule"][0]["cron"]
    assert wf["permissions"]["id-token"] == "write"
    steps = wf["jobs"]["scan"]["steps"]
    uses = {s["uses"].split("@")[0] for s in steps if "uses" in s}
    assert {
        "aws-actions/configure-aws-credentials",
        "google-github-actions/auth",
        "azure/login",
    } <= uses
    text = (SCHEDULES / "github-actions" / "residency-audit.yml").read_text()
    assert "aws-access-key-id" not in text and "credentials_json" not in text  # no stored keys
    assert wf["jobs"]["scan"]["env"]["RESIDENCY_AUDIT_HISTORY"].startswith("${{ secrets.")


def check_config(path: Path) -> None:
    config = load_config(path)
    installed = set(available_providers())
    for name, settings in config.providers.items():
        if name in installed:  # building a provider validates its settings, without network
            load_provider_class(name).from_settings(settings)


def test_example_config_and_suppressions_are_valid() -> None:
    check_config(SCHEDULES / "scan.toml")
    sups = load_suppressions(SCHEDULES / "suppressions.toml")
    assert {s.id for s in sups.items} == {"dr-copy-osaka-design", "access-log-buckets"}
