"""Policy profiles: built-in sets, user profile files, validation, weakening, content hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.errors import ConfigError
from residency_audit.profiles import (
    Profile,
    Tier,
    builtin_profiles,
    describe_profile,
    load_profile,
    profile_summary,
)

GROUP_D = {"AF", "CF", "CD", "IQ", "LB", "LY", "KP", "SO", "SS", "SD", "IR"}
GROUP_A = {
    "AR", "AU", "AT", "BE", "BG", "CA", "CZ", "DK", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "KR", "LU", "NL", "NZ", "NO", "PL", "PT", "ES", "SE", "CH", "GB", "US",
}  # fmt: skip
GOV_ACCESS = {"CN", "HK", "MO", "RU", "BY", "KP", "IR"}


def write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- built-ins -----------------------------------------------------------------------------


def test_builtin_names() -> None:
    assert builtin_profiles() == ["jp-default", "jp-group-d"]


def test_jp_default_sets() -> None:
    p = load_profile("jp-default")
    assert set(p.concern) == GROUP_D | {"RU", "BY", "CN", "HK", "MO"}
    assert set(p.government_access) == GOV_ACCESS
    assert set(p.allowed) == GROUP_A | {"JP"}
    assert len(GROUP_A) == 27
    assert p.base is None and p.weakened == ()


def test_jp_group_d_sets() -> None:
    p = load_profile("jp-group-d")
    assert set(p.concern) == GROUP_D | {"RU", "BY"}
    assert set(p.government_access) == GOV_ACCESS
    assert set(p.allowed) == GROUP_A | {"JP"}


@pytest.mark.parametrize(
    ("profile", "country", "tier", "gov"),
    [
        ("jp-default", "JP", Tier.ALLOWED, False),
        ("jp-default", "US", Tier.ALLOWED, False),
        ("jp-default", "KR", Tier.ALLOWED, False),
        ("jp-default", "SG", Tier.CAUTION, False),
        ("jp-default", "TW", Tier.CAUTION, False),  # Taiwan is not China
        ("jp-default", "AE", Tier.CAUTION, False),
        ("jp-default", "HK", Tier.CONCERN, True),
        ("jp-default", "CN", Tier.CONCERN, True),
        ("jp-default", "IR", Tier.CONCERN, True),
        ("jp-default", "SS", Tier.CONCERN, False),
        ("jp-group-d", "HK", Tier.CAUTION, True),  # still (2)-2, no longer (2)-1
        ("jp-group-d", "RU", Tier.CONCERN, True),
    ],
)
def test_classification(profile: str, country: str, tier: Tier, gov: bool) -> None:
    policy = load_profile(profile).classify(country)
    assert policy.tier is tier
    assert policy.government_access is gov


@pytest.mark.parametrize("name", ["jp-default", "jp-group-d"])
def test_every_builtin_country_has_a_bilingual_sourced_basis(name: str) -> None:
    p = load_profile(name)
    for set_name in ("concern", "government_access", "allowed"):
        members: dict[str, tuple[object, ...]] = getattr(p, set_name)
        for cc, bases in members.items():
            assert bases, (set_name, cc)
            for b in p.classify(cc).bases:
                assert b.label_en.strip() and b.label_ja.strip() and b.source.strip(), cc


def test_iraq_and_north_korea_carry_both_appendix_bases() -> None:
    p = load_profile("jp-default")
    labels = [b.label_en for b in p.concern["IQ"]]
    assert any("Appended Table 3-2" in s for s in labels)
    assert any("Appended Table 4" in s for s in labels)
    assert len(p.concern["KP"]) == 2


def test_china_group_is_labelled_as_policy_default() -> None:
    p = load_profile("jp-default")
    for cc in ("CN", "HK", "MO"):
        assert all(b.policy_default for b in p.concern[cc]), cc
        assert all("Policy default" in b.label_en for b in p.concern[cc]), cc
    assert not any(b.policy_default for b in p.concern["IR"])


def test_unverified_facts_are_marked() -> None:
    p = load_profile("jp-default")
    (ss,) = p.concern["SS"]
    assert "UNVERIFIED" in ss.label_en and "UNVERIFIED" in ss.source
    assert any("UNVERIFIED" in b.source for b in p.concern["IR"])


def test_unknown_builtin_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as err:
        load_profile("jp-strict")
    assert "jp-default" in str(err.value)


# -- hash ----------------------------------------------------------------------------------


def test_sha256_is_stable_and_differs_between_profiles() -> None:
    a, b = load_profile("jp-default"), load_profile("jp-group-d")
    assert len(a.sha256) == 64
    assert a.sha256 == Profile.model_validate(a.model_dump()).sha256
    assert a.sha256 != b.sha256


def test_sha256_changes_when_content_changes(tmp_path: Path) -> None:
    head = 'name = "mine"\nextends = "jp-default"\n'
    same1 = load_profile(write(tmp_path, head + '[allowed]\nadd = ["SG"]\n', "a.toml"))
    same2 = load_profile(write(tmp_path, head + '[allowed]\nadd = ["SG"]\n', "b.toml"))
    other = load_profile(write(tmp_path, head + '[allowed]\nadd = ["TH"]\n', "c.toml"))
    sourced = load_profile(
        write(
            tmp_path,
            head + '[allowed]\nadd = [{country="SG", basis_en="x", basis_ja="x", source="s2"}]\n',
            "d.toml",
        )
    )
    assert same1.sha256 == same2.sha256
    assert len({same1.sha256, other.sha256, sourced.sha256}) == 3
    assert same1.sha256 != load_profile("jp-default").sha256


# -- user profiles -------------------------------------------------------------------------


def test_user_profile_add_remove_and_weakening(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
name = "acme"
description_en = "ACME policy"
description_ja = "ACMEの方針"
extends = "jp-default"

[concern]
add = [
  {country = "SY", basis_en = "Group policy", basis_ja = "グループ方針", source = "ACME rule 7"},
]
remove = ["HK"]

[government_access]
remove = ["HK", "MO"]
""",
    )
    p = load_profile(path)
    assert p.name == "acme" and p.base == "jp-default"
    assert p.description_ja == "ACMEの方針"
    assert "SY" in p.concern and "HK" not in p.concern
    (basis,) = p.concern["SY"]
    assert (basis.label_en, basis.label_ja, basis.source) == (
        "Group policy",
        "グループ方針",
        "ACME rule 7",
    )
    assert p.classify("HK").tier is Tier.CAUTION and not p.classify("HK").government_access
    weak = {(w.country, w.removed_from, w.items) for w in p.weakened}
    assert weak == {
        ("HK", "concern", ("(2)-1",)),
        ("HK", "government_access", ("(2)-2",)),
        ("MO", "government_access", ("(2)-2",)),
    }


