"""Lowering: the merged syntax tree of a program → the typed model.

One ``parse_<construct>`` per construct (the vocabulary is documented in docs/language.md).
Each reads its block through a `View`, so unknown or misspelt attributes, wrong types and
missing values are reported with spans and help; lowering never stops at the first problem.
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Callable

from charter import model as m
from charter import syntax as s
from charter.nodes import node
from charter.view import Ctx, View, block_name, check_choice, suggest
from charter.literals import MONEY_RE, CURRENCIES, SCALES, localise, parse_number
from charter.source import Span
from charter.values import Duration, Rate, Reader, as_name

if TYPE_CHECKING:  # the registry is imported where a `policy` block is read (parse_policy)
    from charter.policies.base import Param, Policy

OWNERS = ("vendor", "partner", "shared")
PARTIES = ("vendor", "partner")
CADENCES = ("weekly", "biweekly", "monthly", "quarterly", "semiannual", "annual")
SEMANTICS = ("forward", "marginal", "retroactive")
RESETS = ("calendar_year", "fiscal_year", "quarter", "month", "contract_year", "never")
ENFORCEMENTS = ("gate", "periodic_review", "contractual_sla", "escalation_path")
STATUSES = ("draft", "locked")
ROUNDINGS = ("half_up", "half_even", "down", "up")
MINOR_UNITS = {"IDR": 0, "JPY": 0}  # what is actually paid; everything else in cents
# The block kinds that only appear inside another block (each read by its parent's parse_*).
NESTED_KINDS = ("tier", "thresholds", "support", "white_label", "service", "split", "step",
                "item", "condition", "dimension", "band", "expect", "case", "activity",
                "negotiable")
EXPECT_METRICS = ("software_list", "customer_pays", "services", "wholesale_price",
                  "unit_price", "wholesale_unit_price",
                  "vendor_receives", "partner_margin", "commission", "influence", "mdf",
                  "partner_gross", "renewal_fee", "spiff", "credit",
                  "partner_share", "combined_rate", "vendor_cogs", "vendor_net_margin",
                  "decision")


def parse_header(block: s.Block, ctx: Ctx) -> m.Header:
    """`program id { title, version, effective, currency, locales, status, rounding }`."""
    v = View(block, ctx, ("title", "version", "effective", "currency", "locales", "status",
                          "rounding", "minor_units", "abstract"))
    abstract = v.flag("abstract")
    need = None if abstract else "IDR"
    rounding = v.choice("rounding", ROUNDINGS, default="half_up") or "half_up"
    currency = v.one("currency", Reader.name, need) or ""
    if currency and check_choice(ctx, v.attr("currency").values[0], currency,  # type: ignore[union-attr]
                                 sorted(set(CURRENCIES.values())), "currency") is None:
        currency = ""
    minor = v.one("minor_units", Reader.integer)
    return m.Header(
        id=block_name(block, ctx), title=v.text("title", '"Program title"'),
        version=v.text("version"), effective=v.one("effective", Reader.date),
        currency=currency, locales=v.many("locales", Reader.name),
        status=v.choice("status", STATUSES, None if abstract else "draft", "draft") or "draft",
        rounding=rounding, minor_units=MINOR_UNITS.get(currency, 2) if minor is None else minor,
        abstract=abstract, doc=v.doc, span=block.span)


def parse_product(block: s.Block, ctx: Ctx) -> m.Product:
    """`product Growth { layer, list_price, msrp_floor, delivered_by, priced_by, ... }`."""
    v = View(block, ctx, ("layer", "list_price", "msrp_floor", "delivered_by", "priced_by",
                          "includes", "typical_price", "subcontract_price"))
    layer = v.choice("layer", ("software", "services"), "software") or "software"
    floor_attr = v.attr("msrp_floor")
    floor = None
    if floor_attr is not None:
        first = floor_attr.values[0]
        floor = "list_price" if isinstance(first, s.Name) and first.value == "list_price" \
            else ctx.reader.rate(first)
    return m.Product(
        name=block_name(block, ctx), layer=layer,
        list_price=v.one("list_price", Reader.rate, "Rp 200K per user per month"
                         if layer == "software" else None),
        msrp_floor=floor, delivered_by=v.choice("delivered_by", PARTIES, default="vendor") or "vendor",
        priced_by=v.choice("priced_by", PARTIES, default="vendor") or "vendor",
        includes=v.many("includes", Reader.string), typical_price=v.text("typical_price"),
        subcontract_price=v.one("subcontract_price", _rate_range), doc=v.doc, span=block.span,
        spans=_spans(v))


def _rate_range(reader: Reader, value: s.Value):
    if not isinstance(value, s.Range) or value.low is None or value.high is None:
        reader.wrong(value, "a range of amounts", "Rp 25 juta per modul .. Rp 30 juta per modul")
        return None
    low, high = reader.rate(value.low), reader.rate(value.high)
    return (low, high) if low and high else None


def _percent_range(reader: Reader, value: s.Value):
    if not isinstance(value, s.Range) or value.low is None or value.high is None:
        reader.wrong(value, "a range of percentages with both ends", "40% .. 60%")
        return None
    low, high = reader.share(value.low), reader.share(value.high)
    return (low, high) if low is not None and high is not None else None


def _money_band(reader: Reader, value: s.Value):
    if not isinstance(value, s.Range):
        reader.wrong(value, "a range of amounts", "$50K .. $200K")
        return None
    low = reader.money(value.low) if value.low is not None else None
    high = reader.money(value.high) if value.high is not None else None
    return (low, high)


def parse_channel(block: s.Block, ctx: Ctx) -> m.Channel:
    """`channel VAD { model, owner, commission_base, lead_protection, ..., tier X {...} }`."""
    v = View(block, ctx, CHANNEL_ATTRS, ("tier", "thresholds", "support", "white_label",
                                         "negotiable"))
    model_ = v.choice("model", m.CHANNEL_MODELS, "wholesale") or ""   # the table's names
    terms = _negotiables(v, ctx, "channel")
    thresholds = v.child("thresholds")
    support, white = v.child("support"), v.child("white_label")
    tiers = tuple(parse_tier(b, ctx, i + 1) for i, b in enumerate(v.children("tier")))
    return m.Channel(
        name=block_name(block, ctx), model=model_, owner=v.choice("owner", OWNERS, "partner") or "",
        commission_base=v.choice("commission_base", ("software", "software_and_services"),
                                 default="software") or "software",
        lead_protection=_term(v, terms, "lead_protection", Reader.duration),
        lead_protection_extension=_term(v, terms, "lead_protection_extension", Reader.duration),
        eligibility=v.text("eligibility"),
        barrier=v.choice("barrier", ("low", "medium", "high")),
        certification=v.many("certification", Reader.name),
        certification_renewal=v.one("certification_renewal", Reader.duration),
        payment=v.choice("payment", ("one_time", "recurring"), default="recurring") or "recurring",
        commission=_term(v, terms, "commission", Reader.share),
        commission_y2=_term(v, terms, "commission_y2", Reader.share),
        commission_years=v.one("commission_years", Reader.contract_year),
        discount=_discount(v, terms), best_for=v.text("best_for"),
        effort=v.text("effort"), tiers=tiers,
        thresholds=parse_thresholds(thresholds, ctx) if thresholds else None,
        support=parse_support(support, ctx) if support else None,
        white_label=parse_white_label(white, ctx) if white else None,
        doc=v.doc, internal=block.internal, span=block.span, spans=_term_spans(v),
        negotiable=terms, **_renewal_fee(v))


# The conditions a payout may be paid on, each a yes/no field of the quote request (and of
# an example's deal) that states whether the deal meets it.
CONDITIONS = ("renewal_influenced",)


def _renewal_fee(v: View) -> dict:
    """`renewal_fee: 5% when renewal_influenced`: a fee from contract year 2 on, paid only
    when the deal meets the condition. The condition is required: an unconditional year-2+
    rate is the channel's own `commission_y2` (and judged by no_step_down as one)."""
    attr = v.attr("renewal_fee")
    if attr is None:
        return {}
    value = attr.values[0]
    atoms = value.atoms if isinstance(value, s.Phrase) else ()
    if len(atoms) != 3 or not isinstance(atoms[1], s.Name) or atoms[1].value != "when" \
            or not isinstance(atoms[2], s.Name):
        v.reporter.error("CH-E106", "a renewal fee is a rate and the condition it is paid on",
                         value.span, label="expected `RATE when CONDITION`",
                         help=("write `renewal_fee: 5% when renewal_influenced`; a year-2 rate"
                               " paid on every renewal is `commission_y2`",))
        return {}
    rate = v.reader.share(atoms[0])
    condition = check_choice(v.ctx, atoms[2], atoms[2].value, CONDITIONS, "payout condition")
    if rate is None or condition is None:
        return {}
    return {"renewal_fee": rate, "renewal_condition": condition}


CHANNEL_ATTRS = ("model", "owner", "commission_base", "lead_protection",
                 "lead_protection_extension", "eligibility", "barrier", "certification",
                 "certification_renewal", "payment", "commission", "commission_y2",
                 "commission_years", "discount", "best_for", "effort", "renewal_fee")
TIER_ATTRS = ("rank", "label", "quota", "qualify", "revenue_band", "margin", "margin_y2",
              "commission", "commission_y2", "mdf", "mdf_claim", "tier_up", "review", "grace",
              "downgrade_to", "options", "benefits", "certified_people", "mdf_cap",
              "mdf_claim_deadline", "mdf_approval")


def _spans(v: View) -> dict:
    """Each attribute's span by name, the block's header line as `header` and its doc string's
    as `doc` (where partner text is written: `charter.confidential`)."""
    doc = {"doc": v.block.doc.span} if v.block.doc is not None else {}
    return {"header": v.header_span, **doc, **{key: attrs[0].span for key, attrs in v.attrs.items()}}


# ---- negotiable terms (`negotiable commission { range: 10% .. 20%; default: 10% }`) ---------

def _negotiables(v: View, ctx: Ctx, holder: str) -> tuple[m.Negotiable, ...]:
    """A channel's or tier's `negotiable TERM { range; default }` blocks: each term once
    (CH-E105) and never also written as a fixed attribute (CH-E123)."""
    blocks = v.children("negotiable")
    found = tuple(n for n in (parse_negotiable(b, ctx, holder) for b in blocks) if n)
    _unique(ctx, "negotiable", blocks, [b.name or "" for b in blocks])
    for block in blocks:
        if block.name in m.NEGOTIABLE_TERMS[holder] and v.has(block.name):
            _fixed_and_negotiable(v, block)
    return found


