"""The typed program model: one frozen dataclass per construct (`charter.nodes.node`), each
carrying its source span.

Built from the syntax tree by `charter.lower`; read by policies, the economics engine and the
output targets. Money is `MoneyValue` (exact Decimal), percentages are Decimal fractions.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import field
from functools import cached_property
from decimal import Decimal
from types import MappingProxyType
from typing import Mapping, Union

from charter.literals import MoneyValue
from charter.nodes import node
from charter.source import Span
from charter.values import Criteria, Duration, Metric, Rate

Condition = Union[Criteria, Metric]


@node
class Header:
    """The `program` block: identity, currency, locales, status and rounding."""

    id: str
    title: str
    version: str
    effective: _dt.date | None
    currency: str
    locales: tuple[str, ...]
    status: str
    rounding: str
    minor_units: int
    abstract: bool
    doc: str
    span: Span


@node
class Product:
    """A priced item in one layer (software licence or services)."""

    name: str
    layer: str
    list_price: Rate | None
    msrp_floor: str | Rate | None
    delivered_by: str
    priced_by: str
    includes: tuple[str, ...]
    typical_price: str
    subcontract_price: tuple[Rate, Rate] | None
    doc: str
    span: Span
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@node
class ServiceLevel:
    """Service commitments of a tier."""

    response: Duration | None
    checkin: str | None
    implementation: Duration | None
    qbr: bool
    onsite: bool
    span: Span
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


# The terms a deal may negotiate within a range, where each may be written, and its unit: the
# one home of these words (lowering accepts exactly these, a quote request names them, the
# targets spell them). Percentage terms are payout rates; duration terms pay nothing.
PERCENT_TERMS = ("commission", "commission_y2", "discount", "margin", "margin_y2")
DURATION_TERMS = ("lead_protection", "lead_protection_extension")
NEGOTIABLE_TERMS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "channel": ("commission", "commission_y2", "discount", "lead_protection",
                "lead_protection_extension"),
    "tier": ("commission", "commission_y2", "margin", "margin_y2")})

TermValue = Union[Decimal, Duration]


def term_measure(value: TermValue) -> Decimal:
    """A term value on one scale, for comparing: a percentage as it is, a duration in hours
    (`30 days .. 2 months` compares across units)."""
    from charter.units import in_hours

    return in_hours(value) if isinstance(value, Duration) else value


def show_term(value: TermValue) -> str:
    """A term value as programs write it: `15%`, `45 days`."""
    if isinstance(value, Duration):
        return str(value)
    return f"{(value * 100).normalize():f}%"


@node
class Negotiable:
    """A term each deal may set within a range: `negotiable commission { range: 10% .. 20%;
    default: 10% }`. A deal that negotiates nothing gets the default, which is also the value
    of the holder's own field (`Channel.commission` is 10% here): a reader that knows nothing
    of negotiation sees what such a deal is paid. Percentages are Decimal fractions, durations
    `Duration`s; ``high`` is None for an open range (`25% ..`)."""

    term: str
    low: TermValue
    high: TermValue | None
    default: TermValue
    doc: str
    span: Span
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def is_duration(self) -> bool:
        """A duration term (`lead_protection`), which pays nothing."""
        return self.term in DURATION_TERMS

    @property
    def top(self) -> TermValue | None:
        """The most a deal may agree to: the high end; for an open range of a percentage,
        100% (a payout rate is never more than its base); None for an open duration."""
        if self.high is not None or self.is_duration:
            return self.high
        return Decimal(1)

    @property
    def range_text(self) -> str:
        """The range in a message: `10%–20%`, `25% or more`, `30 days–60 days`."""
        low = show_term(self.low)
        return f"{low}–{show_term(self.high)}" if self.high is not None else f"{low} or more"

    def admits(self, value: TermValue) -> bool:
        """Whether a deal may agree to ``value``: low ≤ value ≤ high (durations in hours)."""
        if isinstance(value, Duration) != self.is_duration:
            return False
        above = term_measure(value) >= term_measure(self.low)
        return above and (self.high is None or term_measure(value) <= term_measure(self.high))


@node
class TierUp:
    """A promotion rule: criterion and target tier."""

    criteria: Condition
    target: str
    target_span: Span
    span: Span


@node
class Tier:
    """A level of a channel with its qualification, economics, benefits and maintenance rules."""

    name: str
    rank: int
    label: str
    quota: Rate | None
    qualify: Condition | None
    revenue_band: tuple[MoneyValue | None, MoneyValue | None] | None
    margin: Decimal | None
    margin_y2: Decimal | None
    commission: Decimal | None
    commission_y2: Decimal | None
    mdf: Decimal | MoneyValue | None   # a share of the deal's software revenue, or an amount
    mdf_claim: str
    tier_up: TierUp | None
    review: str | None
    grace: Duration | None
    downgrade_to: str | None
    options: tuple[str, ...]
    benefits: tuple[str, ...]
    certified_people: int | None
    service: ServiceLevel | None
    doc: str
    span: Span
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    mdf_period: str | None = None   # `mdf: $5_000 per year`: the amount is per this period
    negotiable: tuple[Negotiable, ...] = ()   # terms a deal may set (their defaults above)
    # A fixed fund's terms: `mdf_cap: $15K per year` (the most it pays in a year, per its
    # period), `mdf_claim_deadline: 60 days` and `mdf_approval: "channel manager"`.
    mdf_cap: MoneyValue | None = None
    mdf_cap_period: str | None = None
    mdf_claim_deadline: Duration | None = None
    mdf_approval: str = ""

    @property
    def mdf_fund(self) -> bool:
        """Whether the tier's MDF is a fixed fund (an amount per period), not a share."""
        return isinstance(self.mdf, MoneyValue)


