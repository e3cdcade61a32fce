"""Reading number, money, percent and date literals exactly (Decimal, never float).

People write numbers the way their locale does: `Rp 2,4 Miliar` (decimal comma), `1.000`
(thousands dot in Indonesian), `$1,200.50`. A literal is accepted only when it means the same
thing in every locale; otherwise `LiteralError` explains the two readings and how to write it.
"""
from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal

from charter.nodes import node

SCALES: dict[str, Decimal] = {
    "K": Decimal(10) ** 3, "k": Decimal(10) ** 3, "rb": Decimal(10) ** 3, "ribu": Decimal(10) ** 3,
    "jt": Decimal(10) ** 6, "juta": Decimal(10) ** 6, "Mn": Decimal(10) ** 6,
    "mn": Decimal(10) ** 6, "million": Decimal(10) ** 6,
    "Miliar": Decimal(10) ** 9, "miliar": Decimal(10) ** 9, "B": Decimal(10) ** 9,
    "bn": Decimal(10) ** 9, "billion": Decimal(10) ** 9,
    "T": Decimal(10) ** 12, "triliun": Decimal(10) ** 12, "trillion": Decimal(10) ** 12,
}

CURRENCIES: dict[str, str] = {
    "Rp": "IDR", "IDR": "IDR", "USD": "USD", "US$": "USD", "$": "USD", "EUR": "EUR",
    "€": "EUR", "GBP": "GBP", "£": "GBP", "SGD": "SGD", "S$": "SGD", "AUD": "AUD",
    "A$": "AUD", "INR": "INR", "₹": "INR", "MYR": "MYR", "RM": "MYR", "JPY": "JPY", "¥": "JPY",
}

# How an example amount is spelt in each currency, so that help speaks the program's own
# currency: the prefix, about how many units make one US dollar (an example keeps a plausible
# size) and the scale words, largest first (a new currency needs a row here too).
_EN_SCALES = ((" billion", Decimal(10) ** 9), (" million", Decimal(10) ** 6),
              ("K", Decimal(10) ** 3))
EXAMPLE_STYLES: dict[str, tuple[str, Decimal, tuple[tuple[str, Decimal], ...]]] = {
    "USD": ("$", Decimal(1), _EN_SCALES), "EUR": ("€", Decimal(1), _EN_SCALES),
    "GBP": ("£", Decimal(1), _EN_SCALES), "SGD": ("S$", Decimal(1), _EN_SCALES),
    "AUD": ("A$", Decimal(1), _EN_SCALES), "MYR": ("RM ", Decimal(5), _EN_SCALES),
    "INR": ("₹", Decimal(100), _EN_SCALES), "JPY": ("¥", Decimal(100), _EN_SCALES),
    "IDR": ("Rp ", Decimal(10_000), ((" Miliar", Decimal(10) ** 9),
                                     (" juta", Decimal(10) ** 6), ("K", Decimal(10) ** 3))),
}
# Examples in help text are written in rupiah (`Rp 5 Miliar`) and respelt by `localise`.
_EXAMPLE_MONEY = re.compile(r"Rp ?[0-9][0-9_.,]*(?: ?(?:K|rb|ribu|jt|juta|Miliar|miliar|T|"
                            r"triliun))?(?![A-Za-z0-9_])")


def example_amount(dollars: Decimal | int, currency: str) -> str:
    """An example amount of about ``dollars`` US dollars, as a literal in ``currency``
    (`$500K`, `Rp 5 Miliar`, `€2.5K`): the largest scale word that leaves at most one
    decimal, so the literal is never ambiguous (CH-E005)."""
    prefix, per_dollar, scales = EXAMPLE_STYLES.get(currency, EXAMPLE_STYLES["USD"])
    value = Decimal(dollars) * per_dollar
    for word, size in scales:
        scaled = value / size
        if value >= size and scaled == scaled.quantize(Decimal("0.1")):
            return f"{prefix}{_plain(scaled, currency)}{word}"
    return f"{prefix}{_plain(value, currency)}"


def _plain(value: Decimal, currency: str) -> str:
    text = f"{_normal(value):f}"
    return text.replace(".", ",") if currency == "IDR" else text


def localise(text: str, currency: str | None) -> str:
    """``text`` with each rupiah example amount respelt, at the same size, in ``currency``."""
    if not currency or currency == "IDR" or "Rp" not in text:
        return text
    rupiah = EXAMPLE_STYLES["IDR"][1]
    return _EXAMPLE_MONEY.sub(
        lambda m: example_amount(parse_money(m.group()).amount / rupiah, currency), text)


MONEY_RE = re.compile(r"(?P<cur>Rp|IDR|USD|US\$|\$|EUR|€|GBP|£|SGD|S\$|AUD|A\$|INR|₹|MYR|RM|JPY|¥)"
                    r" ?(?P<num>[0-9][0-9_.,]*)(?: ?(?P<scale>[A-Za-z]+))?$")


MAX_DIGITS = 24  # far above any real amount; keeps every literal exact in Decimal's precision


