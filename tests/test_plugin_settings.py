"""The settings reader the provider plugins share: typed values, errors that name the exact key."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from residency_audit.errors import ConfigError
from residency_audit.plugin_settings import SettingsReader

ALLOWED = ("name", "flag", "workers", "rate", "mode", "ids", "endpoint", "nested")


def _reader(toml: str) -> SettingsReader:
    table = tomllib.loads(toml)["providers"]["mycloud"]
    return SettingsReader(table, "providers.mycloud", ALLOWED)


def _error(toml: str, read: Any) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        read(_reader(toml))
    return err.value


def test_unknown_keys_are_refused_naming_the_first_and_listing_the_known() -> None:
    with pytest.raises(ConfigError) as err:
        _reader('[providers.mycloud]\nzone = "a"\nregion = "b"\nname = "x"\n')
    assert err.value.key == "providers.mycloud.region"
    assert err.value.message.startswith("unknown setting(s) region, zone; known: endpoint, flag")


def test_absent_keys_give_the_default() -> None:
    reader = _reader("[providers.mycloud]\n")
    assert reader.string("name") is None
    assert reader.string("name", "fallback") == "fallback"
    assert reader.boolean("flag", True) is True
    assert reader.integer("workers", 8, 1, 64) == 8
    assert reader.integer("workers", None, 1, 64) is None
    assert reader.number("rate", None) is None
    assert reader.choice("mode", "standard", ("standard", "adaptive")) == "standard"
    assert reader.string_list("ids", "ids") is None
    assert reader.table("nested") is None
    assert reader.url("endpoint") is None


def test_string_is_trimmed_and_must_not_be_blank() -> None:
    assert _reader('[providers.mycloud]\nname = "  audit  "\n').string("name") == "audit"
    for value in ('"   "', "3"):
        err = _error(f"[providers.mycloud]\nname = {value}\n", lambda r: r.string("name"))
        assert (err.key, err.message) == ("providers.mycloud.name", "must be a non-empty string")


def test_choice() -> None:
    reader = _reader('[providers.mycloud]\nmode = "adaptive"\n')
    assert reader.choice("mode", "standard", ("standard", "adaptive")) == "adaptive"
    err = _error(
        '[providers.mycloud]\nmode = "legacy"\n',
        lambda r: r.choice("mode", "standard", ("standard", "adaptive")),
    )
    assert (err.key, err.message) == ("providers.mycloud.mode", "must be one of standard, adaptive")


def test_boolean_accepts_only_true_or_false() -> None:
    assert _reader("[providers.mycloud]\nflag = false\n").boolean("flag", True) is False
    err = _error('[providers.mycloud]\nflag = "yes"\n', lambda r: r.boolean("flag", False))
    assert (err.key, err.message) == ("providers.mycloud.flag", "must be true or false")


@pytest.mark.parametrize("value", ["0", "65", "true", '"8"', "2.5"])
def test_integer_out_of_range_or_not_an_integer(value: str) -> None:
    err = _error(
        f"[providers.mycloud]\nworkers = {value}\n", lambda r: r.integer("workers", 8, 1, 64)
    )
    assert (err.key, err.message) == (
        "providers.mycloud.workers",
        "must be an integer from 1 to 64",
    )


def test_integer_bounds_are_inclusive() -> None:
    assert _reader("[providers.mycloud]\nworkers = 64\n").integer("workers", 8, 1, 64) == 64
    assert _reader("[providers.mycloud]\nworkers = 1\n").integer("workers", 8, 1, 64) == 1


def test_number_is_positive_and_bounded() -> None:
    assert _reader("[providers.mycloud]\nrate = 2\n").number("rate", None) == 2.0
    assert _reader("[providers.mycloud]\nrate = 120.0\n").number("rate", 5.0, high=120) == 120.0
    err = _error("[providers.mycloud]\nrate = 0\n", lambda r: r.number("rate", None))
    assert (err.key, err.message) == ("providers.mycloud.rate", "must be a positive number")
    err = _error("[providers.mycloud]\nrate = 121\n", lambda r: r.number("rate", 5.0, high=120))
    assert (err.key, err.message) == (
        "providers.mycloud.rate",
        "must be a positive number up to 120",
    )
    err = _error("[providers.mycloud]\nrate = true\n", lambda r: r.number("rate", None))
    assert err.key == "providers.mycloud.rate"


def test_string_list_keeps_order_and_repeats_for_the_plugin_to_judge() -> None:
    reader = _reader('[providers.mycloud]\nids = ["b", "a", "b"]\n')
    assert reader.string_list("ids", "project ids") == ("b", "a", "b")
    assert _reader("[providers.mycloud]\nids = []\n").string_list("ids", "project ids") == ()


@pytest.mark.parametrize(
    ("value", "non_empty", "message"),
    [
        ('"a"', False, "must be a list of project ids"),
        ('["a", 3]', False, "must be a list of project ids"),
        ("[]", True, "must be a non-empty list of project ids"),
    ],
)
def test_string_list_errors(value: str, non_empty: bool, message: str) -> None:
    err = _error(
        f"[providers.mycloud]\nids = {value}\n",
        lambda r: r.string_list("ids", "project ids", non_empty=non_empty),
    )
    assert (err.key, err.message) == ("providers.mycloud.ids", message)


def test_nested_table_errors_name_the_full_path() -> None:
    reader = _reader('[providers.mycloud.nested.aws-cn]\nname = "china"\nflag = 1\n')
    nested = reader.table("nested")
    assert nested is not None and nested.prefix == "providers.mycloud.nested"
    child = nested.table("aws-cn", ("name", "flag"))
    assert child is not None and child.string("name") == "china"
    with pytest.raises(ConfigError) as err:
        child.boolean("flag", False)
    assert err.value.key == "providers.mycloud.nested.aws-cn.flag"
    assert nested.error("aws-cn", "x").key == "providers.mycloud.nested.aws-cn"


def test_nested_table_unknown_key_and_wrong_type() -> None:
    nested = _reader("[providers.mycloud.nested.aws-cn]\nmax_workers = 3\n").table("nested")
    assert nested is not None
    with pytest.raises(ConfigError) as err:
        nested.table("aws-cn", ("name",))
    assert err.value.key == "providers.mycloud.nested.aws-cn.max_workers"
    err = _error(
        '[providers.mycloud]\nnested = "x"\n',
        lambda r: r.table("nested", message="must be a table of partitions"),
    )
    assert (err.key, err.message) == ("providers.mycloud.nested", "must be a table of partitions")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://127.0.0.1:9023/", "http://127.0.0.1:9023"),
        ("https://management.azure.com", "https://management.azure.com"),
        ("http://[::1]:8080/storage/v1/", "http://[::1]:8080/storage/v1"),
    ],
)
def test_url_accepts_http_and_https(value: str, expected: str) -> None:
    assert _reader(f'[providers.mycloud]\nendpoint = "{value}"\n').url("endpoint") == expected


@pytest.mark.parametrize(
    "value",
    ["localhost:9023", "ftp://host", "https://", "http://[::1", "http://host:port", "http://a b"],
)
def test_url_refuses_what_is_not_an_http_url(value: str) -> None:
    err = _error(f'[providers.mycloud]\nendpoint = "{value}"\n', lambda r: r.url("endpoint"))
    assert (err.key, err.message) == ("providers.mycloud.endpoint", "must be an http(s) URL")


def test_url_refuses_credentials_without_echoing_them() -> None:
    err = _error(
        '[providers.mycloud]\nendpoint = "https://auditor:hunter2@example.com"\n',
        lambda r: r.url("endpoint"),
    )
    assert err.key == "providers.mycloud.endpoint"
    assert "credentials" in err.message
    assert "hunter2" not in str(err)
