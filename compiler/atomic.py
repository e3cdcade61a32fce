"""Writing one file atomically: readers see the old bytes or the new ones, never a mix.

The new bytes go to a temporary file in the same folder (so the rename never crosses a file
system), are flushed to disk, and replace the file with `os.replace`. A process killed at any
point (even by SIGKILL) leaves the previous file intact and at worst a stray ``.charter-tmp-*``
file beside it. An existing file keeps its permission bits.

`replace_in` does the same in a folder given as an open descriptor (the temp file created,
and renamed over the file, relative to it), for a caller that opened the folder without
following links (`charter.confined`): the file replaced is then the one in that folder,
whatever link is put on its path meanwhile.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from charter.confined import open_at

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


def replace_in(folder: int, name: str, data: bytes) -> None:
    """Write ``data`` to the file ``name`` in the open ``folder`` atomically, as
    `replace_file` does; raises `OSError` (the old file untouched). A link at ``name`` is
    replaced, never followed, and the temp file is created with `O_NOFOLLOW`."""
    mode = _mode_in(folder, name)
    temp, fd = _temp_in(folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
        os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        try:
            os.unlink(temp, dir_fd=folder)
        except OSError:
            pass
        raise


def _temp_in(folder: int) -> tuple[str, int]:
    """A new temp file in ``folder`` (mode 0o600, as `tempfile.mkstemp` makes): its name and
    a descriptor open for writing. `mkstemp` takes no ``dir_fd``, so its loop is done here."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temp = TEMP_PREFIX + os.urandom(6).hex()
        try:
            return temp, open_at(folder, temp, flags, 0o600)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", TEMP_PREFIX)


def _mode_in(folder: int, name: str) -> int:
    """`_mode_of` for the file ``name`` in the open ``folder``; a link or anything else not
    a regular file there lends no bits (a link's are 0o777): the umask's, as for a new file."""
    try:
        info = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return _umask_mode()
    return stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else _umask_mode()


def _mode_of(path: Path) -> int | None:
    """The permission bits of an existing file (mkstemp creates 0o600), else the umask's."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return _umask_mode()


def _umask_mode() -> int:
    """The bits a new file gets under the umask (read without changing it for long)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