def _fixed_and_negotiable(v: View, block: s.Block) -> None:
    """CH-E123: one term, fixed and negotiable. Neither may win silently: a fixed rate read as
    the default (or the reverse) pays a deal what nobody agreed to."""
    from charter.diagnostics import Label

    fixed = v.attr(block.name)
    written = " ".join(s.render_value(x) for x in fixed.values)
    holder = f"{v.block.kind} `{v.block.name}`" if v.block.name else v.block.kind
    v.reporter.error("CH-E123", f"`{block.name}` on {holder} is both fixed and negotiable",
                     fixed.key_span, label="fixed here",
                     labels=(Label(_header_span(block), "negotiable here"),),
                     help=(f"remove `{block.name}: {written}`: the negotiable block's `default`"
                           " is what a deal gets unless it agrees another value",))


def _header_span(block: s.Block) -> Span:
    """A block's kind and header words: `negotiable commission`."""
    return block.kind_span.to(block.header[-1].span) if block.header else block.kind_span


def _term(v: View, terms: tuple[m.Negotiable, ...], key: str, read: Callable):
    """A term's value: the fixed attribute, else its negotiable block's default (what a deal
    that negotiates nothing gets; `Negotiable` says why the field holds it)."""
    if v.has(key):
        return v.one(key, read)
    return next((n.default for n in terms if n.term == key), None)


def _discount(v: View, terms: tuple[m.Negotiable, ...]):
    """`discount: 40% .. 60%` as written, or a negotiable discount's default as a fixed
    discount (a range whose ends are equal: no deal states a `rate` for it)."""
    default = _term(v, terms, "discount", _percent_range)
    return (default, default) if isinstance(default, Decimal) else default


def _term_spans(v: View) -> dict:
    """`_spans`, plus each negotiable term at its block's header when no fixed attribute is
    written: where the term is set, for the checks that point at a rate."""
    spans = _spans(v)
    for block in v.children("negotiable"):
        if block.name in m.NEGOTIABLE_TERMS[v.block.kind] and block.name not in spans:
            spans[block.name] = _header_span(block)
    return spans


def parse_negotiable(block: s.Block, ctx: Ctx, holder: str) -> m.Negotiable | None:
    """`negotiable commission { range: 10% .. 20%; default: 10% }` in a ``holder`` (channel or
    tier): a term each deal may set within the range (whose high end may be open, `25% ..`);
    the default applies when a deal sets nothing. Both are required."""
    v = View(block, ctx, ("range", "default"))
    term = _negotiable_term(block, ctx, holder)
    durations = term in m.DURATION_TERMS
    rng = v.one("range", lambda _r, x: x, "30 days .. 60 days" if durations else "10% .. 20%")
    written = v.one("default", lambda _r, x: x, "30 days" if durations else "10%")
    if term is None or rng is None or written is None:
        return None
    ends, default = _negotiable_range(ctx, term, rng), _term_value(ctx, term, written)
    if ends is None or default is None:
        return None
    term_ = m.Negotiable(term, ends[0], ends[1], default, v.doc, block.span,
                         spans={"header": v.header_span, "range": rng.span,
                                "default": s.span_of(written)})
    if not term_.admits(default):
        _default_outside(ctx, term_)
    return term_


def _negotiable_term(block: s.Block, ctx: Ctx, holder: str) -> str | None:
    """The term a `negotiable` block names, if ``holder`` may negotiate it (CH-E108 if not,
    saying where a term of the other holder is written)."""
    name = block_name(block, ctx)
    allowed = m.NEGOTIABLE_TERMS[holder]
    if not name or name in allowed:
        return name or None
    other = "tier" if holder == "channel" else "channel"
    if name not in m.NEGOTIABLE_TERMS[other]:
        check_choice(ctx, block.header[0], name, allowed, f"negotiable term of a {holder}")
        return None
    inside = "inside a tier: `tier Gold { negotiable margin { ... } }`" if other == "tier" \
        else "in the channel: `channel VAD { negotiable lead_protection { ... } }`"
    ctx.reporter.error("CH-E108", f"`{name}` is not negotiable on a {holder}",
                       block.header[0].span, label=f"a term of a {other}",
                       help=(f"a {other} negotiates `{name}`: write the block {inside}",))
    return None


def _negotiable_range(ctx: Ctx, term: str, value: s.Value):
    """(low, high) of `range: 10% .. 20%` (high None for `25% ..`; `30 .. 60 days` writes the
    unit once); CH-E121 when it runs backwards."""
    if not isinstance(value, s.Range) or value.low is None:
        ctx.reader.wrong(value, "a range with its low end (the high end may be open)",
                         "30 days .. 60 days" if term in m.DURATION_TERMS else "10% .. 20%")
        return None
    if _wrong_unit(ctx, term, value, (value.low, value.high)):
        return None  # one mistake: reported once, at the whole range
    high = _term_value(ctx, term, value.high) if value.high is not None else None
    if isinstance(value.low, s.Number) and isinstance(high, Duration):
        low = Duration(value.low.value, high.unit, high.business)   # `30 .. 60 days`
    else:
        low = _term_value(ctx, term, value.low)
    if low is None or (value.high is not None and high is None):
        return None
    if high is not None and m.term_measure(low) > m.term_measure(high):
        ctx.reporter.error("CH-E121", f"the negotiable range of `{term}` runs backwards:"
                           f" {m.show_term(low)} is above {m.show_term(high)}", value.span,
                           label="low end above high end",
                           help=(f"write the low end first: `range: {m.show_term(high)} .."
                                 f" {m.show_term(low)}`",))
        return None
    return low, high


def _term_value(ctx: Ctx, term: str, value: s.Value) -> m.TermValue | None:
    """A value of ``term``: a share (0–100%) or a duration; CH-E122 for an amount or a
    duration where a percentage belongs (or the reverse)."""
    if _wrong_unit(ctx, term, value, (value,)):
        return None
    return ctx.reader.duration(value) if term in m.DURATION_TERMS else ctx.reader.share(value)


def _wrong_unit(ctx: Ctx, term: str, value: s.Value, parts: tuple) -> bool:
    """CH-E122 at ``value`` when any of its ``parts`` is a quantity of another unit than
    ``term`` (an amount or a duration for a percentage term, or the reverse)."""
    wanted = "a duration" if term in m.DURATION_TERMS else "a percentage"
    found = next((f for f in map(_unit_written, filter(None, parts)) if f not in (None, wanted)),
                 None)
    if found is None:
        return False
    example = "30 days .. 60 days" if term in m.DURATION_TERMS else "10% .. 20%"
    what = "is" if len(parts) == 1 else "holds"
    ctx.reporter.error("CH-E122", f"`{term}` is {wanted}, but `{s.render_value(value)}`"
                       f" {what} {found}", s.span_of(value), label=f"not {wanted}",
                       help=(f"write `{term}`'s range and default as {wanted[2:]}s, e.g."
                             f" `range: {example}`",))
    return True


def _unit_written(value: s.Value) -> str | None:
    """What kind of quantity a literal is, when it is one: a percentage, an amount (money or
    a rate) or a duration (a number and a word); None for anything else (a name, a number)."""
    inner = value.inner if isinstance(value, s.Approx) else value
    first = inner.atoms[0] if isinstance(inner, s.Phrase) else inner
    if isinstance(inner, s.Percent):
        return "a percentage"
    if isinstance(first, s.Money):
        return "an amount"
    if isinstance(inner, s.Phrase) and isinstance(first, s.Number):
        return "a duration"
    return None


def _default_outside(ctx: Ctx, term: m.Negotiable) -> None:
    """CH-E120: a deal that negotiates nothing would get a value no deal may agree to."""
    from charter.diagnostics import Label

    ctx.reporter.error(
        "CH-E120", f"the default {m.show_term(term.default)} of negotiable `{term.term}` is"
        f" outside its range {term.range_text}", term.spans["default"],
        label=f"outside {term.range_text}", labels=(Label(term.spans["range"], "the range"),),
        help=(f"set `default` within the range, e.g. `default: {m.show_term(term.low)}` (its"
              " low end), or widen `range`",))


def parse_tier(block: s.Block, ctx: Ctx, position: int) -> m.Tier:
    """`tier Elite { quota, margin, margin_y2, mdf, tier_up, service {...}, ... }`."""
    v = View(block, ctx, TIER_ATTRS, ("service", "negotiable"))
    service = v.child("service")
    terms = _negotiables(v, ctx, "tier")
    mdf = v.one("mdf", Reader.share_money_or_rate)   # `2%`, `$10K` or `$5_000 per year`
    return m.Tier(
        name=block_name(block, ctx), rank=v.one("rank", Reader.integer, default=position) or position,
        label=v.text("label"), quota=_quota(v), qualify=_qualify(v),
        revenue_band=v.one("revenue_band", _money_band),
        margin=_term(v, terms, "margin", Reader.share),
        margin_y2=_term(v, terms, "margin_y2", Reader.share),
        commission=_term(v, terms, "commission", Reader.share),
        commission_y2=_term(v, terms, "commission_y2", Reader.share),
        mdf=mdf.money if isinstance(mdf, Rate) else mdf, mdf_claim=v.text("mdf_claim"),
        tier_up=v.one("tier_up", _tier_up), review=v.choice("review", CADENCES),
        grace=v.one("grace", Reader.duration), downgrade_to=v.one("downgrade_to", Reader.name),
        options=v.many("options", Reader.name), benefits=v.many("benefits", Reader.string),
        certified_people=v.one("certified_people", Reader.integer),
        service=parse_service(service, ctx) if service else None, doc=v.doc, span=block.span,
        spans=_term_spans(v), mdf_period=mdf.period if isinstance(mdf, Rate) else None,
        negotiable=terms, **_mdf_terms(v, mdf.money if isinstance(mdf, Rate) else mdf,
                                       mdf.period if isinstance(mdf, Rate) else None))


