"""charter's private cache directory, shared by the grammar tables and the check caches.

Nothing is read from a cache another user could have written. The root is CHARTER_CACHE_DIR,
else $XDG_CACHE_HOME/charter, else ~/.cache/charter; it and each subfolder (``grammar``,
``checks``, ...) are created with mode 0o700 and verified before every use: a real directory
(not a symlink: `os.lstat`), owned by the current uid, mode exactly 0o700. A folder that fails
is not used: the cache is off for that run (correct, just slower), never moved elsewhere.

charter changes the mode only of folders that are its own: the default root (named for it)
and its subfolders, which an older charter made with the umask's 0o755 are tightened when we
own them and nobody else could write to them. A folder named by CHARTER_CACHE_DIR is the
user's and is never chmod'd (``CHARTER_CACHE_DIR=.`` made a 0o755 project folder 0o700): if
it already exists and is not private but only we can write to it, the caches go to a private
folder ``charter`` that charter creates inside it; if others can write to it, or it is not
ours, there is no cache. CHARTER_NO_CACHE=1 (or true/yes, any case) turns every cache off;
any other value, including 0, leaves them on.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

_OFF = frozenset({"1", "true", "yes"})
_INNER = "charter"  # the private folder made inside a CHARTER_CACHE_DIR that is not private


def disabled() -> bool:
    """Whether CHARTER_NO_CACHE turns the caches off (only 1, true or yes do)."""
    return os.environ.get("CHARTER_NO_CACHE", "").strip().lower() in _OFF


def _default_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "charter"


def private(name: str) -> Path | None:
    """The verified private folder ``<root>/<name>``, created if missing; None when the caches
    are off or a folder on the way cannot be verified."""
    if disabled() or not hasattr(os, "getuid"):
        return None
    verified = _verified_root()
    if verified is None:
        return None
    top, repair = verified
    return top / name if _ensure_private(top / name, repair) else None


def _verified_root() -> tuple[Path, bool] | None:
    """The private root, verified (created if missing), and whether charter may tighten its
    subfolders (only in the default tree: a folder the user names may hold folders of theirs
    with our subfolders' names); None when no private root can be had."""
    configured = os.environ.get("CHARTER_CACHE_DIR")
    top = Path(configured) if configured else _default_root()
    try:
        top.parent.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError):
        return None
    if not configured:
        return (top, True) if _ensure_private(top, repair=True) else None
    if not _ensure_private(top, repair=False):  # made 0o700 if missing; never chmod'd
        try:
            info = os.lstat(top)
        except (OSError, ValueError):
            return None
        if not _only_ours(info):  # a link, another's folder, one others can write to
            return None
        top = top / _INNER  # the user's own folder (a 0o755 project): ours goes inside
        if not _ensure_private(top, repair=False):
            return None
    return top, False


def _ensure_private(folder: Path, repair: bool) -> bool:
    """Whether ``folder`` (created 0o700 if missing) is private; with ``repair``, a folder we
    own that nobody else could write to is tightened first (an older charter's 0o755)."""
    try:
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        info = os.lstat(folder)
        if repair and not _is_private(info) and _only_ours(info):
            _tighten(folder)
            info = os.lstat(folder)
        return _is_private(info)
    except (OSError, ValueError):
        return False


def _is_private(info: os.stat_result) -> bool:
    """A real directory owned by us with mode exactly 0o700."""
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and stat.S_IMODE(info.st_mode) == 0o700)


def _only_ours(info: os.stat_result) -> bool:
    """A real directory owned by us that nobody else can write to."""
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not stat.S_IMODE(info.st_mode) & 0o022)


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
