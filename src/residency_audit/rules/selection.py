"""Which rules run: ``--rules`` / ``--exclude-rules`` and ``[scan] rules`` / ``exclude_rules``.

A pattern is a rule id or a glob over the ids (``location.*``). A pattern that names no rule is an
error that says which ids it comes nearest to: a typo must not silently run every rule, or none.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from .specs import RULES

__all__ = [
    "RULE_IDS",
    "RulePattern",
    "RuleSelection",
    "matching_rules",
    "require_some_rule",
    "selected_rules",
    "split_patterns",
    "unknown_rule_message",
]

RULE_IDS: tuple[str, ...] = tuple(spec.id for spec in RULES)


def matching_rules(pattern: str) -> tuple[str, ...]:
    """The rule ids ``pattern`` names, in the rule table's order (ids are lower case)."""
    folded = pattern.strip().lower()
    return tuple(rule_id for rule_id in RULE_IDS if fnmatchcase(rule_id, folded))


def _nearest(pattern: str) -> list[str]:
    folded = pattern.strip().lower()
    family = [f"{folded}.*"] if any(r.startswith(f"{folded}.") for r in RULE_IDS) else []
    return family + difflib.get_close_matches(folded, RULE_IDS, n=3, cutoff=0.5)


def unknown_rule_message(pattern: str) -> str:
    near = _nearest(pattern)
    hint = f" (nearest: {', '.join(near)})" if near else ""
    return f"unknown rule {pattern!r}{hint}; `residency-audit rules list` shows every rule id"


def _error(text: str) -> PydanticCustomError:
    # the text goes in as context: a pattern's braces must not be read as a template
    return PydanticCustomError("rule_selection", "{text}", {"text": text})


def _known(pattern: str) -> str:
    if not pattern.strip():
        raise _error("an empty rule id")
    if not matching_rules(pattern):
        raise _error(unknown_rule_message(pattern))
    return pattern.strip()


RulePattern = Annotated[str, AfterValidator(_known)]


def split_patterns(values: Iterable[str]) -> tuple[str, ...]:
    """Repeated options, each a comma-separated list, as one tuple of patterns."""
    return tuple(p.strip() for value in values for p in value.split(",") if p.strip())


def selected_rules(include: Iterable[str] | None, exclude: Iterable[str]) -> frozenset[str]:
    """The ids ``include`` (None: every rule) names, minus those ``exclude`` names."""
    included = set(RULE_IDS) if include is None else {r for p in include for r in matching_rules(p)}
    return frozenset(included - {r for p in exclude for r in matching_rules(p)})


def require_some_rule(include: Sequence[str] | None, exclude: Sequence[str]) -> None:
    """PydanticCustomError when the selection would run no rule (and so say nothing at all)."""
    if include is not None and not include:
        raise _error("an empty list of rules; leave it out to run every rule")
    if not selected_rules(include, exclude):
        raise _error(
            "every rule it includes is also excluded, so no rule would run; "
            "`residency-audit rules list` shows every rule id"
        )


class RuleSelection(BaseModel):
    """``include`` (None: every rule) minus ``exclude``. Always selects at least one rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    include: tuple[RulePattern, ...] | None = None
    exclude: tuple[RulePattern, ...] = ()

    @model_validator(mode="after")
    def _selects_something(self) -> RuleSelection:
        require_some_rule(self.include, self.exclude)
        return self

    @property
    def selected(self) -> frozenset[str]:
        return selected_rules(self.include, self.exclude)

    @property
    def everything(self) -> bool:
        return len(self.selected) == len(RULE_IDS)

    @property
    def not_run(self) -> tuple[str, ...]:
        """The rules left out, in the rule table's order."""
        selected = self.selected
        return tuple(r for r in RULE_IDS if r not in selected)