@node
class Bracket:
    """One step of a threshold ladder: [low, high) earns ``rate``. The bounds are amounts of
    money, or whole numbers of deals on a count ladder (`1 .. 11 -> 30%`)."""

    low: MoneyValue | Decimal
    high: MoneyValue | Decimal | None
    rate: Decimal
    span: Span

    @property
    def low_amount(self) -> Decimal:
        """The lower bound as a number (an amount, or a count of deals)."""
        return self.low.amount if isinstance(self.low, MoneyValue) else self.low

    @property
    def high_amount(self) -> Decimal | None:
        """The upper bound as a number, or None for an open bracket."""
        return self.high.amount if isinstance(self.high, MoneyValue) else self.high

    @property
    def counts(self) -> bool:
        """True when the bounds count deals rather than measure money."""
        return not isinstance(self.low, MoneyValue)


@node
class Thresholds:
    """Brackets over a cumulative basis, with declared semantics and reset period."""

    name: str
    basis: str
    semantics: str
    reset: str
    brackets: tuple[Bracket, ...]
    override: str
    span: Span

    @property
    def counts(self) -> bool:
        """A count ladder: the brackets count the partner's deals in the period (`basis:
        referrals`, `1 .. 11 -> 30%`), and a deal's own place in that count picks its rate."""
        return bool(self.brackets) and self.brackets[0].counts


@node
class Support:
    """Who handles which support level (L1 partner, L2/L3 vendor)."""

    levels: tuple[tuple[str, str], ...]
    span: Span


@node
class WhiteLabel:
    """White-label terms: whose brand, who runs the backend."""

    branding: str
    backend: str
    upgrades: str
    span: Span


@node
class ChannelModel:
    """What a channel's `model:` word means: how the partner earns and what it controls.

    The one home of these facts: lowering accepts exactly the names in `CHANNEL_MODELS`, and
    the engine and the policies ask a `Channel`'s properties instead of listing model words.
    """

    name: str
    buys_wholesale: bool        # buys below list (list × (1 − margin or discount)) and resells
    resells_at_own_price: bool  # resells the vendor's product as such, at a price it sets
    owns_customer: bool         # bills the customer, so holds the relationship and the renewal
    refers_only: bool           # only introduces deals for a fee: never sells or delivers
    description: str


