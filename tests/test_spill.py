"""The on-disk sequence behind large scan results (issue 14, part 4)."""

from __future__ import annotations

import gc
import pickle
import threading
import weakref

import pytest

from residency_audit.model import Text
from residency_audit.spill import Spill, SpillWriter, builder_like, in_order


def _spill(n: int) -> Spill[Text]:
    writer = SpillWriter(Text)
    for i in range(n):
        writer.add(Text(ja=f"日本語 {i}", en=f"text {i:05d}"))
    return writer.finish()


def test_a_spill_reads_back_what_was_written_in_order_and_by_index() -> None:
    items = tuple(Text(ja=f"日本語 {i}", en=f"text {i:05d}") for i in range(3000))
    spill = _spill(3000)  # more than one read-ahead block and one write buffer of text
    assert len(spill) == 3000
    assert tuple(spill) == items
    assert spill == items and items == spill
    assert spill[0] == items[0] and spill[-1] == items[-1] and spill[1234] == items[1234]
    assert spill[10:13] == items[10:13]
    with pytest.raises(IndexError):
        spill[3000]


def test_a_sorted_view_orders_without_copying_and_is_made_once_per_key() -> None:
    spill = _spill(500)

    def key(t: Text) -> str:
        return t.en[::-1]

    view = spill.sorted_by(key)
    assert tuple(view) == tuple(sorted(spill, key=key))
    assert spill.sorted_by(key) is view
    assert in_order(spill, key) is view
    assert in_order(tuple(spill), key) == tuple(view)


def test_builders_match_their_input() -> None:
    spill = _spill(3)
    on_disk = builder_like(spill, Text)
    in_memory = builder_like(tuple(spill), Text)
    for item in spill:
        on_disk.add(item)
        in_memory.add(item)
    assert isinstance(on_disk.finish(), Spill)
    assert isinstance(in_memory.finish(), tuple)


def test_threads_may_add_at_once_and_nothing_is_lost() -> None:
    writer = SpillWriter(Text)

    def add(k: int) -> None:
        for i in range(400):
            writer.add(Text(ja=str(k), en=f"{k}-{i}"))

    threads = [threading.Thread(target=add, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spill = writer.finish()
    assert sorted(t.en for t in spill) == sorted(f"{k}-{i}" for k in range(4) for i in range(400))
    with pytest.raises(RuntimeError):
        writer.add(Text(ja="", en=""))


def test_a_copy_is_a_tuple_and_the_file_goes_with_the_last_spill() -> None:
    spill = _spill(10)
    assert pickle.loads(pickle.dumps(spill)) == tuple(spill)
    store = weakref.ref(spill._store)  # the test checks the file is released
    view = spill.sorted_by(lambda t: t.en)
    del spill
    gc.collect()
    assert store() is not None  # the view still reads it
    del view
    gc.collect()
    assert store() is None


def test_a_writer_with_a_key_gives_its_items_in_that_order_at_no_further_cost() -> None:
    def key(t: Text) -> str:
        return t.en

    writer = SpillWriter(Text, key=key)
    for i in (3, 1, 2, 1):
        writer.add(Text(ja=str(i), en=f"n{i}"))
    spill = writer.finish()
    assert [t.en for t in spill] == ["n1", "n1", "n2", "n3"]
    assert spill.sorted_by(key) is spill  # already in order: no pass, no copy
    assert key in spill.sorted_keys()


def test_text_that_cannot_be_utf8_is_kept_as_the_replacement_character() -> None:
    writer = SpillWriter(Text)
    writer.add(Text(ja="a\ud800b", en="ok"))  # a lone surrogate, as text built in code may hold
    assert tuple(writer.finish()) == (Text(ja="a\ufffdb", en="ok"),)
