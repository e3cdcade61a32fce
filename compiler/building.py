"""`charter build` glue: options to `charter.build`, results to the terminal.

Returns exit codes instead of exiting, so it can be tested without a subprocess.
"""
from __future__ import annotations

import sys

import click


def run_build(paths: tuple[str, ...], out: str | None, target_names: str | None,
              check_only: bool, provenance: bool, stamp: str | None,
              list_targets: bool) -> int:
    """Run a build (or `--check`, or `--list-targets`); print what happened; the exit code."""
    from charter.build import LinkInOutput, TargetError, build_paths, select_targets
    from charter.discovery import find_some
    from charter.render import printable

    if list_targets:
        for target in select_targets(None):
            click.echo(f"{target.name:<10} {target.audience:<9} {target.description}")
        return 0
    if not paths or out is None:
        raise click.UsageError("give PATHS and --out DIR (or --list-targets)")
    names = [n.strip() for n in target_names.split(",") if n.strip()] \
        if target_names is not None else None
    found = find_some(paths)
    try:
        result = build_paths(paths, out, names, check_only, provenance, stamp, found)
    except ValueError as bad:
        raise click.UsageError(printable(str(bad)))
    except TargetError as bug:
        click.echo(f"charter: {bug}; please report it", err=True)
        return 1
    except LinkInOutput as link:  # written through, it would write and delete elsewhere
        click.echo(printable(f"charter: {link}"), err=True)
        return 1
    except OSError as cannot:  # the output folder cannot be written: say so, no traceback
        click.echo(printable(f"charter: cannot write to {out}: {cannot.strerror or cannot}"),
                   err=True)
        return 1
    if not result.built and not result.failed and not result.incomplete and not result.clashes:
        raise click.UsageError(printable(
            "nothing to build: every program under " + ", ".join(paths) + " is an abstract"
            " base (bases are built through the programs that extend them)"))
    _report(result, out, check_only)
    return 0 if result.ok else 1


def _report(result, out: str, check_only: bool) -> None:
    """Print what the build did. Every line naming a file goes through `printable`: a file
    name (or a stray file's under --out) can hold escape sequences a terminal would run."""
    from charter.render import printable, render_text

    loud = [d for d in result.diagnostics if d.severity.value == "error"]
    if loud:
        click.echo(render_text(loud, result.sources, color=sys.stderr.isatty()), err=True)
    lines = [f"{path}: not built: the program has errors" for path in result.failed]
    lines += [f"{clash}; nothing was written" for clash in result.clashes]
    lines += [("error: " if result.named else "warning: ") + why for why in result.refusals]
    lines += [f"{out}/{name}: {why}" for name, why in result.stale]
    for line in lines:
        click.echo(printable(line), err=True)
    verb = "checked" if check_only else "built"
    files = sum(len(f) for f in result.built.values()) + len(result.shared)
    if result.clashes and not check_only:  # nothing was written: say so, not what was ready
        click.echo(printable(f"built nothing in {out}"), err=True)
        return
    click.echo(printable(f"{verb} {len(result.built)} program(s), {files} file(s) in {out}"
                         + (f"; {len(result.stale)} stale" if check_only else "")),
               err=not result.ok)
