"""The partner guide's economics: what a partner earns, for how long, and how to grow.

Every section reads the partner projection (`Projection`) only; computed numbers come from
the engine's partner view of a quote (`Projection.quote`).
"""
from __future__ import annotations

from decimal import Decimal

from charter.targets import diagram
from charter.targets.document import Figure, Items, Note, Para, Section, Table, table
from charter.targets.guide_rules import window
from charter.targets.projection import Projection, local
from charter.targets.wording import partner_prose, words

YEARS_SHOWN = 5      # the year-by-year table: long enough to show any step-down
MODE_TEXT = {
    "forward": "The whole deal earns the rate of the bracket your volume had reached before"
               " the deal. The deal that crosses a threshold still earns the old rate; the"
               " next deal earns the new one.",
    "marginal": "Each part of the deal earns the rate of the bracket it falls in, like tax"
                " brackets.",
    "retroactive": "The deal earns the rate of the bracket that your volume, this deal"
                   " included, reaches; when a threshold is crossed, the volume booked earlier"
                   " in the period is topped up to the new rate.",
}


# ---- channel summaries ---------------------------------------------------------------------

def channel_terms(p: Projection, channel: dict) -> str:
    """What a channel earns, in one line: rates per tier, brackets, or a negotiated range,
    and a conditional renewal fee with its condition."""
    return _own_terms(p, channel) + _renewal_terms(p, channel)


# What a partner does to meet each payout condition, in the guide's words.
CONDITION_WORDS = {"renewal_influenced": "you influence the customer's renewal"}


def _renewal_terms(p: Projection, channel: dict) -> str:
    fee = channel.get("renewal_fee")
    if not fee:
        return ""
    when = CONDITION_WORDS.get(fee["when"], words(fee["when"]))
    return (f"; plus {p.words.percent(fee['rate'])} a year from contract year"
            f" {fee['from_year']} only when {when} (say so on the deal)")


def _own_terms(p: Projection, channel: dict) -> str:
    w = p.words
    if channel["tiers"]:
        return _tier_terms(p, channel)
    negotiated = _first_year_term(channel)
    if negotiated is not None:
        return _negotiated_terms(p, channel, negotiated)
    if channel["discount"]:
        rng = channel["discount"]
        return f"discount of {w.percent(rng['from'])} – {w.percent(rng['up_to'])} off list," \
               " negotiated per deal"
    if channel["thresholds"]:
        brackets = channel["thresholds"]["brackets"]
        by = "deal count" if "deals" in brackets[0]["from"] else "volume bracket"
        return f"{words(channel['payout']['kind'])} by {by}: " + \
            "; ".join(_bracket_text(p, b) for b in brackets)
    return _payout_terms(p, channel)


BASES = {"software": "software revenue", "software_and_services": "software and services revenue"}
# The terms that set a channel's or tier's year-1 rate, when a deal negotiates it.
FIRST_YEAR_TERMS = ("commission", "discount", "margin")


def _first_year_term(holder: dict) -> dict | None:
    """The negotiable entry that sets ``holder``'s year-1 rate, if each deal negotiates it."""
    return next((n for n in holder.get("negotiable", ()) if n["term"] in FIRST_YEAR_TERMS),
                None)


def _negotiated_terms(p: Projection, channel: dict, entry: dict) -> str:
    """`commission on software revenue of 10%–20%, negotiated per deal; 10% unless agreed`."""
    if entry["term"] == "discount":
        return f"discount off list of {p.words.negotiable(entry)}"
    base = BASES.get(channel["commission_base"], words(channel["commission_base"]))
    return f"commission on {base} of {p.words.negotiable(entry)}"


def _tier_rate(p: Projection, tier: dict) -> str:
    """A tier's year-1 rate: `25%`, or a negotiable range `20%–30%` (its default in the
    tier table)."""
    entry = _first_year_term(tier)
    if entry is None:
        return p.words.percent(tier["payout"]["years"][0]["rate"])
    low = p.words.term(entry["from"])
    return f"{low}–{p.words.term(entry['up_to'])}" if entry["up_to"] is not None else f"{low}+"


