"""The packages install like any Python tool's.

`python -m build` makes a wheel and an sdist of the core and of each plugin, with complete metadata.
Every command of the README's Install section runs as written, in a copy of the checkout with a
home directory of its own: pipx from the checkout, pip into a new virtual environment, and wheels
built with pip and installed through the core's extras into a fresh environment. Each
environment holds the runtime dependencies only, and the tool installed from the wheels answers
`--version` and `regions` and scans moto_server for real.

The installs take their dependencies from the package index (the pip cache makes a second run
fast), pinned to requirements/lock.txt so that they are the versions the rest of the suite tests.
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from residency_audit import __version__
from residency_audit_aws.testing import moto_server, seed_estate

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = {"aws": "providers/aws", "gcp": "providers/gcp", "azure": "providers/azure"}
PACKAGES = {"residency-audit": ".", **{f"residency-audit-{p}": d for p, d in PLUGINS.items()}}
# what a checkout's packages are built from (the rest of it is the tests, emulators and tools)
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "src", "docs")
# packages the development environment has that an installed tool must not
NOT_RUNTIME = {
    "pytest",
    "pytest-xdist",
    "moto",
    "openpyxl",
    "cfn-lint",
    "py-ocsf-models",
    "build",
    "hatchling",
    "standardwebhooks",
    "pipx",
    "mypy",
    "ruff",
    "hypothesis",
    "gcp-storage-emulator",
    "pyyaml",
    "werkzeug",
    "flask",
}
VERSION = Version(__version__)
NEXT_MINOR = f"{VERSION.major}.{VERSION.minor + 1}.0"


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, **kwargs)
    assert done.returncode == 0, f"{argv}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


# ---------------------------------------------------------------- wheels and sdists, metadata


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m build` of every package (the sdist, then the wheel built from that sdist)."""
    out = tmp_path_factory.mktemp("dist")
    for directory in PACKAGES.values():
        # --no-isolation: the hatchling of this environment, so the test needs no download
        run(
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), directory],
            cwd=ROOT,
        )
    return out


def dist_name(project: str) -> str:
    return project.replace("-", "_")


def wheel_metadata(wheel: Path) -> tuple[Message, dict[str, str]]:
    with zipfile.ZipFile(wheel) as z:
        info = f"{wheel.name.split('-')[0]}-{__version__}.dist-info"
        meta = email.parser.Parser().parsestr(z.read(f"{info}/METADATA").decode())
        files = {n: z.read(n).decode(errors="replace") for n in z.namelist() if n.startswith(info)}
    return meta, files


@pytest.mark.parametrize("project", list(PACKAGES))
def test_each_package_builds_a_wheel_and_an_sdist_with_complete_metadata(
    built: Path, project: str
) -> None:
    wheel = built / f"{dist_name(project)}-{__version__}-py3-none-any.whl"
    sdist = built / f"{dist_name(project)}-{__version__}.tar.gz"
    assert wheel.is_file() and sdist.is_file(), sorted(p.name for p in built.iterdir())
    meta, files = wheel_metadata(wheel)
    assert meta["Name"] == project and meta["Version"] == __version__
    assert meta["License-Expression"] == "Apache-2.0"
    licence = next(text for name, text in files.items() if name.endswith("licenses/LICENSE"))
    assert "Apache License" in licence and "Version 2.0" in licence
    assert meta["Requires-Python"] == ">=3.11"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL", []))
    assert {"Source", "Issues", "Changelog", "Documentation"} <= set(urls), urls
    classifiers = meta.get_all("Classifier", [])
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # the SPDX expression says it
    assert meta["Summary"] and meta.get_payload().startswith(f"# {project}")
    requires = [Requirement(r) for r in meta.get_all("Requires-Dist", [])]
    runtime = [r for r in requires if r.marker is None]
    if project != "residency-audit":
        (core,) = [r for r in runtime if r.name == "residency-audit"]
        # the plugin contract of this minor release: this version and its patches, not the next
        assert core.specifier.contains(__version__)
        assert core.specifier.contains(f"{VERSION.major}.{VERSION.minor}.99")
        assert not core.specifier.contains(NEXT_MINOR)
        entry_points = next(t for n, t in files.items() if n.endswith("entry_points.txt"))
        assert f"[residency_audit.providers]\n{project.split('-')[-1]} = " in entry_points
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {"PKG-INFO", "pyproject.toml", "README.md", "LICENSE"} <= names
    assert not [n for n in names if n.startswith(("tests/", ".venv", "node_modules"))]


