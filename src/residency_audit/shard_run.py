"""One shard of a sharded scan (``scan --shard I/N --scan-group ID``): mark it started in the
history, collect its share, record the part and mark it finished. No evaluation, no reports:
``assemble`` does both once every shard is in (history/shards.py).

The shard exits 0 once its part is recorded, even when a scope of it failed: that failure is in
the part, and the assembly reports the group incomplete (exit 3) with it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from .config import Config
from .plugins import Provider
from .shard import ShardPlan, ShardSpec

__all__ = ["run_shard"]

log = logging.getLogger(__name__)

EXIT_OK, EXIT_INTERNAL = 0, 4


def run_shard(
    config: Config,
    providers: Mapping[str, Provider],
    spec: ShardSpec,
    group: str,
    history: str,
    *,
    quiet: bool = False,
) -> tuple[int, str | None]:
    """The exit code and the line the CLI shows (None with ``quiet`` and success)."""
    from .history import HistoryError, HistoryStore
    from .history.shards import ShardRuns
    from .progress import progress_display
    from .scan import collect
    from .spill import SpillError

    plan = ShardPlan(spec, split=config.scan.shard_split)
    try:
        with HistoryStore.open(history) as store:
            ShardRuns(store).start(group, spec, datetime.now(UTC))
            where = store.url
    except HistoryError as exc:
        return EXIT_INTERNAL, f"error: shard {spec} not started: {exc}"
    try:
        with progress_display(enabled=not quiet) as progress:
            inventory = collect(
                providers, max_workers=config.scan.max_workers, progress=progress, shard=plan
            )
    except SpillError as exc:
        return EXIT_INTERNAL, f"error: {exc}"
    part = plan.part()
    try:
        with HistoryStore.open(history) as store:
            count = ShardRuns(store).finish(group, spec, part, inventory)
    except HistoryError as exc:
        return EXIT_INTERNAL, f"error: shard {spec} of scan group {group} not recorded: {exc}"
    log.info(
        "shard %s of %s recorded: %d buckets",
        spec,
        group,
        count,
        extra={"event": "shard.recorded", "shard": str(spec), "group": group, "buckets": count},
    )
    if quiet:
        return EXIT_OK, None
    return EXIT_OK, (
        f"shard {spec} of scan group {group}: {count} buckets from {len(part.scopes)} scopes "
        f"recorded in {where}; `residency-audit assemble --scan-group {group}` reports the group "
        "once every shard has finished"
    )
