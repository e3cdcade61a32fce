"""Output errors and signals: the `charter` process never lies with its exit code.

Issue 10, "Never lose a batch, never lie with an exit code": a closed stdout, `/dev/full`, a
reader that leaves (`| head -c 1`) exit 3 ("could not write the output") with one line on
stderr, never a traceback nor 1 ("errors found"); `PYTHONIOENCODING=latin-1` escapes what it
cannot encode; SIGTERM/SIGINT/SIGHUP during a batch exit 128 + N with no traceback and no
worker left behind; batch workers follow the CPU affinity mask. Each runs the installed
`charter` in a subprocess (the venv's, next to sys.executable).
"""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from charter.economics import batch

from conftest import PROGRAMS, REPO, TODAY

CHARTER = str(Path(sys.executable).parent / "charter")
EJOURNEY = str(PROGRAMS / "ejourney.charter")
EXIT_OUTPUT = 3
EXIT_WORKER = 4

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="closed fds, /dev/full, /proc and signals as on Linux")


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    cache = tmp_path_factory.mktemp("cli-output-cache")
    os.chmod(cache, 0o700)
    return {**os.environ, "CHARTER_TODAY": TODAY, "CHARTER_CACHE_DIR": str(cache)}


def _deals(folder: Path, count: int) -> Path:
    path = folder / f"deals-{count}.jsonl"
    with open(path, "wb") as out:
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_deals.py"), str(count)],
                       stdout=out, check=True)
    return path


@pytest.fixture(scope="module")
def few_deals(tmp_path_factory) -> Path:
    return _deals(tmp_path_factory.mktemp("deals"), 3000)  # < 1 MB: the sequential path


@pytest.fixture(scope="module")
def many_deals(tmp_path_factory) -> Path:
    return _deals(tmp_path_factory.mktemp("deals"), 30000)  # ~6 MB: the worker pool


