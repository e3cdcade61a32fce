"""The `brief` target: `internal-brief.md`, for the program's commercial owner.

The owner reads the mitigations first, then the economics (unit economics per partner
included), then handover safety; then the policy results with the policy parameters in effect
(set in the program or defaults), the waivers (owner, reason, expiry; days left only when the
build is stamped with a date, `--stamp YYYY-MM-DD`, so an unstamped brief is the same on every
day), the ship gate, and finally everything the partner guide says, as partners read it.
Internal: it reads the full config (its `internal` section: the vendor's economics on every
route, the cost of a partner, internal channels and examples) and quotes deals in the
engine's internal view.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cached_property

from charter import clock
from charter.economics import Quoter
from charter.economics.request import DealRequest, Step
from charter.economics.routes import Route, quotable
from charter.targets import guide
from charter.targets.base import BuildContext, Target
from charter.targets.document import Doc, Items, Note, Para, Section, render, table
from charter.targets.escape import paragraphs
from charter.targets.guide_rules import procedure
from charter.targets.projection import Projection, engine_quoter, local
from charter.targets.wording import Words, words

EXPIRY_WARNING_DAYS = 30   # as CH-W402: a waiver this close to expiry needs its owner
DATED = ("CH-W402",)       # findings that depend on the day: `charter check` reports them


def _stamp_date(stamp: str | None) -> date | None:
    """The date a `--stamp` starts with (`2026-11-28`, `2026-11-28T12:00Z`), if any."""
    try:
        return date.fromisoformat(stamp[:10]) if stamp else None
    except ValueError:
        return None


class Brief:
    """One program's brief: its build context, the full config and a formatter."""

    def __init__(self, ctx: BuildContext):
        self.ctx, self.config = ctx, ctx.config
        self.internal = self.config["internal"]
        self.words = Words.of(self.config)
        self.today = clock.today()          # judges waiver expiry in the policy run
        self.as_of = _stamp_date(ctx.stamp)  # the only date the brief prints

    # ---- mitigations -------------------------------------------------------------------

    def mitigations(self) -> Section:
        """Every mitigation with its enforcement, trigger and full text."""
        items = tuple((x["title"] or words(x["name"]), self._mitigation(x))
                      for x in self.config["mitigations"])
        blocks = (Items(items, ordered=True),) if items else (
            Note("The program declares no mitigation."),)
        return Section("mitigations", "Mitigations", blocks)

    def _mitigation(self, x: dict) -> str:
        w = self.words
        parts = [words(x["enforcement"])]
        if x["trigger"]:
            sustained = f" for {w.duration(x['sustained'])}" if x["sustained"] else ""
            parts.append(f"{w.criteria(x['trigger'])}{sustained} → "
                         + " or ".join(words(a) for a in x["action"]))
        for key in ("cadence", "gates"):
            if x[key]:
                parts.append(f"{key}: {words(x[key])}")
        if x["applies_to"]:
            parts.append("applies to " + ", ".join(i.split(":", 1)[1] for i in x["applies_to"]))
        if x["contact"]:
            parts.append(f"contact: {x['contact']}")
        return "; ".join(parts) + "".join(f". {t}" for t in paragraphs(x["doc"]))

    # ---- economics ---------------------------------------------------------------------

    def economics(self) -> Section:
        """The vendor's economics: the margin line, every route worst first, internal channels
        and the pitch's comparison, and the internal worked examples."""
        subs = [s for s in (self._line(), self._unit_economics(), self._routes(),
                            self._benchmarks(), self._examples()) if s is not None]
        return Section("economics", "Economics", (), tuple(subs))

    def _line(self) -> Section:
        econ, w = self.internal["economics"], self.words
        if econ is None:
            return Section("line", "Vendor economics", (
                Note("The program declares no internal economics (no COGS, no margin-death"
                     " line): route margins below assume no COGS."),))
        items = [("COGS", w.percent(econ["cogs"])),
                 ("Margin-death line", f"vendor net margin below {w.percent(econ['margin_floor'])}"
                  " walks"),
                 ("MDF counts against the line", "yes" if econ["mdf_counts_against_margin"]
                  else "no")]
        if econ["gm_target"]:
            items.append(("Gross margin target", w.percent(econ["gm_target"])))
        blocks = [Items(tuple(items))]
        if econ["walk"]:
            blocks += [Para("Walk rules:"), Items(tuple(("", r) for r in econ["walk"]))]
        blocks += [Para(t) for t in paragraphs(econ["doc"])]
        return Section("line", "Vendor economics", tuple(blocks))

    def _unit_economics(self) -> Section | None:
        """What one partner costs the vendor and when it pays back (`unit_economics`)."""
        u, w = self.internal["unit_economics"], self.words
        if u is None:
            return None

        def span(pair: dict | None, spell) -> str:
            if pair is None:
                return ""
            low, high = spell(pair["from"]), spell(pair["up_to"])
            return low if low == high else f"{low} – {high}"
        management = span(u["management_cost"], w.money)
        rows = (("Recruitment cost", span(u["recruitment_cost"], w.money)),
                ("Enablement cost (first year)", span(u["enablement_cost"], w.money)),
                ("Ongoing management", management and
                 f"{management} per {u['management_cost']['per_period']}"),
                ("Break-even", span(u["break_even"], w.duration)),
                ("Break-even deals", span(u["break_even_deals"], w.number)))
        blocks = [Items(tuple((k, v) for k, v in rows if v))]
        blocks += [Para(t) for t in paragraphs(u["doc"])]
        return Section("unit-economics", "Unit economics per partner", tuple(blocks))

    def _routes(self) -> Section:
        """Vendor net margin on every route (a nominal deal, each contract year), worst first."""
        routes = sorted(self.internal["routes"],
                        key=lambda r: (Decimal(r["worst_vendor_net_margin"]), r["id"]))
        rows = [self._route_row(r) for r in routes]
        head = ("Route", "Decision", "Worst-year vendor net margin", "Headroom to the line",
                "Year-1 combined payout rate")
        return Section("routes", "Vendor net margin by route (worst first)", (
            Para("A nominal deal on every route the program allows, quoted by the engine for"
                 " three contract years; headroom is the worst year's vendor net margin minus"
                 " the margin-death line."), table(head, rows)))

    def _route_row(self, r: dict) -> tuple[str, ...]:
        w = self.words
        decision = r["decision"] + (f" ({', '.join(r['reasons'])})" if r["reasons"] else "")
        headroom = r["headroom"]
        flag = "" if headroom is None or Decimal(headroom) >= 0 else " — below the line"
        return (route_text(r, w), decision, w.percent(r["worst_vendor_net_margin"]),
                (w.percent(headroom) + flag) if headroom is not None else "—",
                w.percent(r["years"][0]["combined_rate"]))

    def _benchmarks(self) -> Section | None:
        """Internal channels (benchmarks, never offered) and, for each, the year-by-year
        comparison with the program's headline reseller deal."""
        channels = self.internal["channels"]
        if not channels:
            return None
        blocks: list = []
        for c in channels:
            blocks.append(Items(((c["name"], f"{words(c['model'])}; pays {self._pays(c)}"),)))
            blocks += [Para(t) for t in paragraphs(c["doc"])]
            blocks += self._comparison(c)
        return Section("benchmarks", "Internal benchmarks", tuple(blocks))

    def _pays(self, channel: dict) -> str:
        """The channel's payout schedule, or each tier's when it pays by tier."""
        if channel["payout"] is not None:
            return self.words.schedule(channel["payout"]["years"])
        tiers = [f"{t['name']}: {self.words.schedule(t['payout']['years'])}"
                 for t in channel["tiers"] if t.get("payout")]
        return "; ".join(tiers) if tiers else "nothing of its own"

    def _comparison(self, benchmark: dict) -> list:
        """The recruitment pitch's comparison: what the headline deal's reseller keeps each
        year against what the benchmark program would pay on the same deal."""
        headline = _headline_request(self.config)
        if headline is None or not headline.route:  # a direct deal has no reseller to compare
            return []
        years = guide.numbers.YEARS_SHOWN
        ours = self._quote(headline._replace(years=years))
        theirs = self._quote(headline._replace(years=years, route=(Step(benchmark["name"]),)))
        closer = headline.route[-1].channel
        rows, ahead = [], Decimal(0)
        for a, b in zip(ours.years, theirs.years):
            mine, other = a.gross(closer), b.gross(benchmark["name"])
            ahead += mine - other
            rows.append((f"Year {a.year}", self.words.money(mine), self.words.money(other),
                         self.words.money(ahead)))
        label = " ".join(x for x in (closer, headline.route[-1].tier) if x)
        return [Para(f"{headline.product} × {self.words.number(headline.seats)} units: {label}"
                     f" against {benchmark['name']}, year by year (engine, internal view)."),
                table(("Year", f"{label} keeps", f"{benchmark['name']} pays",
                       "Cumulative difference"), rows)]

    def _quote(self, request: DealRequest):
        return self.ctx.quoter.quote(request)

    def _examples(self) -> Section | None:
        """The worked examples that partners do not see, in the internal view."""
        rows = []
        from charter.economics import request_from_deal

        model = {x.name: x for x in self.ctx.program.examples}
        for x in self.internal["examples"]:
            request = request_from_deal(model[x["name"]].deal, x["name"])
            q = self._quote(request)
            first = q.years[0]
            rows.append((words(x["name"]), _steps_text(request),
                         q.decision + (f" ({', '.join(r.code.value for r in q.reasons)})"
                                       if q.reasons else ""),
                         self.words.percent(first.vendor_net_margin),
                         self.words.percent(first.combined_rate)))
        if not rows:
            return None
        return Section("internal-examples", "Internal worked examples", (table(
            ("Example", "Route", "Decision", "Year-1 vendor net margin", "Combined rate"),
            rows),))

    # ---- handover safety -----------------------------------------------------------------

    def handovers(self) -> Section:
        """Every handover: its cap and allowed tiers, and what each tier of the closer would
        do to the vendor's margin, the refused ones included."""
        all_handovers = self.config["handovers"] + self.internal["handovers"]
        if not all_handovers:
            return Section("handover-safety", "Handover safety", (
                Note("No handover is declared: single attribution only, no stacked payouts."),))
        subs = tuple(self._handover(h, i) for i, h in enumerate(all_handovers))
        return Section("handover-safety", "Handover safety", (), subs)

    def _handover(self, h: dict, index: int) -> Section:
        w, source, target = self.words, local(h["from"]), local(h["to"])
        cap = h["combined_cap"]
        items = [("Introducer", w.schedule(h["introducer_fee"]["years"])),
                 ("Allowed closer tiers", ", ".join(local(t) for t in h["allowed_tiers"]) or "all"),
                 ("Combined cap", f"{w.percent(cap['rate'])} in year {cap['year']}" if cap
                  else "none")]
        rows = [self._tier_on_handover(source, target, tier, h) for tier in
                self._closer_tiers(target)]
        blocks = [Items(tuple(items)), table(("Closer tier", "Allowed", "Decision",
                                              "Year-1 vendor net margin", "Combined rate"), rows)]
        blocks += [Para(t) for t in paragraphs(h["doc"])]
        return Section(f"handover-{index}", f"{source} → {target}", tuple(blocks))

    def _closer_tiers(self, target: str) -> list[str | None]:
        channel = next((c for c in self.config["channels"] + self.internal["channels"]
                        if c["name"] == target), None)
        return [t["name"] for t in channel["tiers"]] if channel and channel["tiers"] else [None]

    @cached_property
    def route_quoter(self) -> Quoter:
        """The engine on the program, or on a copy with a nominal product when the program
        prices none (route margins do not depend on the price)."""
        program = quotable(self.ctx.program)
        return self.ctx.quoter if program is self.ctx.program else Quoter(program)

    def _tier_on_handover(self, source: str, target: str, tier: str | None,
                          h: dict) -> tuple[str, ...]:
        entry = self._closer_tiers(source)[0]
        request = Route(((source, entry), (target, tier))).request(self.route_quoter.program,
                                                                   years=1)
        quote = self.route_quoter.quote(request)
        allowed = not h["allowed_tiers"] or f"tier:{target}/{tier}" in h["allowed_tiers"]
        reasons = ", ".join(r.code.value for r in quote.reasons)
        first = quote.years[0]
        return (tier or target, "yes" if allowed else "no",
                quote.decision + (f" ({reasons})" if reasons else ""),
                self.words.percent(first.vendor_net_margin),
                self.words.percent(first.combined_rate))

    # ---- policies, waivers, ship gate --------------------------------------------------

    def policies(self) -> Section:
        """Every policy finding on the program (waived ones as notes), from a fresh run."""
        from charter.api import run_checks
        from charter.diagnostics import Reporter
        from charter.policies import all_policies

        reporter = Reporter()
        run_checks(self.ctx.program, reporter, self.today)
        rows = [(d.code, d.severity.value, d.message) for d in reporter.sorted()
                if d.code not in DATED]
        count = len(list(all_policies()))
        lead = Para(f"{count} policies checked; {len(rows)} finding(s).")
        blocks = (lead, table(("Code", "Severity", "Finding"), rows)) if rows else (lead,)
        return Section("policies", "Policy results", blocks + self._parameters())

    def _parameters(self) -> tuple:
        """Each policy parameter's value in effect for this program, and where it comes from
        (set in the program's `policy` block, or the policy's default)."""
        from charter.policies import all_policies
        from charter.policies.runner import settings

        written = settings(self.ctx.program)
        rows = []
        for policy in all_policies():
            setting = written.get(policy.code)
            off = " (off)" if setting is not None and setting.severity == "off" else ""
            for param, value, own in policy.in_effect(setting):
                shown = param.show(value) if value is not None else \
                    "not set: " + param.unset.replace("`", "")
                rows.append((f"{policy.code} {policy.name}{off}", param.name, shown,
                             "set in the program" if own else "default"))
        if not rows:
            return ()
        return (Para("Policy parameters in effect (charter explain CODE describes each):"),
                table(("Policy", "Parameter", "Value", "Source"), rows))

    def waivers(self) -> Section:
        """Each waiver with its owner, reason and days to expiry (soonest first)."""
        waivers = sorted(self.internal["policies"]["waivers"],
                         key=lambda x: (x["expires"] or "9999-12-31", x["name"]))
        head = ("Waiver", "Policy", "Subject", "Owner", "Reason", "Expires")
        rows = [(x["name"], words(x["policy"]), x["subject"] or "any", x["owner"] or "—",
                 x["reason"] or "—", x["expires"] or "never") for x in waivers]
        if not rows:
            return Section("waivers", "Waivers", (Para("No waivers."),))
        if self.as_of is None:
            lead = Para("Soonest expiry first. charter check warns 30 days before a waiver"
                        " expires (CH-W402); build with --stamp YYYY-MM-DD to count the days"
                        " here.")
            return Section("waivers", "Waivers", (lead, table(head, rows)))
        rows = [r + (self._days(x["expires"]),) for r, x in zip(rows, waivers)]
        return Section("waivers", "Waivers", (Para(f"As of {self.as_of.isoformat()}."),
                                              table(head + ("Days left",), rows)))

    def _days(self, expires: str | None) -> str:
        if expires is None:
            return "no expiry"
        days = (date.fromisoformat(expires) - self.as_of).days
        if days < 0:
            return f"expired {-days} days ago"
        return f"{days}" + (" — renew or fix soon" if days <= EXPIRY_WARNING_DAYS else "")

    def playbooks(self, partner) -> Section | None:
        """The vendor's internal processes (`internal process`), step by step."""
        subs = tuple(procedure(partner, x) for x in self.internal["processes"])
        if not subs:
            return None
        return Section("playbooks", "Internal playbooks", (
            Para("The vendor's own processes: never in the partner guide."),), subs)

    def ship_gate(self) -> Section | None:
        """The conditions the program must meet to ship, and what verifies each."""
        rows = [(x["title"], x["see"] or "—", ", ".join(words(r) for r in x["requires"]) or "—")
                for x in self.internal["ship_gate"]]
        if not rows:
            return None
        return Section("ship-gate", "Ship gate", (table(("Condition", "See", "Verified by"),
                                                         rows),))

    # ---- the whole brief ---------------------------------------------------------------

    def summary(self) -> tuple[str, ...]:
        """Three lines for the top: the worst route, findings, the next waiver to expire."""
        lines = ["INTERNAL: never share with partners or customers."]
        routes = self.internal["routes"]
        if routes:
            worst = min(routes, key=lambda r: (Decimal(r["worst_vendor_net_margin"]), r["id"]))
            lines.append(f"Worst route: {route_text(worst, self.words)} at"
                         f" {self.words.percent(worst['worst_vendor_net_margin'])} vendor net"
                         " margin" + (f", {self.words.percent(worst['headroom'])} above the line"
                                      if worst["headroom"] is not None else "") + ".")
        return tuple(lines)

    def document(self) -> Doc:
        """The brief: internal sections, then the partner guide as partners read it."""
        program = self.config["program"]
        partner = Projection(self.ctx.partner, engine_quoter(self.ctx))
        sections = [s for s in (self.mitigations(), self.economics(), self.handovers(),
                                self.playbooks(partner), self.policies(), self.waivers(),
                                self.ship_gate()) if s]
        sections.append(Section("partner-guide", "The partner guide, as partners read it",
                                (Para("Everything below is what partner-guide.md shows."),),
                                guide.sections(partner)))
        return Doc(title=program["title"] or program["name"], subtitle="Internal brief",
                   facts=guide.facts(partner), sections=tuple(sections),
                   audience="For the commercial owner: mitigations first, then economics,"
                            " then handover safety.", notes=self.summary(),
                   footer=f"Generated by charter from program {program['name']}"
                          + (f" as of {self.as_of.isoformat()}" if self.as_of else "") + ".")


