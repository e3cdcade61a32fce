"""The commission run as SQL: a program's payouts over a table of deals, in DuckDB's dialect.

`statements(constants)` returns the named SELECTs of one program, each reading the ones before
it (`charter_checked`, `charter_rejects`, `charter_run`, `charter_years`, `charter_decisions`,
`charter_payouts`); `script` renders them as views for a dialect (charter.warehouse.dialects).
The program's constants are compiled in as VALUES tables (closers, handovers) and CASE
expressions (products, ladders, splits), all from `charter.warehouse.constants`.

Exactness. Money is fixed-point DECIMAL end to end, never a float, and every type is declared
so that no product or sum exceeds 38 digits (Spark would otherwise drop decimals without a
word): per deal-year amounts are below 10^17 (rows above are rejected), money is
DECIMAL(20+m, m), rates DECIMAL(r+2, r), unrounded products DECIMAL(32, m+r). Amounts are
rounded where the engine rounds them, with the program's mode: `half_up` is ROUND (half away
from zero in DuckDB, Spark and Trino alike); `half_even`, `down` and `up` are written with
FLOOR and CEIL; an amount small enough is rounded as a 64-bit DECIMAL(18, s) and a larger
one as it is (`narrowed`: the same value, much cheaper in DuckDB). The one quotient the
engine reports (a marginal ladder's effective rate, half-even to 1e-6) is estimated in
DOUBLE and then settled by exact comparisons.
"""
from __future__ import annotations

import re
from decimal import Decimal

from charter.warehouse.constants import (AMOUNT_LIMIT, MAX_CLAIMS, MAX_STEPS, RATE, RATE_DECIMALS,
                                         TERMS, Constants)
from charter.economics.kinds import AmountIs, BaseOf, PayoutKind, Timing
from charter.economics.thresholds import place_of
from charter.economics.request import MAX_DATE_YEAR, MAX_SEATS, MAX_YEARS

YEARS = range(1, MAX_YEARS + 1)
STEPS = range(1, MAX_STEPS + 1)
CLAIMS = range(1, MAX_CLAIMS + 1)
DEAL_RATE_TYPE = f"DECIMAL({RATE_DECIMALS + 1}, {RATE_DECIMALS})"
OUT_RATE = "DECIMAL(10, 6)"
# The statements read more than once by later ones: the Spark script caches them (the others
# are views, computed where they are read).
REREAD = ("charter_checked", "charter_run", "charter_years", "charter_verdicts")
# Those `charter payouts` makes tables in DuckDB: not charter_run, read by charter_years and
# charter_verdicts, as recomputing its joins and window for both costs DuckDB less than
# writing its ~90 columns for every deal into a table.
MATERIALISED = ("charter_checked", "charter_years", "charter_verdicts")
OUTPUTS = {"payouts": "charter_payouts", "decisions": "charter_decisions",
           "rejects": "charter_rejects"}