def _mdf_terms(v: View, mdf, period: str | None) -> dict:
    """A fixed fund's cap, claim deadline and approval path (`mdf_cap`, `mdf_claim_deadline`,
    `mdf_approval`), checked against the tier's `mdf`: terms of a fund the tier does not
    have would be silently ignored (CH-E131), and a cap below one period of the fund would
    never let it be paid in full (CH-E130)."""
    cap = v.one("mdf_cap", _amount_per_period)
    terms = {"mdf_cap": cap[0] if cap else None, "mdf_cap_period": cap[1] if cap else None,
             "mdf_claim_deadline": v.one("mdf_claim_deadline", Reader.duration),
             "mdf_approval": v.text("mdf_approval")}
    written = [key for key in ("mdf_cap", "mdf_claim_deadline", "mdf_approval") if v.has(key)]
    if v.has("mdf") and mdf is None:
        return terms  # the `mdf` itself could not be read (reported): judge nothing against it
    funded = mdf is not None and (mdf.amount if isinstance(mdf, m.MoneyValue) else mdf) > 0
    for key in written if not funded else ():
        _mdf_term_without_fund(v, key, "funds no MDF")
    if funded and not isinstance(mdf, m.MoneyValue) and "mdf_cap" in written:
        _mdf_term_without_fund(v, "mdf_cap", f"funds MDF as a share of revenue"
                               f" (`{s.render_value(v.attr('mdf').values[0])}`), not a fund")
    elif funded and cap is not None:
        _cap_below_one_period(v, mdf, period, cap)
    return terms


def _amount_per_period(reader: Reader, value: s.Value):
    """`$15K per year` or `$15K` (a year): (amount, period or None)."""
    if isinstance(value, s.Money):
        money = reader.money(value)
        return (money, None) if money is not None else None
    if not isinstance(value, s.Phrase):
        reader.wrong(value, "an amount per period", "Rp 150 juta per year")
        return None
    rate = reader.rate(value)
    if rate is not None and rate.unit is not None:
        reader.wrong(value, "an amount per period", "Rp 150 juta per year")
        return None
    return (rate.money, rate.period) if rate is not None else None


def _mdf_term_without_fund(v: View, key: str, why: str) -> None:
    """CH-E131 at ``key``: a fund's term on a tier without the fund it would apply to."""
    name = block_name(v.block, v.ctx, required=False) or "tier"
    cap = key == "mdf_cap"
    fund = localise("`mdf: Rp 50 juta per quarter`", v.reader.currency)
    v.reporter.error("CH-E131", f"`{key}` has no effect: tier `{name}` {why}",
                     v.attr(key).key_span,
                     label="no fixed fund to cap" if cap else "no MDF to claim",
                     help=(f"give the tier a fixed fund, e.g. {fund}, or remove `{key}`",) + (
                         ("a share of revenue is held to a budget by `policy mdf_cap { max:"
                          " 5% }`",) if cap and "share" in why else ()))


def _cap_below_one_period(v: View, mdf: m.MoneyValue, period: str | None, cap: tuple) -> None:
    """CH-E130 when the cap allows less in a year than one period of the fund."""
    from charter.diagnostics import Label
    from charter.units import periods_per_year

    amount, cap_period = cap
    if amount.currency != mdf.currency:
        return  # CH-E107 reports the amount in another currency; the two do not compare
    if amount.amount * periods_per_year(cap_period) >= mdf.amount:
        return
    fund, limit = v.attr("mdf").values[0], v.attr("mdf_cap").values[0]
    one = f"one {period}'s" if period else "one year's"
    least = s.render_value(fund.atoms[0] if isinstance(fund, s.Phrase) else fund)
    v.reporter.error("CH-E130", f"`mdf_cap: {s.render_value(limit)}` is below {one} fund"
                     f" (`mdf: {s.render_value(fund)}`): the fund could never be paid in full",
                     limit.span, label=f"less in a year than {one} fund",
                     labels=(Label(fund.span, "the fund"),),
                     help=(f"raise `mdf_cap` to at least `{least} per year`, or lower `mdf`",))


def _quota(v: View):
    attr = v.attr("quota")
    if attr and isinstance(attr.values[0], s.Name) and attr.values[0].value == "none":
        return None
    return v.one("quota", Reader.rate)


def _qualify(v: View):
    attr = v.attr("qualify")
    if attr and isinstance(attr.values[0], s.Name) and attr.values[0].value == "none":
        return None
    return v.one("qualify", Reader.criteria)


def _tier_up(reader: Reader, value: s.Value):
    if not isinstance(value, s.Arrow) or len(value.items) != 2 or not isinstance(value.items[1], s.Name):
        reader.wrong(value, "a criterion and a target tier",
                     "revenue >= Rp 5 Miliar per year -> Accelerator")
        return None
    criteria = reader.criteria(value.items[0])
    target = value.items[1]
    return m.TierUp(criteria, target.value, target.span, value.span) if criteria else None


def parse_service(block: s.Block, ctx: Ctx) -> m.ServiceLevel:
    """`service { response, checkin, implementation, qbr, onsite }`."""
    v = View(block, ctx, ("response", "checkin", "implementation", "qbr", "onsite"))
    return m.ServiceLevel(response=v.one("response", Reader.duration),
                          checkin=v.choice("checkin", CADENCES),
                          implementation=v.one("implementation", Reader.duration),
                          qbr=v.flag("qbr"), onsite=v.flag("onsite"), span=block.span,
                          spans=_spans(v))


def parse_thresholds(block: s.Block, ctx: Ctx) -> m.Thresholds:
    """`thresholds name { basis, semantics, reset, bracket: lo .. hi -> rate }` (no defaults).
    Bounds are amounts, or whole numbers of deals (a count ladder)."""
    v = View(block, ctx, ("basis", "semantics", "reset", "bracket", "override"),
             repeated=("bracket",))
    attrs = v.all("bracket")
    counts = bool(attrs) and _counted(attrs[0])
    brackets = tuple(b for b in (_bracket(ctx.reader, a, counts) for a in attrs) if b)
    if not v.has("bracket"):
        v.missing("bracket", "Rp 0 .. Rp 3 Miliar -> 10%")
    thresholds = m.Thresholds(
        name=block_name(block, ctx, required=False) or "volume",
        basis=v.one("basis", Reader.name, "referred_software_revenue") or "",
        semantics=v.choice("semantics", SEMANTICS, "forward") or "",
        reset=v.choice("reset", RESETS, "calendar_year") or "", brackets=brackets,
        override=v.text("override"), span=block.span)
    if counts and thresholds.semantics not in ("forward", ""):
        _count_semantics(ctx, thresholds, v.attr("semantics"))
    if thresholds.reset == "fiscal_year":
        ctx.reporter.warning(
            "CH-W103", "`reset: fiscal_year` resets on 1 January: a program cannot state when"
            " its fiscal year starts yet", v.attr("reset").values[0].span,  # type: ignore[union-attr]
            label="read as the calendar year", help=("write `reset: calendar_year` to say so;"
                                                     " if the fiscal year starts in another"
                                                     " month, the cumulative volume would reset"
                                                     " at the wrong time",))
    return thresholds


def _counted(attr: s.Attribute) -> bool:
    """Whether a bracket's lower bound is a plain number (a count ladder)."""
    value = attr.values[0]
    return (isinstance(value, s.Arrow) and isinstance(value.items[0], s.Range)
            and isinstance(value.items[0].low, s.Number))


def _count_semantics(ctx: Ctx, thresholds: m.Thresholds, attr: s.Attribute | None) -> None:
    # A deal is one unit of a count, so it never straddles brackets (marginal is forward),
    # and re-rating the period's earlier deals needs their value, which a count does not
    # carry: refused rather than computed from a number the program never gave.
    span = attr.span if attr is not None else thresholds.span
    ctx.reporter.error(
        "CH-E111", f"a count ladder's `semantics` must be `forward`, not"
        f" `{thresholds.semantics}`", span, label="counts deals, not money",
        help=("each deal is one unit of the count, so its place in the period's count picks"
              " its bracket: write `semantics: forward`; to re-rate a period by volume, give"
              " the brackets amounts (`$0 .. $100K -> 20%`)",))


def _bracket(reader: Reader, attr: s.Attribute, counts: bool = False) -> m.Bracket | None:
    value = attr.values[0]
    example = "1 .. 11 -> 30%" if counts else "Rp 0 .. Rp 3 Miliar -> 10%"
    if not (isinstance(value, s.Arrow) and len(value.items) == 2
            and isinstance(value.items[0], s.Range) and value.items[0].low is not None):
        reader.wrong(value, "a bracket", example)
        return None
    rng, rate_value = value.items
    bound = _count_bound if counts else (lambda r, b: r.money(b))
    low = bound(reader, rng.low)
    high = bound(reader, rng.high) if rng.high is not None else None
    rate = reader.share(rate_value)
    if low is None or rate is None or (rng.high is not None and high is None):
        return None
    return m.Bracket(low, high, rate, attr.span)


def _count_bound(reader: Reader, value: s.Value) -> Decimal | None:
    """A count ladder's bound: a whole number of deals, not negative."""
    if isinstance(value, s.Money):
        reader.wrong(value, "a number of deals (the first bracket counts deals)", "11")
        return None
    number = reader.integer(value)
    if number is not None and number < 0:
        reader.reporter.error("CH-E111", f"a count of deals cannot be negative ({number})",
                              s.span_of(value), label="below zero")
        return None
    return None if number is None else Decimal(number)


def parse_support(block: s.Block, ctx: Ctx) -> m.Support:
    """`support { L1: partner; L2: vendor; L3: vendor }`."""
    v = View(block, ctx, ("L1", "L2", "L3"))
    levels = tuple((key, v.choice(key, PARTIES) or "") for key in ("L1", "L2", "L3") if v.has(key))
    return m.Support(levels, block.span)


def parse_white_label(block: s.Block, ctx: Ctx) -> m.WhiteLabel:
    """`white_label { branding: partner; backend: vendor; upgrades: vendor }`."""
    v = View(block, ctx, ("branding", "backend", "upgrades"))
    return m.WhiteLabel(v.choice("branding", PARTIES, "partner") or "",
                        v.choice("backend", PARTIES, "vendor") or "",
                        v.choice("upgrades", PARTIES, default="vendor") or "vendor", block.span)


