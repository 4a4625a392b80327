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

from residency_audit import __version__
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


def shell_segments(script: str) -> Iterator[list[str]]:
    """Each simple command of a shell snippet, as words (line continuations joined)."""
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        segment: list[str] = []
        for token in [*lexer, ";"]:
            if token in SHELL_OPERATORS:
                if segment:
                    yield segment
                segment = []
            else:
                segment.append(token)


def shell_commands(script: str) -> Iterator[list[str]]:
    """residency-audit invocations in a shell snippet (line continuations joined)."""
    for segment in shell_segments(script):
        if Path(segment[0]).name == "residency-audit":
            yield segment


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


def k8s_pod(doc: dict[str, Any]) -> dict[str, Any]:
    """The pod spec of a CronJob's job template or of a Job (an Indexed Job too)."""
    job = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    pod: dict[str, Any] = job["template"]["spec"]
    return pod


def k8s_containers(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = k8s_pod(doc)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def k8s_jobs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml_docs(path) if d.get("kind") in ("CronJob", "Job")]


def all_commands() -> Iterator[tuple[str, list[str]]]:
    """(where, argv) for every residency-audit command shipped in docs/schedules and the doc."""
    files = sorted(p for p in SCHEDULES.rglob("*") if p.is_file())
    assert files, "no schedules shipped"
    for path in files:
        where = str(path.relative_to(DOCS))
        if path.suffix in (".yml", ".yaml"):
            for doc in yaml_docs(path):
                if doc.get("kind") in ("CronJob", "Job"):
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
        "schedules/kubernetes/residency-audit-sharded-job.yaml",
        "schedules/github-actions/residency-audit-sharded.yml",
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
    if path == ["scan"] and "--shard" in argv:
        # a shard records its part in the group's history; the assembly gates
        assert "--scan-group" in argv and "--history" in argv, where
        assert "--fail-on" not in argv, where
    elif path in (["scan"], ["assemble"]):
        # a scheduled scan (or assembly) records history and gates on severity
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


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_kubernetes_indexed_job_wires_the_completion_index_to_the_shard() -> None:
    path = SCHEDULES / "kubernetes" / "residency-audit-sharded-job.yaml"
    shards, assembler = k8s_jobs(path)
    spec = shards["spec"]
    assert spec["completionMode"] == "Indexed"
    (c,) = k8s_containers(shards)
    argv = [*c["command"], *c["args"]]
    env = {e["name"]: e for e in c["env"]}
    index = env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert index == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    n = spec["completions"]
    assert spec["parallelism"] == n  # every shard at once
    assert _option(argv, "--shard") == f"$(JOB_COMPLETION_INDEX)/{n}"
    # both Jobs take the one group id from the label the run is created with
    (a,) = k8s_containers(assembler)
    a_argv = [*a["command"], *a["args"]]
    assert _option(argv, "--scan-group") == _option(a_argv, "--scan-group") == "$(SCAN_GROUP)"
    for job, container in ((shards, c), (assembler, a)):
        label = {e["name"]: e for e in container["env"]}["SCAN_GROUP"]["valueFrom"]["fieldRef"]
        assert label["fieldPath"] == "metadata.labels['residency-audit/scan-group']"
        assert job["spec"]["template"]["metadata"]["labels"]["residency-audit/scan-group"]
        assert "name" not in job["metadata"] and job["metadata"]["generateName"]
    assert _option(a_argv, "--shards") == str(n)  # a shard that never started is named too
    assert int(_option(a_argv, "--wait")) >= spec["activeDeadlineSeconds"]
    assert _option(argv, "--history") == _option(a_argv, "--history")
    assert not any(d["kind"] == "Secret" for d in yaml_docs(path))  # no credential shipped
    for job, container in ((shards, c), (assembler, a)):
        pod = k8s_pod(job)
        assert pod["serviceAccountName"] == "residency-audit"
        assert pod["securityContext"]["runAsNonRoot"] is True
        secret = {e["name"]: e for e in container["env"]}["RESIDENCY_AUDIT_HISTORY"]
        assert secret["valueFrom"]["secretKeyRef"]["key"] == "url"
    assert _option(argv, "--history") == "$(RESIDENCY_AUDIT_HISTORY)"
    # a shard's config error is not retried: exit 2 fails its index at once
    (rule,) = spec["podFailurePolicy"]["rules"]
    assert rule["action"] == "FailIndex" and rule["onExitCodes"]["values"] == [2]
    # what the doc tells to run makes each placeholder one group id
    assert "s/@SCAN_GROUP@/$GROUP/g" in path.read_text()
    assert "s/@SCAN_GROUP@/$GROUP/g" in (DOCS / "scheduling.md").read_text()