def _payout_terms(p: Projection, channel: dict) -> str:
    payout = channel["payout"]
    first = payout["years"][0]["rate"] if payout else None
    if first is None or Decimal(first) == 0:
        return _split_terms(p, channel)
    base = BASES.get(channel["commission_base"], words(channel["commission_base"]))
    return f"{p.words.percent(first)} {words(payout['kind'])} on {base}"


def _split_terms(p: Projection, channel: dict) -> str:
    """A channel that pays nothing of its own earns through the splits that name it."""
    splits = (p.data["attribution"] or {}).get("splits", [])
    shares = [f"{p.words.percent(x['share'])} ({words(s['name'])})" for s in splits
              if s["settles"] == "cash"  # a credit-only split pays nothing
              for x in s["shares"] if x["party"] == channel["id"]]
    return "a share of the deal by split: " + ", ".join(shares) if shares else \
        "no rate stated in the program"


def _tier_terms(p: Projection, channel: dict) -> str:
    tiers = channel["tiers"]
    kind = words(tiers[0]["payout"]["kind"])
    rates = " / ".join(_tier_rate(p, t) for t in tiers)
    names = " / ".join(t["name"] for t in tiers)
    extra = "" if not any(funds_mdf(t) for t in tiers) else \
        " plus MDF " + " / ".join(mdf_text(p, t) for t in tiers)
    return f"{kind} {rates} ({names}){extra}"


def funds_mdf(tier: dict) -> bool:
    """Whether the tier funds any MDF: a share above zero, or a fixed fund."""
    return bool(Decimal(tier["payout"]["mdf"])) or tier["payout"].get("mdf_fund") is not None


def mdf_text(p: Projection, tier: dict) -> str:
    """A tier's MDF in words: `3%` (of the deal), or a fixed fund: `$5,000 per quarter (up to
    $15,000 per year)`."""
    mdf = tier.get("mdf") or {}
    if "money" not in mdf:
        return p.words.percent(tier["payout"]["mdf"])
    fund = f"{p.words.money(mdf['money'])} per {words(mdf['per_period'] or 'year')}"
    cap = tier.get("mdf_cap")
    return fund if not cap else \
        f"{fund} (up to {p.words.money(cap['money'])} per {words(cap['per_period'] or 'year')})"


def _bracket_text(p: Projection, bracket: dict) -> str:
    w = p.words
    if "deals" in bracket["from"]:
        return _count_bracket_text(p, bracket)
    if Decimal(bracket["from"]["amount"]) == 0 and bracket["up_to"]:
        return f"{w.percent(bracket['rate'])} up to {w.money(bracket['up_to'])}"
    top = f" up to {w.money(bracket['up_to'])}" if bracket["up_to"] else ""
    return f"{w.percent(bracket['rate'])} from {w.money(bracket['from'])}{top}"


def _count_bracket_text(p: Projection, bracket: dict) -> str:
    """A count ladder's bracket: `30% on deals 1 – 10 of the period`."""
    up_to = bracket["up_to"]["deals"] if bracket["up_to"] else None
    span = p.words.deals(bracket["from"]["deals"], up_to)
    where = "from " + span.removesuffix(" and above") if up_to is None else "on " + span
    return f"{p.words.percent(bracket['rate'])} {where} of the period"


def how_long(p: Projection, channel: dict) -> str:
    """How long the channel's payout lasts, from the engine's year schedule."""
    tiers = channel["tiers"]
    payouts = [t["payout"] for t in tiers] or [channel["payout"]]
    flat = all(x and len(x["years"]) == 1 and x["years"][0]["to_year"] is None for x in payouts)
    if tiers and flat:
        text = "the tier's rate every year"
    elif tiers:
        text = "; ".join(f"{t['name']}: {p.words.schedule(t['payout']['years'])}" for t in tiers)
    elif payouts[0] and not _pays_nothing(payouts[0]):
        text = p.words.schedule(payouts[0]["years"], "by bracket" if payouts[0]["ladder"]
                                else "the negotiated rate")
    else:
        return "—"
    if flat and channel["partner_owns_customer"]:
        text += ", for as long as the customer renews (no year-2 step-down)"
    if channel.get("renewal_fee"):  # a conditional fee outlasts a first-year commission
        text += "; the renewal fee each year from year 2 that you influence the renewal"
    return text