def test_the_core_offers_an_extra_per_cloud_and_all(built: Path) -> None:
    meta, _ = wheel_metadata(built / f"residency_audit-{__version__}-py3-none-any.whl")
    assert {"aws", "gcp", "azure", "all"} <= set(meta.get_all("Provides-Extra", []))
    by_extra: dict[str, set[str]] = {}
    for text in meta.get_all("Requires-Dist", []):
        req = Requirement(text)
        for extra in ("aws", "gcp", "azure", "all"):
            if req.marker is not None and req.marker.evaluate({"extra": extra}):
                assert req.specifier.contains(__version__)
                assert not req.specifier.contains(NEXT_MINOR)
                by_extra.setdefault(extra, set()).add(req.name)
    for cloud in PLUGINS:
        assert by_extra[cloud] == {f"residency-audit-{cloud}"}
    assert by_extra["all"] == {f"residency-audit-{c}" for c in PLUGINS}


def test_versions_and_the_changelog_agree() -> None:
    """One version for the core and the plugins, and a changelog entry for it."""
    for project, directory in PACKAGES.items():
        if project != "residency-audit":
            text = (ROOT / directory / "pyproject.toml").read_text()
            assert f'version = "{__version__}"' in text, project
    changelog = (ROOT / "CHANGELOG.md").read_text()
    # "Unreleased" gathers the changes not yet released (Keep a Changelog)
    released = [v for v in re.findall(r"^## \[([^\]]+)\]", changelog, re.M) if v != "Unreleased"]
    (latest,) = released[:1]
    assert latest == __version__
    assert "CHANGELOG.md" in (ROOT / "docs" / "findings-schema.md").read_text()


# ---------------------------------------------------------------- the README's install commands


