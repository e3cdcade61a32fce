"""A program's payout constants for the SQL target, asked of the economics engine.

Everything the generated SQL knows about a program comes from here, and everything here comes
from `charter.economics` (`build_plan`'s roles, `Ladder`, the handover rules), never from the
written attributes: the rates a closer earns in each contract year, an introducer's rate, the
brackets of a ladder, the MSRP floor per list period. `coverage` lists what the SQL does not
implement; the target refuses such a program (docs/warehouse.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from charter import model as m
from charter.economics.kinds import PayoutKind, Timing
from charter.economics.payment import Due, due
from charter.economics.plan import Role, build_plan
from charter.economics.request import MAX_YEARS, DealRequest, Step, unregistered_rule
from charter.economics.routes import _chains  # the one walk over handover chains
from charter.economics.thresholds import Ladder

MAX_STEPS = 4          # route columns in the deal table: introducers first, partner of record last
MAX_CLAIMS = 4         # influencer and SPIFF-claim columns in the deal table
MAX_SCALE = 12         # minor units + rate decimals the SQL's fixed-point types carry
RATE_DECIMALS = 8      # a deal's own rate ("45.123456%") has up to 8 decimals as a fraction
AMOUNT_LIMIT = 10 ** 17  # per deal-year amounts the SQL accepts (software, services), exclusive
DEAL = "deal"          # a closer's rate that is the deal's own (a negotiable discount range)


@dataclass(frozen=True)
class Refusal:
    """A construct of the program the SQL target does not implement."""

    construct: str
    message: str
    span: object = None

    def __str__(self) -> str:
        return f"{self.construct}: {self.message}"


@dataclass(frozen=True)
class ProductRow:
    name: str
    unit_list: Decimal
    periods: int
    msrp_floor: Decimal | None   # per list period, rounded up to the minor unit (same verdicts)


@dataclass(frozen=True)
class ChannelRow:
    name: str
    internal: bool
    tiers: tuple[str, ...]
    ranged: tuple[Decimal, Decimal] | None   # a negotiable discount range: the deal names a rate
    certification: tuple[str, ...]
    ladder: Ladder | None


@dataclass(frozen=True)
class CloserRow:
    """The partner of record's role on a (channel, tier, registered) step, from `build_plan`."""

    channel: str
    tier: str | None
    registered: bool
    collects: bool                       # buys at wholesale: a margin line (and rebates)
    rates: tuple                         # per contract year: Decimal, None (the ladder) or DEAL
    cap: Decimal | None                  # DEAL rates are capped by this (unregistered flat rate)
    with_services: bool                  # commission base is software and services
    mdf: Decimal
    ladder: bool                         # its ladder applies (not on an unregistered deal)
    timing: Timing
    fund: Decimal | None = None          # a fixed MDF fund per contract year (the engine's)


@dataclass(frozen=True)
class HandoverRow:
    """An introducer's role on a declared handover, from `build_plan`, and the handover rules."""

    source: str
    target: str
    rates: tuple[Decimal, ...]
    with_services: bool
    timing: Timing
    allowed: tuple[str | None, ...]      # target tiers allowed (every tier when not restricted)
    cap: Decimal | None
    cap_year: int


@dataclass(frozen=True)
class InfluenceRow:
    """An influencer's one-time fee rate (`Attribution.influence_rate`; None: no single
    sourced rate, so a deal naming it is refused as the engine refuses it)."""

    channel: str
    rate: Decimal | None


@dataclass(frozen=True)
class SpiffRow:
    """A SPIFF a deal may claim, and what a deal must be to qualify (`economics.spiffs`)."""

    name: str
    amount: Decimal | None               # a fixed reward, rounded as the engine pays it
    rate: Decimal | None                 # or a share of the year-1 basis
    products: tuple[str, ...]
    channels: tuple[str, ...]
    minimum: Decimal | None              # year-1 software value, at least
    starts: object                       # datetime.date
    ends: object                         # datetime.date | None (open)


