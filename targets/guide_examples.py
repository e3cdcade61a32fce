"""The partner guide's computed numbers: volume brackets with a worked crossing, the
program's worked examples, and a year-by-year view of what the partner of record earns.

Every number here is the engine's, read from the partner view of a quote
(`Projection.quote`); deals are built from the partner projection.
"""
from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from charter.economics.kinds import PayoutKind
from charter.economics.thresholds import deals_before
from charter.targets.document import Note, Para, Section, Table, table
from charter.targets.guide_economics import MODE_TEXT, YEARS_SHOWN
from charter.targets.projection import Projection, local, request_of
from charter.targets.wording import partner_prose, words

RESET_TEXT = {"never": "never resets", "contract_year": "counts per contract year"}
COUNT_TEXT = ("Each deal earns the rate of its own place in the count: with 10 deals before"
              " it, a deal is deal 11 and earns the bracket that contains 11.")


# ---- payout lines --------------------------------------------------------------------------

def line_text(p: Projection, line: dict) -> str:
    """`VAD wholesale margin: 35% × Rp2,4 M = Rp840 jt`, with the arithmetic that multiplies
    back (slices for a marginal ladder, the spread at a price other than list)."""
    w, kind = p.words, PayoutKind(line["kind"])
    if line["slices"]:
        how = " + ".join(f"{w.percent(s['rate'])} × {w.money(s['base'])}" for s in line["slices"])
    elif line["amount_is"] == "spread":
        how = "customer price − wholesale price"
    elif line["amount_is"] == "fixed":  # a fixed amount (a SPIFF, a fund) multiplies nothing
        return f"{line['party']} {kind.label}: {w.money(line['amount'])} fixed" + \
            (" (one time)" if line["timing"] == "one_time" else "")
    else:
        how = f"{w.percent(line['rate'])} × {w.money(line['base'])}"
    once = " (one time)" if line["timing"] == "one_time" else ""
    return f"{line['party']} {kind.label}: {how} = {w.money(line['amount'])}{once}"


def earned(quote: dict, year: dict, party: str | None = None) -> Decimal:
    """What ``party`` (default: the partner of record) earns in ``year``, over the payout
    kinds that count in a partner's gross."""
    party = party or quote["partner_of_record"]
    return sum((Decimal(x["amount"]) for x in year["payouts"] + year["not_payable"]
                if x["party"] == party and PayoutKind(x["kind"]).in_partner_gross), Decimal(0))


def deal_text(p: Projection, request: dict) -> str:
    """`Growth × 1.000 users · 2 years · VAD Elite · services Rp350 jt one time`, and every
    condition of the deal that changes what it pays."""
    product = p.product(f"product:{request['product']}")
    noun = ((product or {}).get("list_price") or {}).get("per_unit") or "unit"
    count, years = request["seats"], request.get("years", 1)
    parts = [f"{request['product']} × {p.words.number(count)} {noun}{'' if count == 1 else 's'}",
             f"{years} year{'' if years == 1 else 's'}", _route_text(request["route"])]
    services = request.get("services", {})
    if services.get("one_time"):
        parts.append(f"services {p.words.money(services['one_time'])} one time")
    if services.get("per_year"):
        parts.append(f"services {p.words.money(services['per_year'])} a year")
    for channel, value in request.get("cumulative", {}).items():
        amount = value["amount"] if isinstance(value, dict) else value
        ladder = (p.channel(f"channel:{channel}") or {}).get("thresholds") or {}
        if ladder and "deals" in ladder["brackets"][0]["from"]:
            parts.append(f"{channel} deals so far this period {p.words.number(amount)}")
        else:
            parts.append(f"{channel} volume so far {p.words.money(amount)}")
    return " · ".join(parts + _conditions(p, request))


def _route_text(route: list[dict]) -> str:
    steps = [" ".join(x for x in (s["channel"], s.get("tier")) if x)
             + (f" at {s['rate']}" if s.get("rate") else "")
             + "".join(f", {words(k)} {v} agreed" for k, v in s.get("terms", {}).items())
             for s in route]
    return " → ".join(steps) or "direct"


def _conditions(p: Projection, request: dict) -> list[str]:
    out = []
    if request.get("unit_price"):
        out.append(f"customer price {p.words.money(request['unit_price'])} per unit")
    if request.get("registered") is False:
        out.append("not registered")
    if request.get("certified") is False:
        out.append("partner not certified")
    if request.get("split"):
        out.append(f"split: {words(request['split'])}")
    if request.get("influenced"):
        out.append("influenced by " + ", ".join(request["influenced"]))
    if request.get("renewal_influenced"):
        out.append("the partner influences the renewal")
    if request.get("spiffs"):
        out.append("claims SPIFF " + ", ".join(words(s) for s in request["spiffs"]))
    if request.get("close_date"):
        out.append(f"closes {request['close_date']}")
    return out


