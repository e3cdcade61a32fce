"""CH-P006 threshold_brackets: a channel's bracket ladder covers all volume, once, from 0 up.

Brackets are [low, high): the low end is included, the high end is not, and only the last may
be open (`$500K .. -> 15%`). Findings are on the offending `bracket` (subject
``"CHANNEL THRESHOLDSNAME"``).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.numbers import pct, program_money
from charter.policies.base import Finding, Policy, PolicyContext




def _v(program: m.Program, bound: m.MoneyValue | Decimal) -> str:
    """A bound as written: an amount, or a number of deals on a count ladder."""
    return program_money(program, bound) if isinstance(bound, m.MoneyValue) else f"{bound:f}"


def _range(program: m.Program, b: m.Bracket) -> str:
    high = f" {_v(program, b.high)}" if b.high is not None else ""
    return f"`{_v(program, b.low)} ..{high}`"


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Check each channel's `thresholds`: declared semantics and reset, brackets sorted from 0,
    contiguous, one open-ended bracket at the top, rates within 0–100% and not falling."""
    for channel in program.channels:
        th = channel.thresholds
        if th is None:
            continue
        who = f"{channel.name} {th.name}"
        for key, example in (("semantics", "forward"), ("reset", "calendar_year")):
            if not getattr(th, key):
                yield Finding(f"thresholds {who} declare no `{key}`", th.span, who,
                              label=f"no `{key}`",
                              help=(f"add `{key}: {example}`: the brackets mean nothing"
                                    f" without it",))
        yield from _brackets(program, who, th)


def _brackets(program: m.Program, who: str, th: m.Thresholds) -> Iterator[Finding]:
    def at(b: m.Bracket, message: str, label: str, other: m.Bracket | None = None,
           other_label: str = "", help: str = "",
           severity: Severity | None = None) -> Finding:
        labels = (Label(other.span, other_label),) if other is not None else ()
        return Finding(f"thresholds {who}: {message}", b.span, who, label=label, labels=labels,
                       help=(help,) if help else (), severity=severity)

    usable = []
    for b in th.brackets:
        if not 0 <= b.rate <= 1:
            yield at(b, f"bracket {_range(program, b)} pays {pct(b.rate)}, outside 0%–100%",
                     "rate out of range", help="write a rate between 0% and 100%")
        if b.high is not None and b.high_amount <= b.low_amount:
            yield at(b, f"bracket {_range(program, b)} is empty: its high end is not above its"
                        " low end", "empty bracket", help="write the bracket `low .. high`")
            continue
        usable.append(b)
    for prev, b in zip(usable, usable[1:]):
        if b.low_amount < prev.low_amount:
            yield at(b, f"bracket {_range(program, b)} comes after {_range(program, prev)}:"
                        " brackets must be sorted by their low end", "out of order", prev,
                     "written before it", "write the brackets from the lowest volume up")
    ladder = sorted(usable, key=lambda x: x.low_amount)
    if not ladder:
        return
    first = ladder[0]
    if first.low_amount > (1 if first.counts else 0):  # deal 1 is a count ladder's first
        start = "deal 1" if first.counts else "0"
        yield at(first, f"the first bracket starts at {_v(program, first.low)}, not at {start}:"
                        f" {'deals below it earn' if first.counts else 'volume below it earns'} no rate",
                 f"does not start at {start}",
                 help=f"start the first bracket at {start} (`{_v(program, first.low)}` →"
                      f" `{'1' if first.counts else _zero(program, first.low)}`)")
    reach = first              # the bracket that reaches highest so far (open = all the way)
    flagged: set[int] = set()  # open-ended brackets already reported as not the top one
    for prev, b in zip(ladder, ladder[1:]):
        if reach.high is None:
            if id(reach) not in flagged:
                flagged.add(id(reach))
                yield at(reach, f"open-ended bracket {_range(program, reach)} is not the top one:"
                                f" it overlaps {_range(program, b)}", "open-ended, but not the top",
                         b, "a bracket above it",
                         help="only the top bracket may be open; give this one a high end")
        elif reach.high_amount < b.low_amount:
            yield at(b, f"gap between {_v(program, reach.high)} and {_v(program, b.low)}:"
                        f" {_left_out(reach, b) if b.counts else 'volume in it earns'} no rate",
                     "starts above the bracket below's end", reach, "ends here",
                     help=_gap_help(program, reach, b))
        elif reach.high_amount > b.low_amount:
            yield at(b, f"bracket {_range(program, b)} overlaps {_range(program, reach)}"
                        f" (from {_v(program, b.low)} to"
                        f" {_v(program, _lesser(reach.high, b.high))})",
                     "starts below the bracket below's end", reach, "ends here",
                     help=f"start this bracket at {_v(program, reach.high)} (the high end"
                          " is excluded, so the brackets meet exactly)")
        if b.rate < prev.rate:
            yield at(b, f"bracket {_range(program, b)} pays {pct(b.rate)}, less than the"
                        f" {pct(prev.rate)} of the bracket below it", "rate falls", prev,
                     f"pays {pct(prev.rate)}",
                     help="a higher volume should not earn a lower rate; if intended, waive it",
                     severity=Severity.WARNING)
        if reach.high is not None and (b.high is None or b.high_amount > reach.high_amount):
            reach = b
    if reach.high is not None:
        yield at(reach, f"the top bracket ends at {_v(program, reach.high)}:"
                        f" {'deals above it earn' if reach.counts else 'volume above it earns'} no rate",
                 "no open-ended bracket",
                 help=f"leave the top bracket open: `{_v(program, reach.low)} .. ->"
                      f" {pct(reach.rate)}`")