CHANNEL_MODELS: Mapping[str, ChannelModel] = MappingProxyType({cm.name: cm for cm in (
    ChannelModel("referral", buys_wholesale=False, resells_at_own_price=False,
                 owns_customer=False, refers_only=True,
                 description="introduces deals to the vendor, who sells and bills; paid a"
                             " commission"),
    ChannelModel("wholesale", buys_wholesale=True, resells_at_own_price=True,
                 owns_customer=True, refers_only=False,
                 description="a distributor or VAD: buys at the tier's wholesale price and"
                             " resells at its own price"),
    ChannelModel("resale", buys_wholesale=True, resells_at_own_price=True,
                 owns_customer=True, refers_only=False,
                 description="a reseller: buys below list and resells to its customers at its"
                             " own price"),
    ChannelModel("co_sell", buys_wholesale=False, resells_at_own_price=False,
                 owns_customer=False, refers_only=False,
                 description="sells alongside the vendor's team; the vendor bills, the partner"
                             " earns a commission"),
    # An OEM buys at a discount and bills its customers, but sells its own product with the
    # software inside: the vendor's list price and MSRP floor are not what its customer sees.
    ChannelModel("oem", buys_wholesale=True, resells_at_own_price=False,
                 owns_customer=True, refers_only=False,
                 description="embeds the software in its own product and brand; buys at a"
                             " negotiated discount off list"),
    ChannelModel("affiliate", buys_wholesale=False, resells_at_own_price=False,
                 owns_customer=False, refers_only=True,
                 description="sends leads (content, marketplaces) for a commission"),
    ChannelModel("technology", buys_wholesale=False, resells_at_own_price=False,
                 owns_customer=False, refers_only=False,
                 description="an integration partner whose product influences deals"),
)})


@node
class Channel:
    """A partner type: its model, ownership, protection, payouts, tiers and thresholds."""

    name: str
    model: str
    owner: str
    commission_base: str
    lead_protection: Duration | None
    lead_protection_extension: Duration | None
    eligibility: str
    barrier: str | None
    certification: tuple[str, ...]
    certification_renewal: Duration | None
    payment: str
    commission: Decimal | None
    commission_y2: Decimal | None
    commission_years: int | None
    discount: tuple[Decimal, Decimal] | None
    best_for: str
    effort: str
    tiers: tuple[Tier, ...]
    thresholds: Thresholds | None
    support: Support | None
    white_label: WhiteLabel | None
    doc: str
    internal: bool
    span: Span
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    # `renewal_fee: 5% when renewal_influenced`: paid from contract year 2 on, only on a deal
    # whose request states the condition (a conditional payout, not the partner's commission)
    renewal_fee: Decimal | None = None
    renewal_condition: str | None = None
    negotiable: tuple[Negotiable, ...] = ()   # terms a deal may set (their defaults above)

    def tier(self, name: str) -> Tier | None:
        """The tier called ``name``, if any."""
        return next((t for t in self.tiers if t.name == name), None)

    def negotiable_term(self, term: str, tier: Tier | None = None) -> Negotiable | None:
        """The negotiable block that sets ``term`` on a deal closed at ``tier``, if any: the
        tier's own, unless the tier fixes the term (its fixed value is what the engine pays);
        else the channel's. A channel's discount is never paid where the tier has a margin."""
        if tier is not None:
            own = next((n for n in tier.negotiable if n.term == term), None)
            if own is not None or getattr(tier, term, None) is not None:
                return own
            if term == "discount" and tier.margin is not None:
                return None
        return next((n for n in self.negotiable if n.term == term), None)

    def negotiable_terms(self, tier: Tier | None = None) -> tuple[Negotiable, ...]:
        """Every term a deal closed at ``tier`` may negotiate, in `NEGOTIABLE_TERMS` order."""
        terms = dict.fromkeys(NEGOTIABLE_TERMS["channel"] + NEGOTIABLE_TERMS["tier"])
        found = (self.negotiable_term(term, tier) for term in terms)
        return tuple(n for n in found if n is not None)

    @property
    def channel_model(self) -> ChannelModel | None:
        """The row of `CHANNEL_MODELS` for `model`; None when the model was not valid
        (CH-E108 already reported), and then every property below is False."""
        return CHANNEL_MODELS.get(self.model)

    @property
    def buys_wholesale(self) -> bool:
        """The partner buys below list and resells (wholesale, resale, oem): it earns a
        margin or discount, not a commission."""
        return self.channel_model is not None and self.channel_model.buys_wholesale

    @property
    def resells_at_own_price(self) -> bool:
        """The partner resells the vendor's product as such at a price it sets (wholesale,
        resale): its tiers carry margins, a software product needs an MSRP floor, and the
        software-flipper controls apply. An OEM buys wholesale but is not one."""
        return self.channel_model is not None and self.channel_model.resells_at_own_price

    @property
    def refers_only(self) -> bool:
        """The partner only introduces deals for a fee (referral, affiliate): it neither sells
        nor delivers services."""
        return self.channel_model is not None and self.channel_model.refers_only

    @property
    def partner_owns_customer(self) -> bool:
        """The partner owns the customer relationship and its renewal: by its model (it bills
        the customer: wholesale, resale, oem) or by the program's word (`owner: partner`)."""
        model = self.channel_model
        return (model is not None and model.owns_customer) or self.owner == "partner"