def test_allowed_replace_jp_only_keeps_the_japan_basis(tmp_path: Path) -> None:
    p = load_profile(
        write(tmp_path, 'name = "jp-only"\nextends = "jp-default"\n[allowed]\nreplace = ["JP"]\n')
    )
    assert list(p.allowed) == ["JP"]
    assert p.allowed["JP"] == load_profile("jp-default").allowed["JP"]
    assert p.classify("US").tier is Tier.CAUTION
    assert p.weakened == ()  # narrowing allowed is stricter, not weaker


def test_adding_without_basis_gets_a_user_basis(tmp_path: Path) -> None:
    p = load_profile(
        write(tmp_path, 'name = "x"\nextends = "jp-group-d"\n[concern]\nadd = ["SY"]\n')
    )
    (basis,) = p.concern["SY"]
    assert "x" in basis.label_en and "x" in basis.label_ja
    assert basis.source == "user profile 'x'" and basis.policy_default


def test_adding_an_existing_country_appends_its_basis(tmp_path: Path) -> None:
    p = load_profile(
        write(
            tmp_path,
            'name = "x"\nextends = "jp-default"\n[concern]\n'
            'add = [{country="IR", basis_en="e", basis_ja="j", source="s"}]\n',
        )
    )
    assert len(p.concern["IR"]) == len(load_profile("jp-default").concern["IR"]) + 1


def test_replacing_concern_records_every_dropped_country(tmp_path: Path) -> None:
    p = load_profile(
        write(tmp_path, 'name = "x"\nextends = "jp-default"\n[concern]\nreplace = ["KP"]\n')
    )
    dropped = {w.country for w in p.weakened if w.removed_from == "concern"}
    assert dropped == set(load_profile("jp-default").concern) - {"KP"}