def parse_attribution(block: s.Block, ctx: Ctx) -> m.Attribution:
    """`attribution { default, conflict, unregistered_rate, influenced_rate, split X {...} }`."""
    v = View(block, ctx, ("default", "conflict", "unregistered_rate", "influenced_rate",
                          "no_double_dipping", "sourced_credit", "influenced_credit"), ("split",))
    return m.Attribution(
        default=v.choice("default", ("single", "split"), "single") or "single",
        conflict=v.choice("conflict", ("first_to_register", "first_touch", "manual"),
                          default="first_to_register") or "",
        unregistered_rate=v.one("unregistered_rate", Reader.share),
        influenced_rate=_influenced_rate(v.attr("influenced_rate"), ctx),
        no_double_dipping=v.flag("no_double_dipping"),
        splits=tuple(parse_split(b, ctx) for b in v.children("split")), span=block.span,
        influenced_of_sourced=_of_sourced(v.attr("influenced_rate")),
        sourced_credit=v.one("sourced_credit", Reader.share),
        influenced_credit=v.one("influenced_credit", Reader.share))


def _of_sourced(attr: s.Attribute | None) -> bool:
    """`influenced_rate: 50% of sourced`: a share of the influencer's own sourced rate."""
    if attr is None or not isinstance(attr.values[0], s.Phrase):
        return False
    words = attr.values[0].atoms[1:]
    return [getattr(w, "value", None) for w in words] == ["of", "sourced"]


def _influenced_rate(attr: s.Attribute | None, ctx: Ctx) -> Decimal | None:
    """`influenced_rate: 2%` (of the deal's basis) or `50% of sourced`."""
    if attr is None:
        return None
    value = attr.values[0]
    if isinstance(value, s.Phrase):
        if not _of_sourced(attr):
            ctx.reporter.error("CH-E106", "`influenced_rate` is a share of the deal"
                               " (`influenced_rate: 2%`) or of the influencer's own sourced"
                               " rate (`influenced_rate: 50% of sourced`)", value.span,
                               label="not a rate the language reads")
            return None
        value = value.atoms[0]
    return ctx.reader.share(value)


def parse_split(block: s.Block, ctx: Ctx) -> m.Split:
    """`split existing_relationship { direct: 60%; partner: 40%; when: "..." }`."""
    v = View(block, ctx, (), free_attrs=True)
    shares = []
    for key, attrs in v.attrs.items():
        if key in ("when", "settles"):
            continue
        share = ctx.reader.share(attrs[0].values[0])
        if share is not None:
            shares.append((key, share, attrs[0].span))
    name = block_name(block, ctx)
    if shares and not any(share for _k, share, _s in shares):
        # a split of nothing divides by zero: there is no proportion to give anyone
        ctx.reporter.error("CH-E111", f"split `{name}` gives every party 0%", block.span,
                           label="no party has a share",
                           help=("give the parties shares that add up to 100%, e.g."
                                 " `direct: 70%; partner: 30%`",))
    settles = v.choice("settles", ("cash", "credit"), default="cash") or "cash"
    return m.Split(name, tuple(shares), v.text("when"), block.span, settles)


def parse_handover(block: s.Block, ctx: Ctx) -> m.Handover | None:
    """`handover Referral -> VAD { introducer_rate, allowed_tiers, combined_cap, cap_year }`."""
    v = View(block, ctx, ("introducer_rate", "introducer_payment", "allowed_tiers",
                          "combined_cap", "cap_year"))
    words = [h for h in block.header if isinstance(h, s.Name)]
    if len(words) != 3 or words[1].value != "->":
        ctx.reporter.error("CH-E110", "a handover is written `handover Source -> Target {`",
                           v.header_span, label="expected `Source -> Target`")
        return None
    return m.Handover(
        source=words[0].value, target=words[2].value,
        introducer_rate=v.one("introducer_rate", Reader.share, "5%") or Decimal(0),
        introducer_payment=v.choice("introducer_payment", ("one_time", "recurring"),
                                    default="one_time") or "one_time",
        allowed_tiers=v.many("allowed_tiers", Reader.name),
        combined_cap=v.one("combined_cap", Reader.share),
        cap_year=v.one("cap_year", Reader.contract_year),
        doc=v.doc, span=block.span,
        spans={**_spans(v), "source": words[0].span, "target": words[2].span})


def parse_economics(block: s.Block, ctx: Ctx) -> m.Economics:
    """`economics { cogs, margin_floor, mdf_counts_against_margin, gm_target, walk }` (internal)."""
    v = View(block, ctx, ("cogs", "margin_floor", "mdf_counts_against_margin", "gm_target", "walk"),
             repeated=("walk",))
    return m.Economics(
        cogs=v.one("cogs", Reader.share, "3%") or Decimal(0),
        margin_floor=v.one("margin_floor", Reader.share, "60%") or Decimal(0),
        mdf_counts_against_margin=v.flag("mdf_counts_against_margin", True),
        gm_target=v.one("gm_target", Reader.share),
        walk=tuple(w for a in v.all("walk") if (w := ctx.reader.string(a.values[0]))),
        doc=v.doc, span=block.span)


def parse_mitigation(block: s.Block, ctx: Ctx) -> m.Mitigation:
    """`mitigation nps_visibility { applies_to, enforcement, cadence, trigger, sustained, action }`."""
    v = View(block, ctx, ("title", "applies_to", "enforcement", "cadence", "gates", "trigger",
                          "sustained", "action", "contact"))
    return m.Mitigation(
        name=block_name(block, ctx), title=v.text("title"),
        applies_to=v.many("applies_to", Reader.name),
        enforcement=v.choice("enforcement", ENFORCEMENTS, "gate") or "",
        cadence=v.choice("cadence", CADENCES), gates=v.one("gates", Reader.name),
        trigger=v.one("trigger", Reader.criteria), sustained=v.one("sustained", Reader.duration),
        action=_words(v, "action"), contact=v.text("contact"), doc=v.doc, span=block.span,
        spans=_spans(v))


def _words(v: View, key: str) -> tuple[str, ...]:
    """`a or b` / `a, b` / `a` as a tuple of names."""
    attr = v.attr(key)
    if attr is None:
        return ()
    flat: list[s.Value] = []
    for value in attr.values:
        flat.extend(value.items if isinstance(value, (s.AnyOf, s.ListValue)) else (value,))
    return tuple(w for w in (v.reader.name(x) for x in flat) if w)


REGISTRATION_ATTRS = ("window", "extension", "extension_condition", "approval_sla", "on_lapse",
                      "auto_approve", "conflict", "unregistered_rate", "no_double_dipping",
                      "excludes", "registered_bonus")
LAPSES = ("auto_approve", "auto_reject")          # what happens when `approval_sla` lapses
EXCLUSIONS = ("inbound_leads", "direct_pipeline")  # leads a partner cannot register


def parse_registration(block: s.Block, ctx: Ctx) -> m.Registration:
    """`registration { window, extension, approval_sla, on_lapse, excludes, conflict, ... }`."""
    v = View(block, ctx, REGISTRATION_ATTRS)
    sla, auto = v.one("approval_sla", Reader.duration), v.flag("auto_approve")
    return m.Registration(
        window=v.one("window", Reader.duration, "90 days"),
        extension=v.one("extension", Reader.duration),
        extension_condition=v.text("extension_condition"),
        approval_sla=sla, auto_approve=auto,
        conflict=v.choice("conflict", ("first_to_register", "first_touch", "manual"),
                          default="first_to_register") or "",
        unregistered_rate=v.one("unregistered_rate", Reader.share),
        no_double_dipping=v.flag("no_double_dipping"), span=block.span,
        on_lapse=_on_lapse(v, sla, auto), excludes=_checked_words(v, "excludes", EXCLUSIONS,
                                                            "registration exclusion"),
        spans=_spans(v), registered_bonus=v.one("registered_bonus", Reader.share))


def _on_lapse(v: View, sla: object, auto: bool) -> str | None:
    """What happens when the approval SLA lapses. `auto_approve: yes` with an `approval_sla`
    is the older spelling of `on_lapse: auto_approve`; writing both is CH-E104, and an
    `on_lapse` without an SLA to lapse is CH-E111."""
    from charter.diagnostics import Label

    attr, older = v.attr("on_lapse"), v.attr("auto_approve")
    lapse = v.choice("on_lapse", LAPSES)
    if attr is None:
        return "auto_approve" if sla is not None and auto else None
    if older is not None:
        v.reporter.error("CH-E104", "`auto_approve` and `on_lapse` both say what happens when"
                         " the approval SLA lapses", older.key_span, label="said again here",
                         labels=(Label(attr.key_span, "`on_lapse` says it here"),),
                         help=("remove `auto_approve`: `on_lapse: auto_approve` is its newer"
                               " spelling",))
    if lapse is not None and not v.has("approval_sla"):
        v.reporter.error("CH-E111", f"`on_lapse: {lapse}` needs an `approval_sla`: without"
                         " one nothing lapses", attr.span, label="no approval SLA to lapse",
                         help=("add `approval_sla: 48 hours`, or remove `on_lapse`",))
    return lapse


def _checked_words(v: View, key: str, choices: tuple[str, ...], what: str) -> tuple[str, ...]:
    """`key: a, b` where each word is one of ``choices`` (CH-E108 with "did you mean")."""
    found = []
    for value in _flat(v.attr(key)):
        word = v.reader.name(value)
        if word is not None and check_choice(v.ctx, value, word, choices, what) is not None:
            found.append(word)
    return tuple(found)


def parse_payment_terms(block: s.Block, ctx: Ctx) -> m.PaymentTerms:
    """`payment_terms { commission: net 30 days; rebate: quarterly; mdf: 15 days after
    claim_approval }`: when each payout kind falls due. The keys are the payout kinds of
    `charter.economics.kinds` (imported here, so a program without terms never loads it)."""
    from charter.economics.kinds import PayoutKind, Settlement

    kinds = {k.value: k for k in PayoutKind}
    v = View(block, ctx, tuple(kinds))
    terms = []
    for key in (k for k in v.attrs if k in kinds):
        if kinds[key].settlement is Settlement.PARTNER_RETAINS:
            _retained_term(ctx, v.attr(key), key)
            continue
        term = v.one(key, lambda reader, value: _payment_term(reader, value, key))
        if term is not None:
            terms.append(term)
    return m.PaymentTerms(tuple(terms), v.doc, block.span, v.header_span,
                          tuple(k for k in v.attrs if k in kinds))


