"""A package's public names imported on first use (PEP 562 module ``__getattr__``), so that a
scan loads only the code it uses (the workbook writer, the trackers' HTTP client...)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, modules: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each name in ``modules`` is taken, when first
    asked for, from the submodule it maps to."""

    def __getattr__(name: str) -> Any:
        if name not in modules:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        # __import__, not importlib.import_module: -X importtime (and the start-up test) see it
        module = __import__(f"{package}.{modules[name]}", fromlist=[name])
        return getattr(module, name)

    return __getattr__
