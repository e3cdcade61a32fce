"""One side of a diff: a program compiled, its config in each view, and its failing checks.

A program is diffed as soon as it compiles, even when its policies fail (a pull request in
progress still deserves a diff): it is compiled with ``checks=False`` for the config, and the
checks are run on their own to list what fails beside the diff.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from charter import model as m
from charter.diagnostics import Diagnostic, Reporter, Severity
from charter.source import SourceFile
from charter.targets.base import BuildContext

VIEWS = ("internal", "partner")


class CompileFailed(Exception):
    """A program that does not compile: its diagnostics, to print as `charter check` does."""

    def __init__(self, display: str, diagnostics: list[Diagnostic],
                 sources: dict[str, SourceFile]):
        super().__init__(f"{display} does not compile")
        self.display, self.diagnostics, self.sources = display, diagnostics, sources


@dataclass(frozen=True)
class Failure:
    """A check that fails on a program: its code, what it is, how often."""

    code: str
    title: str
    count: int

    def to_json(self) -> dict:
        """The JSON shape."""
        return {"code": self.code, "title": self.title, "count": self.count}


@dataclass
class Side:
    """A compiled program and what is derived from it once (config, engine, checks)."""

    display: str            # how the report names the file (`programs/x.charter@HEAD`)
    folder: str             # the folder provenance paths are relative to, as reported
    program: m.Program
    _plain: dict = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def context(self) -> BuildContext:
        """The build context: the same config `charter build --provenance` writes."""
        return BuildContext(self.program, provenance=True)

    @property
    def ident(self) -> str:
        """The program's id (how programs are matched)."""
        return self.program.header.id

    @property
    def quoter(self):
        """The program's engine."""
        return self.context.quoter

    def config(self, view: str) -> dict:
        """The config (internal) or its partner projection, with `_source` provenance."""
        return self.context.partner if view == "partner" else self.context.config

    def plain(self, view: str) -> dict:
        """The config in ``view`` without provenance: what is compared."""
        if view not in self._plain:
            self._plain[view] = strip_sources(self.config(view))
        return self._plain[view]

    @cached_property
    def failing(self) -> tuple[Failure, ...]:
        """The checks that fail (error level), by code, in code order."""
        from charter.api import run_checks

        reporter = Reporter()
        run_checks(self.program, reporter)
        counts: dict[str, int] = {}
        for d in reporter.items:
            if d.severity is Severity.ERROR:
                counts[d.code] = counts.get(d.code, 0) + 1
        return tuple(Failure(code, _title(code), n) for code, n in sorted(counts.items()))

    def where(self, source: dict) -> str:
        """A provenance file (relative to the program's folder) as the report names it."""
        return posixpath.normpath(posixpath.join(self.folder, source["file"]))


def _title(code: str) -> str:
    from charter.codes import CODES
    from charter.policies import find

    policy = find(code)
    if policy is not None:
        return f"{policy.name}: {policy.title}"
    entry = CODES.get(code)
    return entry.title if entry else ""


def strip_sources(value: Any) -> Any:
    """``value`` without `_source` keys, at any depth."""
    if isinstance(value, dict):
        return {k: strip_sources(v) for k, v in value.items() if k != "_source"}
    if isinstance(value, list):
        return [strip_sources(v) for v in value]
    return value


def compile_side(path: Path, display: str, folder: str, cache=None) -> Side | None:
    """Compile the program at ``path`` (None for an abstract base, which is diffed through
    the programs that extend it); ``folder`` is its folder as the report names it. Raises
    `CompileFailed` when it has errors."""
    from charter.api import compile_file

    program, reporter, sources = compile_file(path, checks=False, cache=cache)
    if program is None or reporter.has_errors:
        raise CompileFailed(display, reporter.sorted(), sources)
    if program.header.abstract:
        return None
    return Side(display, folder, program)
