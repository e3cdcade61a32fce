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
import re
import signal
import sys
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING, BinaryIO, Iterable, Iterator, TextIO

from charter import model as m
from charter.economics import parse_request
from charter.economics.engine import Quoter
from charter.economics.request import (FastReader, RequestError, RequestInvalid, fast_shape_ok,
                                       named_in, read_request)
from charter.economics.response import dumps, errors_to_json, quote_to_json
from charter.stopping import signals_ignored, worker_signals

if TYPE_CHECKING:  # imported where workers run: it loads `subprocess` (≈ 4 ms a quote)
    from multiprocessing.connection import Connection

class _DuplicateKey(ValueError):
    """A JSON object names a key twice (raised by the fast decoder; the slow one finds where)."""


def _unique_pairs(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKey("duplicate key")
    return obj


class _Flagged(dict):
    """An object that named some keys twice (the slow decoder's record of them)."""

    duplicates: list


def _flag_pairs(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    flagged = _Flagged(obj)
    seen: set = set()
    flagged.duplicates = [k for k, _ in pairs if k in seen or seen.add(k)]
    return flagged


# fractions never become floats; a key named twice is refused, never "last one wins"
_decode = json.JSONDecoder(parse_float=Decimal, object_pairs_hook=_unique_pairs).decode
_decode_flagged = json.JSONDecoder(parse_float=Decimal, object_pairs_hook=_flag_pairs).decode
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def decode_request(text: str) -> object:
    """The JSON value of one request, or RequestInvalid: not JSON (with its column), nested
    too deeply, a number too long to read, a key named twice, or a lone surrogate escape
    (``"\\ud800"``: not Unicode text; it could not be echoed as UTF-8), each at its JSON path;
    the request's `id` rides along when it is valid."""
    try:
        obj = _decode(text)
    except _DuplicateKey:
        obj = _decode_flagged(text)
        raise RequestInvalid([RequestError(path, f"key `{_escaped(key)}` is given more than once")
                              for path, key in _walk_duplicates(obj, "$")],
                             _request_id(obj)) from None
    except json.JSONDecodeError as exc:
        raise RequestInvalid([RequestError("$", f"not JSON: {exc.msg} at column {exc.colno}")]
                             ) from None
    except RecursionError:
        raise RequestInvalid([TOO_DEEP]) from None
    except ValueError:  # the one other ValueError of the decoder: int() of too many digits
        raise RequestInvalid([RequestError("$", "not JSON: a number has more than"
                                                f" {sys.get_int_max_str_digits():,} digits")]
                             ) from None
    if _SURROGATE_ESCAPE.search(text):  # rare: only then walk the value for lone surrogates
        errors = [RequestError(path, "contains a lone surrogate escape (not Unicode text)")
                  for path in _walk_surrogates(obj, "$")]
        if errors:
            raise RequestInvalid(errors, _request_id(obj))
    return obj


# Python's own words ("maximum recursion depth exceeded") mean nothing to a caller
TOO_DEEP = RequestError("$", "not JSON: arrays and objects are nested too deeply (a request"
                             " needs a few levels)")


def _child(path: str, key: object) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{_escaped(key)}"


def _escaped(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _walk_duplicates(obj: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(obj, dict):
        for key in getattr(obj, "duplicates", ()):
            yield _child(path, key), key
        for key, value in obj.items():
            yield from _walk_duplicates(value, _child(path, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from _walk_duplicates(value, _child(path, index))


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _walk_surrogates(obj: object, path: str) -> Iterator[str]:
    if isinstance(obj, str):
        if _has_surrogate(obj):
            yield path
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if _has_surrogate(key):
                yield _child(path, key)
            else:
                yield from _walk_surrogates(value, _child(path, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from _walk_surrogates(value, _child(path, index))


MAX_REQUEST_BYTES = 1_000_000  # one request (a file, stdin, a batch line); see docs/economics.md
_BOM = b"\xef\xbb\xbf"


def too_large() -> RequestError:
    return RequestError("$", f"the request is larger than {MAX_REQUEST_BYTES:,} bytes (the"
                             " limit for one request)")


def request_text(data: bytes, bom: bool = True) -> str:
    """The text of one request's bytes (a leading byte order mark dropped when ``bom``), or
    RequestInvalid naming the first byte that is not UTF-8 (JSON text is UTF-8)."""
    if bom and data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RequestInvalid([RequestError("$", f"not JSON: invalid UTF-8 (byte"
                                                f" 0x{data[err.start]:02x} at byte"
                                                f" {err.start + 1})")]) from None


def read_lines(handle: BinaryIO, size: int = -1, first: bool = True
               ) -> Iterator[str | RequestError]:
    """The lines of ``handle`` (``size`` bytes of it from where it stands, or all), split at
    newlines only, each as text or as the RequestError that refuses it: longer than
    MAX_REQUEST_BYTES (skipped in bounded reads, never held whole) or not UTF-8. A byte order
    mark is dropped from the start of the batch (``first``)."""
    while size != 0:
        raw = handle.readline(MAX_REQUEST_BYTES + 1)
        if not raw:
            return
        size -= len(raw)
        if len(raw) > MAX_REQUEST_BYTES and not raw.endswith(b"\n"):
            size -= _skip_line(handle)
            first = False
            yield too_large()
            continue
        try:
            yield request_text(raw, first)
        except RequestInvalid as bad:
            yield bad.errors[0]
        first = False


def _skip_line(handle: BinaryIO) -> int:
    """Read past the rest of the line (through its newline) in bounded pieces; bytes read."""
    skipped = 0
    while True:
        piece = handle.readline(1 << 20)
        skipped += len(piece)
        if not piece or piece.endswith(b"\n"):
            return skipped


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, as taskset or a container's cpuset
    sets it), not every CPU of the machine; os.cpu_count() where affinity is unknown."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


CHUNK = 2000          # lines per unit of work
SPLIT_BYTES = 1 << 20  # bytes per unit of work when workers read the file themselves


@dataclass
class BatchCounts:
    """How many lines were quoted and how many were rejected."""

    quoted: int = 0
    invalid: int = 0


class LineQuoter:
    """Turns request lines into response lines for one program (one per process)."""

    def __init__(self, program: m.Program, view: str = "internal"):
        self.program = program
        self.view = view
        self.quoter = Quoter(program)
        self.routes: dict = {}
        self.named = named_in(program, view)  # what a request in ``view`` may name
        self.fast = FastReader(self.named).read

    def run(self, numbered: Iterable[tuple[int, str | RequestError]]) -> tuple[str, int, int]:
        """Responses for ``numbered`` lines (or the errors read_lines refused them with),
        joined, with (quoted, invalid) counts."""
        out, quoted, invalid = [], 0, 0
        header, view = self.program.header, self.view
        for number, line in numbered:
            if type(line) is not str:  # a RequestError from read_lines: too long, not UTF-8
                invalid += 1
                out.append(dumps(errors_to_json([line], number)))
                continue
            if not line.strip():
                continue
            obj = None
            try:
                obj = _decode_line(line)
                request = self._read(obj)
            except RequestInvalid as bad:
                invalid += 1
                ident = bad.ident if obj is None else _request_id(obj)
                out.append(dumps(errors_to_json(bad.errors, number, ident)))
                continue
            except RecursionError:  # decoded, but too deep for the schema's walk
                invalid += 1
                out.append(dumps(errors_to_json([TOO_DEEP], number, _request_id(obj))))
                continue
            try:
                answer = quote_to_json(self.quoter.quote(request), header, view)
            except (ArithmeticError, ValueError, OverflowError) as exc:  # never lose the batch
                invalid += 1
                out.append(dumps(errors_to_json([RequestError("$", f"could not be quoted: {exc}")],
                                                number, request.id)))
                continue
            quoted += 1
            out.append(dumps(answer))
        return "".join(line + "\n" for line in out), quoted, invalid

    def _read(self, obj: object):
        """The request ``obj`` stands for: the fast reader, else the schema's exact path."""
        request = self.fast(obj)
        if request is not None:
            return request
        if fast_shape_ok(obj):
            return read_request(obj, self.named, self.routes)
        return parse_request(obj, self.named)  # slow path: the schema's exact messages


_decode_line = decode_request


def _request_id(obj: object) -> str | int | None:
    """The `id` of a rejected request, when it has a valid one (echoed on its error line):
    an integer, or a string of at most 200 characters that is Unicode text, given once."""
    ident = obj.get("id") if isinstance(obj, dict) else None
    if type(ident) is int:
        return ident
    if type(ident) is not str or len(ident) > 200 or _has_surrogate(ident) \
            or "id" in getattr(obj, "duplicates", ()):
        return None
    return ident


def quote_stream(program: m.Program, lines: Iterable[str | RequestError], out: TextIO,
                 jobs: int | None = None, view: str = "internal") -> BatchCounts:
    """Quote each JSON line of ``lines`` against ``program``, writing one response per line.

    ``lines`` are text, or the errors `read_lines` refused lines with. Blank lines are skipped
    (no output). ``jobs`` worker processes (default: the CPUs this process may use) are used
    once the input is longer than one chunk.
    """
    jobs = jobs or available_cpus()
    chunks = _chunks(enumerate(lines, 1))
    first = next(chunks, [])
    counts = BatchCounts()
    local = LineQuoter(program, view)
    second = next(chunks, None)
    if second is None or jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in ([first] + ([second] if second else [])):
            _emit(local.run(chunk), out, counts)
        for chunk in chunks:
            _emit(local.run(chunk), out, counts)
        return counts
    _in_workers((program, None, view), _chain([first, second], chunks), _work, _emit, out,
                counts, jobs)
    return counts


class WorkerFailed(Exception):
    """A worker process died in the middle of a batch (killed from outside: the OOM killer, an
    operator's `kill`) or failed on a chunk; its lines are lost, so the batch cannot finish."""


@dataclass
class _Worker:
    """One forked worker and the parent's ends of its two pipes."""

    process: multiprocessing.process.BaseProcess
    tasks: Connection      # parent -> worker: items to work on
    results: Connection    # worker -> parent: (ok, result or error text), in task order
    pending: int | None    # input position of the item it works on


def _in_workers(setup: tuple, items: Iterator, work, emit, out, counts: BatchCounts,
                jobs: int) -> None:
    """Run ``work`` on each item in ``jobs`` forked workers set up with ``setup`` (program,
    source, view); ``emit`` the results in input order. A worker gets its next item when it
    answers, so at most ``jobs`` items are in flight and memory stays flat. Raises
    WorkerFailed if a worker dies: what was emitted until then is whole lines.

    One item per worker at a time: the next goes to whichever worker is free (no worker sits
    idle at the end with its queue empty while another has two ranges left), and an item
    larger than a pipe's buffer (a chunk of stdin lines) is never sent to a busy worker (it
    would wait for the worker to read it while the worker waits for the parent to read its
    answer).

    Each worker has pipes of its own, not multiprocessing.Pool's shared queues: a Pool
    silently replaces a dead worker and waits forever for the chunk it lost, and a worker
    killed while writing leaves a shared queue locked or half-written (ProcessPoolExecutor's
    reader then hangs on it). Here a dead worker's pipe simply ends (EOFError), and stopping
    is killing the processes: nothing in the parent waits on a lock a worker held."""
    context = multiprocessing.get_context("fork")
    gc.freeze()  # forked workers then never walk (and so copy) the parent's objects in a GC pass
    workers: list[_Worker] = []
    try:
        for _ in range(jobs):
            workers.append(_start(context, setup, work, workers))
        _feed_and_collect(workers, enumerate(items), emit, out, counts)
    finally:
        # on success, a signal (charter.stopping.Stopped), an output error or a dead worker
        # alike: stop the workers and reap them, so none is left behind; a second Ctrl-C
        # cannot cut this short
        with signals_ignored():
            _stop(workers)
        gc.unfreeze()


def _start(context, setup: tuple, work, started: list[_Worker]) -> _Worker:
    task_end, tasks = context.Pipe(duplex=False)
    results, result_end = context.Pipe(duplex=False)
    inherited = [c for w in started for c in (w.tasks, w.results)]
    process = context.Process(target=_worker_loop, daemon=True,
                              args=(task_end, result_end, inherited, work, setup))
    process.start()
    # the parent keeps only its own ends: when the worker dies, its result pipe has no
    # writer left and ends (EOFError) instead of waiting forever
    task_end.close()
    result_end.close()
    return _Worker(process, tasks, results, None)


def _feed_and_collect(workers: list[_Worker], items: Iterator[tuple[int, object]], emit, out,
                      counts: BatchCounts) -> None:
    """Keep every worker at one item; emit answers in input order."""
    from multiprocessing.connection import wait

    waiting: dict[int, object] = {}
    next_out = 0
    for worker in workers:
        _give(worker, items)
    while any(worker.pending is not None for worker in workers):
        busy = {worker.results: worker for worker in workers if worker.pending is not None}
        for ready in wait(list(busy)):
            worker = busy[ready]
            waiting[worker.pending] = _answer(worker)
            worker.pending = None
            _give(worker, items)  # before emitting: the worker goes on meanwhile
        while next_out in waiting:
            emit(waiting.pop(next_out), out, counts)
            next_out += 1


def _give(worker: _Worker, items: Iterator[tuple[int, object]]) -> None:
    """Send ``worker`` the next item, if any is left."""
    position, item = next(items, (None, None))
    if position is None:
        return
    try:
        worker.tasks.send(item)
    except OSError:  # EPIPE: the worker is gone
        worker.process.join(timeout=5)
        raise WorkerFailed(_how_it_ended(worker.process.exitcode)) from None
    worker.pending = position


def _answer(worker: _Worker) -> object:
    """The next answer of ``worker``, or WorkerFailed if its pipe ended or it failed."""
    try:
        ok, answer = worker.results.recv()
    except (EOFError, OSError):
        worker.process.join(timeout=5)
        raise WorkerFailed(_how_it_ended(worker.process.exitcode)) from None
    if not ok:
        raise WorkerFailed(f"a batch worker process failed: {answer}")
    return answer


def _how_it_ended(exitcode: int | None) -> str:
    """One line saying how a worker process ended (a signal by name, or its exit status)."""
    if exitcode is None or exitcode == 0:
        return "a batch worker process died"
    if exitcode > 0:
        return f"a batch worker process died (exit status {exitcode})"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = f"signal {-exitcode}"
    return f"a batch worker process died (killed by {name})"


def _stop(workers: list[_Worker]) -> None:
    """End the workers now (not after their current chunk: a chunk of long lines can take a
    while) and reap them."""
    for worker in workers:
        worker.tasks.close()  # an idle worker reads the end of its tasks and leaves
        if worker.process.exitcode is None:
            worker.process.terminate()  # SIGTERM: a worker dies quietly on it (worker_signals)
    for worker in workers:
        worker.process.join()
        worker.results.close()


def _worker_loop(tasks: Connection, results: Connection, inherited: list[Connection], work,
                 setup: tuple) -> None:
    """A worker: answer each item read from ``tasks`` on ``results`` until the parent closes
    ``tasks`` (or dies: its end closes with it)."""
    for connection in inherited:  # the other workers' parent ends, copied by fork: closed,
        connection.close()        # so that their pipes end when the parent does
    _start_worker(*setup)
    while True:
        try:
            item = tasks.recv()
        except (EOFError, OSError):
            return
        try:
            answer = (True, work(item))
        except Exception as exc:  # noqa: BLE001 - a bug on one chunk: say it, not a traceback
            answer = (False, f"{type(exc).__name__}: {exc}")
        try:
            results.send(answer)
        except OSError:  # the parent is gone
            return


def quote_file(program: m.Program, path: str, out: BinaryIO,
               jobs: int | None = None, view: str = "internal") -> BatchCounts:
    """Quote a JSON Lines file into the binary stream ``out`` (UTF-8), one response per line.

    Workers read their own byte ranges of the file, so the parent only splits the file at
    line boundaries and writes results in order: memory stays flat and both cores quote.
    """
    jobs = jobs or available_cpus()
    size = os.path.getsize(path)
    counts = BatchCounts()
    if jobs < 2 or size < SPLIT_BYTES or "fork" not in multiprocessing.get_all_start_methods():
        with open(path, "rb") as handle:
            local = LineQuoter(program, view)
            for chunk in _chunks(enumerate(read_lines(handle), 1)):
                _emit_bytes(local.run(chunk), out, counts)
        return counts
    _in_workers((program, path, view), _byte_ranges(path), _work_range, _emit_bytes, out,
                counts, jobs)
    return counts


def _byte_ranges(path: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, first line number) of consecutive ranges of whole lines, ~SPLIT_BYTES each.
    Reads in bounded pieces: a range that holds one very long line is never held whole."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        start, line = 0, 1
        while start < size:
            handle.seek(start + SPLIT_BYTES)
            end = handle.tell() if _skip_line(handle) else size
            if end <= start:
                return
            yield start, end, line
            start, line = end, line + _newlines(handle, start, end)


def _newlines(handle: BinaryIO, start: int, end: int) -> int:
    handle.seek(start)
    count = 0
    while start < end:
        piece = handle.read(min(end - start, 1 << 20))
        if not piece:
            break
        count += piece.count(b"\n")
        start += len(piece)
    return count


def _work_range(span: tuple[int, int, int]) -> tuple[bytes, int, int]:
    start, end, first = span
    _SOURCE.seek(start)
    lines = read_lines(_SOURCE, end - start, first=start == 0)  # newlines only, as sequential
    body, quoted, invalid = _WORKER.run(enumerate(lines, first))
    return body.encode("utf-8"), quoted, invalid


def _emit_bytes(result: tuple, out: BinaryIO, counts: BatchCounts) -> None:
    body, quoted, invalid = result
    out.write(body if isinstance(body, bytes) else body.encode("utf-8"))
    counts.quoted += quoted
    counts.invalid += invalid


_WORKER: LineQuoter | None = None
_SOURCE = None


def _start_worker(program: m.Program, path: str | None = None, view: str = "internal") -> None:
    global _WORKER, _SOURCE
    worker_signals()  # Ctrl-C is the parent's to handle; SIGTERM ends a worker quietly
    _WORKER = LineQuoter(program, view)
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
