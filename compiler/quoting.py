"""`charter quote` glue: load a program, read requests, print quotes and request errors.

Returns exit codes instead of exiting, so it can be tested without a subprocess.
"""
from __future__ import annotations

import io
import json
import sys
from typing import BinaryIO

import click

from charter.model import Program

EXIT_WORKER = 4  # a batch worker process died: the output stops at a whole line, incomplete


def load_program(path: str) -> Program:
    """Compile and check ``path``; on errors print them and exit 1.

    A program that fails `charter check` (a policy included) quotes nothing: its numbers are
    not a program anyone may pay from; nor does an abstract one (a base to extend). Clean results are cached (`charter.checkcache`).
    """
    from charter.api import compile_checked
    from charter.render import render_text

    program, reporter, sources = compile_checked(path)
    if program is None or reporter.has_errors:
        loud = [d for d in reporter.sorted() if d.severity.value == "error"]
        click.echo(render_text(loud, sources, color=False), err=True)
        click.echo(f"{path}: the program has errors; fix them before quoting", err=True)
        sys.exit(1)
    if program.header.abstract:  # it has no products or prices of its own to quote from
        click.echo(f"{path}: error: the program is abstract (`abstract: yes`): a base for other"
                   " programs to extend; it cannot be quoted or paid from; use a program that"
                   " extends it", err=True)
        sys.exit(1)
    return program


def quote_one(program: Program, path: str, fmt: str, locale: str | None,
              view: str = "internal") -> int:
    """Quote the request in ``path``; print it as text or JSON in ``view``. Returns the exit
    code."""
    from charter.economics import Quoter, RequestError, RequestInvalid, parse_request
    from charter.economics.request import named_in
    from charter.economics.batch import (MAX_REQUEST_BYTES, TOO_DEEP, decode_request,
                                         request_text, too_large)
    from charter.render import printable
    from charter.economics.response import errors_to_json, quote_to_json

    data = _read_request(path)
    try:
        if len(data) > MAX_REQUEST_BYTES:  # refused before decoding: memory stays bounded
            raise RequestInvalid([too_large()])
        obj = decode_request(request_text(data))  # Decimal fractions; duplicate keys refused
        request = parse_request(obj, named_in(program, view))
    except (ValueError, RecursionError) as exc:  # RecursionError: decoded, too deep to check
        errors = exc.errors if isinstance(exc, RequestInvalid) else [TOO_DEEP] \
            if isinstance(exc, RecursionError) else [RequestError("$", f"not JSON: {exc}")]
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


def _read_request(path: str) -> bytes:
    """The bytes of the request in ``path`` (`-`: standard input), at most one past the limit;
    a FIFO or a device is refused as a usage error (exit 2) before anything is read."""
    from charter.economics.batch import MAX_REQUEST_BYTES

    limit = MAX_REQUEST_BYTES + 1
    if path == "-":
        return stdin_bytes().read(limit)
    with open_input(path) as handle:
        return handle.read(limit)


def stdin_bytes() -> BinaryIO:
    """Standard input as bytes (empty when the process was started with it closed)."""
    return getattr(sys.stdin, "buffer", None) or io.BytesIO()


def open_input(path: str) -> BinaryIO:
    """``path`` opened for binary reading; a FIFO, a device or an unreadable file is a usage
    error (exit 2, as a missing file is), and nothing is read from it."""
    from charter.inputfile import NotRegularFile, open_regular
    from charter.render import printable

    try:
        return open_regular(path)
    except NotRegularFile as err:
        raise click.UsageError(printable(f"{err}; name a file, or `-` for standard input")) \
            from None
    except OSError as err:
        raise click.UsageError(printable(f"{path}: {err.strerror or err}")) from None


def quote_batch(program: Program, path: str, view: str = "internal") -> int:
    """Quote every line of ``path`` to stdout; exit code 1 if any line was rejected,
    EXIT_WORKER if a worker process died or failed (the lines written until then are whole)."""
    from charter.economics.batch import WorkerFailed, quote_file, quote_stream, read_lines
    from charter.stopping import stop_on_signals

    if path != "-":
        open_input(path).close()  # a FIFO or a device: refused, never read (exit 2)
    sys.stdout.flush()
    try:
        with stop_on_signals():  # SIGINT/SIGTERM/SIGHUP: Stopped, the workers reaped (see cli)
            if path == "-":
                lines = read_lines(stdin_bytes())  # bounded, line by line
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
