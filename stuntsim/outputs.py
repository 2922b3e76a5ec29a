"""Output folders written as a whole: a reader sees the previous run or the new one, never
a mix, and a failed write leaves the previous run as it was.

A command's files are written into a new sibling folder (``.NAME.new-…``) next to the
output folder, each file flushed to disk (``fsync``); files of *other* commands already in
the folder (a ``compare`` beside a ``run``) are carried over by hard link; then the old
folder is moved aside, the new one takes its name, and the old one is removed. Between
the two renames the folder is briefly absent, never half-written. Nothing here changes
the process's umask: files and folders are created with the usual modes and the umask
applies as for any other file.

Why by hand: the standard library writes single files atomically (``os.replace``) but has
no folder swap, and the packages that offer one (``atomicwrites``, unmaintained since
2022) only do single files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from stuntsim.errors import OutputError

__all__ = ["STUDY_FILES", "OutputDir", "check_writable", "csv_text", "owned_by",
           "write_atomic"]

#: The files (by stem) each study command writes into a scenario's output folder; a
#: ``run`` owns everything else there (its summary, takes and figures).
STUDY_FILES = {
    "compare": ("comparison",),
    "envelope": ("envelope", "envelope_2d"),
    "sensitivity": ("sensitivity",),
}


def owned_by(command: str) -> Callable[[str], bool]:
    """Which file names in an output folder belong to ``command`` (see :data:`STUDY_FILES`)."""
    if command == "run":
        others = {stem for stems in STUDY_FILES.values() for stem in stems}
        return lambda name: Path(name).stem not in others
    stems = set(STUDY_FILES[command])
    return lambda name: Path(name).stem in stems

#: Characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_text(value: str) -> str:
    """A text cell for a CSV file that a spreadsheet will not execute: a cell starting with
    ``= + - @``, a tab or a line break gets a leading apostrophe (OWASP, *CSV Injection*).
    Use it for names that come from scenario files, not for numbers."""
    value = str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def check_writable(target: Path) -> None:
    """Fail early, before any simulation, if ``target`` cannot become an output folder.

    Raises :class:`~stuntsim.errors.OutputError` when it is an existing file, or when its
    parent cannot be created or written to (read-only file system, no permission).
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target} is a file, not a folder: choose another --out")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        probe = target.parent / f".{target.name}.probe-{uuid.uuid4().hex[:8]}"
        probe.mkdir()
        probe.rmdir()
    except OSError as err:
        raise OutputError(f"cannot write to {target.parent}: {err.strerror or err}") from None


def write_atomic(path: Path, data: bytes) -> None:
    """Write one file via a temporary file in the same folder, fsync and a rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
        try:
            _write_synced(tmp, data)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from None


class OutputDir:
    """The files one command writes into one folder, replaced as a whole by :meth:`commit`.

    ``owned(name)`` says which file names belong to this command: they are all replaced
    (an old run's figure that this run did not draw disappears), while other files in the
    folder are kept.
    """

    def __init__(self, target: Path, owned: Callable[[str], bool]):
        self.target = Path(target)
        self.owned = owned
        self.files: dict[str, bytes] = {}

    def add(self, name: str, data: bytes) -> None:
        if "/" in name or name.startswith("."):
            raise ValueError(f"not a plain file name: {name!r}")
        if not self.owned(name):
            raise ValueError(f"{name} is not one of this command's files")
        self.files[name] = data

    def commit(self) -> list[Path]:
        """Swap the new folder in; returns the paths written."""
        target = self.target
        check_writable(target)
        fresh = target.parent / f".{target.name}.new-{uuid.uuid4().hex[:8]}"
        aside = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
        moved_aside = False
        try:
            fresh.mkdir()
            if target.is_dir():
                for old in _plain_files(target.iterdir()):
                    if not self.owned(old.name):
                        _carry_over(old, fresh / old.name)
            for name, data in self.files.items():
                _write_synced(fresh / name, data)
            _fsync_dir(fresh)
            if target.is_dir():
                os.rename(target, aside)
                moved_aside = True
            os.rename(fresh, target)
            _fsync_dir(target.parent)
        except OSError as err:
            if moved_aside and not target.exists():
                os.rename(aside, target)  # put the previous run back
                moved_aside = False
            raise OutputError(f"cannot write {target}: {err.strerror or err}; the previous "
                              f"contents are unchanged") from None
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
            if moved_aside:
                shutil.rmtree(aside, ignore_errors=True)
        return [target / name for name in self.files]


def _plain_files(paths: Iterable[Path]) -> list[Path]:
    return [p for p in paths if p.is_file() and not p.name.startswith(".")]


def _carry_over(source: Path, destination: Path) -> None:
    try:
        os.link(source, destination)
    except OSError:  # no hard links here (some file systems): a copy does as well
        shutil.copy2(source, destination)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:  # mode 0o666 less the process's umask, as usual
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    """Make a folder's entries durable (POSIX); not supported everywhere (e.g. Windows)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
