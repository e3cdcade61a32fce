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
from typing import TYPE_CHECKING, Iterable, NamedTuple

if TYPE_CHECKING:  # built only for a folder that cannot be listed (`_unlisted`)
    from charter.diagnostics import Diagnostic


class Found(NamedTuple):
    """What a search found: the files, and a CH-E209 error per folder that could not be
    listed (its files were not found, so a check of it is incomplete: never a pass)."""

    files: list[Path]
    unlisted: list[Diagnostic]

PROJECT_MARKERS = ("charter.toml", "pyproject.toml", ".git")


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


def find_some(paths: Iterable[str | Path]) -> Found:
    """`find`, for a command: a usage error (exit 2) when there is no file under ``paths``
    and no folder went unlisted (an unlisted folder's CH-E209 says what is wrong)."""
    paths = list(paths)
    found = find(paths)
    if not found.files and not found.unlisted:
        import click

        from charter.render import printable

        raise click.UsageError(printable("no .charter files found under "
                                         + ", ".join(map(str, paths))))
    return found


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
    from charter.diagnostics import Diagnostic, Severity

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