@node
class Split:
    """A declared split between parties (direct team or channels): of the partner of record's
    payout (``settles`` "cash"), or of the deal's credit only (``settles`` "credit": reporting
    and tier qualification; the payout is not divided)."""

    name: str
    shares: tuple[tuple[str, Decimal, Span], ...]
    when: str
    span: Span
    settles: str = "cash"


@node
class Attribution:
    """Who gets credit: default rule, conflicts, unregistered and influenced deals, splits."""

    default: str
    conflict: str
    unregistered_rate: Decimal | None
    influenced_rate: Decimal | None
    no_double_dipping: bool
    splits: tuple[Split, ...]
    span: Span
    influenced_of_sourced: bool = False  # `50% of sourced`: a share of the influencer's own rate
    sourced_credit: Decimal | None = None     # credit (not cash) to the partner of record
    influenced_credit: Decimal | None = None  # credit (not cash) to each influencer

    def influence_rate(self, channel: "Channel") -> Decimal | None:
        """What an influencer from ``channel`` earns on the deal's year-1 basis: the stated
        rate, or that share of the channel's own sourced (year-1) commission; None when the
        program pays no influence or the channel has no single sourced rate."""
        if self.influenced_rate is None:
            return None
        if not self.influenced_of_sourced:
            return self.influenced_rate
        return None if channel.commission is None else self.influenced_rate * channel.commission


@node
class Handover:
    """Introducer → closer rule: converted rate, allowed tiers, combined cap."""

    source: str
    target: str
    introducer_rate: Decimal
    introducer_payment: str
    allowed_tiers: tuple[str, ...]
    combined_cap: Decimal | None
    cap_year: int | None
    doc: str
    span: Span
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@node
class Economics:
    """INTERNAL vendor economics: COGS, the margin-death line, walk rules."""

    cogs: Decimal
    margin_floor: Decimal
    mdf_counts_against_margin: bool
    gm_target: Decimal | None
    walk: tuple[str, ...]
    doc: str
    span: Span


@node
class Mitigation:
    """A control against a program risk, with its enforcement and trigger."""

    name: str
    title: str
    applies_to: tuple[str, ...]
    enforcement: str
    cadence: str | None
    gates: str | None
    trigger: Condition | None
    sustained: Duration | None
    action: tuple[str, ...]
    contact: str
    doc: str
    span: Span
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@node
class Registration:
    """Deal registration rules."""

    window: Duration | None
    extension: Duration | None
    extension_condition: str
    approval_sla: Duration | None
    auto_approve: bool
    conflict: str
    unregistered_rate: Decimal | None
    no_double_dipping: bool
    span: Span
    on_lapse: str | None = None          # when `approval_sla` lapses: auto_approve / auto_reject
    excludes: tuple[str, ...] = ()       # leads that cannot be registered: `inbound_leads`, ...
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    registered_bonus: Decimal | None = None  # a registered deal earns the base rate + this


