"""`charter diff` glue: compile both sides, match programs by id, diff, print, exit code.

Returns exit codes instead of exiting, so the command is tested in-process: 0 (no change of
the `--fail-on` class), 1 (one is present), 2 (a program that does not compile, a bad
revision, two programs with one id).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from charter.semdiff.side import CompileFailed, Side, compile_side

EXIT_FAIL_ON, EXIT_PROBLEM = 1, 2


class DiffProblem(Exception):
    """Something that stops the diff, said in one line (exit 2)."""


def run_diff(files: tuple[str, ...], rev: str | None, fmt: str, view: str,
             fail_on: str | None) -> int:
    """Diff OLD NEW (``files``), or the working tree against ``rev`` under ``files``."""
    from charter.render import printable
    from charter.semdiff.gitrev import GitError
    from charter.semdiff.render import RENDERERS
    from charter.semdiff.report import DiffResult, diff_sides
    from charter.targets.config import ConfigSchemaError

    try:
        pairs = _git_pairs(rev, files) if rev is not None else [_file_pair(files)]
        result = DiffResult([diff_sides(old, new, view) for old, new in pairs], view)
    except CompileFailed as failed:
        _print_failure(failed)
        return EXIT_PROBLEM
    except (DiffProblem, GitError) as problem:
        click.echo(printable(f"charter: {problem}"), err=True)
        return EXIT_PROBLEM
    except ConfigSchemaError as bug:  # a config that does not match its schema: a compiler bug
        click.echo(printable(f"charter: internal error: {bug}; please report it"), err=True)
        return EXIT_PROBLEM
    click.echo(RENDERERS[fmt](result), nl=False)
    if fmt == "github":          # stdout holds only workflow commands; the summary is for the log
        click.echo(f"charter diff: {result.summary()}", err=True)
    return EXIT_FAIL_ON if result.fails(fail_on) else 0


def _print_failure(failed: CompileFailed) -> None:
    from charter.render import printable, render_text

    text = render_text(failed.diagnostics, failed.sources, color=sys.stderr.isatty())
    if text:
        click.echo(text, err=True)
    click.echo(printable(f"charter: {failed}; nothing to diff"), err=True)


def _file_pair(files: tuple[str, ...]) -> tuple[Side, Side]:
    if len(files) != 2:
        raise click.UsageError("give OLD and NEW program files, or --git REV [PATH...]")
    sides = []
    for name in files:
        if not Path(name).is_file():
            raise click.UsageError(f"no program file `{name}`")
        side = compile_side(Path(name), name, _folder(name))
        if side is None:
            raise DiffProblem(f"{name} is an abstract base: diff the programs that extend it")
        sides.append(side)
    return sides[0], sides[1]


def _folder(name: str) -> str:
    return os.path.dirname(name).replace(os.sep, "/")


def _git_pairs(rev: str, paths: tuple[str, ...]) -> list[tuple[Side | None, Side | None]]:
    """Programs of ``rev`` and of the working tree under ``paths``, matched by id."""
    from charter.discovery import find
    from charter.loader import ParseCache
    from charter.semdiff.gitrev import checkout

    paths = paths or (".",)
    present = [p for p in paths if Path(p).exists()]
    found = find(present)
    for unlisted in found.unlisted:  # its programs would show as removed: stop instead
        raise DiffProblem(f"{unlisted.message} ({unlisted.notes[0]}, CH-E209)")
    new_files = [(f, str(f), _folder(str(f))) for f in found.files]
    with checkout(rev, paths) as revision:
        old_files = revision.programs(paths)
        if not old_files and not new_files:
            raise DiffProblem("no .charter files under " + ", ".join(paths)
                              + f" in the working tree or at {rev}")
        old = _by_id(old_files, ParseCache())
        new = _by_id(new_files, ParseCache())
        for side in list(old.values()) + list(new.values()):
            side.context.config  # build while the revision's files exist (quotes are lazy)
    ids = list(new) + [i for i in old if i not in new]
    return [(old.get(i), new.get(i)) for i in ids]


def _by_id(files: list[tuple[Path, str, str]], cache) -> dict[str, Side]:
    found: dict[str, Side] = {}
    for path, display, folder in files:
        side = compile_side(path, display, folder, cache)
        if side is None:
            continue
        if side.ident in found:
            raise DiffProblem(f"two programs are called `{side.ident}`:"
                              f" {found[side.ident].display} and {display}")
        found[side.ident] = side
    return found
