"""The partner guide's rules: registration, channel conflicts, handovers, service
commitments, the partner's commitments (the mitigations), procedures (co-sell, disputes, QBRs),
enablement, co-marketing, and the quick reference an existing partner starts from. Everything
is read from the partner projection.
"""
from __future__ import annotations

from charter.targets import diagram
from charter.targets.document import Figure, Items, Note, Para, Section, Table, table
from charter.targets.projection import Projection, local
from charter.targets.escape import paragraphs
from charter.targets.wording import partner_prose, words

# What a procedure is for, by the words in its name or title: the quick reference points an
# existing partner at the co-sell, dispute and escalation procedures.
ROLES = (("co-sell", ("co_sell", "co-sell", "cosell", "handoff")),
         ("disputes", ("dispute", "conflict")),
         ("escalation", ("escalation",)))


def process_role(process: dict) -> str | None:
    """`co-sell`, `disputes`, `escalation` or None, from the procedure's name and title."""
    text = f"{process['name']} {process['title'] or ''}".lower()
    return next((role for role, keys in ROLES if any(k in text for k in keys)), None)


def _title(item: dict) -> str:
    return item.get("title") or words(item["name"])


# ---- why -----------------------------------------------------------------------------------

def why(p: Projection) -> Section:
    """The program's own statement of why it exists."""
    program = p.program
    texts = [partner_prose(x) for x in paragraphs(program["doc"])]
    blocks = [Para(t) for t in texts if t] or [Para(program["title"])]
    return Section("why", "Why the program exists", tuple(blocks))


# ---- registration and attribution ----------------------------------------------------------

def protection_summary(p: Projection) -> str:
    """`Referral 60 days, VAD 90 days`."""
    return ", ".join(f"{c['name']} {window(p, c)}" for c in p.channels if window(p, c))


def window(p: Projection, c: dict, key: str = "lead_protection") -> str | None:
    """A channel's lead protection (or its ``key``: the extension) in words: the fixed
    window, or a negotiable one's range and default; None when it has none."""
    entry = next((n for n in c.get("negotiable", ()) if n["term"] == key), None)
    if entry is not None:
        return p.words.negotiable(entry)
    return p.words.duration(c[key]) if c[key] else None


def registration(p: Projection) -> Section | None:
    """Lead protection per channel, the registration rules and who gets credit."""
    blocks: list = []
    protected = [c for c in p.channels if window(p, c)]
    extended = any(window(p, c, "lead_protection_extension") for c in protected)
    rows = tuple((c["name"], window(p, c))
                 + ((window(p, c, "lead_protection_extension") or "—",) if extended else ())
                 for c in protected)
    if rows:
        head = ("Channel", "Lead protection") + (("Extension",) if extended else ())
        blocks.append(Table(head, rows, "How long a registered lead is yours"))
    blocks += _registration_rules(p) + _attribution(p)
    if not blocks:
        return None
    return Section("registration", "Lead protection and registration", tuple(blocks))


def _registration_rules(p: Projection) -> list:
    r, w = p.data["registration"], p.words
    if not r:
        return []
    items = [("Registration window", w.duration(r["window"]))]
    if r["extension"]:
        cond = f" ({r['extension_condition']})" if r["extension_condition"] else ""
        items.append(("Extension", w.duration(r["extension"]) + cond))
    if r["approval_sla"]:
        items.append(("Approval", f"within {w.duration(r['approval_sla'])}"
                      + LAPSE.get(r["on_lapse"], "")))
    elif r["auto_approve"]:
        items.append(("Approval", "automatic on submission"))
    items.append(("Conflicts", words(r["conflict"])))
    if r["unregistered_rate"]:
        items.append(("Unregistered deals", f"earn {w.percent(r['unregistered_rate'])} flat"
                      " instead of the full rate"))
    if r.get("registered_bonus"):
        bonus = w.percent(r["registered_bonus"])
        items.append(("Registration bonus", f"a registered deal earns {bonus} on top of its"
                      f" margin or commission (the rates per channel and tier in this guide"
                      f" include the {bonus}; bracket tables and negotiable ranges show the"
                      " rate before it);"
                      " an unregistered deal earns the rate without it"))
    if r["no_double_dipping"]:
        items.append(("No double-dipping", "one registration pays one partner"))
    if r["excludes"]:
        items.append(("You cannot register", "; ".join(EXCLUDED[x] for x in r["excludes"])))
    return [Items(tuple(items))]


