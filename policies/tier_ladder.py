"""CH-P005 tier_ladder: going up a channel's tiers never costs the partner anything.

Tiers are taken in rank order (`Tier.rank`: the order written unless `rank` says otherwise).
Each problem is one finding, reported on the higher tier (subject ``"CHANNEL TIER"``) with a
secondary label on the tier it is compared with.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.numbers import pct, program_money
from charter.policies.base import Finding, Policy, PolicyContext
from charter.units import in_hours, periods_per_year
from charter.values import Count, Criteria, Duration, Metric, Rate

# How often, from most to least frequent (the cadence words of language.md §1.3).
CADENCE_ORDER = ("weekly", "biweekly", "monthly", "quarterly", "semiannual", "annual")
OPS = {"≥": ">=", "≤": "<="}


# ---- formatting ---------------------------------------------------------------------------



def _rate(program: m.Program, rate: Rate) -> str:
    text = program_money(program, rate.money)
    text += f" per {rate.unit}" if rate.unit else ""
    return text + (f" per {rate.period}" if rate.period else "")


def _measure(program: m.Program, value: object) -> str:
    if isinstance(value, m.MoneyValue):
        return program_money(program, value)
    if isinstance(value, Rate):
        return _rate(program, value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)  # a duration or a count per period spells itself


def _criteria(program: m.Program, c: m.Condition, nested: bool = False) -> str:
    if isinstance(c, Metric):
        over = f" over trailing {c.window}" if c.window is not None else ""
        return f"{c.metric} {OPS.get(c.op, c.op)} {_measure(program, c.value)}{over}"
    text = (" and " if c.op == "all" else " or ").join(_criteria(program, i, True)
                                                       for i in c.items)
    return f"({text})" if nested else text


def _mdf(program: m.Program, value: Decimal | m.MoneyValue) -> str:
    return program_money(program, value) if isinstance(value, m.MoneyValue) else pct(value)


# ---- comparison keys ----------------------------------------------------------------------

def _annual(rate: Rate) -> Decimal:
    """A rate's amount per year, so quotas written per month and per year compare."""
    return rate.money.amount * periods_per_year(rate.period)


def _value_key(value: object) -> object:
    if isinstance(value, Decimal):
        return ("n", value.normalize())
    if isinstance(value, m.MoneyValue):
        return ("$", value.amount.normalize(), value.currency)
    if isinstance(value, Rate):
        return ("r", _value_key(value.money), value.unit, value.period)
    if isinstance(value, Duration):
        return ("d", value.amount.normalize(), value.unit, value.business)
    if isinstance(value, Count):
        return ("c", value.amount.normalize(), value.period)
    return ("?", repr(value))


def _window_key(window: Duration) -> tuple:
    """A rolling window by its length in months (or days, for shorter units)."""
    months = {"month": 1, "quarter": 3, "year": 12}
    if window.unit in months and not window.business:
        return ("w", (window.amount * months[window.unit]).normalize(), "month")
    return ("w", in_hours(window).normalize(), "hour", window.business)


def _canon(c: m.Condition) -> tuple:
    """A criterion without spans; `and`/`or` operands in a fixed order."""
    if isinstance(c, Metric):
        # a window compares by its length: `over trailing 1 year` is `12 months`
        window = _window_key(c.window) if c.window is not None else None
        return ("m", c.metric, OPS.get(c.op, c.op), _value_key(c.value), window)
    assert isinstance(c, Criteria)
    return (c.op, tuple(sorted((_canon(i) for i in c.items), key=repr)))


# ---- the check ----------------------------------------------------------------------------