@dataclass(frozen=True)
class SplitRow:
    name: str
    parties: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class Constants:
    """Everything the SQL of one program is generated from."""

    program: str
    currency: str
    minor_units: int
    rounding: str
    rate_scale: int                      # decimals of every rate the SQL carries
    products: tuple[ProductRow, ...]
    channels: tuple[ChannelRow, ...]
    closers: tuple[CloserRow, ...]
    handovers: tuple[HandoverRow, ...]
    splits: tuple[SplitRow, ...]
    unregistered: Decimal | None
    cogs: Decimal
    floor: Decimal | None
    mdf_counts: bool
    renewals: tuple[str, ...] = ()       # channels paid a conditional renewal fee (rejected)
    due: tuple[Due, ...] = ()            # per payout kind (`PayoutKind` order): its due rule
    influence: str | None = None         # "fee": influencers are paid; "credit": named only
    influencers: tuple[InfluenceRow, ...] = ()
    spiffs: tuple[str, ...] = ()         # every SPIFF the program declares, by name
    claimable: tuple[SpiffRow, ...] = ()

    def channel(self, name: str) -> ChannelRow:
        return next(c for c in self.channels if c.name == name)

    @property
    def ladders(self) -> tuple[ChannelRow, ...]:
        return tuple(c for c in self.channels if c.ladder is not None)


def _scale(value: Decimal | None) -> int:
    if value is None:
        return 0
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def build_constants(program: m.Program) -> tuple[Constants | None, list[Refusal]]:
    """The program's constants, or the refusals that keep the SQL target from it."""
    refusals: list[Refusal] = []
    header = program.header
    product = next((p for p in program.products if p.list_price is not None), None)
    products = tuple(_product(program, p) for p in program.products if p.list_price is not None)
    channels = tuple(ChannelRow(c.name, c.internal, tuple(t.name for t in c.tiers),
                                _ranged(c), c.certification,
                                Ladder.of(c.thresholds) if c.thresholds else None)
                     for c in program.channels)
    flat = unregistered_rule(program)
    closers: list[CloserRow] = []
    handovers: list[HandoverRow] = []
    if product is not None:
        for channel in channels:
            if channel.internal:
                continue
            for tier in channel.tiers or (None,):
                for registered in (True, False) if flat is not None else (True,):
                    row = _closer(program, product.name, channel, tier, registered, flat,
                                  refusals)
                    if row is not None:
                        closers.append(row)
        handovers = [_handover(program, product.name, h) for h in _declared(program)]
    attribution = program.attribution
    refusals += _uncovered_payouts(program)
    refusals += _negotiated_rates(program)
    splits = []
    for split in attribution.splits if attribution else ():
        if split.settles == "credit":
            refusals.append(Refusal(f"split {split.name}", "a credit-only split (`settles:"
                                    " credit`) leaves the payout whole; the SQL target"
                                    " divides every split's payout", split.span))
        total = sum((share for _n, share, _s in split.shares), Decimal(0))
        if total != 1:
            refusals.append(Refusal(f"split {split.name}", f"its shares add up to {total:f},"
                                    " not 100%; the SQL target divides a payout only by"
                                    " shares that add up to exactly 100%", split.span))
        splits.append(SplitRow(split.name, tuple((n, s) for n, s, _span in split.shares)))
    offered = {c.name: c for c in program.channels if not c.internal}
    longest = max((len(path) for path, _h in _chains(program, offered)), default=1)
    if longest > MAX_STEPS:
        refusals.append(Refusal("handover chain", f"a chain of {longest} channels; the deal"
                                f" table has {MAX_STEPS} route steps", None))
    rates = [r for c in closers for r in c.rates if isinstance(r, Decimal)] + \
        [c.cap for c in closers if c.cap is not None] + [c.mdf for c in closers] + \
        [r for h in handovers for r in h.rates] + \
        [h.cap for h in handovers if h.cap is not None] + \
        [s for row in splits for _n, s in row.parties] + \
        [r for c in channels if c.ladder for r in c.ladder.rates]
    influencers = _influencers(program)
    claimable = _claimable(program)
    rates += [i.rate for i in influencers if i.rate is not None] + \
        [x.rate for x in claimable if x.rate is not None]
    econ = program.economics
    if econ is not None:
        rates += [econ.cogs, econ.margin_floor]
    scale = max([6] + [_scale(r) for r in rates] +
                ([RATE_DECIMALS] if any(c.ranged for c in channels) else []))
    if header.minor_units + scale > MAX_SCALE:
        refusals.append(Refusal("rate precision", f"a rate with {scale} decimals in a currency"
                                f" of {header.minor_units} minor units; the SQL target carries"
                                f" {MAX_SCALE} decimals in all", None))
    for channel in channels:
        ladder = channel.ladder
        if ladder is not None and ladder.semantics not in ("forward", "marginal", "retroactive"):
            refusals.append(Refusal(f"thresholds {ladder.name}", f"semantics `{ladder.semantics}`"
                                    " is not computed by the SQL target", None))
        if ladder is not None and ladder.reset not in ("calendar_year", "fiscal_year", "quarter",
                                                       "month", "contract_year", "never"):
            refusals.append(Refusal(f"thresholds {ladder.name}", f"reset `{ladder.reset}` is not"
                                    " computed by the SQL target", None))
        for bound in ladder.lows + tuple(h for h in ladder.highs if h is not None) \
                if ladder else ():
            if _scale(bound) > header.minor_units:
                refusals.append(Refusal(f"thresholds {ladder.name}", f"bracket bound {bound:f}"
                                        " has more decimals than the currency", None))
    for h in handovers:
        if h.cap is not None and _scale(h.cap) > 6:
            refusals.append(Refusal(f"handover {h.source} -> {h.target}", "a combined_cap with"
                                    " more than 6 decimals", None))
    for p in products:
        if _scale(p.unit_list) > header.minor_units:
            refusals.append(Refusal(f"product {p.name}", "a list price with more decimals than"
                                    " the currency's minor units", None))
    econ_cogs = econ.cogs if econ else Decimal(0)
    constants = Constants(header.id, header.currency, header.minor_units, header.rounding, scale,
                          products, channels, tuple(closers), tuple(handovers), tuple(splits),
                          flat, econ_cogs, econ.margin_floor if econ else None,
                          econ.mdf_counts_against_margin if econ else False,
                          tuple(ch.name for ch in program.channels if ch.renewal_fee is not None),
                          _due_rules(program), _influence_mode(program), influencers,
                          tuple(x.name for x in program.spiffs), claimable)
    return (None if refusals else constants), refusals


