"""Payout kinds, settlements, timings and walk reasons: the one home of their meaning.

Every place that needs to know what a payout kind *is* (who settles it, whether it counts in
the combined payout rate or in a partner's gross, how it is labelled for people) asks the
members here: the engine, the examples' metrics, the text breakdown, the response schema's
enums and the docs table are all derived from these tables.
"""
from __future__ import annotations

from enum import Enum


class _Word(str, Enum):
    """A string enum that prints as its value (in messages, f-strings and JSON)."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __hash__(self) -> int:  # as its string (Enum hashes the name): `{"x"} & {X}` works
        return str.__hash__(self)


class Settlement(_Word):
    """Who moves the money of a payout line."""

    VENDOR_PAYS = "vendor_pays"          # the vendor pays the partner (a commission run posts it)
    PARTNER_RETAINS = "partner_retains"  # the partner keeps it out of what the customer pays
    ACCRUAL = "accrual"                  # accrued into a fund (MDF), paid against claims


class Timing(_Word):
    """Whether a line recurs each contract year or is paid once."""

    ONE_TIME = "one_time"
    RECURRING = "recurring"


class PayoutKind(_Word):
    """A kind of payout line, with its properties (compare and serialise as its string)."""

    def __new__(cls, value: str, label: str, settlement: Settlement, in_combined_rate: bool,
                in_partner_gross: bool, meaning: str) -> "PayoutKind":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.settlement = settlement
        member.in_combined_rate = in_combined_rate
        member.in_partner_gross = in_partner_gross
        member.meaning = meaning
        return member

    WHOLESALE_MARGIN = (
        "wholesale_margin", "wholesale margin", Settlement.PARTNER_RETAINS, True, True,
        "the margin a reselling partner keeps: list × margin at list price; at another customer"
        " price, customer price − wholesale price")
    COMMISSION = (
        "commission", "commission", Settlement.VENDOR_PAYS, True, True,
        "a fee the vendor pays on the deal (finder, referral or introducer fee)")
    TRUE_UP = (
        "true_up", "retroactive true-up", Settlement.VENDOR_PAYS, True, True,
        "the retroactive top-up on the period's earlier volume when a retroactive threshold is"
        " crossed")
    REBATE = (
        "rebate", "volume rebate", Settlement.VENDOR_PAYS, True, True,
        "a reselling partner's volume rebate: its threshold bracket's rate × the deal's"
        " wholesale price, on top of the margin")
    SPLIT = (
        "split", "split share", Settlement.VENDOR_PAYS, True, True,
        "another party's part of a split deal (of the partner of record's payout, or of the"
        " revenue when that channel pays nothing of its own)")
    INFLUENCE = (
        "influence", "influence fee", Settlement.VENDOR_PAYS, False, True,
        "the influenced-credit fee (year 1) for a channel that influenced but did not source the"
        " deal")
    RENEWAL_FEE = (
        "renewal_fee", "renewal fee", Settlement.VENDOR_PAYS, True, True,
        "a conditional fee from contract year 2 on (`renewal_fee: 5% when renewal_influenced`),"
        " paid only when the request states the condition; otherwise a note names it unpaid")
    SPIFF = (
        "spiff", "SPIFF", Settlement.VENDOR_PAYS, False, True,
        "a SPIFF the request claims (`spiffs`), once in year 1, when the deal qualifies and"
        " closes inside its window: a fixed amount, or its rate × the basis")
    MDF = (
        "mdf", "MDF accrual", Settlement.ACCRUAL, False, False,
        "market development funds accrued on the deal's software revenue, or the tier's fixed"
        " fund for the contract year (rate 1 × the fund, base_of `mdf_fund`), claimed"
        " separately")


class AmountIs(_Word):
    """How a line's amount relates to its rate and base."""

    RATE_X_BASE = "rate_x_base"      # amount = rate × base, rounded to the minor unit
    SPREAD = "spread"                # customer price − wholesale price (a non-list price)
    ALLOCATED = "allocated"          # a part of a split: rate × base ± one minor unit
    SLICES = "slices"                # Σ slice rate × slice base (a marginal ladder)
    FIXED = "fixed"                  # a fixed sum the program states (rate 1 × the sum)


class BaseOf(_Word):
    """What a line's base is."""

    SOFTWARE_LIST = "software_list"
    SOFTWARE = "software"
    SOFTWARE_AND_SERVICES = "software_and_services"
    WHOLESALE_PRICE = "wholesale_price"
    EARLIER_VOLUME = "earlier_volume"    # a true-up: the period's volume before this deal
    SPLIT_POOL = "split_pool"
    FIXED_AMOUNT = "fixed_amount"        # a SPIFF's stated amount
    MDF_FUND = "mdf_fund"                # a tier's fixed MDF fund for the contract year


class ReasonCode(_Word):
    """Why a deal walks, and whether a partner may be told the specific reason."""

    def __new__(cls, value: str, internal: bool, meaning: str) -> "ReasonCode":
        member = str.__new__(cls, value)
        member._value_ = value
        member.internal = internal
        member.meaning = meaning
        return member

    MARGIN_FLOOR = ("margin_floor", True,
                    "vendor net margin is below the program's `margin_floor` in some year, or"
                    " (MDF included, or with no floor stated) below zero: the vendor would"
                    " lose money (the worst year and the arithmetic are in the message)")
    COMBINED_CAP = ("combined_cap", False,
                    "the route's payouts in the handover's `cap_year` exceed its `combined_cap`")
    TIER_NOT_ALLOWED = ("tier_not_allowed", False,
                        "the closing tier is not in the handover's `allowed_tiers`")
    NO_HANDOVER = ("no_handover", False,
                   "a route of two channels with no `handover` between them (single"
                   " attribution)")
    BELOW_MSRP = ("below_msrp", False,
                  "`unit_price` is below the product's `msrp_floor` without `price_approved`")
    BELOW_WHOLESALE = ("below_wholesale", False,
                       "a reselling partner's customer price is below its wholesale price: it"
                       " would lose money on every unit")
    NOT_CERTIFIED = ("not_certified", False,
                     "`certified: false` on a channel that requires certification")
    VENDOR_DECLINED = ("vendor_declined", False,
                       "partner view only: the vendor does not offer these terms on this route"
                       " (an internal rule; the internal answer names it)")


def kinds_table() -> str:
    """The docs table of payout kinds (docs/economics.md is checked against it)."""
    rows = ["| payout kind | settlement | in combined rate | in partner gross | meaning |",
            "|---|---|---|---|---|"]
    rows += [f"| `{k.value}` | `{k.settlement.value}` | {'yes' if k.in_combined_rate else 'no'}"
             f" | {'yes' if k.in_partner_gross else 'no'} | {k.meaning} |" for k in PayoutKind]
    return "\n".join(rows)


def reasons_table() -> str:
    """The docs table of walk reasons (docs/economics.md is checked against it)."""
    rows = ["| reason code | partner view | walks when |", "|---|---|---|"]
    rows += [f"| `{r.value}` | {'as `vendor_declined`' if r.internal else 'shown'} | {r.meaning} |"
             for r in ReasonCode]
    return "\n".join(rows)
