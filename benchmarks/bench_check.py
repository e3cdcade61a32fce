"""Benchmarks for the front end (run: .venv/bin/python benchmarks/bench_check.py).

Measures, as medians over repeated runs:
  * process start-up: `charter --version` (what a pre-commit hook pays before any work);
  * `charter check programs/` end to end, with the LALR table cache warm and cold;
  * in-process compile of programs/ejourney.charter (parse + lower + resolve);
  * parse throughput on a large synthetic program.
Figures are recorded in docs/performance.md.
"""
from __future__ import annotations

import glob
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


def clear_lark_cache() -> None:
    """Remove the LALR tables from charter's private cache folder (`charter.cachedir`)."""
    from charter import cachedir

    for path in glob.glob(os.path.join(cachedir.root(), "grammar", "*.pickle")):
        os.remove(path)


def synthetic(channels: int) -> str:
    text = Path(REPO / "programs/ejourney.charter").read_text(encoding="utf-8")
    body = text.split("# ---- Channel model 2")[1].split("# D.1 compares")[0]
    parts = [text.replace('extends: "base/two-channel.charter"', "")]
    parts += [body.replace("channel VAD", f"channel VAD{i}") for i in range(channels)]
    return "\n".join(parts)


def main() -> None:
    from charter.api import compile_file, compile_text

    print(f"startup  charter --version        {median_ms(lambda: run('--version'), 15):8.1f} ms")
    print(f"check    programs/ (warm cache)    {median_ms(lambda: run('check', 'programs/'), 10):8.1f} ms")

    def cold() -> None:
        clear_lark_cache()
        run("check", "programs/")
    print(f"check    programs/ (cold cache)    {median_ms(cold, 5):8.1f} ms")
    run("check", "programs/")  # leave the cache warm
    path = REPO / "programs/ejourney.charter"
    print(f"compile  ejourney in-process       {median_ms(lambda: compile_file(path), 20):8.1f} ms")
    big = synthetic(200)
    ms = median_ms(lambda: compile_text(big), 3)
    print(f"compile  synthetic {len(big) / 1e6:.2f} MB ({big.count(chr(10)):,} lines) {ms:8.1f} ms"
          f"  = {big.count(chr(10)) / ms * 1000:,.0f} lines/s")


if __name__ == "__main__":
    main()
