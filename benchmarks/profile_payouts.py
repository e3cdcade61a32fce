"""Per-stage profile of the commission run (`charter payouts`), in one process.

    .venv/bin/python benchmarks/profile_payouts.py DEALS.parquet [PROGRAM] [RUNS]

Runs `charter.warehouse.run`'s own stages on DEALS (a deal table in Parquet, e.g. the one
benchmarks/bench_payouts.py converts; PROGRAM defaults to programs/ejourney.charter) and
prints, per stage, the wall time and the CPU time of the process (user + system: every
DuckDB thread): load_deals, each statement run_sql makes (a table: T, or a view: V, with
the tables dropped after it), and write_outputs (the three files, to a temporary folder).
With RUNS > 1 each figure is the median. Figures go in docs/performance.md.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cpu() -> float:
    times = os.times()
    return times.user + times.system


class Timed:
    """The DuckDB connection, noting when each statement of run_sql starts (its CREATE)."""

    def __init__(self, con, marks: list):
        self.con, self.marks = con, marks

    def execute(self, sql: str, *args):
        if sql.startswith("CREATE TEMP"):
            words = sql.split()
            self.marks.append((f"{words[3]} {words[2][0]}", time.perf_counter(), cpu()))
        return self.con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.con, name)


def profile(deals: str, program_path: str) -> list[tuple[str, float, float]]:
    """(stage, wall seconds, CPU seconds) of one run."""
    from charter.api import compile_file
    from charter.warehouse.constants import build_constants
    from charter.warehouse import run

    program, _reporter, _ = compile_file(program_path)
    constants, _ = build_constants(program)
    with tempfile.TemporaryDirectory() as tmp:
        con = run.connect("2GB", tmp)
        marks = [("load", time.perf_counter(), cpu())]
        run.load_deals(con, deals, "parquet", constants, program)
        run.run_sql(Timed(con, marks), constants)
        marks.append(("write", time.perf_counter(), cpu()))
        paths = run.output_paths(Path(tmp) / "payouts.parquet")
        # (before 2026-11-29 write_outputs took no constants: the script also profiles that)
        older = "constants" not in run.write_outputs.__code__.co_varnames
        run.write_outputs(con, paths, *(() if older else (constants,)))
        marks.append(("end", time.perf_counter(), cpu()))
        con.close()
    return [(name, end[1] - start[1], end[2] - start[2])
            for (name, *_), end, start in zip(marks, marks[1:], marks)]


def main(deals: str, program_path: str = "programs/ejourney.charter", runs: int = 1) -> None:
    results = [profile(deals, str(REPO / program_path)) for _ in range(runs)]
    for i, (name, *_) in enumerate(results[0]):
        wall = statistics.median(r[i][1] for r in results)
        used = statistics.median(r[i][2] for r in results)
        print(f"{name:24s} {wall:6.2f} s   CPU {used:6.2f} s")
    print(f"{'total':24s} {statistics.median(sum(s[1] for s in r) for r in results):6.2f} s"
          f"   CPU {statistics.median(sum(s[2] for s in r) for r in results):6.2f} s"
          f"   (cores {os.cpu_count()}, load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main(sys.argv[1], *(sys.argv[2:3]), *(int(a) for a in sys.argv[3:4]))
