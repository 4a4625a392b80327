"""Guideline rules: pure functions from a resolved inventory and a policy profile to findings.

Each finding names the guideline items it serves (exact IDs from :mod:`residency_audit.guideline`),
carries a severity graded by the bucket's classification and any customer-managed-key mitigation,
a Japanese and English message and remediation, and a fingerprint that identifies what it is about
(never its time, severity or wording). See docs/rules.md for the rule table.
"""

from __future__ import annotations

from .classify import apply_classification, classified, classify, classify_with_source
from .engine import Evaluator, evaluate, sort_key
from .fingerprint import fingerprint
from .settings import Attestation, ClassificationSettings, EvaluationSettings
from .specs import RULES, RuleSpec, rule_spec

__all__ = [
    "RULES",
    "Attestation",
    "ClassificationSettings",
    "EvaluationSettings",
    "Evaluator",
    "RuleSpec",
    "apply_classification",
    "classified",
    "classify",
    "classify_with_source",
    "evaluate",
    "fingerprint",
    "rule_spec",
    "sort_key",
]
