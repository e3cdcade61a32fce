"""Opening a folder inside the project root without following a link put on its path later.

The loader resolves a path and checks that its real path lies inside the project root. Were
that real path then opened by name, a folder on it replaced by a link (to `../secret`) after
the check would be followed out of the project: `O_NOFOLLOW` guards only the last component.
So the real path's folder is opened here one component at a time from the root, each
relative to the folder before it (`dir_fd`) and with `O_NOFOLLOW`: a component that has
become a link (or a file) since the check fails (`PathChanged`) instead of being followed,
and whatever is opened lies inside the root. Reading (`charter.loader`) and writing
(`charter fmt`, through `charter.atomic.replace_in`) then name the file relative to the
folder so opened. `charter build` walks the same way down from its output folder
(`open_below`), creating the folders it writes as it goes, and writes and deletes only
relative to folders so opened.

Where the platform has no `dir_fd` (`WALKS` is false) the callers open the path by name.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

# Linux and macOS fail O_NOFOLLOW on a link with ELOOP, FreeBSD with EMLINK; ENOTDIR: a
# file now stands where a folder was.
_CHANGED = frozenset({errno.ELOOP, errno.EMLINK, errno.ENOTDIR})

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

WALKS = bool(os.open in os.supports_dir_fd and _NOFOLLOW and getattr(os, "O_DIRECTORY", 0))


class PathChanged(OSError):
    """A folder on a checked path, or the file at its end, is no longer what was checked:
    a link (or a file) stands there now. Nothing was opened through it."""


def open_folder(folder: Path, root: Path) -> int:
    """A descriptor of ``folder``, a real (link-free) path inside the real path ``root``,
    opened from ``root`` component by component without following links; the caller closes
    it. Raises `PathChanged` when a component is no longer a folder, `ValueError` when
    ``folder`` is not inside ``root``, `OSError` when a folder cannot be opened."""
    parts = folder.relative_to(root).parts
    top = os.open(root, _DIR_FLAGS)  # the root itself was resolved: no link above is ours
    try:
        return open_below(top, parts)
    finally:
        os.close(top)


def open_below(folder: int, parts: tuple[str, ...], make: bool = False) -> int:
    """A new descriptor of the folder ``parts`` (names, no separators) below the open
    ``folder``, each component opened relative to the one before with `O_NOFOLLOW`; with
    ``make``, a missing component is created first (`mkdir` by `dir_fd`, so it is made in
    the folder just opened, never through a link). The caller closes it; ``folder`` stays
    open. Raises `PathChanged` (its ``filename`` the components up to the one that is a
    link or a file now), `OSError` when a folder cannot be opened or made."""
    fd = os.dup(folder)
    try:
        for depth, part in enumerate(parts, 1):
            if make:
                try:
                    os.mkdir(part, 0o777, dir_fd=fd)
                except FileExistsError:  # a folder already (or not: the open below says)
                    pass
            try:
                inner = open_at(fd, part, _DIR_FLAGS)
            except PathChanged as changed:
                raise PathChanged(changed.errno, changed.strerror,
                                  os.path.join(*parts[:depth])) from None
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_at(folder: int | None, name: str, flags: int, mode: int = 0o777) -> int:
    """``os.open(name, flags | O_NOFOLLOW, dir_fd=folder)`` (None: relative to the working
    folder), a link at ``name`` (or a file where ``flags`` ask for a folder) reported as
    `PathChanged`."""
    try:
        return os.open(name, flags | _NOFOLLOW, mode, dir_fd=folder)
    except OSError as err:
        if err.errno in _CHANGED:
            raise PathChanged(err.errno, "a link now stands on the path that was checked",
                              name) from None
        raise