def _retained_term(ctx: Ctx, attr: s.Attribute, kind: str) -> None:
    """CH-E132: a term for a payout the partner keeps out of the customer's payment."""
    ctx.reporter.error("CH-E132", f"a payment term for `{kind}` has no effect: the partner"
                       " keeps it out of what the customer pays, so the vendor pays nothing",
                       attr.key_span, label="nothing falls due",
                       help=(f"remove `{kind}`; terms apply to what the vendor pays, e.g."
                             " `rebate: quarterly`",))


def _payment_term(reader: Reader, value: s.Value, kind: str) -> m.PaymentTerm | None:
    """`net 30 days`, `quarterly`, `quarterly net 15 days` or `15 days after claim_approval`."""
    atoms = list(value.atoms) if isinstance(value, s.Phrase) else [value]
    words = [a.value if isinstance(a, s.Name) else None for a in atoms]
    period = m.PAYMENT_PERIODS.get(words[0] or "")
    rule, event, days_at = None, None, None
    if period is not None and (len(atoms) == 1 or (len(atoms) > 2 and words[1] == "net")):
        rule, days_at = "period_end", (atoms[2:] if len(atoms) > 2 else None)
    elif words[0] == "net" and len(atoms) > 1:
        rule, days_at = "net", atoms[1:]
    elif len(atoms) > 2 and words[-2] == "after" and words[-1] is not None:
        rule, days_at = "after_event", atoms[:-2]
        event = check_choice(Ctx(reader.reporter, reader), atoms[-1], words[-1],
                             m.PAYMENT_EVENTS, "payment event")
        if event is None:
            return None
    if rule is None:
        reader.wrong(value, "a payment term", "net 30 days")
        return None
    days = _term_days(reader, days_at) if days_at else 0
    if days is None:
        return None
    return m.PaymentTerm(kind, rule, days, period, event, s.render_value(value), value.span)


MAX_TERM_DAYS = 365   # a year: later than that is a deferral, and dates stay within 9999


def _term_days(reader: Reader, atoms: list) -> int | None:
    """The whole calendar days of `30 days` (or `2 weeks`) in a payment term."""
    value = atoms[0] if len(atoms) == 1 else \
        s.Phrase(tuple(atoms), atoms[0].span.to(atoms[-1].span))
    duration = reader.duration(value)
    if duration is None:
        return None
    days = duration.amount * (7 if duration.unit == "week" else 1)
    problem = ("is counted in business time, which depends on holidays a quote cannot know"
               if duration.business else f"is counted in {duration.unit}s, not days"
               if duration.unit not in ("day", "week") else "is not a whole number of days"
               if days != days.to_integral_value() else f"is more than {MAX_TERM_DAYS} days"
               if days > MAX_TERM_DAYS else None)
    if problem is None:
        return int(days)
    reader.reporter.error("CH-E111", f"a payment term of `{s.render_value(value)}` {problem}",
                          value.span, label="not a term in calendar days",
                          help=(f"write calendar days, from 0 to {MAX_TERM_DAYS}, e.g."
                                " `net 30 days`",))
    return None


def parse_clawback(block: s.Block, ctx: Ctx) -> m.Clawback:
    """`clawback fraud { event, rule: any_time -> 100%, action: termination }`."""
    v = View(block, ctx, ("event", "rule", "action"), repeated=("rule",))
    rules = tuple(r for r in (_clawback_rule(ctx.reader, a) for a in v.all("rule")) if r)
    return m.Clawback(block_name(block, ctx), v.text("event"), rules, v.doc, block.span,
                      action=_words(v, "action"))


def _clawback_rule(reader: Reader, attr: s.Attribute) -> m.ClawbackRule | None:
    value = attr.values[0]
    if not (isinstance(value, s.Arrow) and len(value.items) == 2):
        reader.wrong(value, "a clawback rule", "0 days .. 30 days -> 100%")
        return None
    window, share_value = value.items
    low = high = None
    if isinstance(window, s.Range):
        low = reader.duration(window.low) if window.low is not None else None
        high = reader.duration(window.high) if window.high is not None else None
    elif not (isinstance(window, s.Name) and window.value == "any_time"):
        reader.wrong(window, "a window of days", "0 days .. 30 days")
        return None
    if isinstance(share_value, s.Name) and share_value.value == "prorated":
        share: Decimal | str | None = "prorated"
    else:
        share = reader.share(share_value)
    return m.ClawbackRule(low, high, share, attr.span) if share is not None else None


SPIFF_ATTRS = ("trigger", "reward", "duration", "products", "channels", "minimum", "from",
               "until")


def parse_spiff(block: s.Block, ctx: Ctx) -> m.Spiff:
    """`spiff q3_launch { trigger, reward, products, channels, minimum, from, until |
    duration }`: what earns it, and the window a deal must close in to claim it."""
    v = View(block, ctx, SPIFF_ATTRS)
    duration, starts = v.one("duration", Reader.duration), v.one("from", Reader.date)
    name = block_name(block, ctx)
    return m.Spiff(name, v.text("trigger", '"first deal closed"'),
                   v.one("reward", _reward, "$500"), duration, v.doc, block.span,
                   products=v.many("products", Reader.name),
                   channels=v.many("channels", Reader.name),
                   minimum=v.one("minimum", Reader.money), starts=starts,
                   ends=_window_end(v, name, starts, duration), spans=_spans(v))


def _window_end(v: View, name: str, starts, duration: Duration | None):
    """The window's last day: `until`, or `from` + `duration` − 1 day. `until` and
    `duration` both say when it ends (CH-E104); an end before the start is CH-E114."""
    from charter.diagnostics import Label

    until, attr = v.one("until", Reader.date), v.attr("until")
    if attr is not None and v.has("duration"):
        v.reporter.error("CH-E104", "`duration` and `until` both say when the SPIFF ends",
                         attr.key_span, label="said again here",
                         labels=(Label(v.attr("duration").key_span, "`duration` says it here"),),
                         help=("keep one: `until: 2026-09-30` names the last day",))
    if attr is not None and starts is None:
        v.missing("from", "2026-07-01")
        return None
    if until is None and starts is not None and duration is not None:
        until = _calendar_end(v, starts, duration)
    if until is not None and starts is not None and until < starts:
        v.reporter.error("CH-E114", f"SPIFF `{name}`'s window ends on {until}, before it"
                         f" starts on {starts}", attr.values[0].span, label="before `from`",
                         labels=(Label(v.attr("from").values[0].span, "the window starts here"),),
                         help=(f"write an `until` on or after {starts}, or correct `from`",))
        return None
    return until


_DAYS = {"day": 1, "week": 7}
_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _calendar_end(v: View, starts, duration: Duration):
    """`from` + `duration` − 1 day, in calendar time (a month from 31 January ends on the
    last day of February, as a contract year from 29 February ends on 28 February); CH-E111
    for a duration that is not whole calendar units."""
    import datetime as _dt

    whole = duration.amount == duration.amount.to_integral_value()
    if duration.business or not whole or duration.unit not in {**_DAYS, **_MONTHS}:
        v.reporter.error("CH-E111", f"a SPIFF window of {duration} has no calendar end",
                         v.attr("duration").values[0].span, label="not whole calendar units",
                         help=("write whole days, weeks, months, quarters or years"
                               " (`duration: 90 days`), or the last day: `until: 2026-09-30`",))
        return None
    count = int(duration.amount)
    if duration.unit in _DAYS:
        return starts + _dt.timedelta(days=count * _DAYS[duration.unit] - 1)
    months = starts.month - 1 + count * _MONTHS[duration.unit]
    year, month = starts.year + months // 12, months % 12 + 1
    last = _month_days(year, month)
    if starts.day > last:  # no such day that month: the window runs to its last day
        return _dt.date(year, month, last)
    return _dt.date(year, month, starts.day) - _dt.timedelta(days=1)


def _month_days(year: int, month: int) -> int:
    import calendar

    return calendar.monthrange(year, month)[1]


def _reward(reader: Reader, value: s.Value):
    """A SPIFF's reward: an amount, or a share of the deal's software revenue (at most 100%,
    as every payout rate), a range of them, or a description (`2 x commission`)."""
    if isinstance(value, s.Range) and value.low is not None and value.high is not None:
        low, high = reader.share_or_money(value.low), reader.share_or_money(value.high)
        return (low, high) if low is not None and high is not None else None
    if isinstance(value, s.Phrase) and isinstance(value.atoms[0], s.Number):
        return s.render_value(value)  # "2 x commission" stays a description
    return reader.share_or_money(value)


def parse_scoring(block: s.Block, ctx: Ctx) -> m.Scoring:
    """`scoring partner_health { cadence, dimension X { weight, measure }, band Y { range } }`."""
    v = View(block, ctx, ("cadence", "scale"), ("dimension", "band"))
    dims = tuple(parse_dimension(b, ctx) for b in v.children("dimension"))
    bands = tuple(b for b in (parse_band(b, ctx) for b in v.children("band")) if b)
    return m.Scoring(block_name(block, ctx), v.choice("cadence", CADENCES), dims, bands,
                     v.doc, block.span, v.one("scale", _scale) or Decimal(100))


def _scale(reader: Reader, value: s.Value) -> Decimal | None:
    """`scale: 35`: the points a full score is worth; above zero (CH-E111 otherwise)."""
    points = reader.number(value)
    if points is not None and points <= 0:
        reader.reporter.error("CH-E111", f"a scale of {points} points leaves nothing to score",
                              s.span_of(value), label="not above zero",
                              help=("write the points a full score is worth, e.g. `scale: 35`"
                                    " for seven dimensions of 5 points",))
        return None
    return points


def parse_dimension(block: s.Block, ctx: Ctx) -> m.Dimension:
    """`dimension revenue { weight: 30; measure: "..." }`."""
    v = View(block, ctx, ("weight", "measure"))
    return m.Dimension(block_name(block, ctx), v.one("weight", Reader.number, "30") or Decimal(0),
                       v.text("measure"), block.span)