def _pays_nothing(payout: dict) -> bool:
    return all(r["rate"] is not None and Decimal(r["rate"]) == 0 for r in payout["years"])


def how_to_grow(p: Projection, channel: dict) -> str:
    """Ways up: tier promotions, volume brackets, tier options, own services revenue."""
    ways = [f"{t['name']} → {local(t['tier_up']['to'])} at"
            f" {p.words.criteria(t['tier_up']['when'])}"
            for t in channel["tiers"] if t["tier_up"]]
    ladder = channel["thresholds"]
    if ladder and ladder["basis"] == "deal_value":
        top = ladder["brackets"][-1]
        ways.append(f"{p.words.percent(top['rate'])} on deals of {p.words.money(top['from'])}"
                    " or more")
    elif ladder and "deals" in ladder["brackets"][-1]["from"]:
        top = ladder["brackets"][-1]
        ways.append(f"{p.words.percent(top['rate'])} from your deal"
                    f" {p.words.number(top['from']['deals'])} of the period"
                    f" ({words(ladder['reset'])})")
    elif ladder:
        top = ladder["brackets"][-1]
        ways.append(f"{p.words.percent(top['rate'])} once your volume reaches"
                    f" {p.words.money(top['from'])} ({words(ladder['reset'])})")
    ways += [f"{t['name']}: {', '.join(words(o) for o in t['options'])}"
             for t in channel["tiers"] if t["options"]]
    if channel["partner_owns_customer"] and _partner_services(p):
        ways.append("your own services revenue on top, at your prices")
    return "; ".join(ways) or "—"


def _partner_services(p: Projection) -> list[dict]:
    return [x for x in p.data["products"]
            if x["layer"] == "services" and x["priced_by"] == "partner"]


def at_a_glance(p: Projection) -> Section:
    """For a prospect: each channel's earnings, how long they last and how to grow."""
    rows = tuple((c["name"], channel_terms(p, c), how_long(p, c), how_to_grow(p, c))
                 for c in p.channels)
    return Section("at-a-glance", "At a glance", (
        Table(("Channel", "What you earn", "How long it lasts", "How to grow"), rows),))


# ---- channel models side by side -----------------------------------------------------------

def _owner(channel: dict) -> str:
    if channel["partner_owns_customer"]:
        return "you own the customer relationship and the renewal"
    owners = {"vendor": "the vendor owns the customer relationship",
              "shared": "shared between you and the vendor"}
    return owners.get(channel["owner"], words(channel["owner"]))


def _protection(p: Projection, channel: dict) -> str:
    extension = window(p, channel, "lead_protection_extension")
    return (window(p, channel) or "—") + (f" (+ {extension})" if extension else "")


def _certification(p: Projection, channel: dict) -> str:
    if not channel["certification"]:
        return "—"
    renewal = channel["certification_renewal"]
    every = f", renewed every {p.words.duration(renewal)}" if renewal else ""
    return ", ".join(words(c) for c in channel["certification"]) + every


def _support(channel: dict) -> str:
    levels = channel["support"] or {}
    return ", ".join(f"{k}: {words(v)}" for k, v in sorted(levels.items())) or "—"


def _white_label(channel: dict) -> str:
    wl = channel["white_label"]
    if not wl:
        return "—"
    return ", ".join(f"{k}: {words(v)}" for k, v in wl.items() if v)


SIDE_BY_SIDE = (
    ("Model", lambda p, c: words(c["model"])),
    ("Best for", lambda p, c: c["best_for"] or "—"),
    ("Effort", lambda p, c: c["effort"] or "—"),
    ("What you earn", channel_terms),
    ("How long it lasts", how_long),
    ("Customer relationship", lambda p, c: _owner(c)),
    ("Lead protection", _protection),
    ("Eligibility", lambda p, c: c["eligibility"] or "—"),
    ("Entry barrier", lambda p, c: words(c["barrier"]) if c["barrier"] else "—"),
    ("Certification", _certification),
    ("Support levels", lambda p, c: _support(c)),
    ("White label", lambda p, c: _white_label(c)),
)


