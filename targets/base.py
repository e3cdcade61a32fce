"""What a target is: a named function from a checked program to files.

Each target is one module in `targets/` defining `TARGET = Target(...)`; the registry in
`targets/__init__.py` lists them once. A target returns its files as a mapping of relative
paths (POSIX, under the program's output folder) to bytes; `charter.build` writes them
atomically and compares them for `--check`. Targets never write files themselves.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from charter import model as m


@dataclass
class BuildContext:
    """Everything a target may read: the checked program and what is derived from it once.

    Partner-facing targets read only `partner` (the partner projection of the config, which
    has no internal section); internal targets may read `config` and `program`.
    """

    program: m.Program
    provenance: bool = False           # `--provenance`: source file and line of each value
    stamp: str | None = None           # `--stamp`: a build time to record; None = none
    extra: dict = field(default_factory=dict)

    @cached_property
    def quoter(self):
        """The engine, for computed numbers (every number a target shows comes from it)."""
        from charter.economics import Quoter

        return Quoter(self.program)

    @cached_property
    def config(self) -> dict:
        """The compiled program as data (config.json's content, internal section included)."""
        from charter.targets.config import build_config

        return build_config(self.program, self.quoter, provenance=self.provenance)

    @cached_property
    def partner(self) -> dict:
        """The partner projection of the config: no internal section, schema-checked."""
        from charter.targets.config import partner_projection

        return partner_projection(self.config)


class TargetRefused(Exception):
    """A target declines a program it cannot build faithfully (each reason names the
    construct): the build reports it for that program and target and builds the rest."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)


@dataclass(frozen=True)
class Target:
    """An output: a name, who reads it, and the function that makes its files."""

    name: str
    description: str
    audience: str                                   # machines | partners | internal
    build: Callable[[BuildContext], dict[str, bytes]]
    shared: bool = False   # files go to OUT/schema/ once, not to each program's folder
