"""`scan --provider/--project/--subscription/...` become the providers' settings: narrowing a
config file, overriding its values, and each plugin deciding which key an option sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.cli_scope import CommandLineScope, scoped_config, split_values
from residency_audit.config import parse_config
from residency_audit.errors import ConfigError, InputError
from residency_audit.scan import build_providers

CONFIG = {
    "providers": {
        "aws": {"regions": ["eu-west-1"], "role_name": "Auditor"},
        "gcp": {"organization": "organizations/123", "max_workers": 4},
        "azure": {"subscriptions": ["00000000-0000-0000-0000-000000000001"]},
    }
}


def test_without_a_config_each_named_provider_starts_from_its_defaults() -> None:
    scoped = scoped_config(None, CommandLineScope(("gcp", "azure"), {"project": ("p-one1",)}))

    assert scoped.config.providers == {"gcp": {"projects": ["p-one1"]}, "azure": {}}
    assert set(build_providers(scoped.config)) == {"gcp", "azure"}


def test_provider_narrows_a_config_and_options_win_over_its_values() -> None:
    config = parse_config(CONFIG, source="scan.toml", base_dir=Path("."))
    scope = CommandLineScope(
        ("aws", "gcp"),
        {"region": ("ap-northeast-1",), "project": ("p-one1", "p-two2"), "aws_profile": "audit"},
    )

    providers = scoped_config(config, scope).config.providers

    assert set(providers) == {"aws", "gcp"}  # azure left out
    # the option's key replaced, the rest of the file's table kept
    assert providers["aws"] == {
        "regions": ["ap-northeast-1"],
        "role_name": "Auditor",
        "profile": "audit",
    }
    # named projects replace the organisation: the scan covers exactly those
    assert providers["gcp"] == {"projects": ["p-one1", "p-two2"], "max_workers": 4}
    built = build_providers(scoped_config(config, scope).config)
    assert [s.id for s in built["gcp"].scopes()] == ["p-one1", "p-two2"]


def test_without_provider_an_option_goes_to_every_configured_provider_that_takes_it() -> None:
    config = parse_config(CONFIG, source="scan.toml", base_dir=Path("."))
    scope = CommandLineScope((), {"subscription": ("sub-a",)})

    providers = scoped_config(config, scope).config.providers

    assert providers["azure"]["subscriptions"] == ["sub-a"]
    assert providers["aws"] == CONFIG["providers"]["aws"]


def test_a_value_the_plugin_refuses_is_named_by_its_option() -> None:
    scoped = scoped_config(None, CommandLineScope(("gcp",), {"project": ("Not_A_Project",)}))

    with pytest.raises(ConfigError) as caught:
        build_providers(scoped.config)

    told = scoped.explain(caught.value)
    assert str(told).startswith("--project: ")
    assert "'Not_A_Project' is not a valid project id" in str(told)
    # an error in a key no option set stays the file's
    other = ConfigError("bad", file="scan.toml", key="providers.gcp.timeout")
    assert scoped.explain(other) is other


def test_an_option_no_scanned_provider_takes_is_refused() -> None:
    with pytest.raises(InputError, match=r"--subscription applies to azure, .* covers aws"):
        scoped_config(None, CommandLineScope(("aws",), {"subscription": ("s",)}))


def test_values_may_be_repeated_or_comma_separated_and_count_once() -> None:
    assert split_values(("a,b", " c ", "a", ",")) == ("a", "b", "c")


def test_a_missing_setting_an_option_could_give_names_the_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from residency_audit.plugins import load_provider_class

    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")  # no credentials read
    scoped = scoped_config(None, CommandLineScope(("gcp",), {}))
    provider = load_provider_class("gcp").from_settings(scoped.config.providers["gcp"])

    with pytest.raises(ConfigError) as caught:
        list(provider.scopes())

    assert str(scoped.explain(caught.value)).endswith("(or give --project)")
