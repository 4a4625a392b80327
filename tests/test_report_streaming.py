"""The HTML report from findings and buckets on disk (issue 14, part 4).

A large scan keeps its findings and buckets in Spills: every pass over one parses each item
again, and all of them as objects would not fit the memory budget. So the page is built in one
pass over each (after the one that puts it in order) and keeps only counts, capped lists and the
page data's columns -- and says exactly what it says when the result is held in memory.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel

from residency_audit import report
from residency_audit.model import Bucket, Finding
from residency_audit.report import view
from residency_audit.report.guideline_ref import guideline_reference
from residency_audit.results import ScanResult
from residency_audit.spill import Spill, SpillWriter
from tests.report_builders import build_result, demo_result, synthetic_result

M = TypeVar("M", bound=BaseModel)


def _spill(items: Any, model: type[M]) -> Spill[M]:
    writer = SpillWriter(model)
    writer.extend(items)
    return writer.finish()


def _on_disk(result: ScanResult) -> ScanResult:
    """The same result with its findings and buckets in Spills, as a large scan holds them."""
    inventory = result.inventory.model_copy(
        update={"buckets": _spill(result.inventory.buckets, Bucket)}
    )
    return result.model_copy(
        update={"findings": _spill(result.findings, Finding), "inventory": inventory}
    )


class _Watch:
    """Counts passes over each Spill and every item parsed, and the most parsed findings and
    buckets alive at once (each is watched by a weak reference from the moment it is parsed)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.passes: Counter[type[BaseModel]] = Counter()
        self.parsed: Counter[type[BaseModel]] = Counter()
        self.most_alive: Counter[type[BaseModel]] = Counter()
        self._alive: Counter[type[BaseModel]] = Counter()
        passes_over = Spill.__iter__

        def counted(spill: Spill[Any]) -> Iterator[Any]:
            self.passes[spill.model] += 1
            yield from passes_over(spill)

        monkeypatch.setattr(Spill, "__iter__", counted)
        for model in (Finding, Bucket):
            monkeypatch.setattr(model, "model_validate_json", self._parser(model))

    def _parser(self, model: type[M]) -> Callable[..., M]:
        parse = model.model_validate_json

        def parsed(data: Any, **kw: Any) -> M:
            item = parse(data, **kw)
            self.parsed[model] += 1
            self._alive[model] += 1
            weakref.finalize(item, self._alive.subtract, [model])
            self.most_alive[model] = max(self.most_alive[model], self._alive[model])
            return item

        return parsed


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("make", [build_result, demo_result, lambda: demo_result(history=True)])
def test_page_from_spills_is_the_page_from_memory(
    make: Callable[[], ScanResult], lang: str
) -> None:
    result = make()
    assert report.render_html(_on_disk(result), lang) == report.render_html(result, lang)


def test_large_page_reads_each_spill_twice_and_keeps_only_the_capped_lists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = synthetic_result(1400)  # with history: a thousand NEW findings, a hundred suppressed
    expected = report.render_html(result, "en")
    on_disk = _on_disk(result)
    findings, buckets = len(on_disk.findings), len(on_disk.inventory.buckets)
    watch = _Watch(monkeypatch)

    page = report.render_html(on_disk, "en")

    assert page == expected
    # one pass to put each in order, one to read it: nothing parsed a third time
    assert watch.passes[Finding] <= 2 and watch.passes[Bucket] <= 2
    assert watch.parsed[Finding] <= 2 * findings and watch.parsed[Bucket] <= 2 * buckets
    # what the page lists is capped: the changes (new, reopened), the suppressed findings, each
    # guideline item's worst few; the coverage lists (gaps, unknown, unverified, unclassified)
    cap, items = report.html.LIST_CAP, len(guideline_reference().item_ids())
    finding_caps, bucket_caps = 3 * cap + items * view.TOP_PER_ITEM, 4 * cap
    assert findings > 5 * finding_caps and buckets > 3 * bucket_caps  # "all" is far beyond them
    assert watch.most_alive[Finding] <= finding_caps + 1  # + the one being read
    assert watch.most_alive[Bucket] <= bucket_caps + 1


def test_capped_list_counts_everything_but_keeps_only_the_first() -> None:
    keep: view.Keep[int] = view.Keep(3)
    for n in range(10):
        keep.add(n)
    listed = keep.capped()
    assert (len(listed), list(listed), bool(listed)) == (10, [0, 1, 2], True)
    assert view.capped(listed, 2) == ((0, 1), 8)  # as the templates show it: 2 and "8 more"
    assert view.capped(listed, 5) == ((0, 1, 2), 7)
    assert view.capped([0, 1, 2], 2) == ([0, 1], 1)
    assert not view.Keep(3).capped()
