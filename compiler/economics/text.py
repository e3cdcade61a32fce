"""A quote as a readable breakdown, in the program's locale (babel)."""
from __future__ import annotations

from decimal import Decimal

from charter import model as m
from charter import numbers
from charter.economics.engine import Quote, YearQuote

KIND_LABELS = {"wholesale_margin": "wholesale margin", "commission": "commission",
               "true_up": "retroactive true-up", "mdf": "MDF accrual", "split": "split share",
               "influence": "influence fee"}
WIDTH = 26


def render_quote(quote: Quote, program: m.Program, locale: str | None = None) -> str:
    """The text breakdown of ``quote`` (internal: shows COGS and vendor margin)."""
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
    lines += [f"  ✗ {r.message} [{r.code}]" for r in quote.reasons]
    lines += [f"  note: {n}" for n in quote.notes]
    for year in quote.years:
        lines += [""] + _year(year, money, locale)
    return "\n".join(lines) + "\n"


def _year(year: YearQuote, money, locale: str) -> list[str]:
    rows = [("software (list)", money(year.software_list))]
    if year.software != year.software_list:
        rows.append(("software (customer price)", money(year.software)))
    rows += [("services", money(year.services)), ("customer pays", money(year.customer_pays))]
    if year.wholesale_price is not None:
        rows.append(("wholesale price", money(year.wholesale_price)))
    out = [f"year {year.year}"] + [f"  {k:<{WIDTH}} {v:>20}" for k, v in rows]
    out.append("  payouts" if year.payouts else "  payouts: none")
    for p in year.payouts:
        rate = f"{numbers.percent(p.rate, locale)} × {money(p.base)}" if p.rate is not None \
            and p.base is not None else ""
        label = f"{p.party} {KIND_LABELS.get(p.kind, p.kind)}"
        out.append(f"    {label:<{WIDTH - 2}} {money(p.amount):>20}   {rate}")
    for c in year.credit:
        out.append(f"    credit {c.party:<{WIDTH - 9}} {money(c.amount):>20}"
                   f"   {numbers.percent(c.share, locale)}")
    out += [f"  {k:<{WIDTH}} {v:>20}" for k, v in (
        ("vendor receives", money(year.vendor_receives)), ("vendor COGS", money(year.vendor_cogs)),
        ("vendor net", money(year.vendor_net)),
        ("vendor net margin", numbers.percent(year.vendor_net_margin, locale)),
        ("combined payout rate", numbers.percent(year.combined_rate, locale)))]
    return out