def install_commands() -> list[str]:
    """The commands of the README's ```sh blocks under "## Install", in order (comments dropped;
    the `git clone` is where the test's copy of the checkout comes from)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command and not command.startswith("git clone"):
                commands.append(command)
    return commands


def test_the_readme_shows_pipx_pip_wheels_and_extras() -> None:
    shown = "\n".join(install_commands())
    assert "pipx install" in shown and "pip install ./" in shown
    assert "pip wheel" in shown and '"residency-audit[all]"' in shown


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Run the README's install commands in a copy of the checkout, as a user with an empty home
    and an active virtual environment of their own (where `pip install` goes); yield the three
    environments' bin directories."""
    base = tmp_path_factory.mktemp("install")
    checkout, home, tools = base / "residency-audit", base / "home", base / "tools"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "tests")
    for directory in PACKAGES.values():
        for name in SOURCES:
            source = ROOT / directory / name
            if source.is_dir():
                shutil.copytree(source, checkout / directory / name, ignore=ignore)
            elif source.is_file():
                (checkout / directory).mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, checkout / directory / name)
    home.mkdir()
    tools.mkdir()
    # pipx is the only tool taken from this environment; python3 and pip are the user's venv's
    (tools / "pipx").symlink_to(Path(sys.executable).parent / "pipx")
    user = base / "user-venv"
    run([sys.executable, "-m", "venv", str(user)])
    env = {k: v for k, v in os.environ.items() if k in ("LANG", "TMPDIR", "PIP_CACHE_DIR")}
    env.update(
        HOME=str(home),
        PATH=os.pathsep.join([str(user / "bin"), str(tools), "/usr/bin", "/bin"]),
        VIRTUAL_ENV=str(user),
        PIP_CONSTRAINT=str(ROOT / "requirements" / "lock.txt"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    if "PIP_CACHE_DIR" not in env:  # the user's cache is this machine's, so a rerun is fast
        env["XDG_CACHE_HOME"] = str(Path.home() / ".cache")
    for command in install_commands():
        run(["bash", "-c", command], cwd=checkout, env=env)
    yield {
        "pipx": home / ".local" / "bin",
        "venv": home / ".venvs" / "residency-audit" / "bin",
        "wheels": user / "bin",
    }


def python_of(bin_dir: Path) -> Path:
    """The interpreter of the environment a bin directory's `residency-audit` runs in."""
    shebang = (bin_dir / "residency-audit").read_text().splitlines()[0]
    return Path(shebang.removeprefix("#!").split()[0])


# the Azure role definition needs its assignable scopes
PERMISSION_ARGS = {"azure": ["--subscription", "00000000-0000-0000-0000-000000000000"]}
EXPECTED_PLUGINS = {"pipx": {"aws"}, "venv": set(PLUGINS), "wheels": set(PLUGINS)}


@pytest.mark.parametrize("how", list(EXPECTED_PLUGINS))
def test_an_installed_tool_has_its_plugins_and_runtime_dependencies_only(
    installed: dict[str, Path], how: str, tmp_path: Path
) -> None:
    tool = installed[how] / "residency-audit"
    assert run([str(tool), "--version"], cwd=tmp_path).stdout.strip() == (
        f"residency-audit, version {__version__}"
    )
    python = str(python_of(installed[how]))
    probe = (
        "import json, importlib.metadata as m, residency_audit;"
        "print(json.dumps({'file': residency_audit.__file__,"
        "'plugins': sorted(e.name for e in m.entry_points(group='residency_audit.providers')),"
        "'dists': sorted(d.metadata['Name'].lower() for d in m.distributions())}))"
    )
    found = json.loads(run([python, "-c", probe], cwd=tmp_path).stdout)
    assert not Path(found["file"]).is_relative_to(ROOT)  # the installed copy, not the checkout
    assert set(found["plugins"]) - {"fixture"} == EXPECTED_PLUGINS[how]
    assert not NOT_RUNTIME & set(found["dists"]), NOT_RUNTIME & set(found["dists"])
    run([python, "-m", "pip", "check"], cwd=tmp_path)
    for plugin in EXPECTED_PLUGINS[how]:  # each plugin loads and answers in that environment
        policy = run(
            [str(tool), "permissions", plugin, *PERMISSION_ARGS.get(plugin, [])], cwd=tmp_path
        )
        assert json.loads(policy.stdout)


ESTATE = {
    "accounts": [
        {
            "alias": "design",
            "name": "design",
            "management": True,
            "buckets": [
                {
                    "name": "drawings-tokyo",
                    "region": "ap-northeast-1",
                    "replication": [{"bucket": "drawings-hk"}],
                },
                {"name": "drawings-hk", "region": "ap-east-1"},
            ],
        }
    ]
}


def test_the_tool_installed_from_wheels_scans_for_real(
    installed: dict[str, Path], tmp_path: Path
) -> None:
    tool = str(installed["wheels"] / "residency-audit")
    regions = run([tool, "regions", "--provider", "aws", "--country", "HK"], cwd=tmp_path).stdout
    assert "ap-east-1" in regions
    with moto_server() as endpoint:
        seed_estate(endpoint, ESTATE)
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "AKIAINSTALLTEST0000",
            "AWS_SECRET_ACCESS_KEY": "not-a-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        argv = [
            tool,
            "scan",
            "--provider",
            "aws",
            "--output",
            "reports",
            "--region",
            "ap-northeast-1,ap-east-1",
        ]
        scan = subprocess.run(
            argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
    # exit 1: the replica in Hong Kong is a finding at or above `high`
    assert scan.returncode == 1, scan.stderr[-3000:]
    result = json.loads((tmp_path / "reports" / "findings.json").read_text())
    hk = [
        f
        for f in result["findings"]
        if (f["resource"] or {}).get("name") == "drawings-tokyo"
        and "(2)-1" in f["guideline_items"]
        and (f["location"] or {}).get("country") == "HK"
    ]
    assert hk, [(f["resource"], f["rule_id"]) for f in result["findings"]]
    assert hk[0]["location"]["role"] == "replica"
    assert (tmp_path / "reports" / "report.html").stat().st_size > 10_000