def test_profile_file_named_like_builtin_is_not_loaded_for_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "garbage", "jp-default")
    assert load_profile("jp-default").name == "jp-default"


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('extends = "jp-default"\n', "name", "missing"),
        ('name = "x"\n', "extends", "missing"),
        ('name = "x"\nextends = "jp-strict"\n', "extends", "jp-strict"),
        ('name = "jp-default"\nextends = "jp-default"\n', "name", "built-in"),
        ('name = 3\nextends = "jp-default"\n', "name", "string"),
        ('name = "x"\nextends = "jp-default"\ncolour = "red"\n', "colour", "unknown key"),
        (
            'name = "x"\nextends = "jp-default"\n[concern]\nadd = ["jp"]\n',
            "concern.add[0]",
            "upper",
        ),
        ('name = "x"\nextends = "jp-default"\n[concern]\nadd = ["XX"]\n', "concern.add[0]", "ISO"),
        ('name = "x"\nextends = "jp-default"\n[concern]\nadd = ["JPN"]\n', "concern.add[0]", "ISO"),
        ('name = "x"\nextends = "jp-default"\n[concern]\nadd = [7]\n', "concern.add[0]", "number"),
        ('name = "x"\nextends = "jp-default"\n[concern]\nadd = "SY"\n', "concern.add", "array"),
        (
            'name = "x"\nextends = "jp-default"\n[concern]\nadd = [{country="ZZ"}]\n',
            "concern.add[0].country",
            "ISO",
        ),
        (
            'name = "x"\nextends = "jp-default"\n[concern]\nadd = [{basis_en="a"}]\n',
            "concern.add[0].country",
            "missing",
        ),
        (
            'name = "x"\nextends = "jp-default"\n[concern]\nadd = [{country="SY", why="a"}]\n',
            "concern.add[0].why",
            "unknown key",
        ),
        (
            'name = "x"\nextends = "jp-default"\n[concern]\nadd = [{country="SY", basis_en="a"}]\n',
            "concern.add[0].basis_ja",
            "together",
        ),
        (
            'name = "x"\nextends = "jp-default"\n[concern]\n'
            'add = [{country="SY", policy_default="yes"}]\n',
            "concern.add[0].policy_default",
            "true or false",
        ),
        (
            'name = "x"\nextends = "jp-default"\n[concern]\nadd = ["SY", "SY"]\n',
            "concern.add[1]",
            "twice",
        ),
        (
            'name = "x"\nextends = "jp-default"\n[concern]\nremove = ["SG"]\n',
            "concern.remove[0]",
            "not in the base",
        ),
        (
            'name = "x"\nextends = "jp-default"\n[concern]\nremove = ["HK"]\nadd = ["HK"]\n',
            "concern.add[0]",
            "both",
        ),
        (
            'name = "x"\nextends = "jp-default"\n[allowed]\nreplace = ["JP"]\nadd = ["SG"]\n',
            "allowed.replace",
            "either",
        ),
        (
            'name = "x"\nextends = "jp-default"\n[allowed]\ndrop = ["JP"]\n',
            "allowed.drop",
            "unknown",
        ),
        ('name = "x"\nextends = "jp-default"\nallowed = ["JP"]\n', "allowed", "table"),
    ],
)
def test_invalid_user_profiles_name_file_and_key(
    tmp_path: Path, text: str, key: str, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_profile(path)
    assert err.value.file == str(path)
    assert err.value.key == key
    assert fragment in err.value.message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x\n')
    with pytest.raises(ConfigError) as err:
        load_profile(str(path))
    assert err.value.file == str(path) and "TOML" in err.value.message


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_profile(tmp_path / "nope.toml")
    assert err.value.file == str(tmp_path / "nope.toml")


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(b'name = "\xff"\n')
    with pytest.raises(ConfigError):
        load_profile(path)


# -- description for the CLI ---------------------------------------------------------------


def test_describe_profile_rows() -> None:
    rows = describe_profile(load_profile("jp-default"))
    by_cc = {r["country"]: r for r in rows}
    assert set(by_cc) == GROUP_D | GROUP_A | GOV_ACCESS | {"JP"}
    assert by_cc["HK"]["tier"] == "concern" and by_cc["HK"]["government_access"] is True
    assert by_cc["HK"]["name"] == "Hong Kong"
    # the report's names, short forms included
    assert (by_cc["HK"]["name_ja"], by_cc["KP"]["name_ja"]) == ("香港", "北朝鮮")
    assert by_cc["KP"]["name"] == "North Korea"
    assert by_cc["JP"]["tier"] == "allowed"
    assert all(r["bases"] for r in rows)
    assert {"label_en", "label_ja", "source", "policy_default"} <= set(by_cc["IR"]["bases"][0])
    tiers = [r["tier"] for r in rows]
    assert tiers == sorted(tiers, key=["concern", "caution", "allowed"].index)


def test_profile_summary_carries_hash_and_weakening(tmp_path: Path) -> None:
    p = load_profile(
        write(tmp_path, 'name = "x"\nextends = "jp-default"\n[concern]\nremove = ["MO"]\n')
    )
    s = profile_summary(p)
    assert s["sha256"] == p.sha256 and s["base"] == "jp-default"
    assert s["weakened"] == [{"country": "MO", "removed_from": "concern", "items": ("(2)-1",)}]
    assert s["default_tier"] == "caution"
