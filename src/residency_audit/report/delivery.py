"""Report sets: every file of one run appears at once, or none does.

Layout of an output directory::

    OUTPUT/report.html   -> .report-sets/current/report.html   (one link per report file)
    OUTPUT/.report-sets/current -> set-<pid>-<random>           (the delivered set)
    OUTPUT/.report-sets/set-<pid>-<random>/report.html ...      (the files themselves)

A run writes its whole set into a new ``set-*`` directory (each file and the directory fsynced),
then renames a new ``current`` link over the old one. That rename is the only step a reader can
observe, and it is atomic: every ``OUTPUT/<name>`` path shows the old set or the new set, never a
mix, whatever moment the run is killed at. The per-file links never change target, so the paths
the docs and the demo use (``reports/demo/report.html``) keep working.

A killed run leaves a half-written ``set-*`` directory, a spare ``current.*`` link, or (from older
versions, which wrote each file in place) ``.NAME.*.tmp`` files. :func:`prepare_output_dir` runs
before collection and removes every such leftover whose writing process is gone.

An output directory written by an older version holds the reports as plain files; the first run
adopts them as the current set (hard links, so each path keeps its content at every instant).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError
from .atomic import NEW_FILE_MODE, fsync_directory

__all__ = ["SETS_DIR", "ReportSet", "prepare_output_dir"]

SETS_DIR = ".report-sets"
_CURRENT = "current"
_OWNED = re.compile(r"^(?:set|current\.new)-(?P<pid>\d+)-[0-9a-f]+$")
_SPARE_LINK = re.compile(r"^(?P<pid>\d+)-[0-9a-f]+\.tmp$")


def prepare_output_dir(output_dir: Path, report_names: Iterable[str]) -> Path:
    """Create ``output_dir`` if needed, prove it writable, remove what killed runs left behind.

    Runs before any collection so an unusable directory costs nothing. Raises
    :class:`InputError` naming the path when the directory cannot be created or written.
    """
    output_dir = Path(output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"output directory {output_dir} is not a directory") from None
    except OSError as exc:
        # NotADirectoryError: a parent is a file; PermissionError: a parent is not writable
        raise InputError(
            f"cannot create output directory {output_dir}: {exc.strerror or exc}"
        ) from None
    try:
        with tempfile.NamedTemporaryFile(dir=output_dir, prefix=".probe-"):
            pass
        (output_dir / SETS_DIR).mkdir(exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"output directory {output_dir} is not writable: {exc.strerror or exc}"
        ) from None
    names = frozenset(report_names)
    _remove_leftovers(output_dir, names)
    _adopt_plain_files(output_dir, names)
    return output_dir


class ReportSet:
    """One run's reports, written into a hidden directory until :meth:`deliver` swaps them in.

    Use as a context manager: leaving it without delivering (an error, a failed render) removes
    the partial set and leaves the delivered one as it was.
    """

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = Path(output_dir)
        self._sets = self.output_dir / SETS_DIR
        self._sets.mkdir(parents=True, exist_ok=True)
        self.name = f"set-{_owned_tag()}"
        self.directory = self._sets / self.name
        self.directory.mkdir()
        self._names: list[str] = []
        self._delivered = False

    def __enter__(self) -> ReportSet:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._delivered:
            shutil.rmtree(self.directory, ignore_errors=True)

    def add(self, name: str, content: bytes | Iterable[bytes]) -> None:
        """Write one file of the set (durably: a delivered set never points at lost data).

        ``content`` may come in pieces as it is rendered, so a large report is never held whole;
        a renderer that fails midway leaves a partial file that is never delivered."""
        path = self.directory / name
        with open(path, "xb") as handle:
            if isinstance(content, bytes):
                handle.write(content)
            else:
                for chunk in content:
                    handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(path, NEW_FILE_MODE)
        self._names.append(name)

    def deliver(self) -> list[Path]:
        """Swap this set in as the current one; return the paths a user opens."""
        fsync_directory(self.directory)
        # links first: one whose file the old set lacks dangles until the swap, and never
        # points at a file of the wrong set
        for name in self._names:
            _ensure_link(self.output_dir, name)
        previous = _current_target(self._sets)
        _point_current_at(self._sets, self.name)
        self._delivered = True
        # the old set's extra files (a format no longer written) would dangle: drop their links
        for entry in self.output_dir.iterdir():
            if entry.is_symlink() and _is_report_link(entry) and not entry.exists():
                entry.unlink()
        if previous is not None and previous != self.name:
            shutil.rmtree(self._sets / previous, ignore_errors=True)
        fsync_directory(self.output_dir)
        return [self.output_dir / name for name in self._names]


def _owned_tag() -> str:
    """``<pid>-<random>``: names what this process writes, so a later run knows when its
    writer is gone (``_OWNED``, ``_SPARE_LINK``)."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def _link_target(name: str) -> str:
    return f"{SETS_DIR}/{_CURRENT}/{name}"  # relative: the output directory can be moved


