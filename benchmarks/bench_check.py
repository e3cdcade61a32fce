"""Benchmarks for the front end (run: .venv/bin/python benchmarks/bench_check.py).

Measures, as medians over repeated runs:
  * process start-up: `charter --version` (what a pre-commit hook pays before any work);
  * `charter check programs/` end to end, with no recorded result and replayed;
  * in-process compile of programs/ejourney.charter (parse + lower + resolve);
  * compile and check throughput on a program 60 times ejourney's size (benchmarks/scale.py).
Figures are recorded in docs/performance.md.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "charter"


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(*args: str) -> None:
    subprocess.run([str(BIN), *args], cwd=REPO, check=False, capture_output=True)


def forget_results() -> None:
    """Forget recorded check results (charter.recheck, charter.checkcache), so a check runs."""
    import shutil

    from charter import cachedir

    for name in ("checks", "rechecks"):
        shutil.rmtree(os.path.join(cachedir.root(), name), ignore_errors=True)


def synthetic(factor: int) -> str:
    """A program ``factor`` times ejourney's size that checks clean (benchmarks/scale.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from scale import scaled

    return scaled(factor)


def main() -> None:
    from charter.api import compile_file, compile_text

    print(f"startup  charter --version        {median_ms(lambda: run('--version'), 15):8.1f} ms")
    def cold() -> None:
        forget_results()
        run("check", "programs/")
    print(f"check    programs/ (no recorded result) {median_ms(cold, 10):8.1f} ms")
    run("check", "programs/")
    print(f"check    programs/ (replayed)        {median_ms(lambda: run('check', 'programs/'), 10):8.1f} ms")
    path = REPO / "programs/ejourney.charter"
    print(f"compile  ejourney in-process       {median_ms(lambda: compile_file(path), 20):8.1f} ms")
    big = synthetic(60)
    _, reporter = compile_text(big)
    assert not reporter.has_errors, "the synthetic program must check clean"
    ms = median_ms(lambda: compile_text(big), 3)
    print(f"compile  60x ejourney {len(big) / 1e6:.2f} MB ({big.count(chr(10)):,} lines) {ms:8.1f} ms"
          f"  = {big.count(chr(10)) / ms * 1000:,.0f} lines/s")


if __name__ == "__main__":
    main()