def ladder(channel: m.Channel) -> list[m.Tier]:
    """The channel's tiers from lowest to highest rank (written order breaks ties)."""
    order = {id(t): i for i, t in enumerate(channel.tiers)}
    return sorted(channel.tiers, key=lambda t: (t.rank, order[id(t)]))


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Walk each channel's tiers in rank order: quotas, margins, MDF, service levels,
    promotion criteria and revenue bands must all move the right way going up."""
    for channel in program.channels:
        tiers = ladder(channel)
        if not tiers:
            continue
        yield from _quotas(program, channel, tiers)
        yield from _never_lower(program, channel, tiers, "margin")
        yield from _never_lower(program, channel, tiers, "commission")
        yield from _never_lower(program, channel, tiers, "mdf")
        yield from _service(channel, tiers)
        yield from _tier_ups(program, channel, tiers)
        yield from _bands(program, channel, tiers)


def _who(channel: m.Channel, tier: m.Tier) -> str:
    return f"{channel.name} {tier.name}"


def _quotas(program: m.Program, channel: m.Channel, tiers: list[m.Tier]) -> Iterator[Finding]:
    below: m.Tier | None = None      # the highest tier so far that commits to a quota
    for tier in tiers:
        who = _who(channel, tier)
        if tier.quota is None:
            if below is not None and below.quota is not None:
                yield Finding(
                    f"{who} has no quota, but {below.name} below it commits to"
                    f" {_rate(program, below.quota)}",
                    tier.spans.get("quota", tier.span), who, label="no quota at a higher tier",
                    labels=(Label(below.spans["quota"], f"{below.name}'s quota"),),
                    help=(f"give {tier.name} a quota above {_rate(program, below.quota)}",))
            continue
        if below is not None and below.quota is not None:
            comparable = below.quota.unit == tier.quota.unit
            if comparable and _annual(tier.quota) <= _annual(below.quota):
                yield Finding(
                    f"{who}'s quota {_rate(program, tier.quota)} is not above"
                    f" {below.name}'s {_rate(program, below.quota)}",
                    tier.spans["quota"], who, label="not above the tier below",
                    labels=(Label(below.spans["quota"], f"{below.name}'s quota"),),
                    help=("quotas must strictly increase going up the ladder: raise this quota,"
                          " or reorder the tiers",))
        below = tier


NEVER_LOWER = {"margin": "margin", "commission": "commission", "mdf": "MDF"}


def _never_lower(program: m.Program, channel: m.Channel, tiers: list[m.Tier],
                 attr: str) -> Iterator[Finding]:
    what = NEVER_LOWER[attr]
    below: m.Tier | None = None
    for tier in tiers:
        value = getattr(tier, attr)
        if value is None:
            continue
        if below is not None:
            if _lower(program, tier, below, attr):
                who = _who(channel, tier)
                mine, theirs = _shown(program, tier, attr), _shown(program, below, attr)
                yield Finding(
                    f"{who}'s {what} {mine} is below the {theirs} of {below.name}, a lower tier",
                    tier.spans.get(attr, tier.span), who, label="lower than the tier below",
                    labels=(Label(below.spans.get(attr, below.span), f"{below.name}'s {what}"),),
                    help=(f"a higher tier must not earn less: give {tier.name} at least"
                          f" {theirs}",))
        below = tier


def _lower(program: m.Program, tier: m.Tier, below: m.Tier, attr: str) -> bool:
    """Whether ``tier`` earns less ``attr`` than ``below``. Fixed MDF funds compare by what
    they pay in a year (the engine's `mdf_fund`: per period × periods, capped), so $5,000 per
    quarter is more than $15,000 per year; a fund and a share do not compare."""
    value, prev = getattr(tier, attr), getattr(below, attr)
    if isinstance(value, m.MoneyValue) != isinstance(prev, m.MoneyValue):
        return False
    if attr == "mdf" and isinstance(value, m.MoneyValue):
        from charter.economics.plan import mdf_fund

        return (mdf_fund(tier, program.header)[0] or 0) < (mdf_fund(below, program.header)[0] or 0)
    return value < prev


def _shown(program: m.Program, tier: m.Tier, attr: str) -> str:
    """A tier's rate as a finding shows it: a percentage, or a fixed MDF fund per period."""
    value = getattr(tier, attr)
    if attr != "mdf":
        return pct(value)
    per = f" per {tier.mdf_period}" if tier.mdf_fund and tier.mdf_period else ""
    return _mdf(program, value) + per


def _service(channel: m.Channel, tiers: list[m.Tier]) -> Iterator[Finding]:
    below: m.Tier | None = None              # previous tier with a service block
    last: dict[str, m.Tier] = {}             # per commitment: the last tier that sets it
    for tier in tiers:
        who, svc = _who(channel, tier), tier.service
        if svc is None:
            prev = below.service if below is not None else None
            if prev is not None and _commits(prev):
                yield Finding(
                    f"{who} has no service commitments, but {below.name} below it has",
                    tier.span, who, label="no `service` block",
                    labels=(Label(prev.span, f"{below.name}'s service levels"),),
                    help=(f"give {tier.name} a `service` block at least as strong as"
                          f" {below.name}'s",))
            continue
        yield from _service_pair(channel, tier, below, last)
        below = tier
        for key in ("response", "implementation", "checkin"):
            if getattr(svc, key) is not None:
                last[key] = tier


def _commits(svc: m.ServiceLevel) -> bool:
    return any(x is not None for x in (svc.response, svc.implementation, svc.checkin)) \
        or svc.qbr or svc.onsite


def _service_pair(channel: m.Channel, tier: m.Tier, below: m.Tier | None,
                  last: dict[str, m.Tier]) -> Iterator[Finding]:
    who, svc = _who(channel, tier), tier.service
    assert svc is not None

    def finding(message: str, label: str, ref: m.Tier, ref_label: str, key: str) -> Finding:
        theirs = ref.service  # type: ignore[union-attr]
        return Finding(f"{who} {message}", svc.spans.get(key, svc.span), who, label=label,
                       labels=(Label(theirs.spans.get(key, theirs.span), ref_label),),
                       help=("service commitments must not loosen going up the ladder:"
                             f" give {tier.name} at least what {ref.name} gets",))

    for key, what in (("response", "response time"), ("implementation", "implementation time")):
        mine = getattr(svc, key)
        if mine is None:
            if below is not None and getattr(below.service, key) is not None:
                theirs = getattr(below.service, key)
                yield finding(f"commits to no {what}, but {below.name} below it gets {theirs}",
                              f"no `{key}`", below, f"{below.name}: {key} {theirs}", key)
        elif key in last:
            ref = last[key]
            theirs = getattr(ref.service, key)
            if in_hours(mine) > in_hours(theirs):
                yield finding(f"has a longer {what} ({mine}) than {ref.name} below it"
                              f" ({theirs})", f"{key} {mine}", ref, f"{ref.name}: {key} {theirs}", key)
    mine = svc.checkin
    if mine is None:
        if below is not None and below.service.checkin is not None:  # type: ignore[union-attr]
            theirs = below.service.checkin  # type: ignore[union-attr]
            yield finding(f"commits to no check-in cadence, but {below.name} below it checks in"
                          f" {theirs}", "no `checkin`", below, f"{below.name}: checkin {theirs}", "checkin")
    elif "checkin" in last and mine in CADENCE_ORDER:
        ref = last["checkin"]
        theirs = ref.service.checkin  # type: ignore[union-attr]
        if theirs in CADENCE_ORDER and CADENCE_ORDER.index(mine) > CADENCE_ORDER.index(theirs):
            yield finding(f"checks in {mine}, less often than {ref.name} below it ({theirs})",
                          f"checkin {mine}", ref, f"{ref.name}: checkin {theirs}", "checkin")
    if below is not None:
        for key, what in (("qbr", "QBRs"), ("onsite", "on-site visits")):
            if getattr(below.service, key) and not getattr(svc, key):
                yield finding(f"drops the {what} that {below.name} below it gets",
                              f"no {what}", below, f"{below.name}: {key} yes", key)


def _tier_ups(program: m.Program, channel: m.Channel, tiers: list[m.Tier]) -> Iterator[Finding]:
    position = {t.name: i for i, t in enumerate(tiers)}
    for tier in tiers:
        up = tier.tier_up
        target = channel.tier(up.target) if up is not None else None
        if up is None or target is None:      # an unknown target is CH-E2xx (resolve)
            continue
        who = _who(channel, tier)
        span = tier.spans.get("tier_up", up.span)
        if position[target.name] <= position[tier.name]:
            yield Finding(
                f"{who}'s tier_up goes to {target.name}, which is not above it"
                f" (rank {target.rank} vs {tier.rank})",
                span, who, label="promotes sideways or down",
                labels=(Label(target.span, f"{target.name} is defined here"),),
                help=("`tier_up` names a higher tier; `downgrade_to` names a lower one",))
        elif target.qualify is not None and _canon(up.criteria) != _canon(target.qualify):
            yield Finding(
                f"{who} promotes to {target.name} at {_criteria(program, up.criteria)}, but"
                f" {target.name} is held at {_criteria(program, target.qualify)}",
                span, who, label="promotion criterion",
                labels=(Label(target.spans["qualify"], f"{target.name}'s `qualify`"),),
                help=(f"make the tier_up criterion the same as {target.name}'s `qualify`, so a"
                      " promoted partner holds the tier it was promoted to",))


def _bands(program: m.Program, channel: m.Channel, tiers: list[m.Tier]) -> Iterator[Finding]:
    def show(v: m.MoneyValue | None) -> str:
        return program_money(program, v) if v is not None else ""

    empty = set()
    for tier in tiers:
        band = tier.revenue_band
        low, high = band if band else (None, None)
        if low is not None and high is not None and high.amount <= low.amount:
            empty.add(tier.name)
            who = _who(channel, tier)
            yield Finding(
                f"{who}'s revenue band {show(low)} .. {show(high)} is empty",
                tier.spans["revenue_band"], who, label="high end not above the low end",
                help=("write the band low .. high, with the high end excluded",))
    for lower, upper in zip(tiers, tiers[1:]):
        if lower.revenue_band is None or upper.revenue_band is None \
                or {lower.name, upper.name} & empty:
            continue
        (_, top), (bottom, _) = lower.revenue_band, upper.revenue_band
        who = _who(channel, upper)
        here = upper.spans["revenue_band"]
        there = Label(lower.spans["revenue_band"], f"{lower.name}'s band")
        if top is None or bottom is None:
            open_end = f"{lower.name}'s band has no upper end" if top is None \
                else f"{upper.name}'s band has no lower end"
            yield Finding(f"{who}'s revenue band overlaps {lower.name}'s: {open_end}", here, who,
                          label="overlaps the tier below", labels=(there,),
                          help=(f"end {lower.name}'s band where {upper.name}'s begins",))
        elif top.amount < bottom.amount:
            yield Finding(f"{who}'s revenue band starts at {show(bottom)}, but {lower.name}'s"
                          f" ends at {show(top)}: revenue in between is in no tier", here, who,
                          label="starts above the tier below's end", labels=(there,),
                          help=(f"start {upper.name}'s band at {show(top)}, where"
                                f" {lower.name}'s ends",))
        elif top.amount > bottom.amount:
            yield Finding(f"{who}'s revenue band starts at {show(bottom)}, inside {lower.name}'s"
                          f" (which ends at {show(top)}): revenue in between is in two tiers",
                          here, who,
                          label="starts below the tier below's end", labels=(there,),
                          help=(f"start {upper.name}'s band at {show(top)}, where"
                                f" {lower.name}'s ends (the high end is excluded)",))


POLICY = Policy(
    code="CH-P005", name="tier_ladder", title="Tier ladder is sane",
    severity=Severity.ERROR,
    rationale="Tiers exist to make partners invest more: each step up must ask for more and give "
              "more (the partner-program practice guide, 'Tier Design Principles': meaningful "
              "differentiation, achievable progression, benefits that scale with partner value). A "
              "higher tier with a lower quota, a thinner margin or MDF, or a slower SLA removes "
              "the reason to level up; a promotion rule that differs from the target tier's "
              "qualification promotes partners into a tier they cannot hold (or keeps out partners "
              "who qualify); gaps or overlaps between revenue bands leave partners with no tier or "
              "two.",
    explain="Each channel's tiers are walked in rank order (`rank`, else the order written) and "
            "compared with the tier below: `quota` strictly increases (compared per year; a "
            "first tier may have none, a later one may not drop it); `margin`, tier "
            "`commission` and `mdf` (both percentages or both amounts) never decrease; "
            "`service` never loosens (`response` and `implementation` not longer, `checkin` "
            "not less frequent in the order weekly < biweekly < monthly < quarterly < "
            "semiannual < annual, `qbr`/`onsite` not yes -> no, no commitment dropped). "
            "Durations are compared in hours, with business and calendar units counted the "
            "same (24 business hours = 1 day), and a month as 730 hours. A `tier_up` must go "
            "to a higher tier and its criterion must equal that tier's `qualify` (metric, "
            "operator and value; `and`/`or` operands in any order; a target without `qualify` is "
            "left to measurable_tiers). `revenue_band`s of "
            "consecutive tiers meet exactly: each band's high end is the next band's low end. "
            "Each problem is one finding on the higher tier (subject `CHANNEL TIER`).",
    failing='''channel VAD {
    model: wholesale
    owner: partner
    lead_protection: 90 days
    tier Silver { quota: $50K per year; qualify: revenue >= $50K per year; margin: 25% }
    tier Gold { quota: $200K per year; qualify: revenue >= $200K per year; margin: 20% }
}''',
    passing='''channel VAD {
    model: wholesale
    owner: partner
    lead_protection: 90 days
    tier Silver { quota: $50K per year; qualify: revenue >= $50K per year; margin: 20% }
    tier Gold { quota: $200K per year; qualify: revenue >= $200K per year; margin: 25% }
}''',
    check=check)
