"""Writing one file atomically: readers see the old bytes or the new ones, never a mix.

The new bytes go to a temporary file in the same folder (so the rename never crosses a file
system), are flushed to disk, and replace the file with `os.replace`. A process killed at any
point (even by SIGKILL) leaves the previous file intact and at worst a stray ``.charter-tmp-*``
file beside it. An existing file keeps its permission bits.
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

TEMP_PREFIX = ".charter-tmp-"


def replace_file(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; raises `OSError` (the old file untouched)."""
    path = Path(path)
    mode = _mode_of(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _mode_of(path: Path) -> int | None:
    """The permission bits of an existing file (mkstemp creates 0o600), else the umask's."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