# ---- brackets ------------------------------------------------------------------------------

def brackets(p: Projection) -> Section | None:
    """Each threshold ladder: its brackets, how they apply, and a worked crossing."""
    subs = tuple(_ladder_section(p, c, i) for i, c in enumerate(p.channels) if c["thresholds"])
    if not subs:
        return None
    return Section("brackets", "Rate brackets", (), subs)


def _ladder_section(p: Projection, channel: dict, index: int) -> Section:
    ladder = channel["thresholds"]
    w = p.words
    counts = "deals" in ladder["brackets"][0]["from"]
    rows = tuple((w.deals(b["from"]["deals"], b["up_to"]["deals"] if b["up_to"] else None)
                  if counts else
                  f"{w.money(b['from'])} – {w.money(b['up_to'])}" if b["up_to"] else
                  f"{w.money(b['from'])} and above", w.percent(b["rate"]))
                 for b in ladder["brackets"])
    per_deal = ladder["basis"] == "deal_value"
    measure = "each deal's own value" if per_deal else \
        f"your cumulative {words(ladder['measure'])}, which " + \
        RESET_TEXT.get(ladder["reset"], f"resets every {words(ladder['reset'])}")
    if counts:
        measure = f"the deal's place in your count of {words(ladder['measure'])}, which " + \
            RESET_TEXT.get(ladder["reset"], f"resets every {words(ladder['reset'])}")
    how = COUNT_TEXT if counts else "" if per_deal else MODE_TEXT.get(ladder["mode"], "")
    bonus = (p.data.get("registration") or {}).get("registered_bonus")
    if bonus and ladder["pays"] != "rebate":
        how += (f" A registered deal earns the bracket's rate plus the"
                f" {p.words.percent(bonus)} registration bonus.")
    blocks = [Table(("Bracket", words(ladder["pays"]).capitalize()), rows),
              Para(f"The bracket is set by {measure}. " + how)]
    if partner_prose(ladder["override"]):
        blocks.append(Note(partner_prose(ladder["override"])))
    blocks += crossing(p, channel)
    return Section(f"brackets-{index}", f"{channel['name']}: {words(ladder['name'])}",
                   tuple(blocks))


def _crossing_request(p: Projection, channel: dict) -> dict | None:
    """The deal a crossing is shown with: the program's own example on this channel alone,
    else its first priced software product at 1.000 units."""
    for example in p.data["examples"]:
        route = example["deal"]["route"]
        if len(route) == 1 and route[0]["channel"] == channel["id"]:
            return request_of(example["deal"], years=1, cumulative={})
    products = p.priced_software()
    if not products:
        return None
    step = {"channel": channel["name"]}
    if channel["tiers"]:
        step["tier"] = channel["tiers"][0]["name"]
    return {"product": local(products[0]["id"]), "seats": 1000, "years": 1, "route": [step]}


class _NoCrossing(Exception):
    """A crossing's deal does not use the ladder (the engine says): no crossing is shown."""


def crossing(p: Projection, channel: dict) -> tuple:
    """A worked crossing of the first threshold, quoted by the engine (none when the engine
    applies no ladder to the deal)."""
    try:
        return _crossing(p, channel)
    except _NoCrossing:
        return ()


def _crossing(p: Projection, channel: dict) -> tuple:
    ladder = channel["thresholds"]
    request = _crossing_request(p, channel)
    if request is None or len(ladder["brackets"]) < 2:
        return ()
    # The crossing alone: a registered, certified deal of the partner's own, with nothing a
    # ladder does not apply to (an unregistered deal earns `unregistered_rate` instead).
    for extra in ("cumulative", "services", "close_date", "start", "registered", "certified",
                  "split", "influenced", "renewal_influenced", "spiffs"):
        request.pop(extra, None)
    if ladder["basis"] == "deal_value":
        return _per_deal_crossing(p, channel, request)
    if "deals" in ladder["brackets"][0]["from"]:
        return _count_crossing(p, channel, request)
    return _cumulative_crossing(p, channel, request)


def _count_crossing(p: Projection, channel: dict, request: dict) -> tuple:
    """On a count ladder: the last deal before the first threshold and the deal that is the
    threshold's number, both quoted by the engine."""
    first = ladder_boundary_deals(channel)
    rows = []
    for place in (first - 1, first):
        before = deals_before(place)
        quote = p.quote({**request, "cumulative": {channel["name"]: f"{before:f}"}})
        if quote is None:
            return ()
        rows.append(_crossing_row(p, channel, f"Deal {p.words.number(place)} of the period",
                                  quote))
    return (Para(f"Worked crossing ({deal_text(p, request)}), computed by the engine:"),
            Table(("Deal", "Deals before", "Deals after", "Bracket applied", "Payout"),
                  tuple(rows)))


