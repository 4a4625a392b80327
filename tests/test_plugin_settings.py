"""The value types the provider plugins' settings models share: typed values, one wording for one
kind of mistake, and errors that name the exact dotted key."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from typing import Annotated, Literal

import pytest
from pydantic import Field

from residency_audit.errors import ConfigError
from residency_audit.plugin_settings import (
    Count,
    Flag,
    HttpUrl,
    InventoryKeys,
    Number,
    Text,
    parse_table,
)
from residency_audit.validation import StrictModel


class Nested(StrictModel):
    name: Text | None = None
    flag: Flag = False


class MyCloud(InventoryKeys):
    name: Text | None = None
    flag: Flag = True
    workers: Annotated[Count, Field(ge=1, le=64)] = 8
    rate: Annotated[Number, Field(gt=0, le=120)] | None = None
    mode: Literal["standard", "adaptive"] = "standard"
    ids: tuple[Text, ...] | None = None
    endpoint: HttpUrl | None = None
    nested: dict[str, Nested] | None = None


def _table(toml: str) -> MyCloud:
    return parse_table(MyCloud, tomllib.loads(toml)["providers"]["mycloud"], "providers.mycloud")


def _error(toml: str) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        _table(toml)
    return err.value


def test_unknown_keys_are_refused_naming_the_first_and_listing_the_known() -> None:
    err = _error('[providers.mycloud]\nzone = "a"\nregion = "b"\nname = "x"\n')
    assert err.key == "providers.mycloud.region"
    assert err.message.startswith("unknown key(s) region, zone; known: endpoint, flag, ids")


def test_absent_and_none_keys_give_the_default() -> None:
    table = _table("[providers.mycloud]\n")
    assert (table.name, table.flag, table.workers, table.rate, table.mode) == (
        None,
        True,
        8,
        None,
        "standard",
    )
    assert (table.ids, table.endpoint, table.nested, table.max_age) == (
        None,
        None,
        None,
        timedelta(hours=24),
    )
    from_python = parse_table(MyCloud, {"name": None, "workers": None}, "providers.mycloud")
    assert (from_python.name, from_python.workers) == (None, 8)


def test_text_is_trimmed_and_must_not_be_blank() -> None:
    assert _table('[providers.mycloud]\nname = "  audit  "\n').name == "audit"
    err = _error('[providers.mycloud]\nname = "   "\n')
    assert (err.key, err.message) == ("providers.mycloud.name", "must not be empty")
    err = _error("[providers.mycloud]\nname = 3\n")
    assert (err.key, err.message) == ("providers.mycloud.name", "must be a string (got a number)")


def test_choice() -> None:
    assert _table('[providers.mycloud]\nmode = "adaptive"\n').mode == "adaptive"
    err = _error('[providers.mycloud]\nmode = "legacy"\n')
    assert (err.key, err.message) == (
        "providers.mycloud.mode",
        "must be one of standard or adaptive",
    )


def test_flag_accepts_only_true_or_false() -> None:
    assert _table("[providers.mycloud]\nflag = false\n").flag is False
    err = _error('[providers.mycloud]\nflag = "yes"\n')
    assert (err.key, err.message) == (
        "providers.mycloud.flag",
        "must be true or false (got a string)",
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "must be at least 1"),
        ("65", "must be at most 64"),
        ("true", "must be an integer (got a boolean)"),
        ('"8"', "must be an integer (got a string)"),
        ("2.5", "must be an integer (got a number)"),
    ],
)
def test_count_out_of_range_or_not_an_integer(value: str, message: str) -> None:
    err = _error(f"[providers.mycloud]\nworkers = {value}\n")
    assert (err.key, err.message) == ("providers.mycloud.workers", message)


def test_count_bounds_are_inclusive() -> None:
    assert _table("[providers.mycloud]\nworkers = 64\n").workers == 64
    assert _table("[providers.mycloud]\nworkers = 1\n").workers == 1


def test_number_is_positive_and_bounded() -> None:
    assert _table("[providers.mycloud]\nrate = 2\n").rate == 2.0
    assert _table("[providers.mycloud]\nrate = 120.0\n").rate == 120.0
    err = _error("[providers.mycloud]\nrate = 0\n")
    assert (err.key, err.message) == ("providers.mycloud.rate", "must be above 0")
    err = _error("[providers.mycloud]\nrate = 121\n")
    assert (err.key, err.message) == ("providers.mycloud.rate", "must be at most 120")
    err = _error("[providers.mycloud]\nrate = true\n")
    assert (err.key, err.message) == ("providers.mycloud.rate", "must be a number (got a boolean)")


def test_lists_keep_order_and_name_the_item_that_is_wrong() -> None:
    assert _table('[providers.mycloud]\nids = ["b", "a", "b"]\n').ids == ("b", "a", "b")
    err = _error('[providers.mycloud]\nids = "a"\n')
    assert (err.key, err.message) == ("providers.mycloud.ids", "must be an array (got a string)")
    err = _error('[providers.mycloud]\nids = ["a", 3]\n')
    assert (err.key, err.message) == (
        "providers.mycloud.ids[1]",
        "must be a string (got a number)",
    )


def test_nested_table_errors_name_the_full_path() -> None:
    table = _table('[providers.mycloud.nested.aws-cn]\nname = "china"\n')
    assert table.nested is not None and table.nested["aws-cn"].name == "china"
    err = _error('[providers.mycloud.nested.aws-cn]\nname = "china"\nflag = 1\n')
    assert err.key == "providers.mycloud.nested.aws-cn.flag"
    err = _error("[providers.mycloud.nested.aws-cn]\nmax_workers = 3\n")
    assert (err.key, err.message) == (
        "providers.mycloud.nested.aws-cn.max_workers",
        "unknown key(s) max_workers; known: flag, name",
    )
    err = _error('[providers.mycloud]\nnested = "x"\n')
    assert (err.key, err.message) == ("providers.mycloud.nested", "must be a table (got a string)")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://127.0.0.1:9023/", "http://127.0.0.1:9023"),
        ("https://management.azure.com", "https://management.azure.com"),
        ("http://[::1]:8080/storage/v1/", "http://[::1]:8080/storage/v1"),
    ],
)
def test_url_accepts_http_and_https(value: str, expected: str) -> None:
    assert _table(f'[providers.mycloud]\nendpoint = "{value}"\n').endpoint == expected


@pytest.mark.parametrize(
    "value",
    ["localhost:9023", "ftp://host", "https://", "http://[::1", "http://host:port", "http://a b"],
)
def test_url_refuses_what_is_not_an_http_url(value: str) -> None:
    err = _error(f'[providers.mycloud]\nendpoint = "{value}"\n')
    assert (err.key, err.message) == ("providers.mycloud.endpoint", "must be an http(s) URL")


def test_url_refuses_credentials_without_echoing_them() -> None:
    err = _error('[providers.mycloud]\nendpoint = "https://auditor:hunter2@example.com"\n')
    assert err.key == "providers.mycloud.endpoint"
    assert "credentials" in err.message
    assert "hunter2" not in str(err)


def test_the_inventory_keys_every_plugin_shares() -> None:
    table = _table('[providers.mycloud]\nsource = "inventory"\nmax_age = "90m"\n')
    assert (table.source, table.max_age, table.verify_sample) == (
        "inventory",
        timedelta(minutes=90),
        0,
    )
    err = _error('[providers.mycloud]\nmax_age = "soon"\n')
    assert err.key == "providers.mycloud.max_age" and "duration" in err.message
    live = _table("[providers.mycloud]\nverify_sample = 5\n")
    with pytest.raises(ConfigError) as raised:
        live.live_only("providers.mycloud", ())
    assert raised.value.key == "providers.mycloud.verify_sample"
    assert 'source = "inventory"' in raised.value.message
