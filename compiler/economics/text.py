"""A quote as a readable breakdown, in the program's locale (babel)."""
from __future__ import annotations

from decimal import Decimal

from charter import model as m
from charter import numbers
from charter.economics.engine import Payout, Quote, YearQuote
from charter.economics.payment import Due
from charter.economics.response import DECLINED
from charter.render import printable

WIDTH = 26


def _negotiated(request, locale: str) -> list[str]:
    """One line per term a channel on the route negotiated on this deal."""
    def shown(value) -> str:
        return numbers.percent(value, locale) if isinstance(value, Decimal) else str(value)
    return [f"  negotiated: {step.channel} {term} {shown(value)}"
            for step in request.route for term, value in step.terms]


def render_quote(quote: Quote, program: m.Program, locale: str | None = None,
                 view: str = "internal") -> str:
    """The text breakdown of ``quote``; the internal view shows COGS and vendor margin, the
    partner view leaves out everything internal."""
    header = program.header
    locale = locale or numbers.locale_of(header.locales)

    def money(value: Decimal) -> str:
        return numbers.money(value, header.currency, locale, header.minor_units)

    request = quote.request
    route = " → ".join(f"{s.channel}{' ' + s.tier if s.tier else ''}" for s in request.route)
    lines = [f"{header.title or header.id} — quote ({header.currency}, {locale})",
             f"{request.product} × {numbers.count(request.seats, locale)} seats · {request.years} year(s) · route:"
             f" {route or 'direct'}",
             f"unit price {money(quote.unit_price)} (list {money(quote.unit_list_price)})"
             + (f", wholesale {money(quote.wholesale_unit_price)}"
                if quote.wholesale_unit_price is not None else ""),
             "", f"decision: {quote.decision.upper()}"]
    lines += _reasons(quote, view)
    lines += [f"  warning: {w.path}: {w.message}" for w in quote.request.warnings]
    lines += [f"  note: {n}" for n in quote.notes]
    if quote.terms is None:
        lines.append("  note: the program states no payment terms: no payout has a due date")
    lines += _negotiated(request, locale)
    lines += [_ladder(use, money, locale) for use in quote.ladders]
    for year in quote.years:
        lines += [""] + _year(year, money, locale, view, quote.payable, quote)
    return "".join(printable(line) + "\n" for line in lines)  # program text is neutralised


def _ladder(use, money, locale: str) -> str:
    """Which bracket a threshold ladder applied, and the volume the next deal carries."""
    ladder, bracket = use.ladder, use.bracket
    if ladder.counts:
        return _count_ladder(use, locale)
    top = f" .. {money(bracket.high)}" if bracket.high is not None else " and above"
    where = f"bracket {money(bracket.low)}{top} at {numbers.percent(bracket.rate, locale)}"
    if ladder.semantics == "marginal":  # no one bracket sets the rate: the line has slices
        where = f"reaches the {where}; each slice is paid at its own bracket's rate"
    if ladder.per_deal:
        return f"  {use.party} {ladder.name} ({ladder.semantics}, per deal): {where}"
    reset = " (stated volume reset: earlier period)" if use.reset else ""
    return (f"  {use.party} {ladder.name} ({ladder.semantics}, resets {ladder.reset}): volume"
            f" {money(use.before)}{reset} → {money(use.after)} after this deal; {where}")


def _count_ladder(use, locale: str) -> str:
    """A count ladder: the deal's place in the period's count and the bracket it falls in."""
    ladder, bracket = use.ladder, use.bracket
    top = f" .. {bracket.high:f}" if bracket.high is not None else " and above"
    reset = " (stated count reset: earlier period)" if use.reset else ""
    return (f"  {use.party} {ladder.name} (counts deals, resets {ladder.reset}): deal"
            f" {use.after.to_integral_value():f} of the period{reset}; bracket {bracket.low:f}{top} at"
            f" {numbers.percent(bracket.rate, locale)}")


def _reasons(quote: Quote, view: str) -> list[str]:
    shown = [f"  ✗ {r.message} [{r.code.value}]" for r in quote.reasons
             if view == "internal" or not r.code.internal]
    if len(shown) < len(quote.reasons) and view != "internal":
        shown.append(f"  ✗ {DECLINED} [vendor_declined]")
    return shown


def _year(year: YearQuote, money, locale: str, view: str, payable: bool,
          quote: Quote) -> list[str]:
    rows = [("software (list)", money(year.software_list))]
    if year.software != year.software_list:
        rows.append(("software (customer price)", money(year.software)))
    rows += [("services", money(year.services)), ("customer pays", money(year.customer_pays))]
    if year.wholesale_price is not None:
        rows.append(("wholesale price", money(year.wholesale_price)))
    dates = f" ({year.start} – {year.end})" if year.start else ""
    out = [f"year {year.year}{dates}"] + [f"  {k:<{WIDTH}} {v:>20}" for k, v in rows]
    heading = "payouts" if payable else "not payable (the deal walks)"
    out.append(f"  {heading}" if year.payouts else "  payouts: none")
    # without any payment terms one note says so (render_quote), not every line
    out += [_payout(p, money, locale) + (_due(quote.due(p, year)) if quote.terms else "")
            for p in year.payouts]
    if year.credit:  # credit pays nothing: its own heading, after the payouts
        out.append("  credit (not cash)")
    for c in year.credit:
        out.append(f"    {c.party} {c.role:<{WIDTH - 3 - len(c.party)}} {money(c.amount):>20}"
                   f"   {numbers.percent(c.share, locale)}")
    if view != "internal":
        return out
    out += [f"  {k:<{WIDTH}} {v:>20}" for k, v in (
        ("vendor receives", money(year.vendor_receives)), ("vendor COGS", money(year.vendor_cogs)),
        ("vendor net", money(year.vendor_net)),
        ("vendor net margin", numbers.percent(year.vendor_net_margin, locale)),
        ("combined payout rate", numbers.percent(year.combined_rate, locale)))]
    return out


def _payout(p: Payout, money, locale: str) -> str:
    """One line: who, what, how much, and the arithmetic that multiplies back."""
    if p.slices:  # a marginal ladder: each slice at its own rate, never an averaged rate
        how = " + ".join(f"{numbers.percent(s.rate, locale)} × {money(s.base)}"
                         for s in p.slices)
    elif p.amount_is.value == "fixed":  # a stated sum (a SPIFF's): no rate to show
        how = f"fixed ({p.why})"
    elif p.base_of.value == "mdf_fund":  # the year's fixed fund: its arithmetic, not 100% ×
        how = p.why
    else:
        how = f"{numbers.percent(p.rate, locale)} × {money(p.base)}"
        if p.amount_is.value == "spread":
            how += " at list; customer price − wholesale"
    label = f"{p.party} {p.kind.label}"
    timing = " (one time)" if p.timing.value == "one_time" else ""
    partner = f" · partner {p.partner}" if p.partner else ""
    return f"    {label:<{WIDTH - 2}} {money(p.amount):>20}   {how}{timing}{partner}"


def _due(due: Due) -> str:
    """When the line falls due: a date, or the rule when no quote can know the date."""
    if due.rule == "retained":
        return ""
    if due.date is not None:
        return f" · due {due.date}"
    if due.rule == "after_event":
        return f" · due {due.days} days after {due.event.replace('_', ' ')}"
    return " · due: not stated" if due.rule == "not_stated" else \
        f" · due {due.days} days after the {'invoice' if due.rule == 'net' else due.period}" \
        " (undated deal)"