def q(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def in_list(column: str, names) -> str:
    names = list(names)
    if not names:
        return "FALSE"
    return f"{column} IN ({', '.join(q(n) for n in names)})"


def _int_digits(value: Decimal) -> int:
    return max(1, len(str(int(abs(value)))))


class Gen:
    """Builds one program's statements; the types follow its minor units and rate decimals."""

    def __init__(self, c: Constants, table: str = "deals"):
        self.c = c
        self.table = table
        self.m = m = c.minor_units
        self.r = r = c.rate_scale
        self.s = s = m + r
        self.money_t = f"DECIMAL({20 + m}, {m})"
        self.io_t = f"DECIMAL(38, {m})"
        self.rate_t = f"DECIMAL({r + 2}, {r})"
        self.exact_t = f"DECIMAL(32, {s})"
        self.cum_t = f"DECIMAL({20 + m}, {m})"

    # ---- literals and arithmetic -----------------------------------------------------------

    def rate(self, value: Decimal | None) -> str:
        if value is None:
            return f"CAST(NULL AS {self.rate_t})"
        return f"CAST({value:f} AS {self.rate_t})"

    def amount(self, value: Decimal | None) -> str:
        """A constant amount (a bracket bound, a price) at its own scale."""
        if value is None:
            return f"CAST(NULL AS {self.money_t})"
        scale = max(self.m, -value.as_tuple().exponent if value.as_tuple().exponent < 0 else 0)
        return f"CAST({value:f} AS DECIMAL({_int_digits(value) + scale}, {scale}))"

    def money(self, x: str, scale: int | None = None) -> str:
        """``x`` (a DECIMAL of ``scale`` decimals; by default an exact product's) rounded to
        the minor unit with the program's rounding, as money."""
        scale = self.s if scale is None else scale
        if scale <= self.m:  # nothing to round
            return f"CAST({x} AS {self.money_t})"
        mode = self.c.rounding
        rounded = narrowed(lambda v, fit: round_to(v, self.m, mode, fit), x, scale, self.m)
        return f"CAST({rounded} AS {self.money_t})"

    def rate_out(self, x: str) -> str:
        """A rate (of type rate_t) as the outputs spell it: six decimals, half-even. With at
        most six decimals in every rate (rate_scale 6) the rounding changes nothing and is
        left out: it is several 128-bit operations on every payout line."""
        if self.r <= 6:
            return f"CAST({x} AS {OUT_RATE})"
        rounded = narrowed(lambda v, fit: round_to(v, 6, "half_even", fit), x, self.r, 6)
        return f"CAST({rounded} AS {OUT_RATE})"

    def times(self, a: str, b: str) -> str:
        """An exact product of money and a rate (never more than 38 digits)."""
        return f"CAST(CAST({a} AS {self.money_t}) * CAST({b} AS {self.rate_t}) AS {self.exact_t})"

    def add(self, *terms: str, type_: str | None = None) -> str:
        """A sum, cast after each addition so that no intermediate widens past 38 digits."""
        type_ = type_ or self.exact_t
        out = f"CAST({terms[0]} AS {type_})"
        for term in terms[1:]:
            out = f"CAST({out} + CAST({term} AS {type_}) AS {type_})"
        return out

    # ---- the statements ---------------------------------------------------------------------

    def statements(self) -> list[tuple[str, str]]:
        return [("charter_checked", self.checked()), ("charter_rejects", self.rejects()),
                ("charter_run", self.run()), ("charter_years", self.years()),
                ("charter_verdicts", self.decisions()),
                ("charter_decisions", self.decisions_out()),
                ("charter_payout_lines", self.payouts()), ("charter_payouts", self.payouts_out())]

    def payouts_out(self, source: str = "charter_payout_lines") -> str:
        """The payouts table over ``source`` (charter_payout_lines, or those lines sorted):
        the lines' kind, timing, base_of and amount_is are codes (`_encode`), spelt here, and
        the columns that follow from a line's kind are added here: after any sort, so that
        the sort carries small integers, not words."""
        from charter.warehouse.tables import payout_columns

        derived = {"kind": _decode("p.kind", PayoutKind), "timing": _decode("p.timing", Timing),
                   "base_of": _decode("p.base_of", BaseOf),
                   "amount_is": _decode("p.amount_is", AmountIs),
                   "settlement": _settlement("p.kind"), "due_rule": self.due_rule("p.kind"),
                   "due_date": self.due_date("p.kind", "p.year_start")}
        cols = [f"{derived[c.name]} AS {c.name}" if c.name in derived else f"p.{c.name}"
                for c in payout_columns()]
        return f"SELECT {', '.join(cols)} FROM {source} p"

    def payouts_sorted(self) -> str:
        """The payouts table in the order `charter payouts` writes it: by deal (its line in
        the input), contract year and line number."""
        return self.payouts_out("(SELECT * FROM charter_payout_lines ORDER BY seq, year, line)")

    # -- checked: every row of the input with the first problem found in it (or NULL) --

    def checked(self) -> str:
        c, m = self.c, self.m
        steps = ",\n    ".join(f"step{k}_channel, step{k}_tier, CAST(step{k}_rate AS"
                                f" {DEAL_RATE_TYPE}) AS step{k}_rate, step{k}_partner, "
                                + ", ".join(f"CAST(step{k}_{t} AS {DEAL_RATE_TYPE}) AS"
                                            f" step{k}_{t}" for t in TERMS)
                                for k in STEPS)
        count = "CASE " + " ".join(f"WHEN step{k}_channel IS NULL THEN {k - 1}" for k in STEPS) \
            + f" ELSE {MAX_STEPS} END"
        zero = f"CAST(0 AS {self.io_t})"
        inner = f"""SELECT line, id, product, seats, COALESCE(years, 1) AS years,
    unit_price, COALESCE(services_one_time, {zero}) AS services_one_time,
    COALESCE(services_per_year, {zero}) AS services_per_year, close_date,
    COALESCE(start_date, close_date) AS contract_start,
    COALESCE(price_approved, FALSE) AS price_approved, COALESCE(certified, TRUE) AS certified,
    COALESCE(registered, TRUE) AS registered, split,
    COALESCE(renewal_influenced, FALSE) AS renewal_influenced,
    {steps},
    {', '.join(f"influenced{k}, spiff{k}" for k in CLAIMS)},
    {count} AS n_steps,
    COALESCE(dup_ids.id_n, 1) AS id_count, COALESCE(dup_lines.line_n, 1) AS line_count
  FROM {self.table}
  {self.duplicates('id')}
  {self.duplicates('line')}"""
        closer = {f: "CASE n_steps " + " ".join(f"WHEN {k} THEN step{k}_{f}" for k in STEPS)
                  + " END" for f in ("channel", "tier", "rate", "partner") + TERMS}
        terms = "".join(f", {closer[t]} AS closer_{t}" for t in TERMS)
        products = {p.name: p for p in c.products}
        unit_list = self.case("product", {n: self.amount(p.unit_list)
                                          for n, p in products.items()})
        periods = self.case("product", {n: str(p.periods) for n, p in products.items()})
        quantity = f"CAST(CAST(seats AS BIGINT) * {periods} AS DECIMAL(11, 0))"
        price = f"COALESCE(unit_price, {unit_list})"
        middle = f"""SELECT i.*,
    {closer['channel']} AS closer_channel, {closer['tier']} AS closer_tier,
    {closer['rate']} AS closer_rate, {closer['partner']} AS closer_partner{terms},
    {periods} AS periods, {unit_list} AS unit_list, {price} AS unit_price_quoted,
    CASE WHEN seats BETWEEN 1 AND {MAX_SEATS} AND COALESCE(unit_price, 0) < {AMOUNT_LIMIT}
         THEN CAST(CAST({price} AS DECIMAL({17 + m}, {m})) * {quantity} AS DECIMAL({29 + m}, {m}))
    END AS software_exact,
    CASE WHEN seats BETWEEN 1 AND {MAX_SEATS}
         THEN CAST({unit_list} * {quantity} AS {self.exact_t}) END AS software_list_exact
  FROM ({inner}) i"""
        return f"SELECT d.*, {self.errors()} AS error\nFROM ({middle}) d"

    def duplicates(self, column: str) -> str:
        """A LEFT JOIN of the values of ``column`` on more than one row, with their count
        (`{column}_n`): a GROUP BY, where COUNT(*) OVER (PARTITION BY ...) would sort every
        column of every row; the rows whose value is unique (or NULL) find nothing."""
        return (f"LEFT JOIN (SELECT {column} AS dup_{column}, COUNT(*) AS {column}_n"
                f" FROM {self.table} GROUP BY {column} HAVING COUNT(*) > 1) dup_{column}s"
                f" ON dup_{column}s.dup_{column} = {column}")

    def case(self, column: str, mapping: dict[str, str], default: str = "NULL") -> str:
        if not mapping:
            return default
        return f"CASE {column} " + " ".join(f"WHEN {q(k)} THEN {v}" for k, v in mapping.items()) \
            + f" ELSE {default} END"

    def errors(self) -> str:
        c = self.c
        checks: list[tuple[str, str]] = []
        add = checks.append
        add(("line IS NULL", q("line: missing: every row needs its own line number")))
        add(("line_count > 1", q("line: not unique: every row needs its own line number")))
        add(("id IS NULL OR id = ''", q("id: missing: every deal needs its own id")))
        add(("id_count > 1", "'id: `' || id || '` is on ' || CAST(id_count AS VARCHAR) ||"
                             " ' rows; each deal needs its own id'"))
        priced = [p.name for p in c.products]
        add(("product IS NULL", q("product: missing")))
        add((f"NOT ({in_list('product', priced)})",
             "'product: unknown product `' || product || '`"
             + (f"; priced products: {', '.join(priced)}" if priced else
                "; the program prices no product, so nothing can be quoted") + "'"))
        add((f"seats IS NULL OR seats < 1 OR seats > {MAX_SEATS}",
             q(f"seats: expected an integer from 1 to {MAX_SEATS}")))
        add((f"years < 1 OR years > {MAX_YEARS}", q(f"years: expected 1 to {MAX_YEARS}")))
        add(("close_date IS NULL", q("close_date: missing (a commission run orders the deals"
                                     " by their close date)")))
        add(("unit_price < 0 OR services_one_time < 0 OR services_per_year < 0",
             q("an amount is negative")))
        for name in ("unit_price", "services_one_time", "services_per_year"):
            add((f"{name} >= {AMOUNT_LIMIT}", q(f"{name}: at most {AMOUNT_LIMIT - 1} (the SQL"
                                                 " target's limit per deal-year)")))
        add((f"software_exact >= {AMOUNT_LIMIT} OR software_list_exact >= {AMOUNT_LIMIT}",
             q(f"the deal's software value per year reaches {AMOUNT_LIMIT} (the SQL target's"
               " limit per deal-year)")))
        add((f"EXTRACT(YEAR FROM contract_start) + years > {MAX_DATE_YEAR}",
             q("the contract would end after 9999-12-31")))
        for k in STEPS:
            given = " OR ".join(f"step{k}_{f} IS NOT NULL"
                                for f in ("tier", "rate", "partner") + TERMS)
            add((f"step{k}_channel IS NULL AND ({given})",
                 q(f"route step {k}: a tier, rate, negotiated term or partner without a"
                   " channel")))
            if k < MAX_STEPS:
                add((f"step{k}_channel IS NULL AND step{k + 1}_channel IS NOT NULL",
                     q(f"route step {k} is empty but step {k + 1} is not")))
        names = [ch.name for ch in c.channels]
        internal = [ch.name for ch in c.channels if ch.internal]
        for k in STEPS:
            col, path = f"step{k}_channel", f"route[{k - 1}]"
            add((f"{col} IS NOT NULL AND NOT ({in_list(col, names)})",
                 f"'{path}.channel: unknown channel `' || {col} || '`'"))
            add((in_list(col, internal), f"'{path}.channel: channel `' || {col} || '` is"
                 f" internal (a benchmark, not an offer): it cannot be quoted'"))
            for ch in c.channels:
                if ch.internal:
                    continue
                is_ch, tier, rate = f"{col} = {q(ch.name)}", f"step{k}_tier", f"step{k}_rate"
                if ch.tiers:
                    add((f"{is_ch} AND {tier} IS NULL",
                         q(f"{path}: channel `{ch.name}` has tiers; say which one (`tier`:"
                           f" {', '.join(ch.tiers)})")))
                    add((f"{is_ch} AND NOT ({in_list(tier, ch.tiers)})",
                         f"'{path}.tier: unknown tier of {ch.name} `' || {tier} || '`'"))
                else:
                    add((f"{is_ch} AND {tier} IS NOT NULL",
                         q(f"{path}.tier: channel `{ch.name}` has no tiers")))
                if ch.ranged:
                    low, high = ch.ranged
                    add((f"{is_ch} AND {rate} IS NULL",
                         q(f"{path}: channel `{ch.name}` discounts {_pct(low)} .. {_pct(high)};"
                           " give the deal's rate")))
                    add((f"{is_ch} AND ({rate} < {self.rate(low)} OR {rate} > {self.rate(high)})",
                         q(f"{path}.rate: outside `{ch.name}`'s range {_pct(low)} .."
                           f" {_pct(high)}")))
                elif ch.discount_terms:
                    add((f"{is_ch} AND {rate} IS NOT NULL",
                         q(f"{path}.rate: channel `{ch.name}` negotiates its discount in the"
                           f" step's terms: give it as step{k}_discount instead of"
                           f" step{k}_rate")))
                else:
                    add((f"{is_ch} AND {rate} IS NOT NULL",
                         q(f"{path}.rate: channel `{ch.name}` has no negotiable discount range,"
                           " so a deal's rate would change nothing")))
        for i in STEPS:
            for j in STEPS:
                if i < j:
                    add((f"step{i}_channel = step{j}_channel",
                         f"'route[{j - 1}].channel: `' || step{j}_channel || '` is already on"
                         f" the route: a channel is paid once per deal'"))
        checks += self.term_checks()
        splits = [s.name for s in c.splits]
        add((f"split IS NOT NULL AND NOT ({in_list('split', splits)})",
             "'split: unknown split `' || split || '`'" if splits else
             q("split: the program declares no splits")))
        add(("split IS NOT NULL AND n_steps = 0",
             "'split: split `' || split || '` divides a partner''s payout, but the deal is"
             " direct (no route)'"))
        for split in c.splits:
            for party, _share in split.parties:
                if party not in ("partner", "direct", "vendor"):
                    add((f"split = {q(split.name)} AND closer_channel <> {q(party)}",
                         f"'split: split `{split.name}` pays `{party}`, which is not the deal''s"
                         f" partner of record (`' || closer_channel || '`)'"))
        if c.unregistered is None:
            add(("NOT registered", q("registered: the program has no rule for unregistered"
                                     " deals (`unregistered_rate`)")))
        checks += self.influencer_errors() + self.claim_errors()
        return "CASE " + "\n    ".join(f"WHEN {cond} THEN {msg}" for cond, msg in checks) + \
            " END"

    def influencer_errors(self) -> list[tuple[str, str]]:
        """The request reader's influencer errors (`known_influencer`, `_check_influenced`)."""
        c, checks = self.c, []
        names = [ch.name for ch in c.channels]
        internal = [ch.name for ch in c.channels if ch.internal]
        no_rate = [i.channel for i in c.influencers if i.rate is None]
        for k in CLAIMS:
            col, path = f"influenced{k}", f"influenced[{k - 1}]"
            if k < MAX_CLAIMS:
                checks.append((f"{col} IS NULL AND influenced{k + 1} IS NOT NULL",
                               q(f"influenced{k} is empty but influenced{k + 1} is not")))
            if c.influence is None:
                checks.append((f"{col} IS NOT NULL", q(
                    f"{path}: the program declares no `influenced_rate` (a fee) or"
                    " `influenced_credit` (credit): naming an influencer changes nothing")))
                continue
            checks.append((f"{col} IS NOT NULL AND NOT ({in_list(col, names)})",
                           f"'{path}: unknown channel `' || {col} || '`'"))
            checks.append((in_list(col, internal), f"'{path}: channel `' || {col} || '` is"
                           " internal (a benchmark, not an offer): it cannot be paid'"))
            on_route = " OR ".join(f"{col} = step{j}_channel" for j in STEPS)
            checks.append((on_route, f"'{path}: `' || {col} || '` is on the deal''s route: a"
                           " channel that sources or closes the deal is not also paid an"
                           " influence fee (no double-dipping)'"))
            for j in range(1, k):
                checks.append((f"{col} = influenced{j}", f"'{path}: `' || {col} || '` is"
                               " listed twice: an influencer is paid once'"))
            checks.append((in_list(col, no_rate), f"'{path}: `' || {col} || '` has no single"
                           " sourced rate (no flat `commission:`), and `influenced_rate` is a"
                           " share of the influencer''s sourced rate'"))
        return checks

    def claim_errors(self) -> list[tuple[str, str]]:
        """The request reader's SPIFF-claim errors (`known_spiff`, `_check_spiffs`): unknown,
        not payable by a quote, or claimed twice. A claim the deal does not qualify for is
        not an error: it is listed in the decision's `spiffs_not_paid`."""
        c, checks = self.c, []
        claimable = [x.name for x in c.claimable]
        others = [n for n in c.spiffs if n not in claimable]
        for k in CLAIMS:
            col, path = f"spiff{k}", f"spiffs[{k - 1}]"
            if k < MAX_CLAIMS:
                checks.append((f"{col} IS NULL AND spiff{k + 1} IS NOT NULL",
                               q(f"spiff{k} is empty but spiff{k + 1} is not")))
            known = ", ".join(c.spiffs)
            checks.append((f"{col} IS NOT NULL AND NOT ({in_list(col, c.spiffs)})",
                           f"'{path}: unknown SPIFF `' || {col} || '`" + (
                               f"; SPIFFs declared: {known}'" if known else
                               "; the program declares no SPIFFs'")))
            checks.append((in_list(col, others), f"'{path}: SPIFF `' || {col} || '` cannot be"
                           " paid by a quote (it needs a window and one amount or"
                           " percentage)'"))
            for j in range(1, k):
                checks.append((f"{col} = spiff{j}", f"'{path}: `' || {col} || '` is claimed"
                               " twice: a SPIFF pays once per deal'"))
        return checks

    def term_checks(self) -> list[tuple[str, str]]:
        """A deal's negotiated terms (`stepN_commission`, ...), checked as `charter quote`
        checks a request's `terms` (`economics.negotiation`): none on a step that only
        introduces the deal; on the partner of record, only a term its channel and tier
        negotiate, inside the range. The path is the request's (`route[i].terms.TERM`)."""
        checks = []
        for k in range(1, MAX_STEPS):
            for t in TERMS:
                checks.append((f"n_steps > {k} AND step{k}_{t} IS NOT NULL",
                               f"'route[{k - 1}].terms.{t}: `' || step{k}_channel || '`"
                               " introduces this deal and earns the handover''s introducer"
                               f" rate, so a negotiated `{t}` changes nothing'"))
        path = "'route[' || CAST(n_steps - 1 AS VARCHAR) || "
        for ch in self.c.channels:
            for rule in ch.terms:
                col, head = f"closer_{rule.term}", f"].terms.{rule.term}: "
                at = f"closer_channel = {q(ch.name)}" + \
                    (f" AND closer_tier = {q(rule.tier)}" if rule.tier is not None else "")
                bounds = ([f"{col} < {_fraction(rule.low)}"] if rule.low else []) + \
                    ([f"{col} > {_fraction(rule.high)}"] if rule.high is not None else [])
                if bounds:  # a negotiable term: its range (an open one from 0 has none)
                    checks.append((f"{at} AND ({' OR '.join(bounds)})",
                                   f"{path}{q(head + rule.term + ' ')} || {_percent(col)} ||"
                                   f" {q(rule.outside)}"))
                if rule.refused:
                    checks.append((f"{at} AND {col} IS NOT NULL",
                                   f"{path}{q(head + rule.refused)}"))
        return checks

    def rejects(self) -> str:
        return "SELECT line, id, error FROM charter_checked WHERE error IS NOT NULL"

    # -- run: valid deals with their route's roles and the cumulative volume before each --

    @property
    def followed(self) -> list[str]:
        """What the deals set of some closer's rates: `RATE` and negotiated terms, in order."""
        seen = {f for row in self.c.closers for f in row.follows if f is not None}
        return [f for f in (RATE,) + TERMS if f in seen]

    def closers_values(self, alias: str) -> str:
        """One row per (channel, tier, registered): r1..rN the engine's rate in each contract
        year at the default terms; f1..fN (when some rate follows the deal) what the deal
        sets that year to (`CloserRow.follows`: '' none), capped by rate_cap."""
        c = self.c
        follows = [f"f{y}" for y in YEARS] if self.followed else []
        cols = ["channel", "tier", "registered", "collects"] + [f"r{y}" for y in YEARS] + \
            follows + ["rate_cap", "with_services", "mdf", "has_ladder", "timing", "fund",
                       "renewal"]
        rows = []
        for row in c.closers:
            rates = [self.rate(r) for r in row.rates]
            sets = [q(f or "") for f in row.follows] if follows else []
            rows.append([q(row.channel), q(row.tier or ""), _bool(row.registered),
                         _bool(row.collects), *rates, *sets,
                         self.rate(row.cap), _bool(row.with_services), self.rate(row.mdf),
                         _bool(row.ladder), _code(Timing(row.timing)), self.fund(row.fund),
                         self.rate(row.renewal)])
        return self.values(rows, cols, [q(""), q(""), "FALSE", "FALSE"]
                           + [self.rate(None)] * MAX_YEARS + [q("")] * len(follows)
                           + [self.rate(None), "FALSE", self.rate(Decimal(0)), "FALSE",
                              "0", self.fund(None), self.rate(None)], alias)

    def closer_year_rate(self, year: int) -> str:
        """The partner of record's rate in contract year ``year`` for the deal (`d`) and its
        closer row (`cr`): the deal's own rate or negotiated term where the year follows it
        (a term left empty: the engine's rate at its default), capped; else the row's."""
        whens = []
        for name in self.followed:
            value = f"CAST(d.closer_{name} AS {self.rate_t})"
            capped = (f"CASE WHEN cr.rate_cap IS NOT NULL AND cr.rate_cap < {value} THEN"
                      f" cr.rate_cap ELSE {value} END")
            whens.append(f"WHEN {q(name)} THEN "
                         + (capped if name == RATE else f"COALESCE({capped}, cr.r{year})"))
        if not whens:
            return f"cr.r{year}"
        return f"CASE cr.f{year} {' '.join(whens)} ELSE cr.r{year} END"

    def due_rule(self, kind: str) -> str:
        """The due rule of a line whose kind code is the SQL expression ``kind``: the engine's
        rule for each payout kind (`Constants.due`)."""
        return f"CASE {kind} " + " ".join(f"WHEN {_code(k)} THEN {q(d.rule)}"
                                          for k, d in zip(PayoutKind, self.c.due)) + " END"

    def due_date(self, kind: str, start: str) -> str:
        """The date a line of ``kind`` falls due, counted from its contract year's first day
        ``start`` as `charter.economics.payment.due` counts it; NULL when no quote can know
        it (an event's date, no term, a retained margin)."""
        dated = [(k, d) for k, d in zip(PayoutKind, self.c.due) if d.rule in ("net",
                                                                               "period_end")]
        if not dated:
            return "CAST(NULL AS DATE)"
        whens = " ".join(f"WHEN {_code(k)} THEN {_due_on(d, start)}" for k, d in dated)
        return f"CAST(CASE {kind} {whens} END AS DATE)"

    def fund(self, value: Decimal | None) -> str:
        """A fixed amount the engine already rounded (an MDF fund per contract year, a SPIFF's
        reward), as money."""
        return f"CAST({'NULL' if value is None else format(value, 'f')} AS {self.money_t})"

    def handovers_values(self, alias: str) -> str:
        c = self.c
        cols = ["source", "target", "target_tier", "allowed"] + [f"r{y}" for y in YEARS] + \
            ["with_services", "timing", "cap", "cap_year"]
        rows = []
        for h in c.handovers:
            tiers = c.channel(h.target).tiers or (None,)
            for tier in tiers:
                rows.append([q(h.source), q(h.target), q(tier or ""), _bool(tier in h.allowed),
                             *[self.rate(r) for r in h.rates], _bool(h.with_services),
                             _code(Timing(h.timing)), self.rate(h.cap), str(h.cap_year)])
        return self.values(rows, cols, [q(""), q(""), q(""), "FALSE"]
                           + [self.rate(None)] * MAX_YEARS
                           + ["FALSE", "0", self.rate(None), "1"], alias)

    @staticmethod
    def values(rows: list[list[str]], cols: list[str], empty: list[str], alias: str) -> str:
        """A VALUES table ``alias``(``cols``); with no rows, one typed row that is filtered out."""
        names = ", ".join(cols)
        if not rows:
            return (f"(SELECT * FROM (VALUES ({', '.join(empty)})) AS e({names}) WHERE FALSE)"
                    f" AS {alias}")
        body = ",\n      ".join("(" + ", ".join(r) + ")" for r in rows)
        return f"(VALUES\n      {body}) AS {alias}({names})"

    def run(self) -> str:
        """Valid deals with their roles, volume and `before`. The running sum is a window
        over a narrow projection of the deals that cumulate, joined back by seq: a window
        over the wide rows would sort every column of every deal."""
        zero = f"CAST(0 AS {self.cum_t})"
        window = ("PARTITION BY w.closer_channel, w.closer_partner, w.period"
                  " ORDER BY w.close_date, w.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING")
        running = (f"SELECT w.seq, CAST(SUM(w.volume) OVER ({window}) AS {self.cum_t}) AS before"
                   f"\n  FROM ({self.with_volume(handovers=False)}) w WHERE w.cumulates")
        columns = self.run_columns(self.claim_kinds())
        return (f"SELECT {', '.join('v.' + k for k in columns)},\n"
                f"  CASE WHEN v.cumulates THEN COALESCE(b.before, {zero}) ELSE {zero}"
                f" END AS before\nFROM ({self.with_volume(handovers=True)}) v\n"
                f"LEFT JOIN ({running}) b ON b.seq = v.seq")

    @staticmethod
    def run_columns(kinds: tuple[str, ...] = ("f", "s")) -> list[str]:
        """What charter_years and charter_verdicts read of a deal: charter_run carries these
        only, not every input column again (Spark caches it: a narrower row is less memory
        and less to shuffle)."""
        keep = ["seq", "id", "line", "years", "n_steps", "contract_start", "split",
                "services_one_time", "services_per_year", "software", "software_list",
                "msrp_floor", "unit_price_quoted", "price_approved", "certified",
                "needs_certification", "closer_channel", "closer_partner", "closer_timing",
                "collects", "with_services", "mdf", "fund", "has_ladder", "cumulates",
                "volume", "cap", "cap_year", "renewal"]
        keep += [f"c_r{y}" for y in YEARS]
        keep += [f"influenced{k}" for k in CLAIMS] * ("f" in kinds)
        if "s" in kinds:  # what a claimed SPIFF is judged by (`spiff_ok`), and the claims
            keep += ["product", "software_exact", "close_date"] + [f"spiff{k}" for k in CLAIMS]
        for k in range(1, MAX_STEPS):
            keep += [f"step{k}_channel", f"step{k}_partner", f"h{k}_found", f"h{k}_allowed",
                     f"h{k}_with_services", f"h{k}_timing"] + [f"h{k}_r{y}" for y in YEARS]
        return keep

    def with_volume(self, handovers: bool) -> str:
        """Valid deals joined to their partner of record's row of the closers table (and,
        with ``handovers``, to each step's handover), with year 1's volume on the ladder and
        seq, the key every later statement joins on."""
        rate1 = self.closer_rate("1", "j")
        basis = "CASE WHEN j.collects THEN j.software_list ELSE j.software END"
        margin1 = self.money(self.times(basis, rate1))
        services1 = self.add("j.services_one_time", "j.services_per_year", type_=self.money_t)
        counted = in_list("j.closer_channel", [ch.name for ch in self.c.ladders
                                               if ch.ladder.counts])
        volume = (f"CASE WHEN NOT j.cumulates THEN NULL WHEN {counted} THEN"
                  f" CAST({place_of(Decimal(0)):f} AS {self.money_t}) WHEN j.collects THEN"
                  f" CAST({basis} - {margin1} AS {self.money_t}) WHEN j.with_services THEN"
                  f" CAST({basis} + {services1} AS {self.money_t}) ELSE {basis} END")
        # seq: the row's line (unique, checked)
        return f"SELECT j.*, {volume} AS volume, j.line AS seq FROM ({self.joined(handovers)}) j"

    def joined(self, handovers: bool) -> str:
        """charter_checked's valid rows with their closers row (and handovers) joined."""
        c = self.c
        products = {p.name: p for p in c.products}
        floor = self.case("product", {n: self.amount(p.msrp_floor) for n, p in products.items()
                                      if p.msrp_floor is not None})
        certification = in_list("d.closer_channel",
                                [ch.name for ch in c.channels if ch.certification])
        per_deal = in_list("d.closer_channel", [ch.name for ch in c.ladders
                                                if ch.ladder.per_deal])
        period = self.case("d.closer_channel", {ch.name: _period(ch.ladder.reset)
                                                for ch in c.ladders}, "0")
        hjoins, hcols = self.handover_joins() if handovers else ("", "")
        return f"""SELECT d.*, {floor} AS msrp_floor,
    {self.money('d.software_list_exact')} AS software_list,
    {self.money('d.software_exact', self.m)} AS software,
    COALESCE(cr.collects, FALSE) AS collects,
    {', '.join(f'{self.closer_year_rate(y)} AS c_r{y}' for y in YEARS)},
    cr.with_services,
    COALESCE(cr.mdf, {self.rate(Decimal(0))}) AS mdf, cr.fund,
    COALESCE(cr.has_ladder, FALSE) AS has_ladder,
    COALESCE(cr.has_ladder, FALSE) AND NOT ({per_deal}) AS cumulates,
    cr.timing AS closer_timing, {certification} AS needs_certification,
    CASE WHEN d.renewal_influenced THEN cr.renewal END AS renewal,
    {period} AS period{hcols}
  FROM charter_checked d
  LEFT JOIN {self.closers_values('cr')} ON d.n_steps > 0 AND cr.channel = d.closer_channel
    AND cr.tier = COALESCE(d.closer_tier, '') AND cr.registered = d.registered{hjoins}
  WHERE d.error IS NULL"""

    def handover_joins(self) -> tuple[str, str]:
        """The LEFT JOINs of each step's handover to the next, and their columns."""
        hjoins, hcols = [], []
        for k in range(1, MAX_STEPS):
            hjoins.append(f"LEFT JOIN {self.handovers_values(f'h{k}')}"
                          f" ON d.n_steps > {k} AND h{k}.source = d.step{k}_channel"
                          f" AND h{k}.target = d.step{k + 1}_channel"
                          f" AND h{k}.target_tier = COALESCE(d.step{k + 1}_tier, '')")
            hcols.append(f"h{k}.source IS NOT NULL AS h{k}_found, h{k}.allowed AS h{k}_allowed, "
                         + ", ".join(f"h{k}.r{y} AS h{k}_r{y}" for y in YEARS)
                         + f", h{k}.with_services AS h{k}_with_services, h{k}.timing AS"
                           f" h{k}_timing, h{k}.cap AS h{k}_cap, h{k}.cap_year AS h{k}_cap_year")
        cap = "CASE d.n_steps " + " ".join(f"WHEN {k + 1} THEN h{k}.cap" for k in
                                           range(1, MAX_STEPS)) + " END"
        cap_year = "CASE d.n_steps " + " ".join(f"WHEN {k + 1} THEN h{k}.cap_year" for k in
                                                range(1, MAX_STEPS)) + " END"
        return ("".join("\n  " + j for j in hjoins),
                f",\n    {cap} AS cap, {cap_year} AS cap_year,\n    " + ", ".join(hcols))

    def closer_rate(self, year: str, alias: str) -> str:
        """The partner of record's rate in contract year ``year`` (NULL: its ladder sets it)."""
        return f"CASE {year} " + " ".join(f"WHEN {y} THEN {alias}.c_r{y}" for y in YEARS) + \
            " END"

    # -- years: one row per deal and contract year, every amount and the vendor's economics --

    def years(self) -> str:
        money, times, add = self.money, self.times, self.add
        # one row per (contract length n, year y <= n): an equi-join on n, where `y <= years`
        # would be an inequality join (a sort of both sides)
        years = self.values([[str(n), str(y)] for n in YEARS for y in range(1, n + 1)],
                            ["n", "y"], ["1", "1"], "yy")
        services = (f"CAST(r.services_per_year + CASE WHEN yy.y = 1 THEN r.services_one_time"
                    f" ELSE CAST(0 AS {self.io_t}) END AS {self.money_t})")
        intro = []
        for k in range(1, MAX_STEPS):
            rate = "CASE yy.y " + " ".join(f"WHEN {y} THEN r.h{k}_r{y}" for y in YEARS) + " END"
            intro.append(f"CASE WHEN r.h{k}_found THEN {rate} END AS i{k}_rate")
        a = f"""SELECT r.*, yy.y AS year,
    {self.anniversary('r.contract_start', 'yy.y - 1')} AS year_start,
    CAST({self.anniversary('r.contract_start', 'yy.y')} - INTERVAL '1' DAY AS DATE) AS year_end,
    {services} AS services,
    CASE WHEN r.collects THEN r.software_list ELSE r.software END AS basis,
    CASE WHEN r.collects THEN CAST(r.software - r.software_list AS {self.money_t})
         ELSE CAST(0 AS {self.money_t}) END AS spread,
    {self.closer_rate('yy.y', 'r')} AS c_rate,
    {', '.join(intro)}
  FROM charter_run r JOIN {years} ON yy.n = r.years"""
        intro_amounts = []
        for k in range(1, MAX_STEPS):
            base = (f"CASE WHEN a.h{k}_with_services THEN {add('a.basis', 'a.services', type_=self.money_t)}"
                    f" ELSE a.basis END")
            intro_amounts.append(f"{base} AS i{k}_base")
            intro_amounts.append(f"CASE WHEN a.i{k}_rate IS NOT NULL THEN {money(times(base, f'a.i{k}_rate'))}"
                                 f" END AS i{k}_amount")
        cbase = f"CASE WHEN a.with_services THEN {add('a.basis', 'a.services', type_=self.money_t)} ELSE a.basis END"
        margin = money(times("a.basis", "a.c_rate"))
        b = f"""SELECT a.*,
    {cbase} AS c_base,
    CASE WHEN a.collects THEN {margin} END AS margin,
    CASE WHEN NOT a.collects AND a.c_rate IS NOT NULL THEN {money(times(cbase, 'a.c_rate'))} END
      AS c_fixed,
    COALESCE(a.fund, {money(times('a.basis', 'a.mdf'))}) AS mdf_amount,
    CASE WHEN a.year >= 2 AND a.renewal IS NOT NULL THEN {money(times(cbase, 'a.renewal'))}
      END AS renewal_amount,
    {', '.join(intro_amounts + self.claim_amounts('a'))}
  FROM ({a}) a"""
        lbase = f"CASE WHEN b.collects THEN CAST(b.basis - b.margin AS {self.money_t}) ELSE b.c_base END"
        c_ = f"""SELECT b.*,
    b.has_ladder AND (b.collects OR b.c_rate IS NULL) AS ladder_applies,
    {lbase} AS l_base
  FROM ({b}) b"""
        d_ = f"SELECT c_.*, {self.ladder_columns('c_')} FROM ({c_}) c_"
        e_ = f"SELECT d_.*, {self.marginal_rate_columns('d_')} FROM ({d_}) d_"
        return self.totals(e_)

    def claim_amounts(self, t: str) -> list[str]:
        """Year 1's influence fees (f{k}_*) and claimed SPIFFs (s{k}_*) of row ``t``, as
        `Engine._influence` and `Engine._spiffs` pay them: once, on the year-1 basis."""
        c, money, times, cols = self.c, self.money, self.times, []
        rates = {i.channel: self.rate(i.rate) for i in c.influencers if i.rate is not None}
        kinds = self.claim_kinds()
        for k in CLAIMS if "f" in kinds else ():
            rate = self.case(f"{t}.influenced{k}", rates, self.rate(None))
            pays = f"{t}.year = 1 AND {t}.influenced{k} IS NOT NULL" if rates else "FALSE"
            cols += [f"{pays} AS f{k}_pays", f"{rate} AS f{k}_rate",
                     f"CASE WHEN {pays} THEN {money(times(f'{t}.basis', rate))} END AS f{k}_amount"]
        for k in CLAIMS if "s" in kinds else ():
            claim = f"{t}.spiff{k}"
            fixed = {x.name: "TRUE" for x in c.claimable if x.amount is not None}
            rate = self.case(claim, {x.name: self.rate(x.rate if x.amount is None else
                                                        Decimal(1)) for x in c.claimable},
                             self.rate(None))
            amount = self.case(claim, {x.name: self.fund(x.amount) for x in c.claimable
                                       if x.amount is not None},
                               money(times(f"{t}.basis", rate)))
            cols += [f"{t}.year = 1 AND {self.spiff_ok(t, k)} AS s{k}_pays",
                     f"{self.case(claim, fixed, 'FALSE')} AS s{k}_fixed",
                     f"{rate} AS s{k}_rate", f"{amount} AS s{k}_amount"]
        return cols

    def claim_kinds(self) -> tuple[str, ...]:
        """Which claim columns can pay: "f" influence fees, "s" SPIFFs (none: no SQL for them)."""
        fees = any(i.rate is not None for i in self.c.influencers)
        return ("f",) * fees + ("s",) * bool(self.c.claimable)

    def spiff_ok(self, t: str, k: int) -> str:
        """Whether row ``t``'s claim ``k`` names a SPIFF the deal qualifies for
        (`economics.spiffs.misses` finds no reason): product, a partner of record and its
        channel, the year-1 software value (unrounded), the close date in the window."""
        whens = []
        for x in self.c.claimable:
            conds = [f"{t}.closer_channel IS NOT NULL"]
            if x.products:
                conds.append(in_list(f"{t}.product", x.products))
            if x.channels:
                conds.append(in_list(f"{t}.closer_channel", x.channels))
            if x.minimum is not None:
                conds.append(f"{t}.software_exact >= {self.amount(x.minimum)}")
            conds.append(f"{t}.close_date >= CAST({q(x.starts.isoformat())} AS DATE)")
            if x.ends is not None:
                conds.append(f"{t}.close_date <= CAST({q(x.ends.isoformat())} AS DATE)")
            whens.append(f"WHEN {q(x.name)} THEN {' AND '.join(conds)}")
        if not whens:
            return "FALSE"
        return f"COALESCE(CASE {t}.spiff{k} {' '.join(whens)} END, FALSE)"

    @staticmethod
    def anniversary(start: str, offset: str) -> str:
        """``start`` + ``offset`` years; 29 February's anniversary is 1 March in a common year
        (built as text: one expression in every dialect, no interval arithmetic)."""
        year = f"LPAD(CAST(EXTRACT(YEAR FROM {start}) + {offset} AS VARCHAR), 4, '0')"
        return (f"COALESCE(TRY_CAST({year} || SUBSTR(CAST({start} AS VARCHAR), 5, 6) AS DATE),"
                f" CAST({year} || '-03-01' AS DATE))")

    # ladders: the expressions of `charter.economics.thresholds.earn`, per ladder channel

    def bracket(self, ladder, v: str) -> tuple[str, str, str]:
        """(low, high, rate) of the bracket containing ``v`` (`Ladder.bracket_at`)."""
        lows, highs, rates = [], [], []
        for low, high, rate in zip(ladder.lows, ladder.highs, ladder.rates):
            cond = f"{v} >= {self.amount(low)}" + (f" AND {v} < {self.amount(high)}"
                                                    if high is not None else "")
            lows.append(f"WHEN {cond} THEN {self.amount(low)}")
            highs.append(f"WHEN {cond} THEN {self.amount(high)}")
            rates.append(f"WHEN {cond} THEN {self.rate(rate)}")
        first = ladder.lows[0] if ladder.lows else None
        return (f"CAST(CASE {' '.join(lows)} ELSE 0 END AS {self.money_t})",
                f"CAST(CASE {' '.join(highs)} ELSE {self.amount(first)} END AS {self.money_t})",
                f"CAST(CASE {' '.join(rates)} ELSE 0 END AS {self.rate_t})")

    def ladder_columns(self, t: str) -> str:
        """l_exact (unrounded amount), l_rate (NULL for marginal: settled later),
        l_trueup (unrounded), l_old (the rate before), bracket low/high/rate of the rate-setting
        bracket; ``b``: the ladder's base, ``s``: the volume before the deal."""
        cols = {name: {} for name in ("l_exact", "l_rate", "l_trueup", "l_old", "l_low",
                                      "l_high", "l_brate", "l_marginal", "l_slices")}
        base, before = f"{t}.l_base", f"CAST({t}.before AS {self.cum_t})"
        for ch in self.c.ladders:
            ladder = ch.ladder
            start = "CAST(0 AS DECIMAL(1, 0))" if ladder.per_deal else before
            if ladder.counts:  # the deal's place in the period's count (`place_of`) decides
                at = self.bracket(ladder, self.add(before, f"{place_of(Decimal(0)):f}",
                                                    type_=self.cum_t))
                values = {"l_exact": self.times(base, at[2]), "l_rate": at[2], "l_trueup": "0",
                          "l_old": at[2], "l_low": at[0], "l_high": at[1], "l_brate": at[2],
                          "l_marginal": "FALSE", "l_slices": "FALSE"}
                for name, expr in values.items():
                    cols[name][ch.name] = expr
                continue
            end = self.add(start, base, type_=self.cum_t)
            old = self.bracket(ladder, start)[2]
            if ladder.semantics == "marginal":
                top = self.bracket(ladder, end)
                terms, overlaps = [], []
                for low, high, rate in zip(ladder.lows, ladder.highs, ladder.rates):
                    upper = end if high is None else f"LEAST({end}, {self.amount(high)})"
                    lower = f"GREATEST({start}, {self.amount(low)})"
                    part = f"GREATEST(CAST({upper} - {lower} AS {self.cum_t}), 0)"
                    terms.append(self.times(part, self.rate(rate)))
                    overlaps.append(f"{upper} > {lower}")
                exact = self.add(*terms) if terms else f"CAST(0 AS {self.exact_t})"
                values = {"l_exact": exact, "l_rate": "NULL", "l_trueup": "0", "l_old": old,
                          "l_low": top[0], "l_high": top[1], "l_brate": top[2],
                          "l_marginal": "TRUE", "l_slices": " OR ".join(overlaps) or "FALSE"}
            elif ladder.semantics == "retroactive":
                top = self.bracket(ladder, end)
                diff = f"CAST({top[2]} - {old} AS {self.rate_t})"
                values = {"l_exact": self.times(base, top[2]), "l_rate": top[2],
                          "l_trueup": f"CAST(CAST({start} AS {self.money_t}) * {diff} AS {self.exact_t})",
                          "l_old": old, "l_low": top[0], "l_high": top[1], "l_brate": top[2],
                          "l_marginal": "FALSE", "l_slices": "FALSE"}
            else:
                at = self.bracket(ladder, base if ladder.per_deal else start)
                values = {"l_exact": self.times(base, at[2]), "l_rate": at[2], "l_trueup": "0",
                          "l_old": old, "l_low": at[0], "l_high": at[1], "l_brate": at[2],
                          "l_marginal": "FALSE", "l_slices": "FALSE"}
            for name, expr in values.items():
                cols[name][ch.name] = expr
        types = {"l_exact": self.exact_t, "l_rate": self.rate_t, "l_trueup": self.exact_t,
                 "l_old": self.rate_t, "l_low": self.money_t, "l_high": self.money_t,
                 "l_brate": self.rate_t, "l_marginal": "BOOLEAN", "l_slices": "BOOLEAN"}
        out = []
        for name, mapping in cols.items():
            expr = self.case(f"{t}.closer_channel", mapping)
            out.append(f"CAST(CASE WHEN {t}.ladder_applies THEN {expr} END AS {types[name]})"
                       f" AS {name}")
        return ",\n    ".join(out)

    def marginal_rate_columns(self, t: str) -> str:
        """The estimate k0 of a marginal line's effective rate × 10^6 (settled exactly in
        `totals`); NULL elsewhere."""
        est = (f"CAST(ROUND(CAST({t}.l_exact AS DOUBLE) / CAST(NULLIF({t}.l_base, 0) AS DOUBLE)"
               f" * 1000000) AS BIGINT)")
        return f"CASE WHEN {t}.l_marginal AND {t}.l_base <> 0 THEN {est} END AS k0"

    def totals(self, source: str) -> str:
        c, money = self.c, self.money
        two_a = (f"CAST(CAST(f.l_exact AS DECIMAL(30, {self.s})) * CAST(2000000 AS DECIMAL(7, 0))"
                 f" AS DECIMAL(38, {self.s}))")

        def edge(k: str, sign: str) -> str:
            return f"CAST(CAST(2 * {k} {sign} 1 AS DECIMAL(10, 0)) * f.l_base AS DECIMAL(38, {self.m}))"
        k1 = (f"CASE WHEN {two_a} > {edge('f.k0', '+')} THEN f.k0 + 1"
              f" WHEN {two_a} < {edge('f.k0', '-')} THEN f.k0 - 1 ELSE f.k0 END")
        f_ = f"SELECT f.*, {k1} AS k1 FROM ({source}) f"
        two_a_g = two_a.replace("f.", "g.")
        k2 = (f"CASE WHEN {two_a_g} = {edge('g.k1', '+').replace('f.', 'g.')} AND g.k1 % 2 = 1"
              f" THEN g.k1 + 1 WHEN {two_a_g} = {edge('g.k1', '-').replace('f.', 'g.')}"
              f" AND g.k1 % 2 = 1 THEN g.k1 - 1 ELSE g.k1 END")
        marginal_rate = (f"CASE WHEN g.l_base = 0 THEN g.l_old ELSE CAST(CAST({k2} AS"
                         f" DECIMAL(10, 0)) * CAST(0.000001 AS DECIMAL(7, 6)) AS {self.rate_t})"
                         f" END")
        g_ = f"""SELECT g.*,
    CASE WHEN g.l_marginal THEN {marginal_rate} ELSE g.l_rate END AS ladder_rate,
    {money('g.l_exact')} AS ladder_amount,
    CASE WHEN g.year = 1 THEN {money('g.l_trueup')} ELSE CAST(0 AS {self.money_t}) END
      AS trueup_amount,
    CAST(g.l_brate - g.l_old AS {self.rate_t}) AS trueup_rate
  FROM ({f_}) g"""
        # which closer lines there are, the split, and the vendor's economics of the year
        main = (f"CASE WHEN h.collects THEN CAST(h.margin + h.spread AS {self.money_t})"
                f" WHEN h.ladder_applies THEN h.ladder_amount ELSE h.c_fixed END")
        has_main = ("(h.n_steps > 0 AND (h.collects OR h.ladder_applies OR"
                    " (h.c_fixed IS NOT NULL AND h.c_rate <> 0)))")
        pays = ("(h.has_ladder OR " + " OR ".join(f"COALESCE(h.c_r{y}, 0) <> 0" for y in YEARS)
                + ")")
        pool = (f"CASE WHEN {pays} THEN CAST(CASE WHEN {has_main} THEN {main} ELSE 0 END"
                f" - h.spread AS {self.money_t}) ELSE h.basis END")
        h_ = f"""SELECT h.*,
    {has_main} AS has_main, {main} AS main_amount,
    h.collects AND h.has_ladder AND h.l_exact <> 0 AS has_rebate,
    h.year = 1 AND h.ladder_applies AND h.l_trueup <> 0 AS has_trueup,
    h.n_steps > 0 AND (h.mdf <> 0 OR h.fund IS NOT NULL) AS has_mdf,
    CASE WHEN h.split IS NOT NULL THEN {pool} END AS pool
  FROM ({g_}) h"""
        i_ = f"SELECT i.*, {self.split_columns('i')} FROM ({h_}) i"
        width = max((len(sp.parties) for sp in c.splits), default=0)
        keep = ["seq", "id", "year", "years", "year_start", "year_end", "collects", "split",
                "closer_channel", "closer_partner", "closer_timing", "has_main", "main_amount",
                "c_rate", "c_base", "with_services", "ladder_applies", "ladder_rate",
                "ladder_amount", "l_slices", "l_base", "l_low", "l_high", "l_brate",
                "has_rebate", "has_trueup", "trueup_rate", "trueup_amount", "before", "has_mdf",
                "mdf", "fund", "mdf_amount", "renewal", "renewal_amount", "basis", "spread",
                "pool", "below_wholesale",
                "below_floor", "loses_money", "over_cap"]
        for k in range(1, MAX_STEPS):
            keep += [f"step{k}_channel", f"step{k}_partner", f"h{k}_timing",
                     f"h{k}_with_services", f"i{k}_rate", f"i{k}_base", f"i{k}_amount"]
        for i in range(1, width + 1):
            keep += [f"share{i}", f"part{i}", f"split{i}_pays"]
        kinds = self.claim_kinds()  # a program that pays no claims carries no claim columns
        for k in CLAIMS:
            keep += [f"influenced{k}", f"f{k}_pays", f"f{k}_rate", f"f{k}_amount"] * \
                ("f" in kinds) + [f"s{k}_pays", f"s{k}_fixed", f"s{k}_rate", f"s{k}_amount"] * \
                ("s" in kinds)
        return f"SELECT {', '.join('z.' + k for k in keep)}\nFROM ({self.economics(i_)}) z"

    def split_columns(self, t: str) -> str:
        """part1..partP: largest-remainder parts of the pool (`Rounding.allocate`), by split."""
        c = self.c
        width = max((len(s.parties) for s in c.splits), default=0)
        if width == 0:
            return "CAST(NULL AS BOOLEAN) AS no_split"
        out = []
        for i in range(width):
            shares = {s.name: self.rate(s.parties[i][1]) for s in c.splits if i < len(s.parties)}
            share = self.case(f"{t}.split", shares, self.rate(Decimal(0)))
            exact = f"CAST({t}.pool * {share} AS {self.exact_t})"
            out.append((share, exact))
        cols = []
        for i, (share, exact) in enumerate(out, 1):
            cols.append(f"{share} AS share{i}")
            cols.append(f"{exact} AS exact{i}")
            floored = narrowed(lambda v, fit: floor_to(v, self.m, fit), exact, self.s, self.m)
            cols.append(f"CAST({floored} AS {self.money_t}) AS floor{i}")
        return ",\n    ".join(cols)

    def economics(self, source: str) -> str:
        c, money = self.c, self.money
        width = max((len(s.parties) for s in c.splits), default=0)
        qv = Decimal(1).scaleb(-self.m)
        scale = 10 ** self.m
        parts = []
        if width:
            left = (f"CAST((j.pool - {self.add(*[f'j.floor{i}' for i in range(1, width + 1)], type_=self.money_t)})"
                    f" * {scale} AS DECIMAL(38, 0))")
            for i in range(1, width + 1):
                d_i = f"(j.floor{i} - j.exact{i})"
                rank = " + ".join(f"CASE WHEN (j.floor{k} - j.exact{k}) < {d_i}"
                                  + (f" OR (j.floor{k} - j.exact{k}) = {d_i}" if k < i else "")
                                  + " THEN 1 ELSE 0 END" for k in range(1, width + 1) if k != i) \
                    or "0"
                parts.append(f"CAST(j.floor{i} + CASE WHEN ({rank}) < {left} THEN"
                             f" CAST({qv:f} AS DECIMAL({self.m + 1}, {self.m})) ELSE 0 END AS"
                             f" {self.money_t}) AS part{i}")
        # a split's lines for the partner of record: which parts go to it, by split
        for i in range(1, width + 1):
            closer_of = {s.name: "TRUE" for s in c.splits
                         if i <= len(s.parties) and s.parties[i - 1][0] not in ("direct", "vendor")}
            parts.append(f"{self.case('j.split', closer_of, 'FALSE')} AS split{i}_pays")
        j_ = f"SELECT j.*{''.join(', ' + p for p in parts)} FROM ({source}) j"
        split_sum = self.add(*[f"CASE WHEN k.split{i}_pays THEN k.part{i} + k.spread ELSE 0 END"
                               for i in range(1, width + 1)], type_=self.money_t) if width else "0"
        closer_main = (f"CASE WHEN k.split IS NOT NULL THEN {split_sum} WHEN k.has_main THEN"
                       f" k.main_amount ELSE 0 END")
        intro_sum = self.add(*[f"COALESCE(k.i{i}_amount, 0)" for i in range(1, MAX_STEPS)],
                             type_=self.money_t)
        rebate = "CASE WHEN k.has_rebate THEN k.ladder_amount ELSE 0 END"
        trueup = "CASE WHEN k.has_trueup THEN k.trueup_amount ELSE 0 END"
        mdf = "CASE WHEN k.has_mdf THEN k.mdf_amount ELSE 0 END"
        retained = f"CASE WHEN k.collects THEN {closer_main} ELSE 0 END"
        claims = [f"CASE WHEN k.{x}{i}_pays THEN k.{x}{i}_amount ELSE 0 END"
                  for x in self.claim_kinds() for i in CLAIMS]  # vendor-paid, not combined
        renewal = "COALESCE(k.renewal_amount, 0)"  # in the combined rate, as the quote has it
        paid_parts = [intro_sum, f"CASE WHEN k.collects THEN 0 ELSE {closer_main} END", rebate,
                      trueup, renewal] + claims + ([mdf] if c.mdf_counts else [])
        k_ = f"""SELECT k.*,
    CAST({retained} - k.spread AS {self.money_t}) AS retained,
    {self.add(*paid_parts, type_=self.money_t)} AS paid,
    CAST({'0' if c.mdf_counts else mdf} AS {self.money_t}) AS uncounted,
    CAST({self.add(intro_sum, closer_main, rebate, trueup, renewal, type_=self.money_t)} - k.spread
      AS {self.money_t}) AS combined,
    {money(self.times('k.basis', self.rate(c.cogs)))} AS cogs
  FROM ({j_}) k"""
        net = f"CAST(l.basis - l.retained - l.cogs - l.paid AS {self.money_t})"
        below = "FALSE" if c.floor is None else _ratio_below("l", net, c.floor)
        over = ("(l.cap IS NOT NULL AND l.year = l.cap_year AND NOT ("
                + _ratio_at_most_var("l", "l.combined", "l.cap") + "))")
        return f"""SELECT l.*,
    {net} AS vendor_net,
    CASE WHEN l.collects THEN CAST(l.basis - l.retained AS {self.money_t}) END AS wholesale_price,
    {below} AS below_floor,
    l.uncounted <> 0 AND {net} - l.uncounted < 0 AS loses_money,
    {over} AS over_cap,
    l.collects AND l.software < CAST(l.basis - l.retained AS {self.money_t}) AS below_wholesale
  FROM ({k_}) l"""

    # -- decisions: one row per valid deal --

    def decisions(self) -> str:
        c = self.c
        codes = []
        for k in range(1, MAX_STEPS):
            codes.append(f"CASE WHEN r.n_steps > {k} AND NOT r.h{k}_found THEN 'no_handover'"
                         f" WHEN r.n_steps > {k} AND NOT r.h{k}_allowed THEN 'tier_not_allowed'"
                         f" END")
        codes.append("CASE WHEN r.msrp_floor IS NOT NULL AND r.unit_price_quoted <"
                     " r.msrp_floor AND NOT r.price_approved THEN 'below_msrp' END")
        codes.append("CASE WHEN a.below_wholesale = 1 THEN 'below_wholesale' END")
        codes.append("CASE WHEN r.needs_certification AND NOT r.certified THEN"
                     " 'not_certified' END")
        codes.append("CASE WHEN a.over_cap = 1 THEN 'combined_cap' END")
        if c.floor is not None:
            codes.append("CASE WHEN a.below_floor = 1 OR a.loses_money = 1 THEN"
                         " 'margin_floor' END")
        reasons = f"CONCAT_WS(',', {', '.join(codes)})"
        unpaid = "CONCAT_WS(',', " + ", ".join(
            f"CASE WHEN r.spiff{k} IS NOT NULL AND NOT {self.spiff_ok('r', k)} THEN r.spiff{k}"
            " END" for k in CLAIMS) + ")" if "s" in self.claim_kinds() else "''"
        agg = """SELECT seq, MAX(CASE WHEN below_wholesale THEN 1 ELSE 0 END)
      AS below_wholesale, MAX(CASE WHEN below_floor THEN 1 ELSE 0 END) AS below_floor,
    MAX(CASE WHEN loses_money THEN 1 ELSE 0 END) AS loses_money,
    MAX(CASE WHEN over_cap THEN 1 ELSE 0 END) AS over_cap,
    MAX(CASE WHEN year = years THEN year_end END) AS contract_end,
    MAX(CASE WHEN year = 1 THEN l_low END) AS bracket_from,
    MAX(CASE WHEN year = 1 THEN l_high END) AS bracket_up_to,
    MAX(CASE WHEN year = 1 THEN l_brate END) AS bracket_rate
  FROM charter_years GROUP BY seq"""
        ladders = self.case("r.closer_channel", {ch.name: q(ch.ladder.name)
                                                 for ch in c.ladders})
        return f"""SELECT s.*, CASE WHEN s.reasons = '' THEN 'accept' ELSE 'walk' END AS decision
FROM (SELECT r.seq, r.id AS deal_id, r.line, {reasons} AS reasons,
    r.closer_channel AS partner_of_record, r.closer_partner AS partner,
    r.years, r.contract_start, a.contract_end,
    CASE WHEN r.has_ladder THEN {ladders} END AS ladder,
    CASE WHEN r.cumulates THEN CAST(r.before AS {self.io_t}) END AS cumulative_before,
    CASE WHEN r.cumulates THEN CAST(r.before + r.volume AS {self.io_t}) END AS cumulative_after,
    CASE WHEN r.has_ladder THEN CAST(a.bracket_from AS {self.io_t}) END AS bracket_from,
    CASE WHEN r.has_ladder THEN CAST(a.bracket_up_to AS {self.io_t}) END AS bracket_up_to,
    CASE WHEN r.has_ladder THEN {self.rate_out('a.bracket_rate')} END AS bracket_rate,
    {unpaid} AS spiffs_not_paid
  FROM charter_run r JOIN ({agg}) a ON a.seq = r.seq) s"""

    def decisions_out(self) -> str:
        from charter.warehouse.tables import decision_columns

        return f"SELECT {', '.join(c.name for c in decision_columns())} FROM charter_verdicts"

    # -- payouts: one row per payout line --

    def payouts(self) -> str:
        c = self.c
        width = max((len(s.parties) for s in c.splits), default=0)
        selects = []

        def line(slot: int, cond: str, party: str, partner: str, kind: str, timing: str,
                 rate: str, base: str, base_of: str, amount: str, amount_is: str) -> None:
            kind, timing = _encode(kind, PayoutKind), _encode(timing, Timing)
            base_of, amount_is = _encode(base_of, BaseOf), _encode(amount_is, AmountIs)
            selects.append(
                f"SELECT y.seq, y.id AS deal_id, {slot} AS line, y.year, y.year_start, y.year_end,"
                f" {party} AS party, {partner} AS partner, {kind} AS kind,"
                f" {timing} AS timing, {self.rate_out(rate)} AS rate,"
                f" CAST({base} AS {self.io_t}) AS base, {base_of} AS base_of,"
                f" CAST({amount} AS {self.io_t}) AS amount, {amount_is} AS amount_is"
                f"\n  FROM charter_years y WHERE {cond}")
        basis_of = "CASE WHEN y.collects THEN 'software_list' ELSE 'software' END"
        for k in range(1, MAX_STEPS):
            line(k, f"y.i{k}_amount IS NOT NULL AND y.i{k}_rate <> 0", f"y.step{k}_channel",
                 f"y.step{k}_partner", "'commission'", f"y.h{k}_timing", f"y.i{k}_rate",
                 f"y.i{k}_base", f"CASE WHEN y.h{k}_with_services THEN 'software_and_services'"
                 f" ELSE {basis_of} END", f"y.i{k}_amount", "'rate_x_base'")
        closer_kind = "CASE WHEN y.collects THEN 'wholesale_margin' ELSE 'commission' END"
        main_rate = "CASE WHEN y.collects OR NOT y.ladder_applies THEN y.c_rate ELSE y.ladder_rate END"
        main_base = "CASE WHEN y.collects THEN y.basis ELSE y.c_base END"
        main_base_of = ("CASE WHEN y.collects THEN 'software_list' WHEN y.with_services THEN"
                        " 'software_and_services' ELSE 'software' END")
        main_is = ("CASE WHEN y.collects AND y.spread <> 0 THEN 'spread' WHEN NOT y.collects AND"
                   " y.ladder_applies AND y.l_slices THEN 'slices' ELSE 'rate_x_base' END")
        line(MAX_STEPS, "y.has_main AND y.split IS NULL", "y.closer_channel", "y.closer_partner",
             closer_kind, "y.closer_timing", main_rate, main_base, main_base_of,
             "y.main_amount", main_is)
        line(MAX_STEPS + 1, "y.has_rebate", "y.closer_channel", "y.closer_partner", "'rebate'",
             "y.closer_timing", "y.ladder_rate", "y.l_base", "'wholesale_price'",
             "y.ladder_amount", "CASE WHEN y.l_slices THEN 'slices' ELSE 'rate_x_base' END")
        line(MAX_STEPS + 2, "y.has_trueup", "y.closer_channel", "y.closer_partner", "'true_up'",
             "'one_time'", "y.trueup_rate", "y.before", "'earlier_volume'", "y.trueup_amount",
             "'rate_x_base'")
        fund = "y.fund IS NOT NULL"  # a fixed fund: rate 1 × the year's fund (engine's line)
        line(MAX_STEPS + 3, "y.has_mdf", "y.closer_channel", "y.closer_partner", "'mdf'",
             "'recurring'", f"CASE WHEN {fund} THEN {self.rate(Decimal(1))} ELSE y.mdf END",
             "COALESCE(y.fund, y.basis)", f"CASE WHEN {fund} THEN 'mdf_fund' ELSE {basis_of}"
             " END", "y.mdf_amount", "'rate_x_base'")
        line(MAX_STEPS + 4, "y.renewal_amount IS NOT NULL", "y.closer_channel",
             "y.closer_partner", "'renewal_fee'", "'recurring'", "y.renewal", "y.c_base",
             f"CASE WHEN y.with_services THEN 'software_and_services' ELSE {basis_of} END",
             "y.renewal_amount", "'rate_x_base'")
        timing = "CASE WHEN y.has_main THEN y.closer_timing ELSE 'recurring' END"
        for i in range(1, width + 1):
            amount_is = ("CASE WHEN y.collects AND y.spread <> 0 THEN 'spread' ELSE 'allocated'"
                         " END")
            line(MAX_STEPS + 4 + i, f"y.split{i}_pays", "y.closer_channel", "y.closer_partner",
                 closer_kind, timing, f"y.share{i}", "y.pool", "'split_pool'",
                 f"CASE WHEN y.collects THEN y.part{i} + y.spread ELSE y.part{i} END",
                 amount_is)
        slot = MAX_STEPS + 4 + width
        for k in CLAIMS if "f" in self.claim_kinds() else ():
            line(slot + k, f"y.f{k}_pays", f"y.influenced{k}", "CAST(NULL AS VARCHAR)",
                 "'influence'", "'one_time'", f"y.f{k}_rate", "y.basis", basis_of,
                 f"y.f{k}_amount", "'rate_x_base'")
        for k in CLAIMS if "s" in self.claim_kinds() else ():
            line(slot + MAX_CLAIMS + k, f"y.s{k}_pays", "y.closer_channel", "y.closer_partner",
                 "'spiff'", "'one_time'", f"y.s{k}_rate",
                 f"CASE WHEN y.s{k}_fixed THEN y.s{k}_amount ELSE y.basis END",
                 f"CASE WHEN y.s{k}_fixed THEN 'fixed_amount' ELSE {basis_of} END",
                 f"y.s{k}_amount", f"CASE WHEN y.s{k}_fixed THEN 'fixed' ELSE 'rate_x_base' END")
        # payable: the deal's decision, joined once onto the lines (narrow: seq and decision)
        # rather than onto every contract year before the lines are picked out of them. A
        # CASE with no ELSE (a decision is always one of the two), so that DuckDB does not
        # know `payable` as never NULL: a Parquet file's column would then be REQUIRED where
        # it has always been OPTIONAL.
        payable = "CASE v.decision WHEN 'accept' THEN TRUE WHEN 'walk' THEN FALSE END"
        return (f"SELECT u.*, {payable} AS payable\nFROM ("
                + "\nUNION ALL\n".join(selects)
                + ") u\nJOIN charter_verdicts v ON v.seq = u.seq")


def _settlement(kind: str) -> str:
    """Who settles a line whose kind code is the SQL expression ``kind``."""
    return f"CASE {kind} " + " ".join(
        f"WHEN {_code(k)} THEN {q(k.settlement.value)}" for k in PayoutKind) + " END"


# Word-valued columns (a line's kind, timing, base_of, amount_is; the timings of the
# constants tables) are carried as codes, a member's position in its enum from 1, and spelt
# by `_decode` where the payouts are written: integers are cheaper to store and to sort.

def _code(member) -> str:
    """The code of an enum member, as a SQL literal."""
    return str(list(type(member)).index(member) + 1)


def _decode(column: str, enum) -> str:
    """The word of the code in ``column``."""
    return f"CASE {column} " + " ".join(f"WHEN {_code(m)} THEN {q(m.value)}" for m in enum) \
        + " END"


def _encode(expr: str, enum) -> str:
    """``expr`` (a column of codes, or a CASE of quoted words of ``enum``) with each quoted
    word replaced by its code; a word that is not a member is a mistake here."""
    return re.sub(r"'([a-z_]+)'", lambda w: _code(enum(w.group(1))), expr)


def _bool(value: bool) -> str:
    return "TRUE" if value else "FALSE"


def _due_on(due, start: str) -> str:
    """``start`` (net) or the end of its calendar period (period_end), plus the term's days."""
    day = start if due.rule == "net" else _period_end(start, due.period)
    return day if not due.days else f"CAST({day} + INTERVAL '{due.days}' DAY AS DATE)"


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _period_end(day: str, period: str) -> str:
    """The last day of the calendar ``period`` ``day`` is in (`payment.period_end`), built as
    text like `Gen.anniversary`: one expression in every dialect, no interval of months."""
    from charter.economics.payment import PERIOD_MONTHS

    months = PERIOD_MONTHS[period]
    month, year = f"EXTRACT(MONTH FROM {day})", f"EXTRACT(YEAR FROM {day})"
    leap = f"(({year}) % 4 = 0 AND ({year}) % 100 <> 0 OR ({year}) % 400 = 0)"
    ends = []
    for end in range(months, 13, months):
        text = q(f"-{end:02d}-{_MONTH_DAYS[end - 1]}")
        if end == 2:
            text = f"CASE WHEN {leap} THEN '-02-29' ELSE {text} END"
        ends.append(f"WHEN {month} <= {end} THEN {text}")
    mmdd = f"CASE {' '.join(ends)} END"
    return f"CAST(LPAD(CAST({year} AS VARCHAR), 4, '0') || {mmdd} AS DATE)"


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _percent(column: str) -> str:
    """A deal's rate (DECIMAL(9, 8)) as a request writes it, `15%`, `12.345678%`, as text
    (`negotiation.spell`): ×100 has at most 6 decimals, trailing zeros dropped."""
    text = f"CAST(CAST({column} * 100 AS DECIMAL(12, 6)) AS VARCHAR)"
    return f"TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM {text})) || '%'"


def _fraction(value: Decimal) -> str:
    """A range bound, exactly, compared with a deal's rate."""
    scale = max(1, -value.as_tuple().exponent)
    return f"CAST({value:f} AS DECIMAL({_int_digits(value) + scale}, {scale}))"


def _period(reset: str) -> str:
    """The threshold period of the close date (`charter.economics.thresholds.same_period`)."""
    if reset == "quarter":
        return "EXTRACT(YEAR FROM d.close_date) * 10 + EXTRACT(QUARTER FROM d.close_date)"
    if reset == "month":
        return "EXTRACT(YEAR FROM d.close_date) * 100 + EXTRACT(MONTH FROM d.close_date)"
    if reset in ("calendar_year", "fiscal_year"):
        return "EXTRACT(YEAR FROM d.close_date)"
    return "0"


def narrowed(fn, x: str, scale: int, digits: int) -> str:
    """``fn(x, fit)``, a rounding of ``x`` (a DECIMAL of ``scale`` decimals) to ``digits``
    decimals, computed on DECIMAL(18, scale) where |x| × 10^digits fits it, and ``fn(x, None)``
    on x as it is elsewhere. The value is the same either way; DuckDB's ROUND, FLOOR and CEIL
    of a 128-bit DECIMAL (precision above 18) are about ten times slower than of a 64-bit one,
    and most amounts are far below the bound."""
    room = 18 - scale - digits
    if room < 1:
        return fn(x, None)
    bound = 10 ** room
    return (f"CASE WHEN {x} > -{bound} AND {x} < {bound} THEN {fn(x, scale)}"
            f" ELSE {fn(x, None)} END")


def _shifted(x: str, digits: int, fit: int | None) -> str:
    """``x`` × 10^digits (in DECIMAL(18, fit) when given: see `narrowed`)."""
    y = f"(({x}) * CAST({10 ** digits} AS DECIMAL({digits + 1}, 0)))"
    return y if fit is None else f"CAST({y} AS DECIMAL(18, {fit}))"


def round_to(x: str, digits: int, mode: str, fit: int | None = None) -> str:
    """``x`` (a DECIMAL) to ``digits`` decimals with a `charter.economics.money` mode; with
    ``fit``, x (of ``fit`` decimals) is small enough to be rounded in 64 bits (`narrowed`)."""
    if fit is not None:
        x = f"CAST({x} AS DECIMAL(18, {fit}))"
    if mode == "half_up":
        return f"ROUND({x}, {digits})"
    y = _shifted(x, digits, fit)
    if mode == "half_even":
        r = (f"CASE WHEN {y} - FLOOR({y}) > 0.5 OR ({y} - FLOOR({y}) = 0.5 AND"
             f" FLOOR({y}) % 2 <> 0) THEN FLOOR({y}) + 1 ELSE FLOOR({y}) END")
    elif mode == "down":
        r = f"CASE WHEN {y} < 0 THEN CEIL({y}) ELSE FLOOR({y}) END"
    elif mode == "up":
        r = f"CASE WHEN {y} < 0 THEN FLOOR({y}) ELSE CEIL({y}) END"
    else:  # pragma: no cover - the model admits only these modes
        raise ValueError(f"rounding mode {mode}")
    if digits == 0:
        return f"({r})"
    return (f"(CAST({r} AS DECIMAL(30, 0)) * CAST({Decimal(1).scaleb(-digits):f} AS"
            f" DECIMAL({digits + 1}, {digits})))")


def floor_to(x: str, digits: int, fit: int | None = None) -> str:
    """``x`` rounded toward minus infinity to ``digits`` decimals (ROUND_FLOOR); ``fit`` as
    for `round_to`."""
    if fit is not None:
        x = f"CAST({x} AS DECIMAL(18, {fit}))"
    y = _shifted(x, digits, fit)
    if digits == 0:
        return f"FLOOR({y})"
    return (f"(CAST(FLOOR({y}) AS DECIMAL(30, 0)) * CAST({Decimal(1).scaleb(-digits):f} AS"
            f" DECIMAL({digits + 1}, {digits})))")


_UNIT = Decimal("0.000001")
_HALF = Decimal("0.0000005")


def _ratio_le(t: str, num: str, g: Decimal, basis: str) -> str:
    """Whether ratio(num, basis) (half-even to 1e-6) <= g, a multiple of 1e-6, exactly:
    num/basis < g + 5e-7, or equal to it and g even at 1e-6 (ties go to the even one)."""
    h = g + _HALF
    even = int((g / _UNIT).to_integral_value()) % 2 == 0
    hb = f"CAST(CAST({h:f} AS DECIMAL(9, 7)) * {basis} AS DECIMAL(38, 7))"
    tie = f" OR {num} = {hb}" if even else ""
    return f"({basis} = 0 AND {g:f} >= 0 OR {basis} > 0 AND ({num} < {hb}{tie}))"


def _ratio_below(t: str, num: str, floor: Decimal) -> str:
    """ratio(num, basis) < floor: ratio <= (floor rounded up to 1e-6) − 1e-6."""
    from decimal import ROUND_CEILING
    g = floor.quantize(_UNIT, ROUND_CEILING) - _UNIT
    return _ratio_le(t, num, g, f"{t}.basis")


def _ratio_at_most_var(t: str, num: str, cap: str) -> str:
    """ratio(num, basis) <= cap, for a per-row cap (a rate with at most 6 decimals is checked
    by the constants): the same test with g = cap."""
    h = f"CAST({cap} + CAST(0.0000005 AS DECIMAL(8, 7)) AS DECIMAL(9, 7))"
    even = f"CAST({cap} * CAST(1000000 AS DECIMAL(7, 0)) AS DECIMAL(20, 0)) % 2 = 0"
    hb = f"CAST({h} * {t}.basis AS DECIMAL(38, 7))"
    return (f"({t}.basis = 0 AND {cap} >= 0 OR {t}.basis > 0 AND ({num} < {hb} OR ({num} = {hb}"
            f" AND {even})))")


def statements(constants: Constants, table: str = "deals") -> list[tuple[str, str]]:
    """The named SELECTs of ``constants``' commission run over ``table`` (DuckDB dialect)."""
    return Gen(constants, table).statements()
