"""Finding the `.charter` files under the paths named on a command line.

Kept apart from `charter.api` so that the start of a `check` (which may end in a replay of an
unchanged result: `charter.recheck`) imports nothing heavy.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, NamedTuple

from charter.diagnostics import Diagnostic, Severity


class Found(NamedTuple):
    """What a search found: the files, and a CH-E209 error per folder that could not be
    listed (its files were not found, so a check of it is incomplete: never a pass)."""

    files: list[Path]
    unlisted: list[Diagnostic]


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """The files `find` finds (folders that cannot be listed left out: callers that report
    on what they read call `find` and report its `unlisted`)."""
    return find(paths).files


def find(paths: Iterable[str | Path]) -> Found:
    """Expand files and folders (recursively, `*.charter`) into a sorted, unique file list.

    A folder contributes every `*.charter` entry that is not a folder, links included (folder
    links are not followed): reading confines each to its project and refuses anything but a
    regular file (CH-E205/E206/E207), so a broken link or a FIFO is reported, not skipped.
    A folder that cannot be listed is reported the same way (CH-E209), not skipped.
    """
    found: set[Path] = set()
    unlisted: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.update(_charter_files(path, unlisted))
        else:
            found.add(path)
    return Found(sorted(found), unlisted)


def _charter_files(folder: Path, unlisted: list[Diagnostic]) -> Iterable[Path]:
    """Every `*.charter` entry under ``folder`` that is not a folder. Walked with a stack, not
    recursion (`Path.rglob` is recursive: a tree 1,000 folders deep overflowed it); folder
    links are not followed. A folder that cannot be listed (no permission, removed during
    the walk) adds a CH-E209 error to ``unlisted``: skipping it silently, as `rglob` did,
    made a check of a tree it could not read a pass."""
    stack = [str(folder)]
    while stack:
        here = stack.pop()
        try:
            with os.scandir(here) as listing:
                entries = list(listing)
        except OSError as err:
            unlisted.append(_unlisted(here, err))
            continue
        for entry in entries:
            if _is_folder(entry):
                stack.append(entry.path)
            elif entry.name.endswith(".charter") and not _leads_to_folder(entry):
                yield Path(entry.path)


def _unlisted(folder: str, err: OSError) -> Diagnostic:
    """CH-E209 for ``folder``: the reason, and where (no span: the folder is not a file)."""
    return Diagnostic("CH-E209", Severity.ERROR,
                      f"cannot list folder: {err.strerror or err}", None,
                      notes=(f"path: {folder}", "its `.charter` files were not checked"),
                      help=("give the user running charter read and search (r-x) permission"
                            " on the folder, or leave it out of the paths named",))


def _is_folder(entry: os.DirEntry) -> bool:
    """A real folder (not a link to one); an entry that cannot be examined is not one (as a
    file it is then read, and reading it says what is wrong)."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _leads_to_folder(entry: os.DirEntry) -> bool:
    """A link to a folder is skipped; a link loop or a broken link is kept (reading it is a
    diagnostic, not silence)."""
    try:
        return entry.is_dir()
    except OSError:
        return False