# What happens when the approval SLA lapses, and the leads a partner cannot register.
LAPSE = {"auto_approve": "; if it is not decided by then, it is approved automatically",
         "auto_reject": "; if it is not decided by then, it is rejected automatically"}
EXCLUDED = {"inbound_leads": "deals from inbound leads already in the vendor's CRM",
            "direct_pipeline": "deals already in the vendor's direct sales pipeline"}


# ---- channel conflicts ---------------------------------------------------------------------

def conflicts(p: Projection) -> Section | None:
    """The channel-conflict table: each scenario, its resolution, by when, the escalation."""
    cases = p.data["conflicts"]
    if not cases:
        return None
    escalation = any(c["action"] for c in cases)
    owner = any(c["owner"] for c in cases)
    rows = tuple((c["scenario"], " ".join(x for x in (c["resolution"], partner_prose(c["doc"]))
                                          if x), deadline(p, c["within"]))
                 + ((" → ".join(words(a) for a in c["action"]) or "—",) if escalation else ())
                 + ((c["owner"] or "—",) if owner else ()) for c in cases)
    head = ("Scenario", "Resolution", "By when") + (("Escalation",) if escalation else ()) \
        + (("Who decides",) if owner else ())
    return Section("conflicts", "Channel conflicts", (
        Table(head, rows, "How a conflict between partners, or with the vendor's own sales"
                          " team, is settled"),))


def deadline(p: Projection, within: dict | str | None) -> str:
    """`within 24 hours`, `immediately`, `the same day`, or `—`."""
    if within is None:
        return "—"
    if isinstance(within, str):
        return {"immediately": "immediately", "same_day": "the same day"}.get(within, within)
    return f"within {p.words.duration(within)}"


def _attribution(p: Projection) -> list:
    a, w = p.data["attribution"], p.words
    if not a:
        return []
    default = "one partner is paid per deal" if a["default"] == "single" else words(a["default"])
    items = [("Attribution", f"{words(a['default'])}: {default}"),
             ("When two partners claim a lead", words(a["conflict"]))]
    if a["influenced_rate"]:
        of = " of the partner's own sourced rate" if a.get("influenced_of") == "sourced" else ""
        items.append(("Influence", f"{w.percent(a['influenced_rate'])}{of} for a partner that"
                      " influenced a deal it did not source"))
    credit = _credit_terms(p, a)
    if credit:
        items.append(("Credit (not cash)", credit))
    blocks: list = [Items(tuple(items))]
    if a["splits"]:
        rows = tuple((words(s["name"]), ", ".join(f"{local(x['party'])} {w.percent(x['share'])}"
                                                   for x in s["shares"]),
                      "credit only: the payout is not divided" if s["settles"] == "credit"
                      else "the payout", s["when"] or "—")
                     for s in a["splits"])
        blocks.append(Table(("Split", "Shares", "Divides", "When"), rows, "Declared splits"))
    return blocks


def _credit_terms(p: Projection, a: dict) -> str:
    """How much of a deal counts toward a partner's reporting and tier, apart from its pay."""
    w, parts = p.words, []
    if a.get("sourced_credit"):
        parts.append(f"{w.percent(a['sourced_credit'])} of a deal you source")
    if a.get("influenced_credit"):
        parts.append(f"{w.percent(a['influenced_credit'])} of a deal you influence")
    if not parts:
        return ""
    verb = "counts" if len(parts) == 1 else "count"
    return (" and ".join(parts) + f" {verb} toward your reporting and tier qualification;"
            " credit pays nothing by itself")


# ---- handovers -----------------------------------------------------------------------------

