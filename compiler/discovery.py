"""Finding the `.charter` files under the paths named on a command line, and the project
each belongs to.

Kept apart from `charter.api` and `charter.loader` so that the start of a `check` (which may
end in a replay of an unchanged result: `charter.recheck`, which verifies the project root
with `project_root`) imports nothing heavy.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Iterable

PROJECT_MARKERS = ("charter.toml", "pyproject.toml", ".git")


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders (recursively, `*.charter`) into a sorted, unique file list.

    A folder contributes every `*.charter` entry that is not a folder, links included (folder
    links are not followed): reading confines each to its project and refuses anything but a
    regular file (CH-E205/E206/E207), so a broken link or a FIFO is reported, not skipped.
    """
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.update(_charter_files(path))
        else:
            found.add(path)
    return sorted(found)


def _charter_files(folder: Path) -> Iterable[Path]:
    """Every `*.charter` entry under ``folder`` that is not a folder. Walked with a stack, not
    recursion (`Path.rglob` is recursive: a tree 1,000 folders deep overflowed it); folder
    links are not followed, and a folder that cannot be listed is skipped, as `rglob` did."""
    stack = [str(folder)]
    while stack:
        try:
            with os.scandir(stack.pop()) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif entry.name.endswith(".charter") and not _leads_to_folder(entry):
                yield Path(entry.path)


def _leads_to_folder(entry: os.DirEntry) -> bool:
    """A link to a folder is skipped; a link loop or a broken link is kept (reading it is a
    diagnostic, not silence)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def project_root(path: Path) -> Path:
    """The project a named file or folder belongs to, as a resolved folder.

    The search starts at the folder that *holds* the name (a link in the last component is
    not followed: a link named `programs/env.charter` belongs to the project of `programs/`,
    wherever it points) and goes up to the nearest folder with a project marker
    (charter.toml, pyproject.toml, .git); without one it is that starting folder. Every file
    read for the path (the file itself, `extends:` bases) must resolve to inside it.
    """
    absolute = Path(os.path.abspath(path))
    start = absolute if absolute.is_dir() and not absolute.is_symlink() else absolute.parent
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return real_path(folder, strict=False)
    return real_path(start, strict=False)


def real_path(path: Path, strict: bool = True) -> Path:
    """``path`` with every link resolved; a link loop is an OSError (ELOOP), not a crash."""
    try:
        return path.resolve(strict=strict)
    except RuntimeError as err:  # Python < 3.13 reports a link loop this way
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path)) from err