def _due_rules(program: m.Program) -> tuple[Due, ...]:
    """When each payout kind falls due, asked of the engine's rule (`payment.due`) for an
    undated year: the rule, days and period; the SQL dates each line from its year."""
    terms = program.payment_terms
    return tuple(due(terms.term(kind.value) if terms else None, kind, None)
                 for kind in PayoutKind)


def _uncovered_payouts(program: m.Program) -> list[Refusal]:
    """Payouts the SQL does not compute: a registration bonus. Refused by name, so the SQL
    never silently pays less. (A conditional renewal fee is covered by rejecting each deal
    that meets its condition: `Gen.errors`.)"""
    refusals = []
    registration = program.registration
    if registration is not None and registration.registered_bonus is not None:
        refusals.append(Refusal("registered_bonus", "a registration bonus on the partner of"
                                " record's rate is not computed by the SQL target",
                                registration.span))
    return refusals


def _influence_mode(program: m.Program) -> str | None:
    """Whether naming an influencer pays a fee, only records credit, or is refused."""
    attribution = program.attribution
    if attribution is None:
        return None
    if attribution.influenced_rate is not None:
        return "fee"
    return "credit" if attribution.influenced_credit is not None else None


def _influencers(program: m.Program) -> tuple[InfluenceRow, ...]:
    """Each offered channel's influence fee rate, from the model's one rule."""
    attribution = program.attribution
    if attribution is None or attribution.influenced_rate is None:
        return ()
    return tuple(InfluenceRow(c.name, attribution.influence_rate(c))
                 for c in program.channels if not c.internal)


def _claimable(program: m.Program) -> tuple[SpiffRow, ...]:
    """The SPIFFs a deal may claim, with the engine's rounding of a fixed reward."""
    from charter.economics.money import Rounding

    money = Rounding(program.header.rounding, program.header.minor_units).money
    rows = []
    for spiff in program.spiffs:
        if not spiff.claimable:
            continue
        fixed = isinstance(spiff.reward, m.MoneyValue)
        rows.append(SpiffRow(spiff.name, money(spiff.reward.amount) if fixed else None,
                             None if fixed else spiff.reward, spiff.products, spiff.channels,
                             spiff.minimum.amount if spiff.minimum else None, spiff.starts,
                             spiff.ends))
    return tuple(rows)


