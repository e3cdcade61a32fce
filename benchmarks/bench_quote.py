"""Batch-quoting benchmark (run: .venv/bin/python benchmarks/bench_quote.py [DEALS] [RUNS]).

Writes DEALS (default 100,000) reproducible deal requests for programs/ejourney.charter with
benchmarks/make_deals.py (seed 7: all products, all eight routes, 1–3 years, services, a
cumulative Referral volume on half of them), then times the whole process

    charter quote programs/ejourney.charter --batch deals.jsonl > /dev/null

RUNS times (default 5) and prints the median and best wall time, deals per second and the
peak resident memory of the process tree (parent and workers). It also quotes 10% of the
deals to show memory does not grow with the input. Figures go in docs/performance.md.
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "charter"
sys.path.insert(0, str(REPO / "benchmarks"))

from make_deals import deal  # noqa: E402


def write_deals(path: Path, count: int) -> None:
    """``count`` deals as JSON Lines, the same bytes on every machine."""
    import json
    import random

    rng = random.Random(7)
    with open(path, "w", encoding="utf-8") as out:
        for number in range(1, count + 1):
            out.write(json.dumps(deal(rng, number), separators=(",", ":")) + "\n")


def one_run(deals: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB, largest process) of one whole-process batch quote."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([str(BIN), "quote", "programs/ejourney.charter", "--batch", str(deals)],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    return wall, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def main(count: int = 100_000, runs: int = 5) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        deals, small = Path(tmp) / "deals.jsonl", Path(tmp) / "small.jsonl"
        write_deals(deals, count)
        write_deals(small, count // 10)
        one_run(small)  # warms the LALR and page caches; measured first, as ru_maxrss only grows
        _, small_rss = one_run(small)
        results = [one_run(deals) for _ in range(runs)]
        walls = [wall for wall, _ in results]
        median = statistics.median(walls)
        print(f"batch    {count:,} deals, {runs} runs: median {median:.2f} s"
              f" = {count / median:,.0f} deals/s; best {min(walls):.2f} s"
              f" = {count / min(walls):,.0f} deals/s; cores {os.cpu_count()}")
        print(f"memory   peak RSS {small_rss / 1024:.0f} MiB for {count // 10:,} deals,"
              f" {max(r for _, r in results) / 1024:.0f} MiB for {count:,} deals")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
