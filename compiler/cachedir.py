"""charter's private cache directory, shared by the grammar tables and the check cache.

Nothing is read from a cache another user could have written. The root is CHARTER_CACHE_DIR,
else $XDG_CACHE_HOME/charter, else ~/.cache/charter; it and each subfolder (``grammar``,
``checks``) are created with mode 0o700 and verified before every use: a real directory (not
a symlink: `os.lstat`), owned by the current uid, mode exactly 0o700. A folder that fails is
not used: the cache is off for that run (correct, just slower), never moved elsewhere. The one
repair made is tightening a folder we own that nobody else could write to (an older charter
made them with the umask's 0o755). CHARTER_NO_CACHE=1 (or true/yes, any case) turns every
cache off; any other value, including 0, leaves them on.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

_OFF = frozenset({"1", "true", "yes"})


def disabled() -> bool:
    """Whether CHARTER_NO_CACHE turns the caches off (only 1, true or yes do)."""
    return os.environ.get("CHARTER_NO_CACHE", "").strip().lower() in _OFF


def root() -> Path:
    """Where the caches live (not yet verified)."""
    configured = os.environ.get("CHARTER_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "charter"


def private(name: str) -> Path | None:
    """The verified private folder ``<root>/<name>``, created if missing; None when the caches
    are off or a folder on the way cannot be verified."""
    if disabled() or not hasattr(os, "getuid"):
        return None
    top = root()
    try:
        top.parent.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError):
        return None
    for folder in (top, top / name):
        if not _ensure_private(folder):
            return None
    return top / name


def _ensure_private(folder: Path) -> bool:
    try:
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return False
        mode = stat.S_IMODE(info.st_mode)
        if mode != 0o700 and not mode & 0o022:
            _tighten(folder)
            info = os.lstat(folder)
        return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
                and stat.S_IMODE(info.st_mode) == 0o700)
    except (OSError, ValueError):
        return False


def _tighten(folder: Path) -> None:
    """chmod 0o700 through a descriptor opened without following links (no chmod of a swap)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
            os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def own_file(path: Path) -> bool:
    """Whether ``path`` is a regular file (not a link) owned by us that only we can write."""
    try:
        info = os.lstat(path)
    except (OSError, ValueError):
        return False
    return (stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid()
            and not stat.S_IMODE(info.st_mode) & 0o022)