def parse_band(block: s.Block, ctx: Ctx) -> m.Band | None:
    """`band grow { range: 60 .. 80 }` (low inclusive, high exclusive)."""
    v = View(block, ctx, ("range",))
    value = v.one("range", lambda r, x: x, "0 .. 40")
    if value is None:
        return None
    if not (isinstance(value, s.Range) and value.low is not None and value.high is not None):
        ctx.reader.wrong(value, "a score range with both ends", "60 .. 80")
        return None
    low, high = ctx.reader.number(value.low), ctx.reader.number(value.high)
    if low is None or high is None:
        return None
    return m.Band(block_name(block, ctx), low, high, block.span)


def parse_process(block: s.Block, ctx: Ctx) -> m.Process:
    """`process partner_qbr { title, cadence, tiers, step X { within, limit, owner, final } }`."""
    v = View(block, ctx, ("title", "cadence", "tiers"), ("step",))
    steps = tuple(parse_step(b, ctx) for b in v.children("step"))
    return m.Process(block_name(block, ctx), v.text("title"), steps, v.doc, block.span,
                     internal=block.internal, cadence=v.choice("cadence", CADENCES),
                     tiers=_tier_scope(v), spans=_spans(v))


def _tier_scope(v: View) -> tuple[m.TierScope, ...]:
    """`tiers: Gold, Platinum`, `tiers: Silver and up` or `tiers: Silver+` (CH-E106 for
    anything else; which channel has the tier is resolved against the program)."""
    return tuple(e for e in (_scope_entry(v.reader, x) for x in _flat(v.attr("tiers"))) if e)


def _scope_entry(reader: Reader, value: s.Value) -> m.TierScope | None:
    if isinstance(value, s.Name):
        return m.TierScope(value.value, False, value.span)
    pair = value.atoms if isinstance(value, s.Phrase) else \
        value.items if isinstance(value, s.AllOf) else ()
    if len(pair) == 2 and isinstance(pair[0], s.Name) and (
            isinstance(pair[1], s.Plus) if isinstance(value, s.Phrase)
            else isinstance(pair[1], s.Name) and pair[1].value == "up"):
        return m.TierScope(pair[0].value, True, pair[0].span)
    reader.wrong(value, "tier names, or a tier and the tiers above it", "Silver and up")
    return None


def parse_step(block: s.Block, ctx: Ctx) -> m.Step:
    """`step appeal { title, within: 72 hours, limit: 1, owner, when, final: yes }`."""
    v = View(block, ctx, ("title", "within", "when", "limit", "owner", "final"))
    return m.Step(block_name(block, ctx), v.text("title"), v.one("within", Reader.duration),
                  v.text("when"), v.one("limit", Reader.integer), v.text("owner"),
                  v.flag("final"), v.doc, block.span)


def parse_enablement(block: s.Block, ctx: Ctx) -> tuple[m.EnablementItem, ...]:
    """`enablement { item train_the_trainer { title, cadence } ... }`."""
    v = View(block, ctx, (), ("item",))
    return tuple(parse_enablement_item(b, ctx) for b in v.children("item"))


def parse_enablement_item(block: s.Block, ctx: Ctx) -> m.EnablementItem:
    """`item runbook { title: "..."; cadence: quarterly }`."""
    v = View(block, ctx, ("title", "cadence"))
    return m.EnablementItem(block_name(block, ctx), v.text("title", '"What is provided"'),
                            v.choice("cadence", CADENCES), v.doc, block.span)


def _unique(ctx: Ctx, kind: str, blocks: list[s.Block], names: list[str]) -> None:
    """CH-E105 for a name given twice among one block's ``kind`` children."""
    from charter.diagnostics import Label

    first: dict[str, s.Block] = {}
    for block, name in zip(blocks, names):
        if name and name in first:
            ctx.reporter.error("CH-E105", f"{kind} `{name}` is defined twice", block.kind_span,
                               label="defined again here",
                               labels=(Label(first[name].kind_span, "first defined here"),),
                               help=("rename one, or merge them",))
        first.setdefault(name, block)


def parse_conflicts(block: s.Block, ctx: Ctx) -> tuple[m.ConflictCase, ...]:
    """`conflicts { case two_partners { scenario, resolution, within, owner, action } ... }`:
    the channel-conflict table, one `case` per row."""
    v = View(block, ctx, (), ("case",))
    blocks = v.children("case")
    cases = tuple(parse_conflict_case(b, ctx) for b in blocks)
    _unique(ctx, "case", blocks, [c.name for c in cases])
    return cases


DEADLINE_WORDS = ("immediately", "same_day")


def parse_conflict_case(block: s.Block, ctx: Ctx) -> m.ConflictCase:
    """`case two_partners { scenario: "..."; resolution: "..."; within: 24 hours }`."""
    v = View(block, ctx, ("scenario", "resolution", "within", "owner", "action"))
    return m.ConflictCase(
        block_name(block, ctx), v.text("scenario", '"Two partners on the same account"'),
        v.text("resolution", '"First to register wins; the second is notified"'),
        v.one("within", _deadline), v.text("owner"), _sequence(v, "action"), v.doc,
        block.span, spans=_spans(v))


def _deadline(reader: Reader, value: s.Value):
    """`24 hours`, `immediately` or `same_day`."""
    if isinstance(value, s.Name):
        return check_choice(Ctx(reader.reporter, reader), value, value.value, DEADLINE_WORDS,
                            "deadline (a duration, `immediately` or `same_day`)")
    return reader.duration(value)


def _sequence(v: View, key: str) -> tuple[str, ...]:
    """`warning -> probation -> termination`: steps in order (or one word)."""
    value = v.one(key, lambda _r, x: x)
    if value is None:
        return ()
    items = value.items if isinstance(value, s.Arrow) else (value,)
    words = [as_name(x) for x in items]
    if not all(words):
        v.reader.wrong(value, "a word, or words in order joined by `->`",
                       "warning -> probation -> termination")
        return ()
    return tuple(w.value for w in words)  # type: ignore[union-attr]


EFFORTS = ("none", "low", "moderate", "high")


def parse_co_marketing(block: s.Block, ctx: Ctx) -> tuple[m.CoMarketingActivity, ...]:
    """`co_marketing { activity joint_webinar { vendor_share, partner_share, ... } ... }`."""
    v = View(block, ctx, (), ("activity",))
    blocks = v.children("activity")
    activities = tuple(parse_activity(b, ctx) for b in blocks)
    _unique(ctx, "activity", blocks, [a.name for a in activities])
    return activities


def parse_activity(block: s.Block, ctx: Ctx) -> m.CoMarketingActivity:
    """`activity joint_webinar { title, vendor_share: 50%, partner_share: 50%, mdf_funded,
    partner_effort, cadence, tiers }`; the two shares add up to 100% (one alone implies the
    other)."""
    v = View(block, ctx, ("title", "vendor_share", "partner_share", "mdf_funded",
                          "partner_effort", "cadence", "tiers"))
    vendor, partner = _cost_shares(v)
    return m.CoMarketingActivity(
        block_name(block, ctx), v.text("title"), vendor, partner, v.flag("mdf_funded"),
        v.choice("partner_effort", EFFORTS), v.choice("cadence", CADENCES), _tier_scope(v),
        v.doc, block.span, spans=_spans(v))


def _cost_shares(v: View) -> tuple[Decimal | None, Decimal | None]:
    """The vendor's and the partner's share of the cost: both or neither, adding up to 100%
    (CH-E111 at the second otherwise); one written alone leaves the rest to the other."""
    vendor, partner = v.one("vendor_share", Reader.share), v.one("partner_share", Reader.share)
    if vendor is None and partner is None:
        return None, None
    if vendor is None or partner is None:
        if v.has("vendor_share") and v.has("partner_share"):
            return None, None  # one of them was unreadable (reported)
        return (vendor, 1 - vendor) if vendor is not None else (1 - partner, partner)
    if vendor + partner != 1:
        total = f"{((vendor + partner) * 100).normalize():f}%"
        rest = f"{((1 - vendor) * 100).normalize():f}%"
        v.reporter.error("CH-E111", f"the cost shares add up to {total}, not 100%: the vendor"
                         " and the partner pay the whole cost between them",
                         v.attr("partner_share").values[0].span, label=f"adds up to {total}",
                         help=(f"write `partner_share: {rest}`, or change `vendor_share`",))
        return None, None
    return vendor, partner


def parse_unit_economics(block: s.Block, ctx: Ctx) -> m.UnitEconomics:
    """`unit_economics { recruitment_cost, enablement_cost, management_cost, break_even,
    break_even_deals }`: what one partner costs and when it pays back. Always internal."""
    v = View(block, ctx, ("recruitment_cost", "enablement_cost", "management_cost",
                          "break_even", "break_even_deals"))
    management = v.one("management_cost", _amounts_per_period)
    return m.UnitEconomics(
        recruitment_cost=v.one("recruitment_cost", _amounts),
        enablement_cost=v.one("enablement_cost", _amounts),
        management_cost=management[0] if management else None,
        management_period=management[1] if management else None,
        break_even=v.one("break_even", _durations), break_even_deals=v.one("break_even_deals",
                                                                           _counts),
        doc=v.doc, span=block.span, spans=_spans(v))


def _ends(reader: Reader, value: s.Value, read: Callable, expected: str, example: str,
          key: Callable = lambda x: x):
    """One value or a range `low .. high` of them, as (low, high); CH-E111 if it runs
    backwards."""
    if not isinstance(value, s.Range):
        one = read(value)
        return (one, one) if one is not None else None
    if value.low is None or value.high is None:
        reader.wrong(value, expected + " (a range needs both ends)", example)
        return None
    low, high = read(value.low), read(value.high)
    if low is None or high is None:
        return None
    if key(low) is not None and key(high) is not None and key(low) > key(high):
        reader.reporter.error("CH-E111", f"`{s.render_value(value)}` runs backwards: the low"
                              " end is above the high end", value.span,
                              label="low end above high end",
                              help=(f"write the low end first, e.g. `{example}`",))
        return None
    return (low, high)


def _amounts(reader: Reader, value: s.Value):
    """`$5,000` or `$2,000 .. $5,000`."""
    return _ends(reader, value, reader.money, "an amount or a range of amounts",
                 "$2,000 .. $5,000", key=lambda x: x.amount)