def _is_report_link(path: Path) -> bool:
    return os.readlink(path) == _link_target(path.name)


def _ensure_link(output_dir: Path, name: str) -> None:
    path = output_dir / name
    if path.is_symlink() and _is_report_link(path):
        return
    spare = output_dir / f".{name}.link-{_owned_tag()}.tmp"
    os.symlink(_link_target(name), spare)
    os.replace(spare, path)  # atomic, also over a plain file of an older version


def _current_target(sets: Path) -> str | None:
    try:
        return os.readlink(sets / _CURRENT)
    except OSError:  # none yet (FileNotFoundError), or not a link
        return None


def _point_current_at(sets: Path, set_name: str) -> None:
    spare = sets / f"current.new-{_owned_tag()}"
    os.symlink(set_name, spare)
    os.replace(spare, sets / _CURRENT)
    fsync_directory(sets)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _remove_leftovers(output_dir: Path, names: frozenset[str]) -> None:
    sets = output_dir / SETS_DIR
    current = _current_target(sets)
    for entry in sets.iterdir():
        if entry.name in (_CURRENT, current):
            continue
        owned = _OWNED.match(entry.name)
        if owned is None or _alive(int(owned["pid"])):
            continue  # not ours, or another run still writing it
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
    for entry in output_dir.iterdir():
        if _is_stale_temporary(entry.name, names):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()


def _is_stale_temporary(file_name: str, names: frozenset[str]) -> bool:
    """``.NAME.<random>.tmp`` (an older version's in-place write) or a spare link of a dead run."""
    if not file_name.endswith(".tmp"):
        return False
    for name in names:
        if file_name.startswith(f".{name}.link-"):
            owner = _SPARE_LINK.match(file_name[len(name) + 7 :])
            return owner is not None and not _alive(int(owner["pid"]))
        if file_name.startswith(f".{name}."):
            return True
    return False


def _adopt_plain_files(output_dir: Path, names: frozenset[str]) -> None:
    """Reports of an older version (plain files) become the current set, path by path."""
    sets = output_dir / SETS_DIR
    plain = sorted(
        n for n in names if (output_dir / n).is_file() and not (output_dir / n).is_symlink()
    )
    if not plain:
        return
    target = _current_target(sets)
    if target is None:
        target = f"set-{_owned_tag()}"
        (sets / target).mkdir()
    for name in plain:
        adopted = sets / target / name
        if not adopted.exists():
            try:
                os.link(output_dir / name, adopted)
            except OSError:
                shutil.copy2(output_dir / name, adopted)
    fsync_directory(sets / target)
    if _current_target(sets) is None:
        _point_current_at(sets, target)
    for name in plain:
        if (sets / target / name).exists():
            _ensure_link(output_dir, name)
    fsync_directory(output_dir)