def route_text(route: dict, w: Words) -> str:
    """`Referral → VAD Accelerator`, with a bracket (`from Rp3 M`) or a negotiated rate."""
    text = " → ".join(" ".join(x for x in (local(s["channel"]), local(s["tier"])) if x)
                      for s in route["steps"])
    if route["bracket_from"]:
        text += f" (bracket from {w.bound(route['bracket_from'])})"
    if route["rate"]:
        text += f" at {w.percent(route['rate'])}"
    return text


def _direct_request(deal: dict) -> DealRequest:
    steps = tuple(Step(local(s["channel"]), local(s["tier"]),
                       Decimal(s["rate"]) if s["rate"] else None) for s in deal["route"])
    return DealRequest(local(deal["product"]), deal["seats"], deal["years"], steps)


def _steps_text(request: DealRequest) -> str:
    return " → ".join(" ".join(x for x in (s.channel, s.tier) if x) for s in request.route)


def _headline_request(config: dict) -> DealRequest | None:
    """The headline deal of the guide's year-by-year view, as an engine request."""
    partner = {k: v for k, v in config.items() if k != "internal"}
    example = guide.numbers.headline(Projection(partner, lambda r: None))
    return None if example is None else _direct_request(example["deal"])


def build(ctx: BuildContext) -> dict[str, bytes]:
    """`internal-brief.md`."""
    return {"internal-brief.md": render(Brief(ctx).document(), "document.md.j2")}


TARGET = Target("brief", "the internal brief for the commercial owner (internal-brief.md):"
                " vendor margins by route, handover safety, policy results, waivers",
                "internal", build)
