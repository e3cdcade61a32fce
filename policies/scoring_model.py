"""CH-P010 scoring_model: a scoring model's weights add up to its scale and its bands cover it.

Dimension weights are points (`weight: 30`, a number; language.md §3.17) out of the scoring's
`scale` (100 unless it declares another: `scale: 35` for seven 5-point dimensions). Bands are
[low, high): the low end is included, the high end is not, so the top band must end above the
scale (`80 .. 101`) for a perfect score to fall in it. Subject: the scoring model's name.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.policies.base import Finding, Policy, PolicyContext

DEFAULT_SCALE = Decimal(100)   # a scoring without `scale` is out of 100 points


def _n(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _range(band: m.Band) -> str:
    return f"{_n(band.low)} .. {_n(band.high)}"


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """For each `scoring`: weights sum to its `scale` (100 unless it declares another);
    sorted bands start at 0, meet exactly and reach past the scale."""
    for scoring in program.scorings:
        yield from _weights(scoring)
        yield from _bands(scoring)


def _out_of(scoring: m.Scoring) -> str:
    """`100`, or `35 (the scoring's `scale`)` for a declared scale."""
    return _n(scoring.scale) + ("" if scoring.scale == DEFAULT_SCALE else
                                " (its `scale`)")


def _weights(scoring: m.Scoring) -> Iterator[Finding]:
    name, scale = scoring.name, scoring.scale
    total = sum((d.weight for d in scoring.dimensions), Decimal(0))
    if total == scale:
        return
    parts = " + ".join(f"{d.name} {_n(d.weight)}" for d in scoring.dimensions) or "no dimensions"
    if scoring.dimensions and total == 1 and scale != 1:
        hint = " (weights are points, not fractions)"
        fix = (f"multiply every weight by {_n(scale)}: `weight: {_n(scale / 4)}` for a quarter"
               " of the score",)
    else:
        hint = ""
        fix = (f"{'add' if total < scale else 'remove'} {_n(abs(scale - total))} points across"
               f" the weights so that they add up to {_n(scale)}",)
        if scale == DEFAULT_SCALE and scoring.dimensions:
            fix += (f"or, if the scorecard is out of {_n(total)} points, declare it:"
                    f" `scale: {_n(total)}` (the bands then run from 0 to past {_n(total)})",)
    yield Finding(
        f"scoring {name}: dimension weights add up to {_n(total)}, not {_out_of(scoring)}{hint}",
        scoring.span, name, label=f"weights total {_n(total)}",
        notes=(f"{parts} = {_n(total)}",), help=fix)


def _bands(scoring: m.Scoring) -> Iterator[Finding]:
    name, scale = scoring.name, scoring.scale
    past = _n(scale + 1)
    if not scoring.bands:
        if scoring.dimensions:
            yield Finding(f"scoring {name} has no bands: a score leads to no outcome",
                          scoring.span, name, label="no `band`",
                          help=(f"add bands that cover 0 .. {past}, e.g. `band grow"
                                f" {{ range: {_n(scale * 6 / 10)} .. {past} }}`",))
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
        yield from _meet(name, reach, band)
        if band.high > reach.high:
            reach = band
    if reach.high <= scale:
        what = f"a perfect score of {_n(scale)} falls" if reach.high == scale \
            else f"scores {_n(reach.high)} .. {_n(scale)} fall"
        yield Finding(f"scoring {name}: {what} in no band (the top band, {reach.name}, ends at"
                      f" {_n(reach.high)}, excluded)", reach.span, name,
                      label=f"ends at {_n(reach.high)}",
                      help=(f"end band {reach.name} at {past} so that {_n(scale)} is inside it",))


def _meet(name: str, reach: m.Band, band: m.Band) -> Iterator[Finding]:
    """A gap or an overlap between the band reaching highest so far and the next one."""
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


POLICY = Policy(
    code="CH-P010", name="scoring_model", title="Scoring model adds up",
    severity=Severity.ERROR,
    rationale="A partner score decides who is invested in, maintained or downgraded (the "
              "partner-program practice guide's 'Partner Health Scoring' weighs revenue 30%, "
              "activity 25%, engagement 20%, satisfaction 15% and strategic fit 10%, with bands "
              "from champion down to churning; other programs use a scorecard of a few "
              "dimensions of 5 points each). Weights that do not add up to the full score "
              "make the bands meaningless (a perfect partner cannot reach the top band, or the "
              "top is unreachable); a gap between bands leaves some partners with no decision, "
              "an overlap gives them two. Objective, complete criteria are what make tier "
              "decisions defensible.",
    explain="For each `scoring`: the `weight`s of its dimensions (points, e.g. `weight: 30`) "
            "add up to exactly its `scale`, the points a full score is worth (100 unless the "
            "scoring declares another, e.g. `scale: 35` for seven dimensions of 5 points); "
            "its bands, sorted by their low end, start at 0, meet exactly (each band's high "
            "end is the next band's low end; the high end is excluded) and the top one ends "
            "above the scale (`80 .. 101` out of 100, `28 .. 36` out of 35) so that a perfect "
            "score falls in it. A scoring with dimensions and no bands is reported too. "
            "Subject: the scoring model's name.",
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
