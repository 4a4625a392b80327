"""Bad config is exit 2 with the file and the key, and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from residency_audit.cli import cli
from tests.conftest import DEMO_ESTATE


def _scan(config: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["scan", "--config", str(config), "--output", str(out), "-q"])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('profile = "jp-default"\nbogus = 1\n[providers.fixture]\npath = "x.json"\n', "bogus"),
        ('profile = "jp-default"\n', "providers"),
        (
            '[providers.fixture]\npath = "e.json"\n[[attestations]]\nprovider = "aws"\n'
            'scope = "*"\nitem = "(1)-1"\nreviewed_on = 2026-01-01\nreviewer = "a"\n'
            'expires = "next year"\n',
            "attestations[0].expires",
        ),
        ('[providers.fixture]\npath = "e.json"\n[output]\nlang = "fr"\n', "output.lang"),
        ('[providers.fixture]\npath = "e.json"\n[output]\nfail_on = "severe"\n', "output.fail_on"),
        ('[providers.fixture]\npath = "e.json"\nsurprise = true\n', "providers.fixture.surprise"),
        ('[providers.nosuchcloud]\nregion = "x"\n', "providers.nosuchcloud"),
    ],
)
def test_invalid_config_names_file_and_key_and_writes_nothing(
    tmp_path: Path, body: str, key: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(body, encoding="utf-8")
    out = tmp_path / "out"
    code, output = _scan(config, out)
    assert code == 2, output
    assert str(config) in output
    assert key in output
    assert not out.exists()


def test_unparseable_toml_is_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("profile = \n[providers", encoding="utf-8")
    code, output = _scan(config, tmp_path / "out")
    assert code == 2
    assert "broken.toml" in output and "TOML" in output


def test_missing_config_file_is_exit_2(tmp_path: Path) -> None:
    code, output = _scan(tmp_path / "absent.toml", tmp_path / "out")
    assert code == 2
    assert "absent.toml" in output


def test_malformed_inventory_names_file_and_key(
    tmp_path: Path, write_config: Callable[..., Path], demo_estate: dict[str, object]
) -> None:
    buckets = demo_estate["buckets"]
    assert isinstance(buckets, list)
    buckets[2]["locations"][0]["role"] = "somewhere"
    config = write_config(demo_estate)
    out = tmp_path / "out"
    code, output = _scan(config, out)
    assert code == 2, output
    assert "estate.json" in output
    assert "buckets[2].locations[0].role" in output
    assert not out.exists()


@pytest.mark.parametrize(
    ("old", "new", "key", "named"),
    [
        ('profile = "jp-default"', 'profile = "no-such-profile"', "profile", "no-such-profile"),
        ('profile = "jp-default"', 'profile = "mine.toml"', "profile", "mine.toml"),
        ('path = "estate.json"', 'path = "gone.json"', "providers.fixture.path", "gone.json"),
    ],
)
def test_config_naming_what_does_not_exist_is_exit_2_naming_the_config(
    tmp_path: Path, write_config: Callable[..., Path], old: str, new: str, key: str, named: str
) -> None:
    config = write_config()
    config.write_text(config.read_text().replace(old, new))
    out = tmp_path / "out"
    code, output = _scan(config, out)
    assert code == 2, output
    assert f"{config}: {key}: " in output
    assert named in output
    assert not (out / "findings.json").exists()


def test_unknown_profile_option_of_evaluate_is_exit_2_naming_the_option(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["evaluate", str(DEMO_ESTATE), "--profile", "nope", "-o", str(out), "-q"]
    )
    assert result.exit_code == 2, result.output
    assert "--profile: unknown profile 'nope'" in result.output
    assert not (out / "findings.json").exists()


def test_a_bucket_listed_twice_in_an_inventory_is_exit_2_naming_file_and_bucket(
    tmp_path: Path, demo_estate: dict[str, object]
) -> None:
    buckets = demo_estate["buckets"]
    assert isinstance(buckets, list)
    again = dict(buckets[4], name="renamed copy")  # same provider and uid
    buckets.append(again)
    estate = tmp_path / "estate.json"
    estate.write_text(json.dumps(demo_estate), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["evaluate", str(estate), "-o", str(out), "-q"])
    assert result.exit_code == 2, result.output
    assert f"{estate}: buckets[{len(buckets) - 1}].uid: " in result.output
    assert f"'{again['uid']}' is listed twice (first at buckets[4])" in result.output
    assert not (out / "findings.json").exists()
    # the same file served by the fixture provider stops the scan the same way
    config = tmp_path / "scan.toml"
    config.write_text('[providers.fixture]\npath = "estate.json"\n', encoding="utf-8")
    code, output = _scan(config, out)
    assert code == 2, output
    assert "is listed twice" in output and not (out / "findings.json").exists()
