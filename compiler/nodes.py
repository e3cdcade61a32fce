"""`node`: the frozen dataclass of the model and the syntax tree, with less start-up cost.

`dataclass(frozen=True)` compiles six methods per class when it is imported (`__init__`,
`__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`); with about sixty node classes
that is a tenth of a small program's whole check. Equality, hashing and the repr are the same
for every node, so `node` lets `dataclass` compile the other three and gives each class the
shared ones below, which read the fields `dataclass` itself declared: the semantics are
dataclass's (fields with ``compare=False`` are left out of equality and hashing, as
``hash=None`` leaves them; ``repr=False`` fields are left out of the repr).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeVar

T = TypeVar("T", bound=type)


def node(cls: T) -> T:
    """`@dataclass(frozen=True)`, with shared `__eq__`, `__hash__` and `__repr__`."""
    cls = dataclass(frozen=True, eq=False, repr=False)(cls)
    declared = fields(cls)
    cls.__node_eq__ = tuple(f.name for f in declared if f.compare)  # type: ignore[attr-defined]
    cls.__node_hash__ = tuple(f.name for f in declared  # type: ignore[attr-defined]
                              if (f.compare if f.hash is None else f.hash))
    cls.__node_repr__ = tuple(f.name for f in declared if f.repr)  # type: ignore[attr-defined]
    cls.__eq__ = _eq  # type: ignore[assignment]
    cls.__hash__ = _hash  # type: ignore[assignment]
    cls.__repr__ = _repr  # type: ignore[assignment]
    return cls


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = self.__node_eq__
    return [getattr(self, n) for n in names] == [getattr(other, n) for n in names]


def _hash(self: Any) -> int:
    return hash(tuple([getattr(self, n) for n in self.__node_hash__]))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__node_repr__)
    return f"{self.__class__.__qualname__}({shown})"

