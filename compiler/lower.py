"""Lowering: the merged syntax tree of a program → the typed model.

One ``parse_<construct>`` per construct (the vocabulary is documented in docs/language.md).
Each reads its block through a `View`, so unknown or misspelt attributes, wrong types and
missing values are reported with spans and help; lowering never stops at the first problem.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Callable

from charter import model as m
from charter import syntax as s
from charter.view import Ctx, View, block_name, check_choice, suggest
from charter.literals import MONEY_RE, CURRENCIES, SCALES, parse_number
from charter.source import Span
from charter.values import Duration, Rate, Reader

if TYPE_CHECKING:  # the registry is imported where a `policy` block is read (parse_policy)
    from charter.policies.base import Param, Policy

OWNERS = ("vendor", "partner", "shared")
PARTIES = ("vendor", "partner")
CADENCES = ("weekly", "biweekly", "monthly", "quarterly", "semiannual", "annual")
SEMANTICS = ("forward", "marginal", "retroactive")
RESETS = ("calendar_year", "fiscal_year", "quarter", "contract_year", "never")
ENFORCEMENTS = ("gate", "periodic_review", "contractual_sla", "escalation_path")
STATUSES = ("draft", "locked")
ROUNDINGS = ("half_up", "half_even", "down", "up")
MINOR_UNITS = {"IDR": 0, "JPY": 0}  # what is actually paid; everything else in cents
# The block kinds that only appear inside another block (each read by its parent's parse_*).
NESTED_KINDS = ("tier", "thresholds", "support", "white_label", "service", "split", "step",
                "item", "condition", "dimension", "band", "expect", "case", "activity")
EXPECT_METRICS = ("software_list", "customer_pays", "services", "wholesale_price",
                  "unit_price", "wholesale_unit_price",
                  "vendor_receives", "partner_margin", "commission", "influence", "mdf",
                  "partner_gross",
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
    v = View(block, ctx, CHANNEL_ATTRS, ("tier", "thresholds", "support", "white_label"))
    model_ = v.choice("model", m.CHANNEL_MODELS, "wholesale") or ""   # the table's names
    thresholds = v.child("thresholds")
    support, white = v.child("support"), v.child("white_label")
    tiers = tuple(parse_tier(b, ctx, i + 1) for i, b in enumerate(v.children("tier")))
    return m.Channel(
        name=block_name(block, ctx), model=model_, owner=v.choice("owner", OWNERS, "partner") or "",
        commission_base=v.choice("commission_base", ("software", "software_and_services"),
                                 default="software") or "software",
        lead_protection=v.one("lead_protection", Reader.duration),
        lead_protection_extension=v.one("lead_protection_extension", Reader.duration),
        eligibility=v.text("eligibility"),
        barrier=v.choice("barrier", ("low", "medium", "high")),
        certification=v.many("certification", Reader.name),
        certification_renewal=v.one("certification_renewal", Reader.duration),
        payment=v.choice("payment", ("one_time", "recurring"), default="recurring") or "recurring",
        commission=v.one("commission", Reader.share),
        commission_y2=v.one("commission_y2", Reader.share),
        commission_years=v.one("commission_years", Reader.integer),
        discount=v.one("discount", _percent_range), best_for=v.text("best_for"),
        effort=v.text("effort"), tiers=tiers,
        thresholds=parse_thresholds(thresholds, ctx) if thresholds else None,
        support=parse_support(support, ctx) if support else None,
        white_label=parse_white_label(white, ctx) if white else None,
        doc=v.doc, internal=block.internal, span=block.span, spans=_spans(v))


CHANNEL_ATTRS = ("model", "owner", "commission_base", "lead_protection",
                 "lead_protection_extension", "eligibility", "barrier", "certification",
                 "certification_renewal", "payment", "commission", "commission_y2",
                 "commission_years", "discount", "best_for", "effort")
TIER_ATTRS = ("rank", "label", "quota", "qualify", "revenue_band", "margin", "margin_y2",
              "commission", "commission_y2", "mdf", "mdf_claim", "tier_up", "review", "grace",
              "downgrade_to", "options", "benefits", "certified_people")


def _spans(v: View) -> dict:
    """Each attribute's span by name, and the block's header line as `header`."""
    return {"header": v.header_span, **{key: attrs[0].span for key, attrs in v.attrs.items()}}


def parse_tier(block: s.Block, ctx: Ctx, position: int) -> m.Tier:
    """`tier Elite { quota, margin, margin_y2, mdf, tier_up, service {...}, ... }`."""
    v = View(block, ctx, TIER_ATTRS, ("service",))
    service = v.child("service")
    mdf = v.one("mdf", Reader.share_money_or_rate)   # `2%`, `$10K` or `$5_000 per year`
    return m.Tier(
        name=block_name(block, ctx), rank=v.one("rank", Reader.integer, default=position) or position,
        label=v.text("label"), quota=_quota(v), qualify=_qualify(v),
        revenue_band=v.one("revenue_band", _money_band),
        margin=v.one("margin", Reader.share), margin_y2=v.one("margin_y2", Reader.share),
        commission=v.one("commission", Reader.share),
        commission_y2=v.one("commission_y2", Reader.share),
        mdf=mdf.money if isinstance(mdf, Rate) else mdf, mdf_claim=v.text("mdf_claim"),
        tier_up=v.one("tier_up", _tier_up), review=v.choice("review", CADENCES),
        grace=v.one("grace", Reader.duration), downgrade_to=v.one("downgrade_to", Reader.name),
        options=v.many("options", Reader.name), benefits=v.many("benefits", Reader.string),
        certified_people=v.one("certified_people", Reader.integer),
        service=parse_service(service, ctx) if service else None, doc=v.doc, span=block.span,
        spans=_spans(v), mdf_period=mdf.period if isinstance(mdf, Rate) else None)


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
    """`thresholds name { basis, semantics, reset, bracket: lo .. hi -> rate }` (no defaults)."""
    v = View(block, ctx, ("basis", "semantics", "reset", "bracket", "override"),
             repeated=("bracket",))
    brackets = tuple(b for b in (_bracket(ctx.reader, a) for a in v.all("bracket")) if b)
    if not v.has("bracket"):
        v.missing("bracket", "Rp 0 .. Rp 3 Miliar -> 10%")
    return m.Thresholds(
        name=block_name(block, ctx, required=False) or "volume",
        basis=v.one("basis", Reader.name, "referred_software_revenue") or "",
        semantics=v.choice("semantics", SEMANTICS, "forward") or "",
        reset=v.choice("reset", RESETS, "calendar_year") or "", brackets=brackets,
        override=v.text("override"), span=block.span)


def _bracket(reader: Reader, attr: s.Attribute) -> m.Bracket | None:
    value = attr.values[0]
    if not (isinstance(value, s.Arrow) and len(value.items) == 2
            and isinstance(value.items[0], s.Range) and value.items[0].low is not None):
        reader.wrong(value, "a bracket", "Rp 0 .. Rp 3 Miliar -> 10%")
        return None
    rng, rate_value = value.items
    low = reader.money(rng.low)
    high = reader.money(rng.high) if rng.high is not None else None
    rate = reader.share(rate_value)
    if low is None or rate is None or (rng.high is not None and high is None):
        return None
    return m.Bracket(low, high, rate, attr.span)


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
                          "no_double_dipping"), ("split",))
    return m.Attribution(
        default=v.choice("default", ("single", "split"), "single") or "single",
        conflict=v.choice("conflict", ("first_to_register", "first_touch", "manual"),
                          default="first_to_register") or "",
        unregistered_rate=v.one("unregistered_rate", Reader.share),
        influenced_rate=_influenced_rate(v.attr("influenced_rate"), ctx),
        no_double_dipping=v.flag("no_double_dipping"),
        splits=tuple(parse_split(b, ctx) for b in v.children("split")), span=block.span,
        influenced_of_sourced=_of_sourced(v.attr("influenced_rate")))


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
        if key == "when":
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
    return m.Split(name, tuple(shares), v.text("when"), block.span)


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
        combined_cap=v.one("combined_cap", Reader.share), cap_year=v.one("cap_year", Reader.integer),
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
                      "excludes")
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
        spans=_spans(v))


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


def parse_spiff(block: s.Block, ctx: Ctx) -> m.Spiff:
    """`spiff activation { trigger, reward, duration }`."""
    v = View(block, ctx, ("trigger", "reward", "duration"))
    return m.Spiff(block_name(block, ctx), v.text("trigger", '"first deal closed"'),
                   v.one("reward", _reward, "$500"), v.one("duration", Reader.duration),
                   v.doc, block.span)


def _reward(reader: Reader, value: s.Value):
    if isinstance(value, s.Range) and value.low is not None and value.high is not None:
        low, high = reader.percent_or_money(value.low), reader.percent_or_money(value.high)
        return (low, high) if low is not None and high is not None else None
    if isinstance(value, s.Phrase) and isinstance(value.atoms[0], s.Number):
        return s.render_value(value)  # "2 x commission" stays a description
    return reader.percent_or_money(value)


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
    if not all(isinstance(x, s.Name) for x in items):
        v.reader.wrong(value, "a word, or words in order joined by `->`",
                       "warning -> probation -> termination")
        return ()
    return tuple(x.value for x in items)


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
    return m.Example(block_name(block, ctx), _deal(v, block), expectations, v.doc, block.span)


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
        partners=v.many("partners", _partner), span=block.span, spans=_spans(v))


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
    """`Referral Rp 2 Miliar [as of 2026-01-31]`: volume already booked this period, by channel
    (a 4-tuple: channel, amount, span, the date it was measured or None)."""
    atoms = value.atoms if isinstance(value, s.Phrase) else ()
    words = [a.value if isinstance(a, s.Name) else None for a in atoms[2:-1]]
    dated = len(atoms) > 2 and words in (["as", "of"], ["as_of"])
    if len(atoms) >= 2 and isinstance(atoms[0], s.Name) and (len(atoms) == 2 or dated):
        money = reader.money(atoms[1])
        as_of = reader.date(atoms[-1]) if dated else None
        if money is None or (dated and as_of is None):
            return None
        return (atoms[0].value, money, value.span, as_of)
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
                 "partner_gross", "vendor_cogs")


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

@dataclass(frozen=True)
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
)
TOP_LEVEL = tuple(c.kind for c in CONSTRUCTS)
BLOCK_KINDS = frozenset(TOP_LEVEL + NESTED_KINDS)
