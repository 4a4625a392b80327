"""Public test helpers: a local ARM stub and an Azurite launcher (used by tests, demo, benchmark).

Nothing here is imported by the provider itself.
"""

from __future__ import annotations

from .armstub import DENIED, THROTTLED, ArmStub, Fault, StubRequest
from .azurite import Azurite, account_key, find_azurite, run_azurite

__all__ = [
    "DENIED",
    "THROTTLED",
    "ArmStub",
    "Azurite",
    "Fault",
    "StubRequest",
    "account_key",
    "find_azurite",
    "run_azurite",
]
