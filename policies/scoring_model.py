"""CH-P010 scoring_model: a scoring model's weights add up to 100 and its bands cover 0–100.

Dimension weights are points out of 100 (`weight: 30`, a number; language.md §3.17). Bands are
[low, high): the low end is included, the high end is not, so the top band must end above 100
(`80 .. 101`) for a perfect score to fall in it. Subject: the scoring model's name.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.policies.base import Finding, Policy, PolicyContext

TOTAL = Decimal(100)


def _n(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _range(band: m.Band) -> str:
    return f"{_n(band.low)} .. {_n(band.high)}"


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """For each `scoring`: weights sum to 100; sorted bands start at 0, meet exactly and reach
    past 100."""
    for scoring in program.scorings:
        yield from _weights(scoring)
        yield from _bands(scoring)


def _weights(scoring: m.Scoring) -> Iterator[Finding]:
    name = scoring.name
    total = sum((d.weight for d in scoring.dimensions), Decimal(0))
    if total == TOTAL:
        return
    parts = " + ".join(f"{d.name} {_n(d.weight)}" for d in scoring.dimensions) or "no dimensions"
    if scoring.dimensions and total == 1:
        hint = " (weights are points, not fractions)"
        fix = "multiply every weight by 100: `weight: 25` for a quarter of the score"
    else:
        hint = ""
        fix = (f"{'add' if total < TOTAL else 'remove'} {_n(abs(TOTAL - total))} points across"
               " the weights so that they add up to 100")
    yield Finding(
        f"scoring {name}: dimension weights add up to {_n(total)}, not 100{hint}",
        scoring.span, name, label=f"weights total {_n(total)}",
        notes=(f"{parts} = {_n(total)}",), help=(fix,))


def _bands(scoring: m.Scoring) -> Iterator[Finding]:
    name = scoring.name
    if not scoring.bands:
        if scoring.dimensions:
            yield Finding(f"scoring {name} has no bands: a score leads to no outcome",
                          scoring.span, name, label="no `band`",
                          help=("add bands that cover 0 .. 101, e.g. `band grow"
                                " { range: 60 .. 101 }`",))
        return
    usable = []
    for band in scoring.bands:
        if band.high <= band.low:
            yield Finding(f"scoring {name}: band {band.name} ({_range(band)}) is empty",
                          band.span, name, label="high end not above the low end",
                          help=("write the range `low .. high`, with the high end excluded",))
        else:
            usable.append(band)
    bands = sorted(usable, key=lambda b: (b.low, b.high))
    if not bands:
        return
    first = bands[0]
    if first.low > 0:
        yield Finding(f"scoring {name}: scores 0 .. {_n(first.low)} fall in no band (the lowest"
                      f" band, {first.name}, starts at {_n(first.low)})", first.span, name,
                      label="does not start at 0",
                      help=(f"start band {first.name} at 0",))
    reach = first           # the band that reaches highest so far
    for band in bands[1:]:
        if reach.high < band.low:
            yield Finding(f"scoring {name}: scores {_n(reach.high)} .. {_n(band.low)} fall in no"
                          f" band (gap between {reach.name} and {band.name})", band.span, name,
                          label=f"starts at {_n(band.low)}",
                          labels=(Label(reach.span, f"{reach.name} ends at {_n(reach.high)}"),),
                          help=(f"start band {band.name} at {_n(reach.high)}, or end band"
                                f" {reach.name} at {_n(band.low)}",))
        elif reach.high > band.low:
            yield Finding(f"scoring {name}: bands {reach.name} ({_range(reach)}) and {band.name}"
                          f" ({_range(band)}) overlap: scores {_n(band.low)} .. "
                          f"{_n(min(reach.high, band.high))} fall in both", band.span, name,
                          label=f"starts at {_n(band.low)}",
                          labels=(Label(reach.span, f"{reach.name} ends at {_n(reach.high)}"),),
                          help=(f"start band {band.name} at {_n(reach.high)} (the high end is"
                                " excluded, so bands meet exactly)",))
        if band.high > reach.high:
            reach = band
    if reach.high <= TOTAL:
        what = "a perfect score of 100 falls" if reach.high == TOTAL \
            else f"scores {_n(reach.high)} .. 100 fall"
        yield Finding(f"scoring {name}: {what} in no band (the top band, {reach.name}, ends at"
                      f" {_n(reach.high)}, excluded)", reach.span, name,
                      label=f"ends at {_n(reach.high)}",
                      help=(f"end band {reach.name} at 101 so that 100 is inside it",))


POLICY = Policy(
    code="CH-P010", name="scoring_model", title="Scoring model adds up",
    severity=Severity.ERROR,
    rationale="A partner score decides who is invested in, maintained or downgraded (the "
              "partner-program practice guide, "
              "'Partner Health Scoring': revenue 30%, activity 25%, engagement 20%, "
              "satisfaction 15%, strategic fit 10%, with bands 80-100 champion down to 0-19 "
              "churning). Weights that do not add up to 100 make the bands meaningless (a "
              "perfect partner cannot reach the top band, or the top is unreachable); a gap "
              "between bands leaves some partners with no decision, an overlap gives them "
              "two. Objective, complete criteria are what make tier decisions defensible.",
    explain="For each `scoring`: the `weight`s of its dimensions (points, e.g. `weight: 30`) "
            "add up to exactly 100; its bands, sorted by their low end, "
            "start at 0, meet exactly (each band's high end is the next band's low end; the "
            "high end is excluded) and the top one ends above 100 (`80 .. 101`) so that a "
            "perfect score falls in it. A scoring with dimensions and no bands is reported "
            "too. Subject: the scoring model's name.",
    failing='''scoring partner_health {
    dimension revenue { weight: 40; measure: "partner-sourced revenue" }
    dimension activity { weight: 30; measure: "deals registered" }
    dimension satisfaction { weight: 20; measure: "partner NPS" }
    band at_risk { range: 0 .. 50 }
    band healthy { range: 50 .. 101 }
}''',
    passing='''scoring partner_health {
    dimension revenue { weight: 50; measure: "partner-sourced revenue" }
    dimension activity { weight: 30; measure: "deals registered" }
    dimension satisfaction { weight: 20; measure: "partner NPS" }
    band at_risk { range: 0 .. 50 }
    band healthy { range: 50 .. 101 }
}''',
    check=check)
