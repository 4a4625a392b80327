"""The report formats a scan can write, named once for the config, the CLI and the writers."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["DEFAULT_FORMATS", "FORMATS", "Format"]

Format = Literal["json", "csv", "html", "xlsx", "ocsf", "asff"]
FORMATS: tuple[Format, ...] = get_args(Format)  # in the order the outputs are listed
DEFAULT_FORMATS: tuple[Format, ...] = ("json", "csv", "html")