class LiteralError(ValueError):
    """A literal that cannot be read, or could be read two ways."""

    def __init__(self, code: str, message: str, label: str, help: tuple[str, ...] = ()):
        super().__init__(message)
        self.code = code
        self.message = message
        self.label = label
        self.help = help


@node
class MoneyValue:
    """An exact amount in one currency (ISO 4217 code)."""

    amount: Decimal
    currency: str


def parse_number(text: str) -> Decimal:
    """Read a number written with `_`, `.` or `,` separators; refuse ambiguous ones."""
    digits = text.replace("_", "")
    if sum(ch.isdigit() for ch in digits) > MAX_DIGITS:
        raise LiteralError("CH-E007", f"number `{text[:20]}…` is too long", "too many digits",
                           (f"amounts and rates have at most {MAX_DIGITS} digits",))
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:
        decimal_sep = "." if digits.rfind(".") > digits.rfind(",") else ","
        group_sep = "," if decimal_sep == "." else "."
        whole, _, frac = digits.rpartition(decimal_sep)
        if frac == "" or decimal_sep in whole:
            raise _malformed(text)
        return Decimal(_ungroup(whole, group_sep, text) + "." + frac)
    sep = "." if dots else "," if commas else ""
    if not sep:
        return Decimal(digits)
    parts = digits.split(sep)
    if len(parts) > 2:
        return Decimal(_ungroup(digits, sep, text))
    whole, frac = parts
    if len(frac) == 3:
        raise _ambiguous(text, whole, frac)
    return Decimal(whole + "." + frac)


def _ungroup(text: str, sep: str, original: str) -> str:
    groups = text.split(sep)
    if not (1 <= len(groups[0]) <= 3) or any(len(g) != 3 for g in groups[1:]):
        raise _malformed(original)
    return "".join(groups)


def _malformed(text: str) -> LiteralError:
    return LiteralError("CH-E007", f"malformed number `{text}`", "digit groups do not line up",
                        ("group thousands in threes (`1.000.000`, `1,000,000`) or use `_`"
                         " (`1_000_000`)",))


def _ambiguous(text: str, whole: str, frac: str) -> LiteralError:
    small = f"{whole}.{frac}".rstrip("0").rstrip(".")
    big = f"{whole}_{frac}"
    return LiteralError(
        "CH-E005", f"ambiguous number `{text}`: {small} or {int(whole + frac):,}?",
        "reads differently in id_ID and en_US",
        (f"write `{big}` for {int(whole + frac):,}, or `{small}` for the decimal",))


def spelt_like_amount(text: str) -> bool:
    """Whether ``text`` is written as an amount (`RM5`, `Rp250K`, `RM5M`), readable or not;
    not `USD5x` or `Growth_17` (names that look like no amount)."""
    match = MONEY_RE.match(text.strip())
    return match is not None and match["scale"] in (None, "M", *SCALES)


def parse_money(text: str) -> MoneyValue:
    """Read `Rp 2,4 Miliar`, `USD 50_000`, `$50K` into an exact amount and currency."""
    if not spelt_like_amount(text):  # `USD5x`: no scale word
        raise _malformed(text)
    match = MONEY_RE.match(text.strip())
    amount = parse_number(match["num"])
    scale = match["scale"]
    if scale == "M":
        raise LiteralError(
            "CH-E006", f"ambiguous scale `M` in `{text}`: million or miliar (billion)?",
            "`M` is 10^6 in English and 10^9 (miliar) in Indonesian",
            (_scale_help(match["cur"], match["num"]),))
    if scale is not None:
        amount *= SCALES[scale]
        if amount.adjusted() >= MAX_DIGITS:  # a scale word can lift the digits past the limit
            raise LiteralError("CH-E007", f"amount `{text}` is too large ({amount:,.0f})",
                               "too many digits once scaled",
                               (f"amounts and rates have at most {MAX_DIGITS} digits",))
    return MoneyValue(_normal(amount), CURRENCIES[match["cur"]])


def _scale_help(cur: str, num: str) -> str:
    """How to write a millions or a billions amount, in the words of the amount's currency:
    juta and Miliar for rupiah, million and billion otherwise."""
    if CURRENCIES.get(cur) == "IDR":
        return f"write `{cur} {num} juta` or `million` for 10^6, or `{cur} {num} Miliar` for 10^9"
    return f"write `{cur}{num} million` for 10^6, or `{cur}{num} billion` for 10^9"


def parse_percent(text: str) -> Decimal:
    """Read `35%` or `2,5%` as the fraction it denotes (0.35, 0.025)."""
    return _normal(parse_number(text.rstrip("% ").strip()) / 100)


def parse_date(text: str) -> _dt.date:
    """Read an ISO date (YYYY-MM-DD)."""
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise LiteralError("CH-E007", f"invalid date `{text}`", "no such day",
                           ("write dates as YYYY-MM-DD, e.g. `2026-01-01`",)) from None


def _normal(value: Decimal) -> Decimal:
    """Canonical form: no exponent, no trailing fractional zeros."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
