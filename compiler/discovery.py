"""Finding the `.charter` files under the paths named on a command line.

Kept apart from `charter.api` so that the start of a `check` (which may end in a replay of an
unchanged result: `charter.recheck`) imports nothing heavy.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable


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