def attribution_graph(p: Projection) -> diagram.Graph:
    """Channels as boxes (introducers left of closers), handovers as labelled arrows."""
    ids = {c["id"]: f"c{i}" for i, c in enumerate(p.channels)}
    layer = _layers(p)
    nodes = tuple(diagram.node(ids[c["id"]], _channel_lines(p, c), layer[c["id"]])
                  for c in p.channels)
    edges = tuple(diagram.edge(ids[h["from"]], ids[h["to"]], handover_lines(p, h))
                  for h in p.data["handovers"] if h["from"] in ids and h["to"] in ids)
    return diagram.Graph("LR", nodes, edges, "Attribution and handovers", "attribution")


def _layers(p: Projection) -> dict[str, int]:
    """Each channel's column: the longest handover chain leading into it (without any
    handover, two channels to a column, so the figure stays narrow enough to print)."""
    if not p.data["handovers"]:
        return {c["id"]: i // 2 for i, c in enumerate(p.channels)}
    layer = {c["id"]: 0 for c in p.channels}
    for _ in p.channels:  # handovers are acyclic (CH-P005), so this settles
        for h in p.data["handovers"]:
            if h["from"] in layer and h["to"] in layer:
                layer[h["to"]] = max(layer[h["to"]], layer[h["from"]] + 1)
    return layer


def _channel_lines(p: Projection, c: dict) -> tuple[str, ...]:
    owner = "you own the customer" if c["partner_owns_customer"] else \
        f"customer: {words(c['owner'])}"
    lines = [c["name"], f"{words(c['model'])} · {owner}"]
    if window(p, c):
        lines.append(f"lead protection {window(p, c)}")
    return tuple(lines)


def handover_lines(p: Projection, h: dict) -> tuple[str, ...]:
    """`introducer: 5% one time`, `closer tiers: Standard, Accelerator`, `cap: 30% in year 1`."""
    fee = h["introducer_fee"]
    lines = [f"introducer earns {p.words.schedule(fee['years'])}"]
    if h["allowed_tiers"]:
        lines.append("closer tiers: " + ", ".join(local(t) for t in h["allowed_tiers"]))
    if h["combined_cap"]:
        cap = h["combined_cap"]
        lines.append(f"combined cap: {p.words.percent(cap['rate'])} in year {cap['year']}")
    return tuple(lines)


def handovers(p: Projection) -> Section:
    """Who is paid when one channel introduces and another closes."""
    a = p.data["attribution"]
    caption = ("Channels and the handovers between them: the introducer on the left, the"
               " partner who closes on the right." if p.data["handovers"] else
               "The channels. No handover is declared: a deal is paid to one channel only.")
    blocks: list = [Figure(attribution_graph(p), caption)]
    for h in p.data["handovers"]:
        blocks.append(Items(tuple(_handover_items(p, h)), ordered=False))
        if partner_prose(h["doc"]):
            blocks.append(Para(partner_prose(h["doc"])))
    if a and a["default"] == "single":
        blocks.append(Note("Default: single attribution. A deal is split only through a"
                           " declared handover."))
    return Section("handovers", "Handovers between channels", tuple(blocks))


def _handover_items(p: Projection, h: dict) -> list[tuple[str, str]]:
    source, target = local(h["from"]), local(h["to"])
    items = [(f"{source} → {target}", f"{source} introduces, {target} closes")]
    items.append(("Introducer earns", p.words.schedule(h["introducer_fee"]["years"])))
    if h["allowed_tiers"]:
        items.append((f"{target} may close at", ", ".join(local(t) for t in h["allowed_tiers"])
                      + " (other tiers are not offered on a handover deal)"))
    if h["combined_cap"]:
        cap = h["combined_cap"]
        items.append(("Combined cap", f"all payouts on the deal at most"
                      f" {p.words.percent(cap['rate'])} in year {cap['year']}"))
    return items


# ---- service, commitments, procedures, enablement ------------------------------------------

def service(p: Projection) -> Section | None:
    """The service levels each tier commits to."""
    w = p.words
    rows = tuple((f"{c['name']} {t['name']}", w.duration(s["response"]),
                  words(s["checkin"] or "—"),
                  w.duration(s["implementation"]), "yes" if s["qbr"] else "no",
                  "yes" if s["onsite"] else "no")
                 for c in p.channels for t in c["tiers"] if (s := t["service"]))
    if not rows:
        return None
    return Section("service", "Service commitments per tier", (table(
        ("Tier", "Response", "Check-in", "Implementation", "QBR", "On-site visits"), rows),))


def commitments(p: Projection) -> Section | None:
    """The mitigations, as what the partner commits to and what follows if it does not."""
    items = tuple((_title(x), _mitigation_text(p, x)) for x in p.data["mitigations"])
    if not items:
        return None
    return Section("commitments", "Your commitments", (
        Para("The program protects customers with these controls; each is part of your"
             " agreement."), Items(items, ordered=True)))


def _mitigation_text(p: Projection, x: dict) -> str:
    w = p.words
    parts = [words(x["enforcement"]) + (f", {words(x['cadence'])}" if x["cadence"] else "")]
    if x["gates"]:
        parts.append(f"required for {words(x['gates'])}")
    if x["trigger"]:
        sustained = f" for {w.duration(x['sustained'])}" if x["sustained"] else ""
        parts.append(f"{w.criteria(x['trigger'])}{sustained} → "
                     + " or ".join(words(a) for a in x["action"]))
    elif x["action"]:
        parts.append(" or ".join(words(a) for a in x["action"]))
    if x["applies_to"]:
        parts.append("applies to " + ", ".join(i.split(":", 1)[1] for i in x["applies_to"]))
    if x["contact"]:
        parts.append(f"contact: {x['contact']}")
    doc = partner_prose(x["doc"])
    return "; ".join(parts) + (f". {doc}" if doc else "")


def procedures(p: Projection) -> Section | None:
    """Every procedure of the program, step by step."""
    subs = tuple(procedure(p, x) for x in p.data["processes"])
    if not subs:
        return None
    return Section("procedures", "Working together", (), subs)


def procedure(p: Projection, x: dict) -> Section:
    """One process as a titled section of numbered steps."""
    steps = tuple((_title(s), _step_text(p, s)) for s in x["steps"])
    blocks = [Para(t) for t in (partner_prose(d) for d in paragraphs(x["doc"])) if t]
    runs = _runs(x)
    if runs:
        blocks.insert(0, Para(runs))
    return Section(f"procedure-{x['name']}", _title(x), tuple(blocks) + (Items(steps, True),))


def _runs(x: dict) -> str:
    """`Quarterly, with Reseller partners at Silver, Gold and Platinum.` (or less)."""
    cadence = words(x["cadence"]).capitalize() if x["cadence"] else ""
    scope = tier_scope(x["tiers"])
    if cadence and scope:
        return f"{cadence}, with {scope}."
    return f"{cadence}." if cadence else f"With {scope}." if scope else ""


def tier_scope(tiers: list[str], everyone: str = "") -> str:
    """`Reseller partners at Silver, Gold and Platinum` from tier ids; ``everyone`` when the
    scope names no tier."""
    by_channel: dict[str, list[str]] = {}
    for ident in tiers:
        channel, tier = ident.split(":", 1)[1].rsplit("/", 1)
        by_channel.setdefault(channel, []).append(tier)
    return "; ".join(f"{channel} partners at {_and(names)}"
                     for channel, names in by_channel.items()) or everyone


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _step_text(p: Projection, s: dict) -> str:
    facts = []
    if s["owner"]:
        facts.append(f"owner: {s['owner']}")
    if s["when"]:
        facts.append(s["when"])
    if s["within"]:
        facts.append(f"within {p.words.duration(s['within'])}")
    if s["limit"]:
        facts.append("once" if s["limit"] == 1 else f"at most {s['limit']} times")
    if s["final"]:
        facts.append("final")
    doc = partner_prose(s["doc"])
    return " · ".join(facts) + (" — " if facts and doc else "") + doc


def enablement(p: Projection) -> Section | None:
    """What the vendor provides to make partners capable."""
    items = tuple((_title(x), " ".join(t for t in (
        partner_prose(x["doc"]), f"({words(x['cadence'])})" if x["cadence"] else "") if t))
        for x in p.data["enablement"])
    if not items:
        return None
    return Section("enablement", "Enablement: what the vendor provides", (Items(items),))


def co_marketing(p: Projection) -> Section | None:
    """The joint marketing activities: who pays which share of the cost, and for whom."""
    w, activities = p.words, p.data["co_marketing"]
    if not activities:
        return None
    columns = [("Cost share (vendor / you)", lambda a: _shares(w, a)),
               ("Your effort", lambda a: words(a["partner_effort"] or "—")),
               ("How often", lambda a: words(a["cadence"] or "—")),
               ("Open to", lambda a: tier_scope(a["tiers"], "all partners"))]
    used = [(head, cell) for head, cell in columns
            if any(cell(a) not in ("—", "all partners") for a in activities)]
    rows = tuple((_title(a),) + tuple(cell(a) for _head, cell in used) for a in activities)
    blocks: list = [Table(("Activity",) + tuple(h for h, _c in used), rows,
                          "Co-marketing activities and who pays for them")]
    notes = tuple((_title(a), text) for a in activities if (text := partner_prose(a["doc"])))
    if notes:
        blocks.append(Items(notes))
    return Section("co-marketing", "Co-marketing", tuple(blocks))


def _shares(w, a: dict) -> str:
    shares = f"{w.percent(a['vendor_share'])} / {w.percent(a['partner_share'])}" \
        if a["vendor_share"] is not None else ""
    funded = "paid from your MDF" if a["mdf_funded"] else ""
    return ", ".join(x for x in (shares, funded) if x) or "—"


# ---- scoring, clawbacks, incentives --------------------------------------------------------

def scoring(p: Projection) -> Section | None:
    """How partners are scored, and what each score band means."""
    subs = []
    for i, s in enumerate(p.data["scorings"]):
        dims = Table(("Dimension", "Weight", "Measure"), tuple(
            (words(d["name"]), p.words.number(d["weight"]), d["measure"] or "—")
            for d in s["dimensions"]))
        bands = Table(("Band", "Score"), tuple(
            (words(b["name"]), f"{p.words.number(b['from'])} to below {p.words.number(b['up_to'])}")
            for b in s["bands"]))
        cadence = f"Scored {words(s['cadence'])}." if s["cadence"] else ""
        subs.append(Section(f"scoring-{i}", words(s["name"]), tuple(
            [Para(cadence)] * bool(cadence) + [dims, bands])))
    return Section("scoring", "Partner scoring", (), tuple(subs)) if subs else None


def clawbacks_and_incentives(p: Projection) -> Section | None:
    """Clawback rules and time-boxed incentives (spiffs)."""
    w, items = p.words, []
    for c in p.data["clawbacks"]:
        rules = "; ".join(f"{_window(w, r)}: "
                          f"{r['share'] if r['share'] == 'prorated' else w.percent(r['share'])}"
                          for r in c["rules"])
        then = " or ".join(words(a) for a in c["action"])
        items.append((f"Clawback on {words(c['event'])}",
                      "; ".join(x for x in (rules, f"and {then}" if then else "") if x) or "—"))
    for s in p.data["spiffs"]:
        items.append((words(s["name"]), f"{s['trigger']}: {w.value(s['reward'])}"
                      + (f" for {w.duration(s['duration'])}" if s["duration"] else "")
                      + _spiff_terms(p, s)))
    if not items:
        return None
    return Section("clawbacks", "Clawbacks and incentives", (Items(tuple(items)),))


def _spiff_terms(p: Projection, spiff: dict) -> str:
    """Who qualifies for a SPIFF and when, and how to claim it (a claimable one)."""
    w, parts = p.words, []
    if spiff.get("products"):
        parts.append("on " + ", ".join(x.split(":", 1)[1] for x in spiff["products"]))
    if spiff.get("channels"):
        parts.append("for " + ", ".join(x.split(":", 1)[1] for x in spiff["channels"])
                     + " partners")
    if spiff.get("minimum"):
        parts.append(f"deals of {w.money(spiff['minimum'])} or more")
    if spiff.get("from"):
        parts.append(f"closed {spiff['from']} – {spiff['until'] or 'until further notice'}")
    text = f" ({'; '.join(parts)})" if parts else ""
    if spiff.get("claimable"):
        text += f"; claim it on the deal by its name, {spiff['name']}"
    return text


def _window(w, rule: dict) -> str:
    """`0 days – 30 days`, `from 90 days`, `up to 30 days` or `any time`."""
    low, high = rule["from"], rule["up_to"]
    if low is None and high is None:
        return "any time"
    if high is None:
        return f"from {w.duration(low)}"
    return f"up to {w.duration(high)}" if low is None else \
        f"{w.duration(low)} – {w.duration(high)}"


# ---- the quick reference -------------------------------------------------------------------

def quick_reference(p: Projection) -> Section:
    """For an existing partner: registration, co-sell, handover, escalation and disputes in
    one table, each pointing at its section."""
    rows = [("Register a lead", _register_text(p), "Lead protection and registration")] \
        if _register_text(p) != "—" else []
    rows += _process_rows(p, "co-sell", "Co-sell a deal")
    rows.append(("Hand a deal over", _handover_text(p), "Handovers between channels"))
    rows.append(("Escalate", _escalation_text(p), "Your commitments"))
    rows += _process_rows(p, "disputes", "Dispute a payout")
    if p.data["conflicts"]:
        rows.append(("Settle a channel conflict", "; ".join(
            f"{c['scenario']}: {c['resolution']} ({deadline(p, c['within'])})"
            for c in p.data["conflicts"]), "Channel conflicts"))
    return Section("quick-reference", "Quick reference",
                   (Table(("Task", "What to do", "See"), tuple(rows)),))


def _register_text(p: Projection) -> str:
    parts = []
    conflict = (p.data["registration"] or p.data["attribution"] or {}).get("conflict")
    if conflict:
        parts.append(f"{words(conflict)} wins")
    if protection_summary(p):
        parts.append(f"protection: {protection_summary(p)}")
    r = p.data["registration"]
    if r and r["approval_sla"]:
        lapse = {"auto_approve": ", else automatically",
                 "auto_reject": ", else rejected"}.get(r["on_lapse"], "")
        parts.append(f"approved within {p.words.duration(r['approval_sla'])}{lapse}")
    if r and r["excludes"]:
        parts.append("not for " + " or ".join(EXCLUDED[x] for x in r["excludes"]))
    return "; ".join(parts) or "—"


def _process_rows(p: Projection, role: str, task: str) -> list[tuple[str, str, str]]:
    return [(task, " → ".join(_step_short(p, s) for s in x["steps"]), "Working together")
            for x in p.data["processes"] if process_role(x) == role]


def _step_short(p: Projection, step: dict) -> str:
    within = f" ({p.words.duration(step['within'])})" if step["within"] else ""
    return _title(step) + within


def _handover_text(p: Projection) -> str:
    if not p.data["handovers"]:
        return "single attribution: one channel is paid per deal"
    return "; ".join(_handover_sentence(p, h) for h in p.data["handovers"])


def _handover_sentence(p: Projection, h: dict) -> str:
    """`Referral introduces, VAD closes: Referral earns 5% in year 1, then none; ...`."""
    source, target = local(h["from"]), local(h["to"])
    parts = [f"{source} earns {p.words.schedule(h['introducer_fee']['years'])}"]
    if h["allowed_tiers"]:
        parts.append(f"{target} closes at " + ", ".join(local(t) for t in h["allowed_tiers"]))
    if h["combined_cap"]:
        cap = h["combined_cap"]
        parts.append(f"combined cap {p.words.percent(cap['rate'])} in year {cap['year']}")
    return f"{source} introduces, {target} closes: " + "; ".join(parts)


def _escalation_text(p: Projection) -> str:
    parts = [f"{_title(x)}: {x['contact']}" for x in p.data["mitigations"] if x["contact"]]
    levels = {k: v for c in p.channels for k, v in sorted((c["support"] or {}).items())}
    if levels:
        parts.append("support levels " + ", ".join(f"{k} {words(v)}" for k, v in levels.items()))
    parts += [_title(x) for x in p.data["processes"] if process_role(x) == "escalation"]
    return "; ".join(parts) or "—"
