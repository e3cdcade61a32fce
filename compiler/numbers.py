"""Locale-aware formatting of money and percentages (babel), for humans, never for machines.

JSON outputs carry plain decimal strings; text outputs (quotes, diagnostics, docs) use these.
babel is imported on first use so that `charter check` on a clean program never loads it.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

DEFAULT_LOCALE = "en_US"


@lru_cache(maxsize=64)
def _pattern(locale: str, minor_units: int) -> str:
    from babel import Locale

    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    whole = pattern.split(".")[0] if "." in pattern else pattern
    tail = pattern.split(".")[1].lstrip("0#") if "." in pattern else ""
    return whole + ("." + "0" * minor_units if minor_units else "") + tail


def money(amount: Decimal, currency: str, locale: str = DEFAULT_LOCALE,
          minor_units: int = 2) -> str:
    """``amount`` in ``locale``'s currency format with ``minor_units`` decimals: `Rp2.400.000.000`."""
    from babel.numbers import format_currency

    return format_currency(amount, currency, format=_pattern(locale, minor_units), locale=locale,
                           currency_digits=False)


def percent(fraction: Decimal, locale: str = DEFAULT_LOCALE) -> str:
    """``fraction`` as a percentage with up to two decimals: `43,27%` in id_ID."""
    from babel.numbers import format_percent

    return format_percent(fraction, format="#,##0.##%", locale=locale)


def locale_of(locales: tuple[str, ...]) -> str:
    """The first of a program's declared locales, or en_US."""
    return locales[0] if locales else DEFAULT_LOCALE


def count(value: int, locale: str = DEFAULT_LOCALE) -> str:
    """A whole number with the locale's grouping: `1.000` in id_ID."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=locale)


def pct(rate) -> str:
    """A fraction as a plain percentage, exactly as written in programs: 0.35 → `35%`."""
    return f"{(rate * 100).normalize():f}%"


def program_money(program, value) -> str:
    """A `MoneyValue` in the program's first locale (whole amounts without decimals)."""
    header = program.header
    minor = 0 if value.amount == value.amount.to_integral_value() else header.minor_units
    return money(value.amount, value.currency, locale_of(header.locales), minor)
