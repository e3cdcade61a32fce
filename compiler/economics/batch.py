"""Batch quoting: JSON Lines in, one JSON response per line out, in constant memory.

A bad line gets an error object carrying its 1-based line number; the batch goes on.
Large batches are spread over worker processes (fork); output order is input order, and
at most a few chunks are in flight, so memory stays flat however long the input is.
"""
from __future__ import annotations

import gc
import json
import multiprocessing
import os
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import BinaryIO, Iterable, Iterator, TextIO

from charter import model as m
from charter.economics import parse_request
from charter.economics.engine import Quoter
from charter.economics.request import (FastReader, RequestError, RequestInvalid, fast_shape_ok,
                                       read_request)
from charter.economics.response import LineEncoder, dumps, errors_to_json, quote_to_json

_decode = json.JSONDecoder(parse_float=Decimal).decode  # fractions never become floats
CHUNK = 2000          # lines per unit of work
SPLIT_BYTES = 1 << 20  # bytes per unit of work when workers read the file themselves
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
        self.fast = FastReader(program).read

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
        request = self.fast(obj)
        if request is not None:
            return request
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
    _in_workers(program, None, _chain([first, second], chunks), _work, _emit, out, counts, jobs)
    return counts


def _in_workers(program: m.Program, source: str | None, items: Iterator, work, emit,
                out, counts: BatchCounts, jobs: int) -> None:
    """Run ``work`` on each item in forked workers; ``emit`` the results in input order with
    at most IN_FLIGHT items queued per worker (so memory stays flat)."""
    context = multiprocessing.get_context("fork")
    gc.freeze()  # forked workers then never walk (and so copy) the parent's objects in a GC pass
    try:
        with context.Pool(jobs, _start_worker, (program, source)) as pool:
            pending: deque = deque()
            for item in items:
                pending.append(pool.apply_async(work, (item,)))
                if len(pending) >= jobs * IN_FLIGHT:
                    emit(pending.popleft().get(), out, counts)
            while pending:
                emit(pending.popleft().get(), out, counts)
    finally:
        gc.unfreeze()


def quote_file(program: m.Program, path: str, out: BinaryIO,
               jobs: int | None = None) -> BatchCounts:
    """Quote a JSON Lines file into the binary stream ``out`` (UTF-8), one response per line.

    Workers read their own byte ranges of the file, so the parent only splits the file at
    line boundaries and writes results in order: memory stays flat and both cores quote.
    """
    jobs = jobs or os.cpu_count() or 1
    size = os.path.getsize(path)
    counts = BatchCounts()
    if jobs < 2 or size < SPLIT_BYTES or "fork" not in multiprocessing.get_all_start_methods():
        with open(path, encoding="utf-8", errors="replace", newline="\n") as lines:
            local = LineQuoter(program)
            for chunk in _chunks(enumerate(lines, 1)):
                _emit_bytes(local.run(chunk), out, counts)
        return counts
    _in_workers(program, path, _byte_ranges(path), _work_range, _emit_bytes, out, counts, jobs)
    return counts


def _byte_ranges(path: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, first line number) of consecutive ranges of whole lines, ~SPLIT_BYTES each."""
    with open(path, "rb") as handle:
        start, line = 0, 1
        while True:
            handle.seek(start + SPLIT_BYTES)
            tail = handle.readline()
            end = handle.tell() if tail else os.path.getsize(path)
            if end <= start:
                return
            handle.seek(start)
            line_count = handle.read(end - start).count(b"\n")
            yield start, end, line
            start, line = end, line + line_count


def _work_range(span: tuple[int, int, int]) -> tuple[bytes, int, int]:
    start, end, first = span
    _SOURCE.seek(start)
    text = _SOURCE.read(end - start).decode("utf-8", errors="replace")
    lines = text.split("\n")  # newlines only, as the sequential path reads the file
    if lines and lines[-1] == "":
        lines.pop()
    body, quoted, invalid = _WORKER.run(enumerate(lines, first))
    return body.encode("utf-8"), quoted, invalid


def _emit_bytes(result: tuple, out: BinaryIO, counts: BatchCounts) -> None:
    body, quoted, invalid = result
    out.write(body if isinstance(body, bytes) else body.encode("utf-8"))
    counts.quoted += quoted
    counts.invalid += invalid


_WORKER: LineQuoter | None = None
_SOURCE = None


def _start_worker(program: m.Program, path: str | None = None) -> None:
    global _WORKER, _SOURCE
    _WORKER = LineQuoter(program)
    if path is not None:
        _SOURCE = open(path, "rb")  # closed when the worker exits


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