def ladder_boundary_deals(channel: dict) -> int:
    """A count ladder's first threshold: the deal number its second bracket starts at."""
    return channel["thresholds"]["brackets"][1]["from"]["deals"]


def _cumulative_crossing(p: Projection, channel: dict, request: dict) -> tuple:
    probe = p.quote(request)
    if probe is None or not probe["thresholds"]:
        return ()
    use = probe["thresholds"][0]
    volume = Decimal(use["cumulative_after"]) - Decimal(use["cumulative_before"])
    boundary = Decimal(ladder_boundary(channel))
    before = max(Decimal(0), (boundary - volume / 2).quantize(Decimal(1), ROUND_FLOOR))
    rows = []
    for label in ("A deal that crosses the threshold", "The next deal"):
        quote = p.quote({**request, "cumulative": {channel["name"]: str(before)}})
        if quote is None:
            return ()
        rows.append(_crossing_row(p, channel, label, quote))
        before = Decimal(quote["thresholds"][0]["cumulative_after"])
    return (Para(f"Worked crossing ({deal_text(p, request)}), computed by the engine:"),
            Table(("Deal", "Volume before", "Volume after", "Bracket applied", "Payout"),
                  tuple(rows)))


def _per_deal_crossing(p: Projection, channel: dict, request: dict) -> tuple:
    seats = _first_seats_over(p, channel, request, Decimal(ladder_boundary(channel)))
    if seats is None:
        return ()
    rows = []
    for label, count in (("Just below the threshold", seats - 1), ("At the threshold", seats)):
        quote = p.quote({**request, "seats": count}) if count >= 1 else None
        if quote is None:
            continue
        value = p.words.money(quote["years"][0]["software_list"])
        rows.append(_crossing_row(p, channel, f"{label} ({value})", quote))
    return (Para("Worked example, computed by the engine:"),
            Table(("Deal", "Volume before", "Volume after", "Bracket applied", "Payout"),
                  tuple(rows)))


def _first_seats_over(p: Projection, channel: dict, request: dict, boundary: Decimal
                      ) -> int | None:
    """The fewest seats whose deal the engine puts in a bracket from ``boundary`` up: asked
    of the engine (what a deal's value is measured on differs by channel model), doubling
    and then halving; None when no deal of up to a billion seats gets there."""
    def over(seats: int) -> bool | None:
        quote = p.quote({**request, "seats": seats})
        if quote is None:
            return None
        use = next((u for u in quote["thresholds"] if u["party"] == channel["name"]), None)
        if use is None:
            raise _NoCrossing
        return Decimal(use["bracket"]["from"]) >= boundary
    high = 1
    while not (answer := over(high)):
        if answer is None or high > 10 ** 9:
            return None
        high *= 2
    low = high // 2   # over(low) is False (or low is 0)
    while high - low > 1:
        middle = (low + high) // 2
        answer = over(middle)
        if answer is None:
            return None
        low, high = (low, middle) if answer else (middle, high)
    return high


def ladder_boundary(channel: dict) -> str:
    """The lower bound of the ladder's second bracket: its first threshold."""
    return channel["thresholds"]["brackets"][1]["from"]["amount"]


def _crossing_row(p: Projection, channel: dict, label: str, quote: dict) -> tuple[str, ...]:
    use = next((u for u in quote["thresholds"] if u["party"] == channel["name"]), None)
    if use is None:  # the engine applied no ladder to this deal: nothing to show
        raise _NoCrossing
    w, bracket = p.words, use["bracket"]
    counts = use.get("measure") == "deals"
    spell = w.number if counts else w.money
    span = w.deals(int(bracket["from"]), int(bracket["up_to"]) if bracket["up_to"] else None) \
        if counts else f"{spell(bracket['from'])}" + (f" – {spell(bracket['up_to'])}"
                                                     if bracket["up_to"] else " and above")
    lines = [line_text(p, x) for x in quote["years"][0]["payouts"] if x["party"] == channel["name"]]
    before, after = use["cumulative_before"], use["cumulative_after"]
    return (label, spell(before) if before is not None else "—",
            spell(after) if after is not None else "—",
            f"{span} at {w.percent(bracket['rate'])}", "; ".join(lines) or "—")


# ---- worked examples -----------------------------------------------------------------------

