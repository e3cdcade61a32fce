"""Stopping a long run cleanly on SIGINT, SIGTERM or SIGHUP.

While ``stop_on_signals()`` is active (main thread only), each of those signals raises
:class:`Stopped`, which unwinds like any exception, so ``finally`` blocks run (a worker pool is
terminated and joined) and the command line turns it into exit code 128 + the signal number
(130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP) and one line on stderr, without a traceback.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                if hasattr(signal, name))


class Stopped(BaseException):
    """The run was stopped by a signal (a BaseException: ``except Exception`` lets it pass)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"


def _raise_stopped(signum: int, frame: object) -> None:
    raise Stopped(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Raise Stopped on SIGINT/SIGTERM/SIGHUP inside the block (no-op outside the main thread)."""
    with _handling(_raise_stopped):
        yield


def worker_signals() -> None:
    """In a forked worker: leave SIGINT (Ctrl-C reaches the whole process group) to the
    parent, and die quietly on SIGTERM/SIGHUP (the parent's pool.terminate() sends SIGTERM)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in SIGNALS:
        if signum != signal.SIGINT:
            signal.signal(signum, signal.SIG_DFL)


@contextmanager
def signals_ignored() -> Iterator[None]:
    """Ignore SIGINT/SIGTERM/SIGHUP inside the block (cleanup that must not be cut short)."""
    with _handling(signal.SIG_IGN):
        yield


@contextmanager
def _handling(handler) -> Iterator[None]:
    """``handler`` for each of `SIGNALS` inside the block, the previous ones restored after;
    signal handlers can only be set from the main thread, elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    try:
        for signum in SIGNALS:
            previous[signum] = signal.signal(signum, handler)
        yield
    finally:
        for signum, handler_before in previous.items():
            signal.signal(signum, handler_before)