def _shell(script: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    """Run `charter ARGS` under a shell redirection ("$0" "$@" is charter and its args)."""
    return subprocess.run(["sh", "-c", script, CHARTER, *args], env=env, capture_output=True,
                          timeout=30)


def _one_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace")
    assert "Traceback" not in text and "Exception ignored" not in text, text
    lines = text.splitlines()
    assert len(lines) == 1 and "could not write the output" in lines[0], text
    return lines[0]


def test_closed_stdout_is_an_output_error(env):
    done = _shell('"$0" "$@" >&-', "check", EJOURNEY, env=env)
    assert done.returncode == EXIT_OUTPUT
    assert "closed" in _one_line(done.stderr)


def test_closed_stdout_for_version(env):
    done = _shell('"$0" "$@" >&-', "--version", env=env)
    assert done.returncode == EXIT_OUTPUT
    _one_line(done.stderr)


def test_full_device_is_an_output_error(env):
    done = _shell('"$0" "$@" > /dev/full', "check", EJOURNEY, env=env)
    assert done.returncode == EXIT_OUTPUT
    assert "No space left" in _one_line(done.stderr)


def test_full_device_with_broken_stderr_exits_silently(env):
    done = _shell('"$0" "$@" > /dev/full 2>&-', "check", EJOURNEY, env=env)
    assert done.returncode == EXIT_OUTPUT
    done = _shell('"$0" "$@" > /dev/full 2> /dev/full', "check", EJOURNEY, env=env)
    assert done.returncode == EXIT_OUTPUT


@pytest.mark.parametrize("deals", ["few_deals", "many_deals"])
def test_reader_that_leaves_is_an_output_error(deals, env, request):
    """`charter quote P --batch deals.jsonl | head -c 1`, sequential and with workers."""
    path = request.getfixturevalue(deals)
    proc = subprocess.Popen([CHARTER, "quote", EJOURNEY, "--batch", str(path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    assert proc.stdout.read(1) == b"{"
    proc.stdout.close()  # the reader leaves
    stderr = proc.stderr.read()
    assert proc.wait(timeout=20) == EXIT_OUTPUT
    assert "Broken pipe" in _one_line(stderr)
    _assert_group_gone(proc.pid)


def test_latin1_output_encoding_escapes_instead_of_crashing(env):
    """CH-P001's explanation has a U+2212 minus sign, which latin-1 cannot encode."""
    done = subprocess.run([CHARTER, "explain", "CH-P001"], capture_output=True, timeout=30,
                          env={**env, "PYTHONIOENCODING": "latin-1"})
    assert done.returncode == 0, done.stderr.decode("latin-1")
    assert b"\\u2212" in done.stdout
    assert b"Traceback" not in done.stderr
    check = subprocess.run([CHARTER, "check", EJOURNEY], capture_output=True, timeout=30,
                           env={**env, "PYTHONIOENCODING": "latin-1"})
    assert check.returncode == 0 and b"Traceback" not in check.stderr


def _children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _assert_group_gone(pgid: int) -> None:
    """No process of the session's group is left (workers stopped and reaped)."""
    deadline = time.monotonic() + 3
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"processes of group {pgid} are left behind")
        time.sleep(0.05)


@pytest.mark.parametrize("signum, to_group", [(signal.SIGTERM, False), (signal.SIGINT, True),
                                              (signal.SIGINT, False), (signal.SIGHUP, False)],
                         ids=["SIGTERM", "Ctrl-C", "SIGINT", "SIGHUP"])
def test_signal_stops_a_batch_cleanly(signum, to_group, many_deals, env):
    """Ctrl-C reaches the whole process group (workers included); SIGTERM/SIGHUP the parent."""
    proc = subprocess.Popen([CHARTER, "quote", EJOURNEY, "--batch", str(many_deals)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    assert proc.stdout.read(1) == b"{"  # output has started: the pool is at work
    workers = _children(proc.pid)
    assert workers, "the batch did not run in worker processes"
    if to_group:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=20)
    text = stderr.decode("utf-8", "replace")
    assert proc.returncode == 128 + signum, text
    assert "Traceback" not in text and "Exception" not in text, text
    assert f"stopped by {signal.Signals(signum).name}" in text
    _assert_group_gone(proc.pid)
    assert not any(os.path.exists(f"/proc/{pid}") for pid in workers)


def test_batch_workers_follow_the_affinity_mask(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    assert batch.available_cpus() == 3
    monkeypatch.delattr(os, "sched_getaffinity")
    assert batch.available_cpus() == 64


def test_default_jobs_come_from_the_affinity_mask(monkeypatch):
    """One allowed CPU on a 64-CPU machine: the batch stays in this process."""
    from charter.api import compile_file

    program, _, _ = compile_file(EJOURNEY)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)

    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started for one allowed CPU")

    monkeypatch.setattr(batch, "_in_workers", no_pool)
    out = io.StringIO()
    counts = batch.quote_stream(program, ["{}\n"] * (batch.CHUNK * 2 + 1), out)
    assert counts.invalid == batch.CHUNK * 2 + 1


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_dead_worker_fails_the_batch_fast(signum, many_deals, env):
    """A worker killed from outside (the OOM killer, an operator) used to hang the batch
    forever: multiprocessing.Pool replaced it and waited for its lost chunk. Now: exit 4, one
    line on stderr, whole JSON lines only on stdout, no process left behind."""
    proc = subprocess.Popen([CHARTER, "quote", EJOURNEY, "--batch", str(many_deals)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, bufsize=0)  # communicate() misses buffered bytes
    try:
        assert proc.stdout.read(1) == b"{"  # output has started: the pool is at work
        workers = _children(proc.pid)
        assert workers, "the batch did not run in worker processes"
        os.kill(workers[0], signum)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = stderr.decode("utf-8", "replace")
    assert proc.returncode == EXIT_WORKER, text
    assert "Traceback" not in text and len(text.splitlines()) == 1, text
    assert "worker process died" in text and signal.Signals(signum).name in text
    for line in (b"{" + stdout).splitlines():
        json.loads(line)  # every line written is whole
    _assert_group_gone(proc.pid)
