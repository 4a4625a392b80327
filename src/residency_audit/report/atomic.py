"""Atomic file replacement: a reader sees the old file or the new one, never a half-written one.

The content goes to a temporary file in the destination's own directory (``os.replace`` is only
atomic within one filesystem), is flushed and fsynced, then renamed over the destination. On any
error the temporary file is removed and the old file stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["NEW_FILE_MODE", "atomic_write_bytes", "atomic_write_text", "fsync_directory"]

NEW_FILE_MODE = 0o644  # reports are meant to be read by the compliance team, like any output file


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    directory = path.parent
    # mkstemp creates the file 0600; keep an existing file's mode, else use a normal file mode.
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_directory(directory)


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    # Encode before touching the disk so an encoding error leaves nothing behind. No newline
    # translation: what the caller built is what lands on disk (CSV needs its CRLF kept).
    atomic_write_bytes(path, text.encode(encoding))


def fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; not every platform lets a directory be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