def _left_out(reach: m.Bracket, b: m.Bracket) -> str:
    """The deals a count ladder's gap leaves out: `deal 10 earns`, `deals 10-11 earn`."""
    first, last = reach.high_amount, b.low_amount - 1
    return f"deal {first:f} earns" if first == last else f"deals {first:f}-{last:f} earn"


def _gap_help(program: m.Program, reach: m.Bracket, b: m.Bracket) -> str:
    if not b.counts:
        return f"start this bracket at {_v(program, reach.high)}"
    # "1-10 referrals: 30%; 11-25: 35%" written as `1 .. 10`, `11 .. 25` leaves deal 10 out
    low, high = _v(program, reach.low), _v(program, reach.high)
    last = _v(program, b.low_amount - 1)
    return (f"start this bracket at {high}, or end the one below at {_v(program, b.low)}:"
            f" the high end is excluded, so deals {low}-{last} are `{low} .. {_v(program, b.low)}`")


def _lesser(a: m.MoneyValue | Decimal, b: m.MoneyValue | Decimal | None
            ) -> m.MoneyValue | Decimal:
    if b is None:
        return a
    a_amount = a.amount if isinstance(a, m.MoneyValue) else a
    b_amount = b.amount if isinstance(b, m.MoneyValue) else b
    return a if a_amount <= b_amount else b


def _zero(program: m.Program, like: m.MoneyValue) -> str:
    return program_money(program, m.MoneyValue(Decimal(0), like.currency))


POLICY = Policy(
    code="CH-P006", name="threshold_brackets", title="Threshold brackets are well formed",
    severity=Severity.ERROR,
    rationale="A threshold ladder is what partners calculate their payout from (the "
              "partner-program practice guide, "
              "'Tiered Commission': $0-100K at 20%, $100K-250K at 25%, $250K+ at 30%; 'if "
              "partners can't calculate, they won't sell'). A gap leaves volume that earns "
              "nothing, an overlap pays one dollar at two rates, a ladder that does not start "
              "at 0 or has no open top leaves the first or the best deals unpriced: each one "
              "is a commission dispute. A rate that falls as volume grows punishes the best "
              "partners.",
    explain="For each channel's `thresholds`: `semantics` and `reset` are declared; brackets "
            "are written sorted by their low end; the first starts at 0; each bracket's high "
            "end equals the next one's low end (no gap, no overlap; the high end is "
            "excluded); exactly one bracket is open-ended (`low .. -> rate`) and it is the top "
            "one; no bracket is empty; every rate is between 0% and 100%. A rate lower than "
            "the bracket below's is reported as a warning. Findings are on the offending "
            "`bracket` (subject `CHANNEL THRESHOLDSNAME`).",
    failing='''channel Referral {
    model: referral
    owner: vendor
    lead_protection: 60 days
    thresholds referred_revenue {
        basis: referred_software_revenue
        semantics: forward
        reset: calendar_year
        bracket: $0 .. $100K -> 10%
        bracket: $150K .. -> 15%
    }
}''',
    passing='''channel Referral {
    model: referral
    owner: vendor
    lead_protection: 60 days
    thresholds referred_revenue {
        basis: referred_software_revenue
        semantics: forward
        reset: calendar_year
        bracket: $0 .. $100K -> 10%
        bracket: $100K .. -> 15%
    }
}''',
    check=check)
