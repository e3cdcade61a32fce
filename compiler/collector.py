"""Pausing Python's cyclic garbage collector for one short, bounded job (a check).

A check allocates hundreds of thousands of small objects (modules' classes, tokens, syntax
nodes, frozen model nodes) that form no cycles, so the collector's passes free nothing and
cost about a tenth of the run: 233 → 218 ms for ejourney, 2.63 → 2.36 s for a program 100
times its size, with the same peak memory (85 MB) either way. The input is bounded (the
parser's limits), so nothing grows without bound while paused.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused(freeze: bool = False) -> Iterator[None]:
    """Pause the collector for the block, then restore it as it was (nesting is safe).

    ``freeze``: for a process that ends soon after the block (the CLI's `check`), move what
    the block left alive out of the collector's sight (`gc.freeze`). Otherwise the first
    collection after the block, and the one at exit, walk every node of the program for
    nothing: ≈ 60 ms for a program 100 times ejourney's size. Objects that hold no cycle are
    still freed as usual; only cyclic garbage made in the block would outlive it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()
