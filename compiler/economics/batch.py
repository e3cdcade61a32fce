"""Batch quoting: JSON Lines in, one JSON response per line out, in constant memory.

A bad line gets an error object carrying its 1-based line number; the batch goes on.
Large batches are spread over worker processes (fork); output order is input order, and
at most a few chunks are in flight, so memory stays flat however long the input is.
"""
from __future__ import annotations

import json
import multiprocessing
import os
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Iterable, Iterator, TextIO

from charter import model as m
from charter.economics import parse_request
from charter.economics.engine import Quoter
from charter.economics.request import RequestError, RequestInvalid, fast_shape_ok, read_request
from charter.economics.response import LineEncoder, dumps, errors_to_json, quote_to_json

_decode = json.JSONDecoder(parse_float=Decimal).decode  # fractions never become floats
CHUNK = 2000          # lines per unit of work
IN_FLIGHT = 3         # chunks queued per worker


@dataclass
class BatchCounts:
    """How many lines were quoted and how many were rejected."""

    quoted: int = 0
    invalid: int = 0


class LineQuoter:
    """Turns request lines into response lines for one program (one per process)."""

    def __init__(self, program: m.Program):
        self.program = program
        self.quoter = Quoter(program)
        header = program.header
        self.encode = LineEncoder(header.id, header.version, header.minor_units).encode \
            if header.minor_units <= 6 else self._encode_slow
        self.routes: dict = {}

    def run(self, numbered: Iterable[tuple[int, str]]) -> tuple[str, int, int]:
        """Responses for ``numbered`` lines, joined, with (quoted, invalid) counts."""
        out, quoted, invalid = [], 0, 0
        for number, line in numbered:
            if not line.strip():
                continue
            try:
                request = self._read(line)
            except RequestInvalid as bad:
                invalid += 1
                out.append(dumps(errors_to_json(bad.errors, number)))
                continue
            quoted += 1
            out.append(self.encode(self.quoter.quote(request)))
        return "".join(line + "\n" for line in out), quoted, invalid

    def _encode_slow(self, quote) -> str:
        header = self.program.header
        return dumps(quote_to_json(quote, header.id, header.version))

    def _read(self, line: str):
        try:
            obj = _decode(line)
        except (ValueError, RecursionError) as exc:
            message = f"not JSON: {exc.msg} at column {exc.colno}" \
                if isinstance(exc, json.JSONDecodeError) else f"not JSON: {exc}"
            raise RequestInvalid([RequestError("$", message)]) from None
        if fast_shape_ok(obj):
            return read_request(obj, self.program, self.routes)
        return parse_request(obj, self.program)  # slow path: the schema's exact messages


def quote_stream(program: m.Program, lines: Iterable[str], out: TextIO,
                 jobs: int | None = None) -> BatchCounts:
    """Quote each JSON line of ``lines`` against ``program``, writing one response per line.

    Blank lines are skipped (no output). ``jobs`` worker processes (default: the CPU count)
    are used once the input is longer than one chunk.
    """
    jobs = jobs or os.cpu_count() or 1
    chunks = _chunks(enumerate(lines, 1))
    first = next(chunks, [])
    counts = BatchCounts()
    local = LineQuoter(program)
    second = next(chunks, None)
    if second is None or jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in ([first] + ([second] if second else [])):
            _emit(local.run(chunk), out, counts)
        for chunk in chunks:
            _emit(local.run(chunk), out, counts)
        return counts
    _parallel(program, [first, second], chunks, out, counts, jobs)
    return counts


def _parallel(program: m.Program, head: list, chunks: Iterator, out: TextIO,
              counts: BatchCounts, jobs: int) -> None:
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, _start_worker, (program,)) as pool:
        pending: deque = deque()
        for chunk in _chain(head, chunks):
            pending.append(pool.apply_async(_work, (chunk,)))
            if len(pending) >= jobs * IN_FLIGHT:
                _emit(pending.popleft().get(), out, counts)
        while pending:
            _emit(pending.popleft().get(), out, counts)


_WORKER: LineQuoter | None = None


def _start_worker(program: m.Program) -> None:
    global _WORKER
    _WORKER = LineQuoter(program)


def _work(chunk: list[tuple[int, str]]) -> tuple[str, int, int]:
    return _WORKER.run(chunk)


def _emit(result: tuple[str, int, int], out: TextIO, counts: BatchCounts) -> None:
    text, quoted, invalid = result
    out.write(text)
    counts.quoted += quoted
    counts.invalid += invalid


def _chunks(numbered: Iterator[tuple[int, str]]) -> Iterator[list[tuple[int, str]]]:
    while True:
        chunk = list(islice(numbered, CHUNK))
        if not chunk:
            return
        yield chunk


def _chain(head: list, rest: Iterator) -> Iterator:
    yield from head
    yield from rest