def side_by_side(p: Projection) -> Section:
    """The channel models in columns, one row per property (rows no channel has are left out)."""
    rows = []
    for label, read in SIDE_BY_SIDE:
        cells = tuple(read(p, c) for c in p.channels)
        if any(cell != "—" for cell in cells):
            rows.append((label,) + cells)
    blocks = [Table(("",) + tuple(c["name"] for c in p.channels), tuple(rows))]
    blocks += [Para(named(c["name"], partner_prose(c["doc"]))) for c in p.channels
               if partner_prose(c["doc"])]
    return Section("channel-models", "The channel models side by side", tuple(blocks))


# ---- products ------------------------------------------------------------------------------

def _msrp(p: Projection, product: dict) -> str:
    floor = product["msrp_floor"]
    if floor is None:
        return "—"
    return "the list price" if floor.get("list_price") else p.words.price(floor["price"])


def _product_price(p: Projection, product: dict) -> str:
    if product["list_price"]:
        return p.words.price(product["list_price"])
    if product["subcontract_price"]:
        sub = product["subcontract_price"]
        return f"{p.words.price(sub['from'])} – {p.words.price(sub['up_to'])} (sub-contract)"
    return product["typical_price"] or "set by the partner"


def products(p: Projection) -> Section | None:
    """The price list, layer by layer, and what each product includes."""
    items = p.data["products"]
    if not items:
        return None
    rows = tuple((x["name"], words(x["layer"]), _product_price(p, x), words(x["delivered_by"]),
                  words(x["priced_by"]), _msrp(p, x)) for x in items)
    blocks = [table(("Product", "Layer", "Price", "Delivered by", "Priced by",
                     "Lowest customer price"), list(rows))]
    included = _includes(items)
    if included:
        blocks.append(Items(included))
    blocks += [Para(f"{x['name']}: {x['typical_price']}") for x in items
               if x["typical_price"] and (x["list_price"] or x["subcontract_price"])]
    return Section("products", "Products and pricing", tuple(blocks))


