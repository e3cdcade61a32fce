"""CH-P003 no_step_down: recurring and partner-owned payouts never fall from one year to the next."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from charter import model as m
from charter.diagnostics import Label, Severity
from charter.economics.engine import Quoter
from charter.economics.request import DealRequest, Step
from charter.economics.routes import nominal_product, quotable
from charter.numbers import pct
from charter.policies.base import SHARE, Finding, Param, Policy, PolicyContext


def owns_renewal(channel: m.Channel) -> bool:
    """The partner owns the customer (by its model or `owner: partner`) or is paid a
    recurring share: either way it does the year-2 work."""
    return channel.partner_owns_customer or channel.payment == "recurring"


def check(program: m.Program, ctx: PolicyContext) -> Iterator[Finding]:
    """Ask the engine's plan for each tier's rate in every contract year (so this reads rates
    exactly as `charter quote` pays them) and report the first year that pays less than the
    year before by more than `max_step_down` (percentage points; 0% by default)."""
    allowed = ctx.param("max_step_down")
    priced = quotable(program)
    quoter = ctx.quoter if priced is program else Quoter(priced)
    product = nominal_product(priced).name
    reported: set[str] = set()
    for channel in program.channels:
        if not owns_renewal(channel) or _one_time_fee(channel):
            continue
        for tier in channel.tiers or (None,):
            step = Step(channel.name, tier.name if tier else None)
            rates = quoter.plan(DealRequest(product, 1, 2, (step,))).closer.rates
            finding = _first_drop(channel, tier, rates, allowed)
            if finding is not None and finding.subject not in reported:
                reported.add(finding.subject)  # a channel-level drop is reported once
                yield finding


def _one_time_fee(channel: m.Channel) -> bool:
    """A commission declared `payment: one_time`: a finder fee, not a share of the renewal."""
    return not channel.buys_wholesale and channel.payment == "one_time"


def _first_drop(channel: m.Channel, tier: m.Tier | None, rates: tuple[Decimal | None, ...],
                allowed: Decimal) -> Finding | None:
    for year in range(1, len(rates)):
        first, later = rates[year - 1], rates[year]
        if first is None or later is None:
            return None  # a threshold ladder sets the rate per deal
        if first - later > allowed:
            if channel.commission_years == year and not later:
                return _ends(channel)
            return _drop(channel, tier, first, later, year, allowed)
    return None


def _drop(channel: m.Channel, tier: m.Tier | None, first: Decimal, later: Decimal,
          year: int, allowed: Decimal) -> Finding:
    what = "margin" if channel.buys_wholesale else "commission"
    on_tier = tier is not None and f"{what}_y2" in tier.spans
    spans = tier.spans if on_tier else channel.spans
    who = f"{channel.name} {tier.name}" if on_tier else channel.name
    fix = f"keep `{what}_y2: {pct(first)}` (flat)" if not allowed else \
        f"keep `{what}_y2` at {pct(first - allowed)} or more"
    return Finding(
        f"{who}'s {what} steps down from {pct(first)} in year {year} to {pct(later)} in year"
        f" {year + 1}", spans.get(f"{what}_y2"), who, label="year-2 rate below year 1",
        labels=(Label(spans[what], "year-1 rate"),) if what in spans else (),
        notes=(f"the program allows a step-down of at most {pct(allowed)} (`max_step_down`)",)
        if allowed else (),
        help=(fix + ("" if channel.partner_owns_customer else
                     ", or make the channel `payment: one_time` if the partner does not own the"
                     " renewal" + _renewal_hint(channel, later)),
              _waive(who, f"{what} steps down in year {year + 1}")))


def _renewal_hint(channel: m.Channel, later: Decimal) -> str:
    """A year-2 rate paid only for influencing the renewal is a conditional fee, not a
    step-down: say how to write it (for a channel that has none yet)."""
    if channel.renewal_fee is not None or not later:
        return ""
    return (f"; if the year-2 {pct(later)} is owed only when the partner influences the"
            f" renewal, write it as `renewal_fee: {pct(later)} when renewal_influenced`")


def _ends(channel: m.Channel) -> Finding:
    return Finding(
        f"{channel.name}'s recurring commission stops after year {channel.commission_years}",
        channel.spans.get("commission_years", channel.span), channel.name,
        label="drops to 0% after this year",
        help=("remove `commission_years` (the share then runs as long as the customer renews),"
              " or make the channel `payment: one_time` if it is a finder fee",
              _waive(channel.name, f"commission ends after year {channel.commission_years}")))


def _waive(subject: str, what: str) -> str:
    """The help line that offers a waiver: the agreed terms may be the right ones."""
    name = "_".join(subject.lower().split()) + "_step_down"
    return (f"if the agreed terms keep the cut, record it instead of changing them: `waiver"
            f" {name} {{ policy: no_step_down; subject: {subject}; reason: \"why the {what}\";"
            f" owner: \"who answers for it\"; expires: YYYY-MM-DD }}`")


POLICY = Policy(
    code="CH-P003", name="no_step_down", title="No year-2 step-down",
    severity=Severity.ERROR,
    rationale="A partner that owns the customer or the renewal does the year-2 work: support, "
              "QBRs, the renewal itself. A program that cuts its margin or share after year 1 "
              "pays it less for the same work just when the relationship has to hold, and "
              "teaches it to chase new logos instead of keeping customers: step-down models "
              "bleed partners out of a program (the eJourney Partner & Channel page makes a "
              "flat margin its recruiting argument for this reason). One-time finder fees "
              "declared `payment: one_time` are not a share of the renewal and are exempt.",
    explain="For channels that are wholesale/resale/OEM, partner-owned, or paid a recurring "
            "share (a `payment: one_time` commission is a finder fee and exempt), the engine's "
            "plan gives each tier's rate in every contract year, exactly as a quote pays it: "
            "no year may pay less than the year before by more than `max_step_down` "
            "(percentage points, 0% unless the program sets it): a `margin_y2` below "
            "`margin`, a `commission_y2` below `commission`, a recurring commission that "
            "stops after `commission_years`. A conditional `renewal_fee` (`renewal_fee: 5% "
            "when renewal_influenced`: a fee from year 2 on a customer the vendor owns, paid "
            "only when the partner influences the renewal) is not the partner's own "
            "commission stepping down: it is a payout of its own, for separate work, and is "
            "not judged here; with it, the commission itself is a finder fee "
            "(`payment: one_time`). When the agreed terms do step down on purpose "
            "(an internal benchmark), "
            "keep them and record a `waiver` with the subject the finding names, a reason, "
            "an owner and an expiry: `waiver vad_gold_step_down { policy: no_step_down; "
            "subject: VAD Gold; reason: \"agreed transition terms\"; owner: \"channel chief\"; "
            "expires: 2027-06-30 }`.",
    failing='''channel VAD {
    model: wholesale
    owner: partner
    tier Gold { margin: 30%; margin_y2: 20% }
}''',
    passing='''channel VAD {
    model: wholesale
    owner: partner
    tier Gold { margin: 30%; margin_y2: 30% }
}''',
    check=check,
    params=(Param("max_step_down", SHARE, Decimal(0),
                  "how much less (in percentage points) a year may pay than the year before:"
                  " `5%` lets `margin: 30%` step down to `margin_y2: 25%`", example="5%"),))