@node
class ClawbackRule:
    """Cancel within [low, high) → claw back ``share`` (or pro-rated)."""

    low: Duration | None
    high: Duration | None
    share: Decimal | str
    span: Span


@node
class Clawback:
    """Clawback provisions for an event (cancellation, downgrade, fraud)."""

    name: str
    event: str
    rules: tuple[ClawbackRule, ...]
    doc: str
    span: Span
    action: tuple[str, ...] = ()   # what follows besides the money: `termination`


@node
class Spiff:
    """A time-boxed incentive. With a window (`from`, and `until` or `duration`) a quote
    request may claim it (`"spiffs": ["q3_launch"]`): a deal of one of its `products`, closed
    by one of its `channels`, of at least its `minimum`, inside the window, earns its reward."""

    name: str
    trigger: str
    reward: object
    duration: Duration | None
    doc: str
    span: Span
    products: tuple[str, ...] = ()     # () : any product
    channels: tuple[str, ...] = ()     # () : any channel (the partner of record's)
    minimum: MoneyValue | None = None  # the deal's year-1 software value, at least
    starts: _dt.date | None = None     # the first day of the window (`from`)
    ends: _dt.date | None = None       # its last day: `until`, or `from` + `duration` − 1 day
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def claimable(self) -> bool:
        """Whether a quote can pay it: a window and one amount or percentage as reward."""
        return self.starts is not None and isinstance(self.reward, (Decimal, MoneyValue))


@node
class Dimension:
    """A weighted scoring dimension."""

    name: str
    weight: Decimal
    measure: str
    span: Span


@node
class Band:
    """A score band [low, high) with its meaning."""

    name: str
    low: Decimal
    high: Decimal
    span: Span


@node
class Scoring:
    """A partner scoring model: weighted dimensions and bands."""

    name: str
    cadence: str | None
    dimensions: tuple[Dimension, ...]
    bands: tuple[Band, ...]
    doc: str
    span: Span
    scale: Decimal = Decimal(100)   # the points a full score is worth (the weights' total)


@node
class Step:
    """A step of a process, with its deadline or timing."""

    name: str
    title: str
    within: Duration | None
    when: str
    limit: int | None
    owner: str
    final: bool
    doc: str
    span: Span


@node
class Process:
    """An ordered procedure: co-sell SOP, dispute resolution, onboarding ramp."""

    name: str
    title: str
    steps: tuple[Step, ...]
    doc: str
    span: Span
    internal: bool = False   # `internal process`: the vendor's own playbook, never shown
    cadence: str | None = None            # `cadence: quarterly`: how often it runs
    tiers: tuple["TierScope", ...] = ()   # `tiers: Silver and up`: whom it runs with (): all
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@node
class TierScope:
    """One entry of a tier scope (`tiers: Silver and up`, `tiers: Gold, Platinum`): a tier
    named in any channel, and with ``and_up`` every tier ranked above it in that channel too
    (`Program.scoped_tiers` resolves it)."""

    tier: str
    and_up: bool
    span: Span


@node
class ConflictCase:
    """A row of the channel-conflict table: a scenario, its resolution and deadline."""

    name: str
    scenario: str
    resolution: str
    within: Duration | str | None   # a duration, or `immediately` / `same_day`
    owner: str
    action: tuple[str, ...]         # the escalation in order: warning -> probation -> termination
    doc: str
    span: Span
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@node
class CoMarketingActivity:
    """A joint marketing activity: who pays which share of its cost, and with whom it runs."""

    name: str
    title: str
    vendor_share: Decimal | None     # both or neither: they add up to 100%
    partner_share: Decimal | None
    mdf_funded: bool                 # paid from the partner's MDF
    partner_effort: str | None
    cadence: str | None
    tiers: tuple[TierScope, ...]
    doc: str
    span: Span
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@node
class UnitEconomics:
    """INTERNAL: what one partner costs the vendor and when it pays back. Each amount is a
    range (`low == high` when one amount is written); never partner-facing."""

    recruitment_cost: tuple[MoneyValue, MoneyValue] | None
    enablement_cost: tuple[MoneyValue, MoneyValue] | None   # in the partner's first year
    management_cost: tuple[MoneyValue, MoneyValue] | None   # per `management_period`
    management_period: str | None
    break_even: tuple[Duration, Duration] | None
    break_even_deals: tuple[int, int] | None
    doc: str
    span: Span
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@node
class EnablementItem:
    """Something the vendor provides to make partners capable."""

    name: str
    title: str
    cadence: str | None
    doc: str
    span: Span


