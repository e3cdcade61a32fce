"""The `charter` command line: a thin layer over `charter.api`.

Exit codes: 0 no errors, 1 errors found, 2 usage error or missing input.
"""
from __future__ import annotations

import sys

import click

from charter import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="charter")
def main() -> None:
    """charter: compile and check partner programs written as code."""


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=True, readable=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print diagnostics.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check(paths: tuple[str, ...], fmt: str, strict: bool) -> None:
    """Check .charter files (folders are searched recursively)."""
    from charter.api import check_paths, discover
    from charter.render import render_json, render_text, summary_line

    files = discover(paths)
    if not files:
        raise click.UsageError("no .charter files found under " + ", ".join(paths))
    result = check_paths(files, strict=strict)
    if fmt == "json":
        click.echo(render_json(result.diagnostics), nl=False)
    else:
        text = render_text(result.diagnostics, result.sources, color=sys.stdout.isatty())
        if text:
            click.echo(text)
        click.echo(summary_line(result.diagnostics, len(files)), err=not result.ok)
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":  # pragma: no cover
    main()