def _amounts_per_period(reader: Reader, value: s.Value):
    """`$500 per quarter` or `$500 .. $1,500 per quarter` (the period written once, at the
    end, or on both ends): ((low, high), period)."""
    expected, example = "an amount per period, or a range of them", "$500 .. $1,500 per quarter"
    high = value.high if isinstance(value, s.Range) else value
    if high is None or not isinstance(high, s.Phrase):
        reader.wrong(value, expected, example)
        return None
    rate = reader.rate(high)
    if rate is None:
        return None
    if rate.period is None or rate.unit is not None:
        reader.wrong(value, expected, example)
        return None

    def one(end: s.Value):
        if isinstance(end, s.Phrase):
            other = reader.rate(end)
            if other is not None and (other.period, other.unit) != (rate.period, None):
                reader.wrong(end, f"an amount per {rate.period}", example)
                return None
            return other.money if other is not None else None
        return reader.money(end)
    amounts = _ends(reader, value, one, expected, example, key=lambda x: x.amount)
    return (amounts, rate.period) if amounts else None


def _durations(reader: Reader, value: s.Value):
    """`6 months` or `6 months .. 9 months` (or `6 .. 9 months`: the unit written once)."""
    from charter.units import in_hours

    if isinstance(value, s.Range) and isinstance(value.low, s.Number) \
            and isinstance(value.high, s.Phrase):
        high = reader.duration(value.high)
        if high is None:
            return None
        low = Duration(value.low.value, high.unit, high.business)
        return _ends(reader, value, lambda x: low if x is value.low else high,
                     "a duration or a range of durations", "6 months .. 9 months",
                     key=in_hours)
    return _ends(reader, value, reader.duration, "a duration or a range of durations",
                 "6 months .. 9 months", key=in_hours)


def _counts(reader: Reader, value: s.Value):
    """`3` or `2 .. 3`."""
    return _ends(reader, value, reader.integer, "a whole number or a range of them", "2 .. 3")


def parse_ship_gate(block: s.Block, ctx: Ctx) -> tuple[m.GateCondition, ...]:
    """`ship_gate { condition two_channel_model { title, see } ... }`."""
    v = View(block, ctx, (), ("condition",))
    return tuple(parse_gate_condition(b, ctx) for b in v.children("condition"))


def parse_gate_condition(block: s.Block, ctx: Ctx) -> m.GateCondition:
    """`condition mitigations { title: "..."; see: "C.6"; requires: flipper_mitigations }`."""
    v = View(block, ctx, ("title", "see", "requires"))
    requires = tuple((w.value, w.span) for w in _flat(v.attr("requires")) if isinstance(w, s.Name))
    return m.GateCondition(block_name(block, ctx), v.text("title", '"What must hold"'),
                           v.text("see"), v.doc, block.span, requires)


def _flat(attr: s.Attribute | None) -> list:
    if attr is None:
        return []
    out = []
    for value in attr.values:
        out += list(value.items) if isinstance(value, s.ListValue) else [value]
    return out


SEVERITIES = ("error", "warning", "note", "off")


def parse_policy(block: s.Block, ctx: Ctx) -> m.PolicySetting | None:
    """`policy tier_count { severity: warning; max: 5 }` (name or `"CH-P013"`): a level and
    the policy's declared parameters (`charter.policies.base.Param`), each read and checked."""
    name = _policy_ref(block, ctx)
    policy = _registered(name)
    v = _policy_view(block, ctx, policy)
    params = policy.params if policy is not None else ()
    empty = not any(True for _ in block.attributes())   # a block that sets nothing needs a level
    severity = v.choice("severity", SEVERITIES, "warning" if empty else None)
    attr = v.attr("severity")
    if name is None:
        return None  # an invalid severity is CH-E108; the name is still checked (CH-E401)
    values = [(p, v.one(p.name, p.kind.read)) for p in params if v.has(p.name)]
    checked = [(p, x) for p, x in values if x is not None and _in_range(policy, p, x, v, ctx)]
    return m.PolicySetting(name, severity or "", block.span,
                           attr.values[0].span if attr else block.span, block.header[0].span,
                           tuple((p.name, x) for p, x in checked),
                           {p.name: v.attr(p.name).values[0].span for p, _ in checked})


def _registered(name: str | None) -> Policy | None:
    """The registered policy called ``name`` (name or code), if any (unknown: CH-E401 in
    `resolve`)."""
    if name is None:
        return None
    from charter.policies import find

    return find(name)


def _policy_view(block: s.Block, ctx: Ctx, policy: Policy | None) -> View:
    """The block seen through the policy's parameters: an unknown one is CH-E102 naming the
    policy, with "did you mean" and every parameter it takes. (A policy that is not
    registered takes anything: its name is the error, CH-E401.)"""
    if policy is None:
        return View(block, ctx, ("severity",), free_attrs=True)
    known = ("severity",) + tuple(p.name for p in policy.params)
    takes = ", ".join(f"`{k}`" for k in known)
    unknown = []
    for attr in block.attributes():
        if attr.key in known:
            continue
        unknown.append(attr.key)
        near = tuple(h for h in suggest(attr.key, known) if h.startswith("did you mean"))
        ctx.reporter.error("CH-E102", f"policy {policy.name} has no parameter `{attr.key}`",
                           attr.key_span, label="unknown parameter",
                           help=near + (f"{policy.name} takes {takes}"
                                        f" (`charter explain {policy.code}`)",))
    return View(block, ctx, known + tuple(unknown))  # the View still reports duplicates


def _in_range(policy: Policy, param: Param, value: object, v: View, ctx: Ctx) -> bool:
    """Whether ``value`` is within the parameter's bounds (CH-E111 at the value if not)."""
    problem = param.out_of_range(value)
    if problem is None:
        return True
    ctx.reporter.error("CH-E111", f"`{param.name}: {param.show(value)}` is out of range for"
                                  f" policy {policy.name}: it must be {problem}",
                       v.attr(param.name).values[0].span, label=f"must be {problem}",
                       help=(f"`{param.name}`: {param.doc} (default {param.default_text})",))
    return False


def _policy_ref(block: s.Block, ctx: Ctx) -> str | None:
    head = block.header[0] if block.header else None
    if isinstance(head, (s.Name, s.Str)):
        return head.value
    ctx.reporter.error("CH-E110", f"a {block.kind} names its policy: `policy NAME {{` or"
                                  f" `policy \"CH-P001\" {{`", block.kind_span,
                       label="policy name missing")
    return None


def parse_waiver(block: s.Block, ctx: Ctx) -> m.Waiver | None:
    """`waiver NAME { policy, subject, reason, owner, expires }`: accept a finding, on record."""
    v = View(block, ctx, ("policy", "subject", "reason", "owner", "expires"))
    policy_attr = v.attr("policy")
    policy = None
    if policy_attr is not None:
        value = policy_attr.values[0]
        policy = value.value if isinstance(value, (s.Name, s.Str)) else None
        if policy is None:
            ctx.reader.wrong(value, "a policy name or code", "no_year2_step_down")
    else:
        v.missing("policy", "no_year2_step_down")
    subject = v.attr("subject")
    return m.Waiver(
        name=block_name(block, ctx), policy=policy or "",
        subject=s.render_value(subject.values[0]).strip('"') if subject else None,
        reason=v.text("reason", '"why this finding is accepted"'),
        owner=v.text("owner", '"who answers for it"'), expires=v.one("expires", Reader.date),
        span=block.span, spans={**_spans(v), "header": v.header_span})


def parse_example(block: s.Block, ctx: Ctx) -> m.Example | None:
    """`example name { product, seats, route, ..., expect ... {} }`: a deal and its numbers.

    The deal's attributes are the quote request's fields (`charter.economics.fields`).
    """
    v = View(block, ctx, _example_attributes(), ("expect",))
    expectations = tuple(e for b in v.children("expect") for e in parse_expect(b, ctx))
    return m.Example(block_name(block, ctx), _deal(v, block), expectations, v.doc, block.span,
                     _spans(v))


def _example_attributes() -> tuple[str, ...]:
    """What an example's deal may say: one attribute per request field (imported on first use:
    the table lives in the economics package, which a program without examples never loads)."""
    from charter.economics.fields import EXAMPLE_ATTRIBUTES

    return EXAMPLE_ATTRIBUTES


def _deal(v: View, block: s.Block) -> m.Deal:
    """The example's deal, read through its View."""
    product_attr = v.attr("product")
    cumulative = v.many("cumulative", _cumulative)
    return m.Deal(
        product=v.one("product", Reader.name, "Growth") or "",
        product_span=product_attr.values[0].span if product_attr else v.header_span,
        seats=v.one("seats", Reader.integer, "1_000") or 0,
        years=v.one("years", Reader.integer, default=1) or 1,
        route=v.one("route", _route, default=()) or (),
        services_one_time=v.one("services_one_time", Reader.money),
        services_per_year=v.one("services_per_year", Reader.money),
        cumulative=tuple(c[:3] for c in cumulative), close_date=v.one("close_date", Reader.date),
        cumulative_as_of=v.one("cumulative_as_of", Reader.date),
        cumulative_dates=tuple((c[0], c[3]) for c in cumulative if c[3] is not None),
        start=v.one("start", Reader.date),
        unit_price=v.one("unit_price", Reader.money), price_approved=v.flag("price_approved"),
        certified=v.flag("certified", default=True), registered=v.flag("registered", default=True),
        split=v.one("split", Reader.name), influenced=v.many("influenced", _influencer),
        partners=v.many("partners", _partner), terms=v.many("terms", _negotiated),
        span=block.span, spans=_spans(v),
        renewal_influenced=v.flag("renewal_influenced"), spiffs=v.many("spiffs", _spiff_name))


def _route(reader: Reader, value: s.Value) -> tuple[m.RouteStep, ...] | None:
    """`direct`, `VAD Elite`, `OEM at 45%`, or `Referral -> VAD Accelerator`."""
    if isinstance(value, s.Name) and value.value == "direct":
        return ()
    items = value.items if isinstance(value, s.Arrow) else (value,)
    steps = [_route_step(reader, item) for item in items]
    return None if None in steps else tuple(steps)


