"""`charter payouts` glue: options to `charter.warehouse.run`, results to the terminal.

Returns exit codes instead of exiting: 0 every row computed, 1 the program has errors or is
not covered by the SQL target, or some rows were rejected (see the rejects table), 2 usage
(an unreadable input, an unknown column, a float column, an output that is not .parquet or
.csv), 3 the output could not be written.
"""
from __future__ import annotations

import click


def run_payouts(program_path: str, deals: str, out: str, input_fmt: str | None,
                memory_limit: str, temp_dir: str | None, threads: int | None,
                quiet: bool) -> int:
    from charter.quoting import load_program
    from charter.render import printable
    from charter.warehouse.constants import build_constants
    from charter.warehouse.run import UsageProblem, commission_run, output_paths

    try:
        output_paths(out)
    except UsageProblem as bad:
        raise click.UsageError(printable(str(bad)))
    program = load_program(program_path)  # must check clean; exits 1 with the diagnostics
    constants, refusals = build_constants(program)
    if refusals:
        for refusal in refusals:
            click.echo(printable(f"{program_path}: error: not covered by the SQL target:"
                                 f" {refusal}"), err=True)
        click.echo(printable(f"{program_path}: the commission run cannot compute this program;"
                             " quote its deals with `charter quote --batch` (docs/warehouse.md"
                             " lists what the SQL covers)"), err=True)
        return 1
    try:
        result = commission_run(program, constants, deals, out, input_fmt, memory_limit,
                                temp_dir, threads, quiet)
    except UsageProblem as bad:  # it may quote a column name from the input: neutralised
        raise click.UsageError(printable(str(bad)))
    except OSError as cannot:
        click.echo(printable(f"charter: could not write {out}: {cannot.strerror or cannot}"),
                   err=True)
        return 3
    except Exception as exc:  # noqa: BLE001 - DuckDB's own errors (an unreadable file, memory)
        import duckdb

        if isinstance(exc, duckdb.Error):
            click.echo(printable(f"charter: the commission run failed: {duckdb_summary(exc)}"),
                       err=True)
            return 1
        raise
    if result.rejected:
        click.echo(printable(f"charter: {result.rejected:,} row(s) rejected: see"
                             f" {result.outputs['rejects']}"), err=True)
        return 1
    return 0


def duckdb_summary(exc: Exception) -> str:
    """DuckDB's error as one line: its lines joined with "; ", up to its advice
    ("Possible fixes:", then the reader's settings, which name DuckDB's options, not
    charter's), and without the "Original Line:" it quotes: a deal's data (amounts, partner
    names) has no place in a log, and can carry control characters."""
    kept: list[str] = []
    for line in str(exc).splitlines():
        line = line.strip()
        if line.startswith("Possible fixes"):
            break
        if line and not line.startswith("Original Line:"):
            kept.append(line)
    return "; ".join(kept) or type(exc).__name__