def _includes(items: list[dict]) -> tuple[tuple[str, str], ...]:
    """What each product includes; products that include the same things share one line."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for x in items:
        if x["includes"]:
            groups.setdefault(tuple(x["includes"]), []).append(x["name"])
    return tuple((", ".join(names), ("include: " if len(names) > 1 else "includes: ")
                  + "; ".join(inc)) for inc, names in groups.items())


# ---- the wholesale ladder ------------------------------------------------------------------

def wholesale_ladder(p: Projection) -> Section | None:
    """What a reseller pays the vendor per unit, per product and tier (the engine's prices)."""
    tables = [_ladder_table(p, c) for c in p.channels
              if c["buys_wholesale"] and any(t["wholesale_prices"] for t in c["tiers"])]
    if not tables:
        return None
    note = Note("You buy at the wholesale price and sell at your own price, never below the"
                " lowest customer price without the vendor's approval; the difference is yours.")
    return Section("wholesale-ladder", "Wholesale price ladder", tuple(tables) + (note,))


def _ladder_table(p: Projection, channel: dict) -> Table:
    tiers = [t for t in channel["tiers"] if t["wholesale_prices"]]
    head = ("Product", "Customer list price") + tuple(
        f"{t['name']} ({p.words.percent(t['payout']['years'][0]['rate'])})" for t in tiers)
    rows = []
    for product in p.priced_software():
        prices = [next((x for x in t["wholesale_prices"] if x["product"] == product["id"]), None)
                  for t in tiers]
        rows.append((product["name"], p.words.price(product["list_price"]))
                    + tuple(p.words.money(x["unit_price"]) if x else "—" for x in prices))
    return Table(head, tuple(rows), f"{channel['name']}: wholesale price per unit, by tier")


# ---- tiers ---------------------------------------------------------------------------------

def ladder_graph(p: Projection, channel: dict, key: str) -> diagram.Graph:
    """A channel's tiers bottom up: promotions as arrows up, downgrades as dotted arrows down."""
    ids = {t["id"]: f"t{i}" for i, t in enumerate(channel["tiers"])}
    nodes = tuple(diagram.node(ids[t["id"]], _tier_lines(p, t), i)
                  for i, t in enumerate(channel["tiers"]))
    edges = [diagram.edge(ids[t["id"]], ids[t["tier_up"]["to"]],
                          (p.words.criteria(t["tier_up"]["when"]),))
             for t in channel["tiers"] if t["tier_up"] and t["tier_up"]["to"] in ids]
    edges += [diagram.edge(ids[t["id"]], ids[t["downgrade_to"]],
                           (f"downgrade ({words(t['review'])} review)" if t["review"] else
                            "downgrade",), dotted=True)
              for t in channel["tiers"] if t["downgrade_to"] in ids]
    return diagram.Graph("BT", nodes, tuple(edges), f"{channel['name']} tier ladder", key)


def _tier_lines(p: Projection, tier: dict) -> tuple[str, ...]:
    title = tier["name"] + (f" — {tier['label']}" if tier["label"] else "")
    first = tier["payout"]["years"][0]["rate"]
    shown = _tier_rate(p, tier) if first or _first_year_term(tier) else ""
    earn = f"{words(tier['payout']['kind'])} {shown}" if shown else ""
    mdf = f"MDF {mdf_text(p, tier)}" if funds_mdf(tier) else ""
    lines = [title, " · ".join(x for x in (earn, mdf) if x)]
    if tier["quota"]:
        lines.append(f"quota {p.words.price(tier['quota'])}")
    return tuple(line for line in lines if line)


def _tier_row(p: Projection, t: dict) -> tuple[str, ...]:
    up = t["tier_up"]
    return (t["name"], t["label"] or "—", p.words.price(t["quota"]) if t["quota"] else "none",
            p.words.criteria(t["qualify"]) if t["qualify"] else "open",
            p.words.negotiable(_first_year_term(t)) if _first_year_term(t)
            else p.words.schedule(t["payout"]["years"]),
            mdf_text(p, t) if funds_mdf(t) else "—",
            f"{local(up['to'])} at {p.words.criteria(up['when'])}" if up else "—",
            local(t["downgrade_to"]) or "—", words(t["review"]) if t["review"] else "—")


def tiers(p: Projection) -> Section | None:
    """Each tiered channel's ladder (figure and table) and what moves a partner down."""
    tiered = [c for c in p.channels if c["tiers"]]
    if not tiered:
        return None
    subs = tuple(_tier_section(p, c, i) for i, c in enumerate(tiered))
    down = _downgrade_rules(p)
    return Section("tiers", "Tiers: moving up and down", down, subs)


def _tier_section(p: Projection, channel: dict, index: int) -> Section:
    head = ("Tier", "Label", "Quota", "To qualify", "Earns", "MDF", "Moves up to", "Moves down to",
            "Review")
    graph = ladder_graph(p, channel, f"ladder{index}")
    down = ", dotted arrows move down" if any(e.dotted for e in graph.edges) else ""
    figure = Figure(graph, f"{channel['name']}: tiers from the entry tier up; solid arrows"
                           f" move up{down}.")
    rows = [_tier_row(p, t) for t in channel["tiers"]]
    docs = tuple(Para(named(t["name"], partner_prose(t["doc"]))) for t in channel["tiers"]
                 if partner_prose(t["doc"]) and not t["label"])
    return Section(f"tiers-{index}", f"{channel['name']} tiers",
                   (figure, table(head, rows)) + _mdf_notes(p, channel) + docs)


def _mdf_notes(p: Projection, channel: dict) -> tuple:
    """What MDF is (a share of each deal, or a fixed fund per period), and how each tier
    claims it (the program's `mdf_claim`, `mdf_claim_deadline` and `mdf_approval`)."""
    tiers = [t for t in channel["tiers"] if t.get("mdf")]
    if not tiers:
        return ()
    claims = [(t["name"], _claim_text(p, t)) for t in tiers]
    funds = [t["name"] for t in tiers if "money" in t["mdf"]]
    lines = [Para("MDF (market development funds) accrues on every deal you close, as a share"
                  " of the deal's software revenue at list price.")] \
        if len(funds) < len(tiers) else []
    if funds:
        lines.append(Para(f"MDF at {', '.join(funds)} is a fixed fund: the amount in the table"
                          " is yours every period at the tier, up to its cap, and is paid"
                          " against approved claims."))
    stated = [(name, text) for name, text in claims if text]
    if stated and len({text for _n, text in stated}) == 1:
        lines.append(Para(f"Claim rule: {stated[0][1]}"))
    elif stated:
        lines.append(Items(tuple((name, text) for name, text in stated)))
    return tuple(lines)


def _claim_text(p: Projection, tier: dict) -> str:
    """How a tier's MDF is claimed: the rule, the deadline, who approves."""
    parts = [partner_prose(tier["mdf_claim"] or "")]
    if tier.get("mdf_claim_deadline"):
        parts.append(f"claim within {p.words.duration(tier['mdf_claim_deadline'])}")
    if partner_prose(tier.get("mdf_approval") or ""):
        parts.append(f"approval: {partner_prose(tier['mdf_approval'])}")
    return "; ".join(x for x in parts if x)


def payment_terms(p: Projection) -> Section:
    """When the vendor pays each kind of payout (`payment_terms`), or that it is not stated."""
    terms = (p.data.get("payment_terms") or {}).get("terms", [])
    if not terms:
        return Section("payment-terms", "When you are paid", (
            Para("This program does not state when payouts fall due; ask for the payment"
                 " terms before you rely on a date."),))
    items = tuple((KIND_WORDS.get(t["kind"], words(t["kind"])), _term_words(t))
                  for t in terms)
    return Section("payment-terms", "When you are paid", (
        Para("Each contract year is invoiced on its first day. Payouts fall due:"),
        Items(items)))


# A payout kind, and an event a payment waits for, as a partner reads them.
KIND_WORDS = {"commission": "Commission", "true_up": "Retroactive true-up",
              "rebate": "Volume rebate", "split": "Split share", "influence": "Influence fee",
              "mdf": "MDF"}
EVENT_WORDS = {"claim_approval": "your claim is approved",
               "customer_payment": "the customer pays", "partner_invoice": "you invoice"}
PERIOD_WORDS = {"month": "calendar month", "quarter": "calendar quarter",
                "half_year": "calendar half-year", "year": "calendar year"}


def _term_words(term: dict) -> str:
    """`30 days after the contract year's invoice`, `at the end of the calendar quarter`."""
    days = term["days"]
    after = f"{days} day{'' if days == 1 else 's'} after" if days else "on"
    if term["rule"] == "after_event":
        return f"{after} {EVENT_WORDS.get(term['event'], words(term['event']))}" if days \
            else f"when {EVENT_WORDS.get(term['event'], words(term['event']))}"
    if term["rule"] == "net":
        return f"{after} the contract year's invoice" if days else "with the invoice"
    period = PERIOD_WORDS.get(term["period"], words(term["period"]))
    return f"{after if days else 'at'} the end of the {period} the contract year starts in"


def named(name: str, text: str) -> str:
    """`Name: text`, unless the text already starts with the name."""
    return text if text.startswith(name) else f"{name}: {text}"


def _downgrade_rules(p: Projection) -> tuple:
    rules = [(x["title"] or words(x["name"]), _consequence(p, x)) for x in p.data["mitigations"]
             if any("downgrade" in a or "exit" in a for a in x["action"])]
    if not rules:
        return ()
    return (Para("Tiers are kept by outcomes as well as volume. These reviews can move a partner"
                 " down:"), Items(tuple(rules)))


def _consequence(p: Projection, x: dict) -> str:
    when = p.words.criteria(x["trigger"]) if x["trigger"] else ""
    sustained = f" for {p.words.duration(x['sustained'])}" if x["sustained"] else ""
    action = " or ".join(words(a) for a in x["action"])
    cadence = f" ({words(x['cadence'])})" if x["cadence"] else ""
    if not when:
        return f"{action}{cadence}"
    return f"{when}{sustained} → {action}{cadence}"