def test_github_actions_matrix_shards_then_assembles() -> None:
    (wf,) = yaml_docs(SCHEDULES / "github-actions" / "residency-audit-sharded.yml")
    shard, assemble = wf["jobs"]["shard"], wf["jobs"]["assemble"]
    indexes = shard["strategy"]["matrix"]["shard"]
    assert shard["strategy"]["fail-fast"] is False
    [scan] = [a for s in shard["steps"] for a in shell_commands(s.get("run", ""))]
    runs = [a for s in assemble["steps"] for a in shell_commands(s.get("run", ""))]
    [assembled] = [a for a in runs if "assemble" in a]
    assert indexes == list(range(len(indexes)))
    assert _option(scan, "--shard") == "${{ matrix.shard }}/" + str(len(indexes))
    assert _option(scan, "--scan-group") == _option(assembled, "--scan-group")
    assert _option(scan, "--scan-group") == "${{ github.run_id }}"
    assert _option(assembled, "--shards") == str(len(indexes))
    assert assemble["needs"] == "shard" and assemble["if"] == "always()"
    uses = {s["uses"].split("@")[0] for s in assemble["steps"] if "uses" in s}
    assert not uses & {"aws-actions/configure-aws-credentials", "google-github-actions/auth"}


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


# ---------------------------------------------------------------- installs, as the README does

ROOT = DOCS.parent
PACKAGE_DIRS = {".", "providers/aws", "providers/gcp", "providers/azure"}
EXTRAS = {"aws", "gcp", "azure", "all"}
QUIET_FLAGS = {"--no-cache-dir", "-q", "--quiet", "--upgrade", "-U"}


def readme_wheel_command() -> str:
    (line,) = [
        line.split("  #")[0].strip()
        for line in (ROOT / "README.md").read_text().splitlines()
        if " -m pip wheel " in line
    ]
    return line


def pip_install_args(command: str) -> Iterator[list[str]]:
    """The arguments after `pip install` of each pip install in a shell command line."""
    for argv in shell_segments(command):
        names = [Path(a).name for a in argv]
        if "install" in argv and ("pip" in names or argv[1:3] == ["-m", "pip"]):
            yield argv[argv.index("install") + 1 :]


def check_install(where: str, args: list[str], checkout: Path = ROOT) -> str | None:
    """An install is one of the README's two: our package directories in a checkout (the core
    among them), or `--find-links DIR "residency-audit[EXTRAS]"` from the wheels. Returns the
    find-links directory, if any. A name from an index (`residency-audit-aws`) is not installable:
    the packages are not published."""
    find_links = None
    rest: list[str] = []
    it = iter(args)
    for token in it:
        if token == "--find-links":
            find_links = next(it)
        elif token.startswith("--find-links="):
            find_links = token.split("=", 1)[1]
        elif token not in QUIET_FLAGS:
            assert not token.startswith("-"), f"{where}: unexpected pip option {token}"
            rest.append(token)
    assert rest, f"{where}: `pip install` of nothing"
    if find_links is None:
        dirs = set()
        for token in rest:
            assert token.startswith("./"), f"{where}: {token!r} is not on an index; install a path"
            rel = token.removeprefix("./").rstrip("/") or "."
            assert (checkout / rel / "pyproject.toml").is_file(), f"{where}: no package at {token}"
            dirs.add(rel)
        assert dirs <= PACKAGE_DIRS and "." in dirs, f"{where}: {sorted(dirs)}"
    else:
        (requirement,) = rest
        name, _, extras = requirement.partition("[")
        assert name == "residency-audit", f"{where}: {requirement}"
        chosen = set(extras.rstrip("]").split(","))
        assert chosen and chosen <= EXTRAS, f"{where}: extras {sorted(chosen)}"
    return find_links


