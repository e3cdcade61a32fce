"""`charter quote` glue: load a program, read requests, print quotes and request errors.

Returns exit codes instead of exiting, so it can be tested without a subprocess.
"""
from __future__ import annotations

import json
import os
import sys

import click

from charter.model import Program

EXIT_WORKER = 4  # a batch worker process died: the output stops at a whole line, incomplete


def load_program(path: str) -> Program:
    """Compile and check ``path``; on errors print them and exit 1.

    A program that fails `charter check` (a policy included) quotes nothing: its numbers are
    not a program anyone may pay from. Clean results are cached (`charter.checkcache`).
    """
    from charter.api import compile_checked
    from charter.render import render_text

    program, reporter, sources = compile_checked(path)
    if program is None or reporter.has_errors:
        loud = [d for d in reporter.sorted() if d.severity.value == "error"]
        click.echo(render_text(loud, sources, color=False), err=True)
        click.echo(f"{path}: the program has errors; fix them before quoting", err=True)
        sys.exit(1)
    return program


def quote_one(program: Program, path: str, fmt: str, locale: str | None,
              view: str = "internal") -> int:
    """Quote the request in ``path``; print it as text or JSON in ``view``. Returns the exit
    code."""
    from charter.economics import Quoter, RequestError, RequestInvalid, parse_request
    from charter.economics.batch import decode_request
    from charter.render import printable
    from charter.economics.response import errors_to_json, quote_to_json

    try:
        with click.open_file(path, encoding="utf-8-sig") as handle:  # a BOM is not an error
            obj = decode_request(handle.read())  # Decimal fractions; duplicate keys refused
        request = parse_request(obj, program)
    except (ValueError, RecursionError) as exc:
        errors = exc.errors if isinstance(exc, RequestInvalid) else \
            [RequestError("$", f"not JSON: {getattr(exc, 'msg', exc)}")]
        if fmt == "json":
            click.echo(json.dumps(errors_to_json(errors), indent=2, ensure_ascii=False))
        for error in errors:
            click.echo(printable(f"{path}: {error.path}: {error.message}"), err=True)
        click.echo(f"{path}: {len(errors)} problem(s); nothing quoted", err=True)
        return 1
    try:
        quote = Quoter(program).quote(request)
    except (ArithmeticError, ValueError, OverflowError) as exc:  # as a batch line would be
        click.echo(printable(f"{path}: $: could not be quoted: {exc}"), err=True)
        return 1
    if fmt == "json":
        body = quote_to_json(quote, program.header, view)
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        from charter.economics.text import render_quote

        click.echo(render_quote(quote, program, locale, view), nl=False)
    for warning in quote.request.warnings:
        click.echo(printable(f"{path}: warning: {warning.path}: {warning.message}"), err=True)
    return 0


def quote_batch(program: Program, path: str, view: str = "internal") -> int:
    """Quote every line of ``path`` to stdout; exit code 1 if any line was rejected,
    EXIT_WORKER if a worker process died or failed (the lines written until then are whole)."""
    from charter.economics.batch import WorkerFailed, quote_file, quote_stream
    from charter.stopping import stop_on_signals

    sys.stdout.flush()
    try:
        with stop_on_signals():  # SIGINT/SIGTERM/SIGHUP: Stopped, the workers reaped (see cli)
            if path == "-" or not os.path.isfile(path):
                with click.open_file(path, encoding="utf-8", errors="replace") as lines:
                    counts = quote_stream(program, lines, sys.stdout, view=view)
            else:
                counts = quote_file(program, path, sys.stdout.buffer, view=view)
    except WorkerFailed as lost:
        sys.stdout.flush()
        click.echo(f"charter: {lost}; the output is incomplete", err=True)
        return EXIT_WORKER
    sys.stdout.flush()
    click.echo(f"quoted {counts.quoted} deal(s); {counts.invalid} invalid line(s)", err=True)
    return 1 if counts.invalid else 0
