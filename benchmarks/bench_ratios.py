"""The speed budgets of issue 10, as ratios measured side by side in one run.

    .venv/bin/python benchmarks/bench_ratios.py [--runs N]

Each command runs as a whole process, the commands of a comparison interleaved run by run
(so a noisy moment hits both), and each figure is the median of the runs. Ratios, not
seconds, are what hold from one machine (or one minute of a shared VM) to the next.

"cold" means no recorded check result (the `checks/` and `rechecks/` cache folders are
emptied before every run) with lark's tables already built, as after `pip install` and a
first run; "re-check" is `charter check` of files it has checked before (pre-commit on every
commit): the output is replayed from the verified cache (`charter.recheck`).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHARTER = str(Path(sys.executable).parent / "charter")
EJOURNEY = "programs/ejourney.charter"


def timed(args: list[str], env: dict, before=None) -> float:
    if before:
        before()
    start = time.perf_counter()
    subprocess.run(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def medians(commands: dict[str, tuple], runs: int) -> dict[str, float]:
    """Median seconds per command, the commands interleaved within each run."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (args, env, before) in commands.items():
            times[name].append(timed(args, env, before))
    return {name: statistics.median(values) for name, values in times.items()}


def compile_charter() -> None:
    """Write the bytecode of charter's own modules, as `pip install` does."""
    import compileall
    import importlib.util
    for package in ("charter", "charter.policies", "charter.targets", "charter.grammar"):
        for folder in importlib.util.find_spec(package).submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    cache = Path(tempfile.mkdtemp(prefix="charter-bench-"))
    os.chmod(cache, 0o700)
    env = {**os.environ, "CHARTER_CACHE_DIR": str(cache / "c")}
    # Measure charter as installed: `pip install` writes bytecode for every module, and
    # the reference commands import click, lark and networkx from bytecode. An editable
    # install under PYTHONDONTWRITEBYTECODE=1 would compile charter from source on every
    # run (about 100 ms of a cold check), which no installed copy ever does.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    compile_charter()
    scaled = Path(tempfile.mkdtemp(prefix="charter-scale-", dir=REPO))
    try:
        _run(runs, env, cache / "c", scaled)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(scaled, ignore_errors=True)


def _forget(cache: Path):
    def forget() -> None:
        for name in ("checks", "rechecks"):
            shutil.rmtree(cache / name, ignore_errors=True)
    return forget


def _run(runs: int, env: dict, cache: Path, scaled: Path) -> None:
    subprocess.run([CHARTER, "check", EJOURNEY], cwd=REPO, env=env, capture_output=True)
    py = lambda code: ([PYTHON, "-c", code], env, None)  # noqa: E731
    start = medians({"import click": py("import click"),
                     "import click, lark": py("import click, lark"),
                     "import click, lark, networkx": py("import click, lark, networkx"),
                     "charter --version": ([CHARTER, "--version"], env, None),
                     "check ejourney (cold)": ([CHARTER, "check", EJOURNEY], env, _forget(cache)),
                     "re-check ejourney (replay)": ([CHARTER, "check", EJOURNEY], env, None)},
                    runs)
    for factor in (10, 100):
        subprocess.run([PYTHON, str(REPO / "benchmarks" / "scale.py"), str(factor),
                        str(scaled / f"x{factor}.charter")], check=True)
    big = medians({f"check {n}x (cold)": ([CHARTER, "check", str(scaled / f"x{n}.charter")],
                                          env, _forget(cache)) for n in (10, 100)},
                  max(3, runs // 5))
    for name, value in {**start, **big}.items():
        print(f"{name:34} {value * 1000:8.0f} ms")
    _budgets(start, big)


def _budgets(s: dict[str, float], b: dict[str, float]) -> None:
    rows = [
        ("cold check / import click, lark, networkx", s["check ejourney (cold)"],
         s["import click, lark, networkx"], 1.25),
        ("cold check / import click, lark (aim)", s["check ejourney (cold)"],
         s["import click, lark"], 1.25),
        ("re-check / charter --version", s["re-check ejourney (replay)"],
         s["charter --version"], 1.5),
        ("charter --version / import click", s["charter --version"], s["import click"], 1.3),
        ("100x / ejourney (cold)", b["check 100x (cold)"], s["check ejourney (cold)"], 2.5),
        ("100x / 10x (linear: 10x the size)", b["check 100x (cold)"], b["check 10x (cold)"], 12),
    ]
    print()
    for name, value, base, budget in rows:
        ratio = value / base
        print(f"{name:44} {ratio:6.2f}x  budget {budget:5.2f}x  "
              f"{'holds' if ratio <= budget else 'MISSED'}")


if __name__ == "__main__":
    main()
