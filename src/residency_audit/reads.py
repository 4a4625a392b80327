"""What each plugin read feeds, and what its failure hides.

Every provider plugin keeps one table, read name -> :class:`ReadSpec`, for every API read it
makes. The collector builds a failed read's gap from its spec (so the gap records exactly what the
read could hide), the plugin README renders the table (:func:`markdown_table`), and the tests check
that the table covers every read a full scan makes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .model import Evidence, Gap, Hidden

__all__ = ["ReadSpec", "markdown_table"]


@dataclass(frozen=True)
class ReadSpec:
    """One read: what it feeds and, when it fails, the gap it leaves.

    ``field`` is None for scope-level reads (listing accounts, projects, buckets): their failure
    fails or cuts short the scope (a ``scope.unlisted`` finding), or, with ``fails_scope=False``,
    only narrows how the scope is read (a coverage note).
    """

    feeds: str  # what the answer feeds, in a few words (documentation)
    field: str | None
    hides: tuple[Hidden, ...] = ()
    fails_scope: bool = True  # scope-level reads only

    def gap(self, reason: str, error_code: str | None = None, why: Evidence | None = None) -> Gap:
        """The gap a failure leaves: ``reason`` in English, ``why`` the same as values."""
        if self.field is None:
            raise ValueError("a scope-level read leaves no bucket gap")
        return Gap(
            field=self.field, reason=reason, error_code=error_code, hides=self.hides, why=why
        )


def markdown_table(reads: Mapping[str, ReadSpec]) -> str:
    """The table as Markdown rows (for a plugin README; a test keeps the two in step)."""
    rows = [
        "| Read | Feeds | Gap field if it fails | What a failure hides |",
        "|---|---|---|---|",
    ]
    for name, spec in reads.items():
        if spec.field is not None:
            field = f"`{spec.field}`"
        else:
            field = "none: the scope fails" if spec.fails_scope else "none: a coverage note"
        hidden = ", ".join(f"`{h.value}`" for h in spec.hides) or (
            "every bucket of the scope (`scope.unlisted`)"
            if spec.field is None and spec.fails_scope
            else "nothing"
        )
        rows.append(f"| `{name}` | {spec.feeds} | {field} | {hidden} |")
    return "\n".join(rows)