@node
class GateCondition:
    """One condition of the ship gate, with the policies (or constructs) that verify it."""

    name: str
    title: str
    see: str
    doc: str
    span: Span
    requires: tuple[tuple[str, Span], ...] = ()


@node
class PolicySetting:
    """`policy NAME { severity: ...; PARAM: VALUE }`: a program's severity for one policy and
    the parameters it sets (checked against the policy's declared `Param`s when lowered)."""

    policy: str
    severity: str
    span: Span
    severity_span: Span
    name_span: Span | None = None
    params: tuple[tuple[str, object], ...] = ()    # (name, typed value), as written
    param_spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@node
class Waiver:
    """An accepted finding of a policy, with a reason, an owner and an optional expiry."""

    name: str
    policy: str
    subject: str | None
    reason: str
    owner: str
    expires: _dt.date | None
    span: Span
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@node
class RouteStep:
    """One channel (and tier) on a deal's route, introducer first; `OEM at 45%` sets ``rate``."""

    channel: str
    tier: str | None
    span: Span
    rate: Decimal | None = None  # the deal's rate, for a channel whose discount is a range
    rate_span: Span | None = None


@node
class Deal:
    """The deal of a worked example: a quote request in the language's words (each request
    field's example form is listed in `charter.economics.fields`)."""

    product: str
    product_span: Span
    seats: int
    years: int
    route: tuple[RouteStep, ...]
    services_one_time: MoneyValue | None
    services_per_year: MoneyValue | None
    cumulative: tuple[tuple[str, MoneyValue | Decimal, Span], ...]  # an amount, or deals
    close_date: _dt.date | None
    cumulative_as_of: _dt.date | None = None
    unit_price: MoneyValue | None = None
    price_approved: bool = False
    certified: bool = True
    registered: bool = True
    split: str | None = None
    span: Span | None = None
    start: _dt.date | None = None  # contract start (default: the close date)
    influenced: tuple[tuple[str, Span], ...] = ()  # channels that influenced the deal
    partners: tuple[tuple[str, str, Span], ...] = ()  # (channel, partner id, span)
    cumulative_dates: tuple[tuple[str, _dt.date], ...] = ()  # per-channel `as of` dates
    # `terms: Referral commission 15%`: (channel, term, negotiated value, span)
    terms: tuple[tuple[str, str, TermValue, Span], ...] = ()
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    renewal_influenced: bool = False   # the partner influenced the renewal (`renewal_fee`)
    spiffs: tuple[tuple[str, Span], ...] = ()  # the SPIFFs the deal claims


@node
class Expectation:
    """A number the example must produce: ``metric`` (for ``party``) in ``year``."""

    metric: str
    party: str | None
    year: int | None
    value: object
    approx: bool
    text: str
    span: Span
    quantum: Decimal | None = None
    total: bool = False      # `expect total`: the sum over every contract year


@node
class Example:
    """A worked example: a deal and the numbers it must produce."""

    name: str
    deal: Deal
    expectations: tuple[Expectation, ...]
    doc: str
    span: Span
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


# When a payment term's days start to count (`PaymentTerm.rule`): the contract year's invoice
# (its first day: `net 30 days`), the end of the calendar period the year starts in
# (`quarterly net 15 days`), or an event a quote cannot date (`15 days after claim_approval`).
PAYMENT_PERIODS: Mapping[str, str] = MappingProxyType({
    "monthly": "month", "quarterly": "quarter", "semiannual": "half_year", "annual": "year"})
