"""Sharded scans in the history (revision 0005): each shard's part, then the group assembled.

A shard marks itself started (:meth:`ShardRuns.start`), collects, then records its scopes and
buckets and marks itself finished in one transaction (:meth:`ShardRuns.finish`). A shard killed in
between leaves only the unfinished mark, so the assembly names it missing. Running an index again
(a Job's retry) replaces what the earlier attempt left.

:meth:`ShardRuns.assemble` reads a group back into one inventory: every shard 0..N-1 must have
finished, else :class:`ShardsMissing` names the missing indexes (the CLI exits 3, nothing written).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert, select, update

from .. import __version__
from ..errors import InputError
from ..model import Bucket, Inventory, ScopeResult, bucket_order
from ..shard import ScopePart, ShardPart, ShardSpec, merge_scopes, missing_shards
from ..spill import SpillWriter
from .documents import DocumentBatch
from .models import JsonDocument, ShardBucket, ShardRun
from .rows import insert_many
from .store import HistoryStore

__all__ = ["ShardRuns", "ShardsMissing"]


class ShardsMissing(Exception):
    """Some shards of the group never finished: the group cannot be reported as one scan."""

    def __init__(self, group: str, count: int, missing: Sequence[int], unfinished: Sequence[int]):
        self.group, self.count = group, count
        self.missing, self.unfinished = list(missing), list(unfinished)
        parts = []
        if unfinished:
            parts.append(
                "started but never finished (killed or still running): "
                + ", ".join(map(str, unfinished))
            )
        never = [i for i in missing if i not in unfinished]
        if never:
            parts.append("never started: " + ", ".join(map(str, never)))
        if not count:
            super().__init__(f"scan group {group!r}: no shard has been recorded; nothing assembled")
            return
        super().__init__(
            f"scan group {group!r}: {len(missing)} of {count} shards missing ("
            + "; ".join(parts)
            + "); nothing assembled"
        )


@dataclass(frozen=True)
class _Run:
    index: int
    count: int
    started: datetime
    finished: datetime | None
    providers: tuple[str, ...]


class ShardRuns:
    def __init__(self, store: HistoryStore) -> None:
        self.store = store

    def start(self, group: str, spec: ShardSpec, started: datetime) -> None:
        with self.store._write(f"starting shard {spec} of {group}") as conn:
            self._drop(conn, group, spec.index)
            conn.execute(
                insert(ShardRun).values(
                    group_id=group,
                    shard_index=spec.index,
                    shard_count=spec.count,
                    started=started,
                    finished=None,
                    tool_version=__version__,
                    providers=[],
                    seen=[],
                    scopes=[],
                    bucket_count=0,
                )
            )

    def finish(
        self,
        group: str,
        spec: ShardSpec,
        part: ShardPart,
        inventory: Inventory,
        finished: datetime | None = None,
    ) -> int:
        """Record the shard's part and buckets, and mark it finished; return the bucket count."""
        count = 0
        with self.store._write(f"recording shard {spec} of {group}") as conn:
            conn.execute(
                delete(ShardBucket).where(
                    ShardBucket.group_id == group, ShardBucket.shard_index == spec.index
                )
            )
            documents = DocumentBatch(conn)

            def rows() -> Iterator[dict[str, object]]:
                nonlocal count
                for b in inventory.buckets:
                    count += 1
                    yield {
                        "group_id": group,
                        "shard_index": spec.index,
                        "data_digest": documents.add(b.model_dump_json()),
                    }

            insert_many(conn, ShardBucket, rows())
            documents.save(conn)
            done = conn.execute(
                update(ShardRun)
                .where(ShardRun.group_id == group, ShardRun.shard_index == spec.index)
                .values(
                    finished=finished or datetime.now(UTC),
                    started=inventory.started or datetime.now(UTC),
                    providers=list(inventory.providers),
                    seen=[list(k) for k in part.seen],
                    scopes=[
                        {"mode": sp.mode, "result": sp.result.model_dump(mode="json")}
                        for sp in part.scopes
                    ],
                    bucket_count=count,
                )
            )
            if done.rowcount != 1:  # another attempt of this index replaced our start mark
                raise InputError(
                    f"shard {spec} of scan group {group!r}: its start mark is gone (was the "
                    "same shard started again?); nothing recorded"
                )
        return count

    def assemble(
        self,
        group: str,
        *,
        expected: int | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> Inventory:
        """The group as one inventory (buckets spilled to disk, in the scan's order)."""
        with self.store._read() as conn:
            runs = [
                _Run(r.shard_index, r.shard_count, r.started, r.finished, tuple(r.providers))
                for r in conn.execute(
                    select(
                        ShardRun.shard_index,
                        ShardRun.shard_count,
                        ShardRun.started,
                        ShardRun.finished,
                        ShardRun.providers,
                    ).where(ShardRun.group_id == group)
                )
            ]
        counts = {r.count for r in runs} | ({expected} if expected else set())
        if not runs:
            raise ShardsMissing(group, expected or 0, list(range(expected or 0)), [])
        if len(counts) > 1:
            raise InputError(
                f"scan group {group!r}: shards were run with different counts "
                f"({', '.join(map(str, sorted(counts)))}); run every shard with the same I/N"
            )
        count = counts.pop()
        done = [r for r in runs if r.finished is not None]
        missing = missing_shards(count, (r.index for r in done))
        if missing:
            unfinished = sorted(r.index for r in runs if r.finished is None)
            raise ShardsMissing(group, count, missing, unfinished)
        with self.store._read() as conn:
            parts = [self._part(conn, group, r.index) for r in sorted(done, key=lambda r: r.index)]
            sink = SpillWriter(Bucket, key=bucket_order)
            for data in conn.scalars(
                select(JsonDocument.data)
                .join(ShardBucket, ShardBucket.data_digest == JsonDocument.digest)
                .where(ShardBucket.group_id == group)
                .order_by(ShardBucket.row_id)
                .execution_options(yield_per=500)
            ):
                sink.add(Bucket.model_validate(data))
        providers: dict[str, None] = {}
        for r in sorted(done, key=lambda r: r.index):
            providers.update(dict.fromkeys(r.providers))
        return Inventory(
            started=min(r.started for r in done),
            finished=max(r.finished for r in done if r.finished is not None),
            providers=tuple(providers),
            scopes=merge_scopes(parts, count),
            buckets=sink.finish(),
        )

    def _part(self, conn: Connection, group: str, index: int) -> ShardPart:
        row = conn.execute(
            select(ShardRun.seen, ShardRun.scopes).where(
                ShardRun.group_id == group, ShardRun.shard_index == index
            )
        ).one()
        return ShardPart(
            index=index,
            seen=tuple((str(p), str(s)) for p, s in row.seen),
            scopes=tuple(
                ScopePart(ScopeResult.model_validate(s["result"]), s["mode"]) for s in row.scopes
            ),
        )

    def _drop(self, conn: Connection, group: str, index: int) -> None:
        for table in (ShardBucket, ShardRun):
            conn.execute(delete(table).where(table.group_id == group, table.shard_index == index))
