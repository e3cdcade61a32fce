"""Opening a user's data file (a quote request, a batch, a deals file): regular files only.

A FIFO with no writer would hang the command and a device such as /dev/zero never ends, so
they are refused before anything is read, as the loader refuses them for programs (CH-E207).
Standard input (`-`) is the one stream a command reads, and it reads it with a size limit.
"""
from __future__ import annotations

import os
import stat
from typing import BinaryIO

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))

# non-blocking: opening a FIFO (even one swapped in after a stat) returns at once
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)


class NotRegularFile(OSError):
    """``path`` names a FIFO, a device, a socket or a folder; nothing was read from it."""

    def __init__(self, path: str, kind: str):
        super().__init__(f"{path}: not a regular file ({kind}); nothing was read from it")
        self.kind = kind


def not_regular(mode: int) -> str | None:
    """What a file of ``mode`` is when it is not a regular file ("a named pipe"), else None."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a plain file")


def open_regular(path: str) -> BinaryIO:
    """``path`` opened for binary reading, or NotRegularFile (OSError if it cannot be read)."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        kind = not_regular(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotRegularFile(path, kind)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
