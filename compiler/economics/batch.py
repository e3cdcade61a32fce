"""Batch quoting: JSON Lines in, one JSON response per line out, in constant memory.

A bad line gets an error object carrying its 1-based line number; the batch goes on.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, TextIO

from charter import model as m
from charter.economics import parse_request
from charter.economics.engine import Quoter
from charter.economics.request import RequestError, RequestInvalid, fast_shape_ok, read_request
from charter.economics.response import dumps, errors_to_json, quote_to_json


@dataclass
class BatchCounts:
    """How many lines were quoted and how many were rejected."""

    quoted: int = 0
    invalid: int = 0


def quote_stream(program: m.Program, lines: Iterable[str], out: TextIO) -> BatchCounts:
    """Quote each JSON line of ``lines`` against ``program``, writing one response per line.

    Blank lines are skipped (no output). Memory stays flat: nothing is kept between lines
    except the quoter's per-route plans.
    """
    quoter = Quoter(program)
    header = program.header
    counts = BatchCounts()
    write = out.write
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            request = _read_line(line, program)
        except RequestInvalid as bad:
            counts.invalid += 1
            write(dumps(errors_to_json(bad.errors, number)) + "\n")
            continue
        counts.quoted += 1
        write(dumps(quote_to_json(quoter.quote(request), header.id, header.version)) + "\n")
    return counts


def _read_line(line: str, program: m.Program):
    try:
        obj = json.loads(line, parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        message = f"not JSON: {exc.msg} at column {exc.colno}" \
            if isinstance(exc, json.JSONDecodeError) else "not JSON: nested too deeply"
        raise RequestInvalid([RequestError("$", message)]) from None
    if fast_shape_ok(obj):
        return read_request(obj, program)
    return parse_request(obj, program)  # slow path: the schema's exact messages
