"""The library API: compile and check programs. The CLI is a thin layer over this."""
from __future__ import annotations

from dataclasses import field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from charter.collector import paused
from charter.diagnostics import Diagnostic, Reporter, Severity
from charter.discovery import discover  # noqa: F401  (part of the library API)
from charter.nodes import node
from charter.source import Recovery, SourceFile

if TYPE_CHECKING:  # the model is imported where a program is compiled, not at start-up
    from charter.loader import ParseCache, Trace
    from charter.model import Program


@node(frozen=False)
class CheckResult:
    """Programs compiled, all diagnostics, and the sources needed to render them."""

    programs: dict[str, Program | None] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, SourceFile] = field(default_factory=dict)

    @property
    def errors(self) -> list[Diagnostic]:
        """The error-level diagnostics."""
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The warning-level diagnostics."""
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors


def compile_file(path: str | Path, reporter: Reporter | None = None, root: Path | None = None,
                 checks: bool = True, cache: ParseCache | None = None,
                 trace: Trace | None = None
                 ) -> tuple[Program | None, Reporter, dict[str, SourceFile]]:
    """Compile one program file (following `extends:`) into the typed, resolved model.

    ``checks`` runs the policies (invariants, worked examples) once the program is error-free.
    ``cache`` (a `charter.loader.ParseCache`) shares parsed files between the programs of one
    run, so a base extended by many files is parsed once. ``trace`` (a `charter.loader.Trace`)
    collects the project root and where each path led, for a replay to verify.
    """
    from charter.assemble import assemble
    from charter.loader import Loader, project_root
    from charter.resolve import resolve

    reporter = reporter or Reporter()
    path = Path(path)
    loader = Loader(reporter, cache, trace)
    earlier = len(reporter.items)
    items = loader.load(path, root or project_root(path))
    display = next(iter(loader.sources), str(path))
    recovery = Recovery.of(loader.sources.values(), partial=_base_missing(reporter.items[earlier:]))
    program = assemble(items, reporter, display, tuple(loader.sources), recovery) \
        if display in loader.sources else None
    if program is not None:
        resolve(program, reporter, recovery)
        if checks:
            run_checks(program, reporter, sources=loader.sources)
    _drop_recovery_noise(reporter, recovery)
    return program, reporter, loader.sources


def compile_text(text: str, name: str = "<input>.charter") -> tuple[Program | None, Reporter]:
    """Compile program text held in memory (no `extends:`), for tools and tests."""
    from charter.assemble import assemble
    from charter.parser import parse_source
    from charter.resolve import resolve

    reporter = Reporter()
    source = SourceFile(name, text)
    items = parse_source(source, reporter)
    recovery = Recovery.of([source])
    program = assemble(items, reporter, name, (name,), recovery)
    if program is not None:
        resolve(program, reporter, recovery)
        run_checks(program, reporter, sources={name: source})
    _drop_recovery_noise(reporter, recovery)
    return program, reporter


def compile_checked(path: str | Path) -> tuple[Program | None, Reporter, dict[str, SourceFile]]:
    """`compile_file`, skipping the policies when the same sources were checked clean today."""
    from charter import checkcache, clock

    program, reporter, sources = compile_file(path, checks=False)
    if program is None or reporter.has_errors or program.header.abstract:
        return program, reporter, sources
    cache_key = checkcache.key(sources, clock.today())
    if checkcache.is_clean(cache_key):
        return program, reporter, sources
    run_checks(program, reporter, sources=sources)
    if not reporter.has_errors:
        checkcache.mark_clean(cache_key)
    return program, reporter, sources


def run_checks(program: Program, reporter: Reporter, today: date | None = None,
               sources: dict[str, SourceFile] | None = None) -> None:
    """Run the policies (invariants, worked examples) on a program free of other errors, and
    the partner-text check (CH-E133).

    Waivers are judged as of ``today`` (default `charter.clock.today`). Abstract base programs
    are checked through the programs that extend them. ``sources`` (the program's files) let
    the partner-text check answer quickly and point at the very word.
    """
    from charter.confidential import PARTNER_TEXT_CODES, check_internal_words

    check_internal_words(program, reporter, sources)
    # Partner text that names what it must not (CH-E133/E134) leaves the program's numbers
    # whole: the policies and the partner-text check still run, so every independent
    # mistake is reported in one run.
    errors = {d.code for d in reporter.items if d.severity is Severity.ERROR}
    if not errors - PARTNER_TEXT_CODES and not program.header.abstract:
        from charter.policies.runner import run_policies

        run_policies(program, reporter, today)
        # A policy's finding leaves the program quotable; an example that cannot be quoted
        # (CH-E3xx) would break the projection this check asks.
        if not any(d.code.startswith("CH-E") and d.code not in PARTNER_TEXT_CODES
                   for d in reporter.items if d.severity is Severity.ERROR):
            from charter.confidential import check_partner_text

            check_partner_text(program, reporter, sources)


# What loading reports when an `extends:` base cannot be read (the parser reports none of
# these): the program is then partial, and what it leaves out may be in the missing base.
_BASE_FAILURES = frozenset(("CH-E106", "CH-E201", "CH-E202", "CH-E203", "CH-E205", "CH-E206",
                            "CH-E207", "CH-E208", "CH-E012"))


def _base_missing(loading: list[Diagnostic]) -> bool:
    """Whether loading (whose diagnostics these are) failed to read an `extends:` base."""
    return any(d.code in _BASE_FAILURES for d in loading)


def _drop_recovery_noise(reporter: Reporter, recovery: Recovery) -> None:
    """Lines rewritten by syntax recovery only carry their syntax error, not its echoes."""
    reporter.items = [d for d in reporter.items if d.span is None or d.code.startswith("CH-E0")
                      or (d.span.file, d.span.line) not in recovery.lines]


def check_paths(paths: Iterable[str | Path], strict: bool = False,
                unlisted: Iterable[Diagnostic] = (), trace: Trace | None = None) -> CheckResult:
    """Compile every program under ``paths``; ``strict`` turns warnings into errors.

    Each file is parsed once per call, however many of the programs extend it. A folder
    under ``paths`` that cannot be listed is an error (CH-E209), as are ``unlisted`` (those
    a caller's own search met). ``trace`` collects what loading depended on besides the
    files' text (`charter.loader.Trace`)."""
    from charter.discovery import find
    from charter.loader import ParseCache

    result = CheckResult()
    found = find(paths)
    result.diagnostics += [*unlisted, *found.unlisted]
    seen: set[Diagnostic] = set(result.diagnostics)
    cache = ParseCache()
    with paused():  # nothing to collect: charter.collector
        for path in found.files:
            program, reporter, sources = compile_file(path, cache=cache, trace=trace)
            result.programs[str(path)] = program
            result.sources.update(sources)
            for diagnostic in reporter.sorted():
                if diagnostic not in seen:  # a shared base is reported once, not per program
                    seen.add(diagnostic)
                    result.diagnostics.append(diagnostic)
    if strict:
        result.diagnostics = [d.with_severity(Severity.ERROR) if d.severity is Severity.WARNING
                              else d for d in result.diagnostics]
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result
