"""The commission run: a program's payouts over a table of deals, compiled to SQL.

`charter build --target sql` writes the SQL (DuckDB, Spark, Trino) and the table shapes;
`charter payouts PROGRAM DEALS --out PAYOUTS` runs it in embedded DuckDB. See
docs/warehouse.md.
"""
from __future__ import annotations

from charter.targets.base import TargetRefused


class NotCovered(TargetRefused):
    """A program uses constructs the SQL target does not compute (each a `Refusal`)."""

    def __init__(self, program: str, refusals: list):
        self.program = program
        self.refusals = list(refusals)
        super().__init__([f"the SQL does not cover {r}" for r in self.refusals])


__all__ = ["NotCovered"]
