"""Public-access evidence and encryption details as values, put into words by the term tables.

What a reader notices: every fact in the report's language (the Japanese text has English only
in codes and quotations), an inventory written before still loads (its sentences quoted as they
were), a fact the tables do not know is shown as its code rather than dropped, and a hostile
subject or API text stays inert."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from residency_audit.evidence import detail_text, details_text, evidence_text
from residency_audit.inventory_file import load_inventory
from residency_audit.markup import CODE_CLOSE, CODE_OPEN, MARKS, QUOTE_CLOSE, QUOTE_OPEN, plain
from residency_audit.model import (
    Bucket,
    Encryption,
    EncryptionTier,
    Evidence,
    Gap,
    Inventory,
    PublicAccess,
    PublicVerdict,
)
from residency_audit.plaintext import clean_model
from residency_audit.rules.exposure import public_access_drafts
from residency_audit.terms import all_terms
from residency_audit.testing import unworded
from tests.report_builders import HOSTILE, HOSTILE_ERR, build_result
from tests.test_report_browser import Watched, browser  # noqa: F401 - fixture

TERMS = Path(__file__).parents[1] / "src" / "residency_audit" / "terms" / "evidence.json"
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _legacy_inventory(tmp_path: Path) -> Path:
    """An inventory as the v1 writer wrote it before evidence became values."""
    bucket = {
        "provider": "aws",
        "scope": "111122223333",
        "name": "old",
        "uid": "arn:aws:s3:::old",
        "encryption": {
            "tier": "customer-managed",
            "key_id": "k",
            "detail": "SSE-KMS, customer managed key",
        },
        "public_access": {"verdict": "public", "evidence": ["ACL grants READ to AllUsers"]},
    }
    quiet = bucket | {
        "name": "quiet",
        "uid": "arn:aws:s3:::quiet",
        "encryption": {"tier": "provider-managed", "key_id": None, "detail": None},
    }
    path = tmp_path / "inventory.json"
    data = {"schema": "residency-audit/inventory/v1", "buckets": [bucket, quiet]}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_an_inventory_written_before_loads_with_its_sentences_quoted(tmp_path: Path) -> None:
    old, quiet = load_inventory(_legacy_inventory(tmp_path)).buckets
    [fact] = old.public_access.evidence
    assert fact == Evidence(key="text", text="ACL grants READ to AllUsers")
    assert plain(evidence_text(fact, "ja"), "ja") == "「ACL grants READ to AllUsers」"
    assert evidence_text(fact, "en") == QUOTE_OPEN + "ACL grants READ to AllUsers" + QUOTE_CLOSE
    [detail] = old.encryption.details
    assert plain(detail_text(detail, "ja"), "ja") == "「SSE-KMS, customer managed key」"
    assert quiet.encryption.details == ()


def test_an_inventory_written_now_reads_back_the_same_values(tmp_path: Path) -> None:
    bucket = Bucket(
        provider="gcp",
        scope="p",
        name="b",
        uid="gs://b",
        encryption=Encryption(
            tier=EncryptionTier.CUSTOMER_MANAGED, details=(Evidence(key="gcs.cmek"),)
        ),
        public_access=PublicAccess(
            verdict=PublicVerdict.PUBLIC,
            evidence=(Evidence(key="gcs.acl-grant", subject="allUsers", value="READER"),),
        ),
    )
    path = tmp_path / "inventory.json"
    path.write_text(Inventory(buckets=(bucket,)).model_dump_json(by_alias=True), encoding="utf-8")
    assert json.loads(path.read_text())["schema"] == "residency-audit/inventory/v1"
    assert load_inventory(path).buckets == (bucket,)


def test_a_fact_the_tables_do_not_know_is_shown_as_its_code_never_dropped() -> None:
    item = Evidence(key="aws.future-setting", subject="NewFlag", value="on", text="as said")
    assert (
        plain(evidence_text(item, "ja"), "ja")
        == "aws.future-setting（NewFlag）: 有効（「as said」）"
    )
    assert evidence_text(item, "en").startswith(CODE_OPEN + "aws.future-setting" + CODE_CLOSE)
    assert unworded([item]) == ["aws.future-setting: no term evidence.aws.future-setting"]


@pytest.mark.parametrize(
    "hostile",
    [
        "</script><script>alert(1)</script>",
        f"x{CODE_CLOSE}<b>{CODE_OPEN}y{QUOTE_OPEN}z",
        "{value} {text} `code`",
        "a\x00b\x1b[2J",
    ],
)
def test_a_hostile_subject_or_api_text_stays_one_inert_code_or_quotation(hostile: str) -> None:
    item = Evidence(key="gcs.acl-grant", subject=hostile, value=hostile)
    refused = Evidence(key="azure.anonymous-listing", value="refused", text=hostile)
    for lang in ("ja", "en"):
        text = evidence_text(item, lang)
        codes = re.findall(f"{CODE_OPEN}([^{CODE_CLOSE}]*){CODE_CLOSE}", text)
        stripped = re.sub(f"[{MARKS}]", "", hostile)
        assert codes == [stripped, stripped]  # the subject and the value, each one whole code
        quoted = evidence_text(refused, lang)
        assert quoted.count(QUOTE_OPEN) == quoted.count(QUOTE_CLOSE) == 1
        assert QUOTE_OPEN + stripped + QUOTE_CLOSE in quoted  # no placeholder filled inside it


def test_a_control_character_or_mark_in_a_plugin_s_evidence_is_replaced_where_it_enters() -> None:
    dirty = Evidence(key="gcs.acl-grant", subject=f"a\x1b[2J{CODE_OPEN}b", value="READER")
    bucket = Bucket(
        provider="gcp",
        scope="p",
        name="b",
        uid="gs://b",
        encryption=Encryption(
            tier=EncryptionTier.UNKNOWN, details=(Evidence(key="x", text="\x00"),)
        ),
        public_access=PublicAccess(verdict=PublicVerdict.PUBLIC, evidence=(dirty,)),
    )
    clean = clean_model(bucket)
    assert clean.public_access.evidence[0].subject == "a\ufffd[2J\ufffdb"
    assert clean.encryption.details[0].text == "\ufffd"


def test_every_evidence_term_reads_as_japanese_outside_its_codes() -> None:
    terms = {k: v for k, v in json.loads(TERMS.read_text(encoding="utf-8")).items() if k[0] != "_"}
    assert terms and all(k.startswith(("evidence.", "encryption_detail.")) for k in terms)
    for key, words in terms.items():
        for lang in ("ja", "en"):
            assert set(PLACEHOLDER.findall(words[lang])) <= {"subject", "value", "text"}, key
            assert words[lang].count("`") % 2 == 0, key
        # the same placeholders in both languages: neither drops a part the other shows
        assert sorted(PLACEHOLDER.findall(words["ja"])) == sorted(PLACEHOLDER.findall(words["en"]))
        kind, _, rest = key.partition(".")
        parent, _, value = rest.rpartition(".")
        if parent == "value":  # a shared value: after an unknown key's code, only its words
            item = Evidence(key="no-such-key", value=value)
            problems = [p for p in unworded([item], kind) if "no term" not in p]
        elif f"{kind}.{parent}" in terms:  # a value of one key
            problems = unworded([Evidence(key=parent, value=value)], kind)
        else:
            problems = unworded([Evidence(key=rest)], kind)
        assert problems == [], key
    assert set(terms) <= set(all_terms())


def test_encryption_details_make_one_line_per_language() -> None:
    details = (
        Evidence(key="aws.sse-kms", value="customer-managed"),
        Evidence(key="aws.kms-multi-region"),
    )
    assert plain(details_text(details, "ja"), "ja") == (
        "AWS KMS キーによるサーバー側暗号化（SSE-KMS）: カスタマーマネージドキー、"
        "マルチリージョンキー"
    )
    assert plain(details_text(details, "en"), "en") == (
        "server-side encryption with AWS KMS keys (SSE-KMS): customer managed key; multi-Region key"
    )


def test_the_public_access_finding_gives_its_evidence_in_each_language() -> None:
    bucket = Bucket(
        provider="azure",
        scope="sub",
        name="acct/c",
        uid="/subscriptions/sub/x",
        public_access=PublicAccess(
            verdict=PublicVerdict.NOT_BLOCKED,
            evidence=(
                Evidence(key="azure.allow-blob-public-access", value="false"),
                Evidence(key="azure.network-default-action", value="Allow"),
            ),
        ),
        gaps=(
            Gap(
                field="public_access.anonymous_listing",
                reason="Server failed",
                error_code="ServerBusy",
            ),
        ),
    )
    [draft] = public_access_drafts(bucket)
    ja, en = plain(draft.message.ja, "ja"), plain(draft.message.en, "en")
    assert (
        "（根拠: 匿名アクセスの許可（allowBlobPublicAccess）: 無効、ファイアウォールの既定の動作"
        "（networkAcls.defaultAction）: すべてのネットワークからのアクセスを許可（Allow）、"
        "匿名での一覧取得の確認（public_access.anonymous_listing）を読み取れませんでした"
        "（ServerBusy 「Server failed」））" in ja
    )
    assert "anonymous blob access (allowBlobPublicAccess): off; firewall default action" in en
    assert (
        "anonymous listing check (public_access.anonymous_listing) not read "
        "(ServerBusy \u201cServer failed\u201d))" in en
    )


@pytest.mark.browser
def test_a_bucket_card_shows_hostile_evidence_as_one_code_and_one_quotation(
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    w = Watched(browser)
    page = w.open(build_result(), tmp_path)
    card = page.locator(
        "#bucket-list details.bucket", has=page.locator("summary strong:text-is('replicated-hk')")
    )
    card.locator("summary").click()
    items = card.locator("ul.evidence li")
    items.first.wait_for()
    grant, refused = items.all()
    # the principal is the whole text of one code element, the API's answer of one quotation
    assert grant.locator("code").all_inner_texts() == [HOSTILE, "READ"]
    assert grant.inner_text() == f"ACL で {HOSTILE} に READ を付与"
    assert refused.locator("q").all_text_contents() == [HOSTILE_ERR]
    assert refused.inner_text().startswith("匿名でのコンテナー一覧の取得: 拒否")
    assert page.locator("#bucket-list script, #bucket-list svg, #bucket-list b").count() == 0
    assert w.errors == [] and w.dialogs == []
    w.close()
