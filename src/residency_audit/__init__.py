"""residency-audit: where cloud storage keeps copies of your data, judged against CISTEC's 2013
guideline on keeping export-controlled technical information on servers abroad."""

from __future__ import annotations

__version__ = "0.2.0"

__all__ = ["__version__"]