def workflow_installs(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(where, args) of each pip install in a GitHub Actions workflow; a step installing from a
    checkout runs where an earlier step checked out residency-audit."""
    for doc in yaml_docs(path):
        for job in doc["jobs"].values():
            checkouts = {}
            for step in job["steps"]:
                with_ = step.get("with") or {}
                if step.get("uses", "").startswith("actions/checkout@") and "path" in with_:
                    checkouts[with_["path"]] = with_.get("repository")
                for args in pip_install_args(step.get("run", "")):
                    if any(a.startswith("./") for a in args):
                        where = step.get("working-directory")
                        assert checkouts.get(where) == "residency-audit/residency-audit", (
                            f"{path.name}: pip install {args} runs in {where!r}, "
                            "not in a checkout of residency-audit"
                        )
                    yield path.name, args


def test_every_shipped_install_is_one_the_readme_tests() -> None:
    """tests/test_install.py runs the README's installs; the schedules install the same way."""
    found: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", (DOCS / "scheduling.md").read_text(), re.S):
        for args in pip_install_args(block):
            check_install("scheduling.md", args)
            found.append("scheduling.md")
    for name in ("residency-audit.yml", "residency-audit-sharded.yml"):
        for where, args in workflow_installs(SCHEDULES / "github-actions" / name):
            check_install(where, args)
            found.append(where)
    for block in re.findall(r"```yaml\n(.*?)```", (DOCS / "catalog.md").read_text(), re.S):
        doc = yaml.safe_load(block)
        if isinstance(doc, dict) and "jobs" in doc:
            for job in doc["jobs"].values():
                for step in job["steps"]:
                    for args in pip_install_args(step.get("run", "")):
                        check_install("catalog.md", args)
                        found.append("catalog.md")
    assert {
        "scheduling.md",
        "residency-audit.yml",
        "residency-audit-sharded.yml",
        "catalog.md",
    } <= set(found), found


def containerfile() -> list[tuple[str, str]]:
    text = (SCHEDULES / "kubernetes" / "Containerfile").read_text().replace("\\\n", " ")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return [(ln.split(None, 1)[0], ln.split(None, 1)[1]) for ln in lines]


def test_the_kubernetes_image_installs_the_wheels_as_the_readme_does() -> None:
    instructions = containerfile()
    known = {"FROM", "COPY", "RUN", "ENV", "USER", "ENTRYPOINT", "CMD", "WORKDIR", "ARG", "LABEL"}
    assert {i for i, _ in instructions} <= known
    assert instructions[0][0] == "FROM"
    copies = [shlex.split(a) for i, a in instructions if i == "COPY"]
    assert copies == [["*.whl", "/tmp/wheels/"]]  # the build context is dist/
    installs = [args for i, a in instructions if i == "RUN" for args in pip_install_args(a)]
    (args,) = installs
    assert check_install("Containerfile", args) == "/tmp/wheels"
    (run,) = [a for i, a in instructions if i == "RUN"]
    (pip,) = [argv[0] for argv in shell_segments(run) if "install" in argv]
    env = " ".join(a for i, a in instructions if i == "ENV")
    assert f"PATH={Path(pip).parent}:$PATH" in env  # `residency-audit` is the venv's
    (user,) = [a for i, a in instructions if i == "USER"]
    kube = SCHEDULES / "kubernetes"
    jobs = k8s_jobs(kube / "residency-audit-cronjob.yaml")
    for job in [*jobs, *k8s_jobs(kube / "residency-audit-sharded-job.yaml")]:
        pod = k8s_pod(job)
        assert user.split(":")[0] == str(pod["securityContext"]["runAsUser"])
        for c in k8s_containers(job):
            assert c["image"].rsplit(":", 1)[1] == __version__  # this release's image
            assert c["command"][0] == "residency-audit"
    # the image is built from the README's wheels, tagged as the CronJob names it
    for text in (
        (SCHEDULES / "kubernetes" / "Containerfile").read_text(),
        (kube / "residency-audit-cronjob.yaml").read_text(),
        (kube / "residency-audit-sharded-job.yaml").read_text(),
        (DOCS / "scheduling.md").read_text(),
    ):
        assert readme_wheel_command() in text
        assert f"registry.example.co.jp/residency-audit:{__version__} dist/" in text