PAYMENT_EVENTS = ("claim_approval", "customer_payment", "partner_invoice")


@node
class PaymentTerm:
    """When one payout kind falls due: ``days`` after the year's invoice (rule `net`), after
    the end of the calendar ``period`` the year starts in (`period_end`), or after ``event``
    (`after_event`, no date a quote could know)."""

    kind: str               # a payout kind (`charter.economics.kinds.PayoutKind`)
    rule: str               # net | period_end | after_event
    days: int
    period: str | None      # a value of PAYMENT_PERIODS (rule period_end)
    event: str | None       # one of PAYMENT_EVENTS (rule after_event)
    text: str               # as written: `net 30 days`
    span: Span


@node
class PaymentTerms:
    """`payment_terms { commission: net 30 days; mdf: 15 days after claim_approval }`: when
    each kind of payout falls due, once for the whole program."""

    terms: tuple[PaymentTerm, ...]
    doc: str
    span: Span
    header: Span | None = None   # the `payment_terms` word: where a missing term is reported
    written: tuple[str, ...] = ()   # every kind written, a term that could not be read too

    def term(self, kind: str) -> PaymentTerm | None:
        """The term stated for payout ``kind``, if any."""
        return next((t for t in self.terms if t.kind == kind), None)


@node
class Program:
    """A whole resolved program."""

    header: Header
    products: tuple[Product, ...]
    channels: tuple[Channel, ...]
    attribution: Attribution | None
    handovers: tuple[Handover, ...]
    economics: Economics | None
    mitigations: tuple[Mitigation, ...]
    registration: Registration | None
    clawbacks: tuple[Clawback, ...]
    spiffs: tuple[Spiff, ...]
    scorings: tuple[Scoring, ...]
    processes: tuple[Process, ...]
    enablement: tuple[EnablementItem, ...]
    ship_gate: tuple[GateCondition, ...]
    examples: tuple[Example, ...]
    files: tuple[str, ...]
    policy_settings: tuple[PolicySetting, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    conflicts: tuple[ConflictCase, ...] = ()
    co_marketing: tuple[CoMarketingActivity, ...] = ()
    unit_economics: UnitEconomics | None = None
    payment_terms: PaymentTerms | None = None

    def channel(self, name: str) -> Channel | None:
        """The channel called ``name``, if any (the first, if defined twice)."""
        return self._index[0].get(name)

    def product(self, name: str) -> Product | None:
        """The product called ``name``, if any (the first, if defined twice)."""
        return self._index[1].get(name)

    def handover(self, source: str, target: str) -> Handover | None:
        """The handover declared from channel ``source`` to channel ``target``, if any."""
        return self._index[2].get((source, target))

    def scoped_tiers(self, scope: tuple[TierScope, ...]) -> tuple[tuple[Channel, Tier], ...]:
        """The (channel, tier) pairs a tier scope covers, in program and rank order: each
        named tier in every channel that has one, and with `and_up` the tiers ranked above it
        there. An empty scope covers no tier in particular (everyone); a name no channel has
        covers nothing (CH-E109 says so)."""
        pairs = []
        for channel in self.channels:
            named = [(entry, channel.tier(entry.tier)) for entry in scope]
            pairs += [(channel, tier) for tier in sorted(channel.tiers, key=lambda t: t.rank)
                      if any(n is not None and (tier is n or (e.and_up and tier.rank > n.rank))
                             for e, n in named)]
        return tuple(pairs)

    @cached_property
    def _index(self) -> tuple[dict, dict, dict]:
        """Lookups by name, built once (a frozen program never changes). Lookups scanned
        the tuples before, which made a program with thousands of channels quadratic."""
        def first(pairs):
            index: dict = {}
            for key, value in pairs:
                index.setdefault(key, value)
            return index
        return (first((c.name, c) for c in self.channels),
                first((p.name, p) for p in self.products),
                first(((h.source, h.target), h) for h in self.handovers))
