"""Commission-run benchmark: `charter payouts` (SQL in DuckDB) vs `charter quote --batch`.

    .venv/bin/python benchmarks/bench_payouts.py [DEALS] [BATCH_SAMPLE]

Writes DEALS (default 1,000,000) reproducible ejourney deals with benchmarks/make_deals.py
(seed 7) as JSON Lines, converts them once to the deal table in Parquet, then times, as whole
processes:

- `charter payouts programs/ejourney.charter deals.parquet --out payouts.parquet`
- `charter payouts programs/ejourney.charter deals.jsonl --out payouts.parquet` (the requests
  read by the engine's own request reader first)
- `charter quote programs/ejourney.charter --batch sample.jsonl > /dev/null` on the first
  BATCH_SAMPLE deals (default 100,000), scaled to DEALS

and prints each with deals per second and the ratio batch ÷ payouts. Figures go in
docs/performance.md.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "charter"
PROGRAM = "programs/ejourney.charter"
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_quote import write_deals  # noqa: E402  (the same deals, the same bytes)


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([str(BIN), *args], cwd=REPO, check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(count: int = 1_000_000, sample: int = 100_000) -> None:
    from charter.api import compile_file
    from charter.warehouse.constants import build_constants
    from charter.warehouse.run import convert

    program, _reporter, _ = compile_file(REPO / PROGRAM)
    constants, _ = build_constants(program)
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        jsonl, parquet = Path(tmp) / "deals.jsonl", Path(tmp) / "deals.parquet"
        small = Path(tmp) / "sample.jsonl"
        write_deals(jsonl, count)
        write_deals(small, min(sample, count))
        convert(program, constants, str(jsonl), str(parquet))
        out = str(Path(tmp) / "payouts.parquet")
        timed(["payouts", PROGRAM, str(parquet), "--out", out, "--quiet"])  # warm caches
        from_parquet = timed(["payouts", PROGRAM, str(parquet), "--out", out, "--quiet"])
        from_jsonl = timed(["payouts", PROGRAM, str(jsonl), "--out", out, "--quiet"])
        batch = timed(["quote", PROGRAM, "--batch", str(small)]) * count / min(sample, count)
        print(f"payouts  {count:,} deals from Parquet: {from_parquet:.1f} s ="
              f" {count / from_parquet:,.0f} deals/s")
        print(f"payouts  {count:,} deals from JSON Lines: {from_jsonl:.1f} s ="
              f" {count / from_jsonl:,.0f} deals/s")
        print(f"batch    {count:,} deals (from {min(sample, count):,}, scaled): {batch:.1f} s ="
              f" {count / batch:,.0f} deals/s")
        print(f"ratio    batch / payouts: {batch / from_parquet:.1f}x (Parquet),"
              f" {batch / from_jsonl:.1f}x (JSON Lines); cores {os.cpu_count()}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