def _negotiated_rates(program: m.Program) -> list[Refusal]:
    """Payout rates each deal may negotiate (`negotiable commission { ... }`): the deal table
    has no column for a deal's agreed terms, so the SQL would pay every deal the default.
    Refused by name; a negotiable lead protection pays nothing and is no reason to refuse."""
    refusals = []
    for channel in program.channels:
        holders = [(channel, f"channel {channel.name}")] + \
            [(t, f"tier {channel.name} {t.name}") for t in channel.tiers]
        for holder, name in holders:
            paid = [n.term for n in holder.negotiable if n.term in m.PERCENT_TERMS]
            if paid and not channel.internal:
                refusals.append(Refusal(name, f"negotiable {', '.join(paid)} (a rate each deal"
                                        " may agree) is not computed by the SQL target",
                                        holder.span))
    return refusals


def _product(program: m.Program, product: m.Product) -> ProductRow:
    plan = build_plan(program, DealRequest(product.name, 1))
    floor = plan.msrp_floor
    quantum = Decimal(1).scaleb(-program.header.minor_units)
    # a unit price has at most the minor units' decimals, so `price < floor` and
    # `price < floor rounded up to the minor unit` give the same verdict on every price
    floor = floor.quantize(quantum, ROUND_CEILING) if floor is not None else None
    return ProductRow(product.name, plan.unit_list, plan.periods, floor)


def _ranged(channel: m.Channel) -> tuple[Decimal, Decimal] | None:
    low_high = channel.discount
    if channel.buys_wholesale and low_high is not None and low_high[0] != low_high[1] \
            and not channel.tiers:
        return low_high
    return None


def _closer(program: m.Program, product: str, channel: ChannelRow, tier: str | None,
            registered: bool, flat: Decimal | None, refusals: list[Refusal]) -> CloserRow | None:
    def role(rate: Decimal | None) -> Role:
        request = DealRequest(product, 1, route=(Step(channel.name, tier, rate),),
                              registered=registered)
        return build_plan(program, request).closer

    if channel.ranged is None:
        closer = role(None)
        rates, cap = closer.rates, None
    else:  # the deal's own rate: every year at that rate (capped when unregistered)
        low, high = channel.ranged
        closer, other = role(low), role(high)
        cap = None if registered else flat
        expect = (lambda r: r) if cap is None else (lambda r: min(cap, r))
        if closer.rates != (expect(low),) * MAX_YEARS or \
                other.rates != (expect(high),) * MAX_YEARS:
            refusals.append(Refusal(f"channel {channel.name}", "its negotiated rate does not"
                                    " apply alike in every contract year", None))
            return None
        rates = (DEAL,) * MAX_YEARS
    return CloserRow(channel.name, tier, registered, closer.collects, rates, cap,
                     closer.base != "software", closer.mdf, closer.ladder is not None,
                     closer.timing, closer.fund)


def _declared(program: m.Program) -> list[m.Handover]:
    """Every handover a route can cross: the rule `program.handover` finds for its pair."""
    seen = []
    for h in program.handovers:
        if program.handover(h.source, h.target) is h and program.channel(h.source) \
                and program.channel(h.target):
            seen.append(h)
    return seen


def _handover(program: m.Program, product: str, handover: m.Handover) -> HandoverRow:
    target = program.channel(handover.target)
    source = program.channel(handover.source)
    steps = (Step(source.name, source.tiers[0].name if source.tiers else None),
             Step(target.name, target.tiers[0].name if target.tiers else None))
    plan = build_plan(program, DealRequest(product, 1, route=steps))
    intro = plan.introducers[0]
    tiers = tuple(t.name for t in target.tiers) or (None,)
    allowed = tuple(t for t in tiers if not handover.allowed_tiers or t in handover.allowed_tiers)
    cap = plan.cap
    return HandoverRow(source.name, target.name, intro.rates, intro.base != "software",
                       intro.timing, allowed, cap[0] if cap else None, cap[1] if cap else 1)


def coverage(program: m.Program) -> list[Refusal]:
    """What of ``program`` the SQL target does not implement (empty: it is covered)."""
    return build_constants(program)[1]