def _route_step(reader: Reader, item: s.Value) -> m.RouteStep | None:
    """`CHANNEL [TIER] [at RATE]`: a channel, its tier, and the deal's rate (for a channel
    whose discount is a range: `OEM at 45%`)."""
    words = list(item.atoms if isinstance(item, s.Phrase) else (item,))
    rated = len(words) >= 3 and isinstance(words[-2], s.Name) and words[-2].value == "at"
    rate_value = words[-1] if rated else None
    names = words[:-2] if rated else words
    if not all(isinstance(w, s.Name) for w in names) or len(names) > 2:
        hint = "OEM at 45%" if rated or any(isinstance(w, s.Percent) for w in words) \
            else "VAD Elite"
        reader.wrong(item, "a channel, an optional tier and an optional `at RATE`", hint)
        return None
    rate = reader.share(rate_value) if rate_value is not None else None
    if rate_value is not None and rate is None:
        return None
    return m.RouteStep(names[0].value, names[1].value if len(names) == 2 else None, item.span,
                       rate, rate_value.span if rate_value is not None else None)


def _cumulative(reader: Reader, value: s.Value) -> tuple | None:
    """`Referral Rp 2 Miliar [as of 2026-01-31]` (or `Affiliate 10`, deals on a count ladder):
    volume already booked this period, by channel (a 4-tuple: channel, amount or count, span,
    the date it was measured or None)."""
    atoms = value.atoms if isinstance(value, s.Phrase) else ()
    words = [a.value if isinstance(a, s.Name) else None for a in atoms[2:-1]]
    dated = len(atoms) > 2 and words in (["as", "of"], ["as_of"])
    if len(atoms) >= 2 and isinstance(atoms[0], s.Name) and (len(atoms) == 2 or dated):
        # an amount, or on a count ladder the number of deals before this one
        volume = atoms[1].value if isinstance(atoms[1], s.Number) else reader.money(atoms[1])
        as_of = reader.date(atoms[-1]) if dated else None
        if volume is None or (dated and as_of is None):
            return None
        return (atoms[0].value, volume, value.span, as_of)
    reader.wrong(value, "a channel and an amount, optionally `as of DATE`",
                 "Referral Rp 2 Miliar as of 2026-01-31" if len(atoms) > 2
                 else "Referral Rp 2 Miliar")
    return None


def _influencer(reader: Reader, value: s.Value) -> tuple[str, Span] | None:
    """One channel of `influenced: CoSell, Referral`, with its span."""
    if isinstance(value, s.Name):
        return (value.value, value.span)
    reader.wrong(value, "channel names separated by commas", "CoSell, Referral")
    return None


def _spiff_name(reader: Reader, value: s.Value) -> tuple[str, Span] | None:
    """One SPIFF of `spiffs: q3_launch, multi_product`, with its span."""
    if isinstance(value, s.Name):
        return (value.value, value.span)
    reader.wrong(value, "SPIFF names separated by commas", "q3_launch, multi_product")
    return None


def _negotiated(reader: Reader, value: s.Value) -> tuple | None:
    """`Referral commission 15%`, `VAD lead_protection 45 days`: a term a channel on the
    route negotiated on this deal (channel, term, value, span)."""
    atoms = value.atoms if isinstance(value, s.Phrase) else ()
    if len(atoms) < 3 or not all(isinstance(a, s.Name) for a in atoms[:2]):
        reader.wrong(value, "a channel, a negotiable term and its value",
                     "Referral commission 15%")
        return None
    term, rest = atoms[1].value, atoms[2:]
    terms = m.PERCENT_TERMS + m.DURATION_TERMS
    if check_choice(Ctx(reader.reporter, reader), atoms[1], term, terms,
                    "negotiable term") is None:
        return None
    written = rest[0] if len(rest) == 1 else s.Phrase(rest, rest[0].span.to(rest[-1].span))
    agreed = reader.duration(written) if term in m.DURATION_TERMS else reader.share(written)
    return None if agreed is None else (atoms[0].value, term, agreed, value.span)


def _partner(reader: Reader, value: s.Value) -> tuple[str, str, Span] | None:
    """`VAD "acme-123"`: the partner company's own id for a channel on the route."""
    atoms = value.atoms if isinstance(value, s.Phrase) else ()
    if len(atoms) == 2 and isinstance(atoms[0], s.Name) and isinstance(atoms[1], s.Str) \
            and atoms[1].value:
        return (atoms[0].value, atoms[1].value, value.span)
    reader.wrong(value, "a channel and its partner's id in quotes", 'VAD "acme-123"')
    return None


# Metrics that add up over contract years, so `expect total` can state them.
TOTAL_METRICS = ("software_list", "customer_pays", "services", "wholesale_price",
                 "vendor_receives", "partner_margin", "commission", "influence", "mdf",
                 "partner_gross", "vendor_cogs", "renewal_fee", "spiff", "credit")


def parse_expect(block: s.Block, ctx: Ctx) -> list[m.Expectation]:
    """`expect [year N | total] [Party] { metric: value }`; `~value` matches to its written
    precision; `total` states the sum over every contract year ("total if the customer
    retains: $7,200")."""
    v = View(block, ctx, EXPECT_METRICS)
    year, party, total = _expect_header(block, ctx)
    found = []
    for attr in block.attributes():
        if attr.key not in EXPECT_METRICS:
            continue
        if total and attr.key not in TOTAL_METRICS:
            ctx.reporter.error("CH-E110", f"`{attr.key}` does not add up over contract years,"
                               " so `expect total` cannot state it", attr.key_span,
                               label="not a sum", help=(
                                   "state it per year (`expect year 1 { ... }`) or for every"
                                   " year (`expect { ... }`); `expect total` takes "
                                   + ", ".join(TOTAL_METRICS),))
            continue
        raw = attr.values[0]
        approx = isinstance(raw, s.Approx)
        inner = raw.inner if approx else raw
        value = _expected_value(ctx.reader, attr.key, inner)
        if value is not None:
            found.append(m.Expectation(attr.key, party, year, value, approx, s.render_value(raw),
                                       attr.span, _written_quantum(inner) if approx else None,
                                       total))
    del v
    return found


def _expect_header(block: s.Block, ctx: Ctx) -> tuple[int | None, str | None, bool]:
    words = list(block.header)
    year = party = None
    total = False
    if len(words) >= 2 and isinstance(words[0], s.Name) and words[0].value == "year" \
            and isinstance(words[1], s.Number):
        year = int(words[1].value)
        words = words[2:]
    elif words and isinstance(words[0], s.Name) and words[0].value == "total":
        total, words = True, words[1:]
    if len(words) == 1 and isinstance(words[0], s.Name):
        party = words[0].value
    elif words:
        ctx.reporter.error("CH-E110", "an expectation header is `expect [year N | total]"
                           " [Party] {`", words[0].span, label="unexpected here")
    return year, party, total


def _written_quantum(value: s.Value) -> Decimal | None:
    """The precision a literal is written to: `~Rp 1,19 Miliar` → 10 juta, `~43%` → 1%."""
    if isinstance(value, s.Money):
        match = MONEY_RE.match(value.text.strip())
        if match is None:
            return None
        digits = parse_number(match["num"]).as_tuple().exponent
        return Decimal(1).scaleb(digits) * SCALES.get(match["scale"] or "", Decimal(1))
    if isinstance(value, s.Percent):
        return Decimal(1).scaleb(parse_number(value.text.rstrip("% ").strip()).as_tuple().exponent) / 100
    return None


PERCENT_METRICS = ("partner_share", "combined_rate", "vendor_net_margin")


def _expected_value(reader: Reader, metric: str, value: s.Value):
    if metric == "decision":
        word = reader.name(value)
        return word and check_choice(Ctx(reader.reporter, reader), value, word,
                                     ("accept", "walk"), "decision")
    if metric in PERCENT_METRICS:
        return reader.percent(value)
    return reader.money(value)


# ---- the construct table --------------------------------------------------------------------

@node
class Construct:
    """One top-level block kind: the one place it is declared. The parser's block kinds, the
    assembly of `Program`, the duplicate-name check and the ship gate's `requires:` words all
    derive from `CONSTRUCTS`, so a new construct is its dataclass and `Program` field in
    model.py and its `parse_<construct>` plus one row here."""

    kind: str                      # the block keyword: `channel`
    field: str                     # the `Program` field it fills: `channels`
    lower: Callable                # parse_<construct>(block, ctx)
    many: bool = True              # any number of blocks, or at most one
    named: str | None = "name"     # the model attribute that names it (None: no duplicates)
    gate: bool = False             # a ship gate may `requires:` the program to have one
    absent: object = None          # the field's value without a block (one-block kinds)
    noun: str = ""                 # how diagnostics name one ("policy setting"); default kind

    def __post_init__(self) -> None:
        if not self.noun:
            object.__setattr__(self, "noun", self.kind)


CONSTRUCTS = (
    Construct("program", "header", parse_header, many=False, named=None),
    Construct("product", "products", parse_product),
    Construct("channel", "channels", parse_channel),
    Construct("attribution", "attribution", parse_attribution, many=False, named=None, gate=True),
    Construct("handover", "handovers", parse_handover, named=None, gate=True),
    Construct("economics", "economics", parse_economics, many=False, named=None),
    Construct("mitigation", "mitigations", parse_mitigation, gate=True),
    Construct("registration", "registration", parse_registration, many=False, named=None,
              gate=True),
    Construct("clawback", "clawbacks", parse_clawback, gate=True),
    Construct("spiff", "spiffs", parse_spiff),
    Construct("scoring", "scorings", parse_scoring),
    Construct("process", "processes", parse_process, gate=True),
    Construct("enablement", "enablement", parse_enablement, many=False, named=None, gate=True,
              absent=()),
    Construct("ship_gate", "ship_gate", parse_ship_gate, many=False, named=None, absent=()),
    Construct("example", "examples", parse_example, gate=True),
    Construct("policy", "policy_settings", parse_policy, named="policy", noun="policy setting"),
    Construct("waiver", "waivers", parse_waiver),
    Construct("conflicts", "conflicts", parse_conflicts, many=False, named=None, absent=()),
    Construct("co_marketing", "co_marketing", parse_co_marketing, many=False, named=None,
              absent=()),
    Construct("unit_economics", "unit_economics", parse_unit_economics, many=False,
              named=None),
    Construct("payment_terms", "payment_terms", parse_payment_terms, many=False, named=None),
)
TOP_LEVEL = tuple(c.kind for c in CONSTRUCTS)
BLOCK_KINDS = frozenset(TOP_LEVEL + NESTED_KINDS)
