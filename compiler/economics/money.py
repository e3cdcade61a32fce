"""Exact money arithmetic: the program's declared rounding, and allocation that adds up.

Every amount is a `decimal.Decimal`. Rounding happens only through `Rounding.money`, which
the engine calls at the documented points (each payout, each price, COGS); ratios are
quantized for display with `ratio`.
"""
from __future__ import annotations

import decimal
from decimal import Decimal

MODES = {"half_up": decimal.ROUND_HALF_UP, "half_even": decimal.ROUND_HALF_EVEN,
         "down": decimal.ROUND_DOWN, "up": decimal.ROUND_UP}
RATIO_QUANTUM = Decimal("0.000001")  # ratios (shares, margins) are reported to 1e-6
ZERO = Decimal(0)
ONE = Decimal(1)
_CONTEXT = decimal.Context(prec=40, traps=[decimal.InvalidOperation, decimal.DivisionByZero,
                                          decimal.Overflow, decimal.FloatOperation])


class Rounding:
    """A program's rounding rule: mode and minor units of its currency."""

    def __init__(self, mode: str, minor_units: int):
        self.mode = mode
        self.minor_units = minor_units
        self.quantum = Decimal(1).scaleb(-minor_units)  # 1 for IDR, 0.01 for USD
        quantum, rounding = self.quantum, MODES[mode]

        def money(amount: Decimal) -> Decimal:
            """``amount`` rounded to what is actually paid."""
            return amount.quantize(quantum, rounding)

        self.money = money  # a closure: this runs for every amount of every quote

    def __repr__(self) -> str:
        return f"Rounding({self.mode!r}, {self.minor_units})"

    def allocate(self, total: Decimal, shares: list[Decimal]) -> list[Decimal]:
        """Split ``total`` by ``shares`` (fractions summing to 1) so the parts add up exactly.

        Largest remainder: each part is rounded down to the minor unit, then the units left
        over go to the parts with the largest remainders (earlier parts win ties).
        """
        quantum = self.quantum
        exact = [total * share for share in shares]
        parts = [x.quantize(quantum, rounding=decimal.ROUND_FLOOR) for x in exact]
        left = int((total - sum(parts, ZERO)) / quantum)
        order = sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))
        for i in order[:left]:
            parts[i] += quantum
        return parts


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """``numerator / denominator`` to 1e-6 (half-even), or 0 when the denominator is 0."""
    if not denominator:
        return ZERO.quantize(RATIO_QUANTUM)
    return (numerator / denominator).quantize(RATIO_QUANTUM, rounding=decimal.ROUND_HALF_EVEN)


def spell_rate(value: Decimal) -> str:
    """A rate or ratio as every output spells it: a decimal fraction with exactly six
    decimals (`"0.350000"`): the quote contract, config.json and the fixtures."""
    return format(value.quantize(RATIO_QUANTUM, context=_CONTEXT), "f")


def decimal_context() -> decimal.Context:
    """The context quotes run in: 40 digits, and mixing in a float is an error (FloatOperation)."""
    return _CONTEXT