def price_check(example: dict) -> bool:
    """An example that only checks a wholesale unit price: the price ladder shows it."""
    return bool(example["expect"]) and all(e["metric"] == "wholesale_unit_price"
                                           for e in example["expect"])


def examples(p: Projection) -> Section | None:
    """The program's worked examples (the partner-safe ones), each quoted by the engine."""
    quoted = [(x, request_of(x["deal"], x["name"])) for x in p.data["examples"]
              if not price_check(x)]
    quoted = [(x, r, q) for x, r in quoted if (q := p.quote(r)) is not None]
    if not quoted:
        return None
    rows = tuple((words(x["name"]), deal_text(p, r), _year_one(p, q)) for x, r, q in quoted)
    summary = Table(("Example", "Deal", "Year 1: partner of record earns"), rows)
    details = tuple(_example_section(p, x, r, q, i) for i, (x, r, q) in enumerate(quoted)
                    if partner_prose(x["doc"]))
    return Section("examples", "Worked examples", (
        Para("Every number below is computed by the program's economics engine from the terms"
             " in this guide."), summary), details)


def _year_one(p: Projection, quote: dict) -> str:
    if quote["decision"] != "accept":
        return "not offered: " + "; ".join(r["message"] for r in quote["reasons"])
    first = quote["years"][0]
    text = p.words.money(earned(quote, first))
    if quote.get("wholesale_unit_price"):
        text += f" (buys at {p.words.money(quote['wholesale_unit_price'])} per unit)"
    return text


def _example_section(p: Projection, example: dict, request: dict, quote: dict,
                     index: int) -> Section:
    head = ("Year", "Customer pays", "Wholesale price", "Payouts", "MDF accrued")
    rows = [_year_row(p, quote, y) for y in quote["years"]]
    blocks = [Para(partner_prose(example["doc"])), Para(deal_text(p, request)),
              table(head, rows)]
    if quote["services_to"] == "partner" and any(Decimal(y["services"]) for y in quote["years"]):
        blocks.append(Para("Services are the partner's own revenue, priced by the partner: "
                           + "; ".join(f"year {y['year']}: {p.words.money(y['services'])}"
                                       for y in quote["years"] if Decimal(y["services"]))))
    return Section(f"example-{index}", words(example["name"]), tuple(blocks))


def _year_row(p: Projection, quote: dict, year: dict) -> tuple[str, ...]:
    w = p.words
    lines = [line_text(p, x) for x in year["payouts"] + year["not_payable"] if x["kind"] != "mdf"]
    mdf = [w.money(x["amount"]) for x in year["payouts"] if x["kind"] == "mdf"]
    return (f"Year {year['year']}", w.money(year["customer_pays"]),
            w.money(year["wholesale_price"]) if year["wholesale_price"] else "—",
            "; ".join(lines) or "—", ", ".join(mdf) or "—")


# ---- year by year --------------------------------------------------------------------------

def year_by_year(p: Projection) -> Section | None:
    """What the partner of record earns over `YEARS_SHOWN` contract years on the program's
    headline deal: its first example closed by a reseller (else its first example), as a
    plain registered deal at list price."""
    example = headline(p)
    if example is None:
        return None
    plain = request_of(example["deal"], years=YEARS_SHOWN)
    for condition in PLAIN_DROPS:
        plain.pop(condition, None)
    quote = p.quote(plain)
    if quote is None or quote["decision"] != "accept":
        return None
    rows, total = [], Decimal(0)
    for year in quote["years"]:
        total += earned(quote, year)
        rows.append((f"Year {year['year']}", p.words.money(year["software"]),
                     p.words.money(year["wholesale_price"]) if year["wholesale_price"] else "—",
                     p.words.money(earned(quote, year)), p.words.money(total)))
    head = ("Year", "Customer pays for software", "Wholesale price",
            f"{quote['partner_of_record']} earns", "Earned so far")
    return Section("year-by-year", "Year by year", (
        Para(f"{deal_text(p, plain)}: what the partner of record earns in each contract year"
             " the customer renews (services not included)."), table(head, rows)))


# Conditions that make a deal special (a split, a price, no registration): the year-by-year
# view shows the program's ordinary terms.
PLAIN_DROPS = ("unit_price", "price_approved", "registered", "certified", "split",
               "influenced", "cumulative", "close_date", "start")


def headline(p: Projection) -> dict | None:
    """The program's headline deal: its first example closed by a reseller, else its first."""
    examples = p.data["examples"]
    for example in examples:
        closer = p.channel(example["deal"]["route"][-1]["channel"]) if example["deal"]["route"] \
            else None
        if closer and closer["buys_wholesale"]:
            return example
    return examples[0] if examples else None

