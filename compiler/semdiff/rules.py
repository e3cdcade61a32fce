"""The one table that classifies a change: config path × direction → check id and class.

`charter.semdiff.compare` walks two compiled configs and reports raw changes, each at a
normalised path (`channels[].tiers[].margin`) with a direction (`up`, `down`, `added`,
`removed`, `changed`, or a comparator's own word such as `step-down-added`). `classify`
finds the first row of `RULES` whose path pattern and direction match. That row is the
only place that says what a change means: its stable check id, its class (a primary class
and possibly a secondary one), whether it moves money (then its money impact is quoted) and
the words of its message. docs/diff.md's table is generated from this table
(`rules_table`), and tests/test_diff.py holds every path of the config schema to a row.

Directions: numbers, rates, money, prices (per year), durations (in hours) and ranges go
`up`/`down`; a criterion goes `up` when it gets harder to meet; a list of names goes `up` when
it only gains items; `None` → value is `added`, value → `None` is `removed`; anything else
that differs is `changed`. A row with an empty check id marks a *derived* value (the engine's
year schedule, wholesale prices, a route's vendor margin): it follows from written values that
have rows of their own, so it is not reported; the money impact shows its effect.
"""
from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

# The classes, in the order a report lists them (the riskiest first).
UNFAVOURABLE = "partner-unfavourable"
VENDOR_RISK = "vendor-risk"
FAVOURABLE = "partner-favourable"
INTERNAL = "internal"
EDITORIAL = "editorial"
CLASSES = (UNFAVOURABLE, VENDOR_RISK, FAVOURABLE, INTERNAL, EDITORIAL)
RISKY = frozenset((UNFAVOURABLE, VENDOR_RISK))
# What the partner view may show: a change keeps only these of its classes (and is left
# out when none is left), so a vendor-risk change never reaches a partner.
PARTNER_CLASSES = frozenset((UNFAVOURABLE, FAVOURABLE, EDITORIAL))

ANY = "*"
UP, DOWN, ADDED, REMOVED, CHANGED = "up", "down", "added", "removed", "changed"
PROGRAM = "$program"     # the path of a whole program (added to or removed from the paths)


@dataclass(frozen=True)
class Rule:
    """One row: the paths and directions it covers, and what such a change is."""

    check: str                    # the stable check id; "" = derived, not reported
    paths: tuple[str, ...]        # fnmatch patterns over normalised paths
    when: frozenset[str]          # directions; ANY matches every direction
    classes: tuple[str, ...]      # the primary class first; maybe a secondary one
    title: str                    # what happened, in words: "margin cut"
    money: bool = False           # moves what someone is paid: quote the money impact

    @property
    def reported(self) -> bool:
        """Whether a change of this row is reported (derived values are not)."""
        return bool(self.check)


def _rule(check: str, paths: str, when: str, classes: str, title: str,
          money: bool = False) -> Rule:
    """A row, written compactly: ``paths`` and ``when`` space-separated, ``classes``
    comma-separated (primary first)."""
    return Rule(check, tuple(paths.split()), frozenset(when.split()),
                tuple(c.strip() for c in classes.split(",") if c.strip()), title, money)


U, V, F, I, E = UNFAVOURABLE, VENDOR_RISK, FAVOURABLE, INTERNAL, EDITORIAL

# Orders for attributes whose values are words: low → high, "up" is towards the end.
ORDERS: dict[str, tuple] = {
    "channels[].commission_base": ("software", "software_and_services"),
    "channels[].payment": ("one_time", "recurring"),
    "handovers[].introducer_payment": ("one_time", "recurring"),
    "channels[].thresholds.mode": ("forward", "marginal", "retroactive"),  # crossing deals
    "registration.on_lapse": ("auto_reject", "auto_approve"),
}
# Lists where an empty list means "all" (no restriction): emptying one widens it.
ALL_WHEN_EMPTY = frozenset(("handovers[].allowed_tiers", "processes[].tiers",
                            "internal.processes[].tiers", "co_marketing[].tiers"))

_TIER = "channels[].tiers[]"
_CH = "channels[]"
# A partner term whose direction is not judged counts as partner-unfavourable, so a
# `--fail-on partner-unfavourable` gate never lets one through unreviewed.
RULES: tuple[Rule, ...] = (
    # ---- whole programs and their header -------------------------------------------------
    _rule("program-added", PROGRAM, ADDED, F, "program added"),
    _rule("program-removed", PROGRAM, REMOVED, U, "program removed"),
    _rule("version-changed", "program.version", ANY, E, "version"),
    _rule("effective-date-changed", "program.effective", ANY, E, "effective date"),
    _rule("status-changed", "program.status", ANY, E, "status"),
    _rule("locales-changed", "program.locales", ANY, E, "locales"),
    _rule("currency-changed", "program.currency program.minor_units", ANY, U,
          "currency", True),
    _rule("rounding-changed", "program.rounding", ANY, U, "rounding", True),
    # Ids and names match entities (a renamed entity is removed and added); the program,
    # its internal section and policies are always there.
    _rule("", "$schema schema_version stamp program program.id program.name internal "
          "internal.policies *[].id *[].name", ANY, E, "identity"),
    # ---- editorial: prose anywhere (before the rows that take a whole entity) ---------
    _rule("doc-changed", "*.doc", ANY, E, "doc string"),
    _rule("wording-changed", "*.title *.label *.best_for *.effort *.eligibility *.barrier "
          "*.includes *.typical_price *.mdf_claim *.override *.measure *.contact "
          "*.extension_condition *.thresholds.name", ANY, E, "wording"),
    # ---- products ------------------------------------------------------------------------
    _rule("product-added", "products[]", ADDED, F, "product added"),
    _rule("product-removed", "products[]", REMOVED, U, "product removed"),
    _rule("list-price-raised", "products[].list_price", UP, F, "list price raised", True),
    _rule("list-price-lowered", "products[].list_price", DOWN, U, "list price lowered", True),
    _rule("list-price-changed", "products[].list_price", ANY, U, "list price changed", True),
    _rule("msrp-floor-raised", "products[].msrp_floor", f"{UP} {ADDED}", U,
          "MSRP floor raised"),
    _rule("msrp-floor-lowered", "products[].msrp_floor", f"{DOWN} {REMOVED}", f"{F}, {V}",
          "MSRP floor lowered"),
    _rule("msrp-floor-changed", "products[].msrp_floor", ANY, U, "MSRP floor changed"),
    _rule("subcontract-price-lowered", "products[].subcontract_price", DOWN, F,
          "sub-contract price lowered"),
    _rule("subcontract-price-changed", "products[].subcontract_price", ANY, U,
          "sub-contract price changed"),
    _rule("product-terms-changed", "products[].layer products[].delivered_by "
          "products[].priced_by", ANY, U, "who delivers or prices the product", True),
    # ---- channels ------------------------------------------------------------------------
    _rule("channel-added", _CH, ADDED, F, "channel added"),
    _rule("channel-removed", _CH, REMOVED, U, "channel removed"),
    _rule("channel-model-changed", f"{_CH}.model {_CH}.owner", ANY, U,
          "channel model or customer owner", True),
    _rule("", f"{_CH}.buys_wholesale {_CH}.refers_only {_CH}.partner_owns_customer", ANY, E,
          "follows from the channel model"),
    _rule("commission-base-widened", f"{_CH}.commission_base", UP, F,
          "commission base widened", True),
    _rule("commission-base-narrowed", f"{_CH}.commission_base", ANY, U,
          "commission base narrowed", True),
    _rule("commission-made-recurring", f"{_CH}.payment", UP, F,
          "commission paid every year", True),
    _rule("commission-made-one-time", f"{_CH}.payment", ANY, U,
          "commission paid once", True),
    _rule("commission-rate-increased", f"{_CH}.commission {_TIER}.commission",
          f"{UP} {ADDED}", F, "commission raised", True),
    _rule("commission-rate-decreased", f"{_CH}.commission {_TIER}.commission", ANY, U,
          "commission cut", True),
    _rule("commission-y2-increased", f"{_CH}.commission_y2 {_TIER}.commission_y2",
          f"{UP} {ADDED}", F, "year-2 commission raised", True),
    _rule("commission-y2-decreased", f"{_CH}.commission_y2 {_TIER}.commission_y2", ANY, U,
          "year-2 commission cut", True),
    _rule("commission-years-extended", f"{_CH}.commission_years", f"{UP} {REMOVED}", F,
          "commission paid for more years", True),
    _rule("commission-years-shortened", f"{_CH}.commission_years", ANY, U,
          "commission paid for fewer years", True),
    _rule("renewal-fee-increased", f"{_CH}.renewal_fee {_CH}.renewal_fee.rate",
          f"{UP} {ADDED}", F, "conditional renewal fee added or raised", True),
    _rule("renewal-fee-decreased", f"{_CH}.renewal_fee {_CH}.renewal_fee.*", ANY, U,
          "conditional renewal fee cut, removed or its terms changed", True),
    _rule("discount-increased", f"{_CH}.discount", f"{UP} {ADDED}", F, "discount raised", True),
    _rule("discount-decreased", f"{_CH}.discount", f"{DOWN} {REMOVED}", U, "discount cut", True),
    _rule("discount-changed", f"{_CH}.discount", ANY, U, "discount range changed", True),
    # A negotiable term (`negotiable commission { range; default }`): the fixed field is
    # null and not compared (charter.semdiff.compare), its entry says what changed.
    _rule("", f"{_CH}.negotiable[].term {_TIER}.negotiable[].term", ANY, E,
          "follows from the entry's id"),
    _rule("term-made-negotiable", f"{_CH}.negotiable[] {_TIER}.negotiable[]", ADDED, U,
          "term negotiated per deal (a deal that negotiates nothing gets the default)", True),
    _rule("term-made-fixed", f"{_CH}.negotiable[] {_TIER}.negotiable[]", ANY, U,
          "term no longer negotiated per deal", True),
    _rule("negotiable-default-raised", f"{_CH}.negotiable[].default "
          f"{_TIER}.negotiable[].default", UP, F, "default of a negotiable term raised", True),
    _rule("negotiable-default-lowered", f"{_CH}.negotiable[].default "
          f"{_TIER}.negotiable[].default", ANY, U, "default of a negotiable term lowered",
          True),
    _rule("negotiable-floor-raised", f"{_CH}.negotiable[].from {_TIER}.negotiable[].from", UP,
          F, "low end of a negotiable range raised"),
    _rule("negotiable-floor-lowered", f"{_CH}.negotiable[].from {_TIER}.negotiable[].from",
          ANY, U, "low end of a negotiable range lowered"),
    _rule("negotiable-ceiling-raised", f"{_CH}.negotiable[].up_to "
          f"{_TIER}.negotiable[].up_to", f"{UP} {REMOVED}", f"{F}, {V}",
          "top of a negotiable range raised (or opened)"),
    _rule("negotiable-ceiling-lowered", f"{_CH}.negotiable[].up_to "
          f"{_TIER}.negotiable[].up_to", ANY, U, "top of a negotiable range lowered"),
    _rule("step-down-added", f"{_CH}.payout {_TIER}.payout", "step-down-added", U,
          "a year-on-year step-down in what the partner earns", True),
    _rule("step-down-removed", f"{_CH}.payout {_TIER}.payout", "step-down-removed", F,
          "the year-on-year step-down is gone", True),
    _rule("", f"{_CH}.payout {_TIER}.payout {_CH}.wholesale_prices {_TIER}.wholesale_prices",
          ANY, E, "the engine's rates and prices (shown as money impact)"),
    _rule("lead-protection-extended", f"{_CH}.lead_protection {_CH}.lead_protection_extension",
          f"{UP} {ADDED}", F, "lead protection extended"),
    _rule("lead-protection-shortened", f"{_CH}.lead_protection "
          f"{_CH}.lead_protection_extension", ANY, U, "lead protection shortened"),
    _rule("certification-stricter", f"{_CH}.certification {_TIER}.certified_people",
          f"{UP} {ADDED}", U, "more certification required"),
    _rule("certification-relaxed", f"{_CH}.certification {_TIER}.certified_people",
          f"{DOWN} {REMOVED}", F, "less certification required"),
    _rule("certification-changed", f"{_CH}.certification {_TIER}.certified_people", ANY, U,
          "certification changed"),
    _rule("certification-renewal-extended", f"{_CH}.certification_renewal",
          f"{UP} {REMOVED}", F, "certification renewed less often"),
    _rule("certification-renewal-shortened", f"{_CH}.certification_renewal", ANY, U,
          "certification renewed more often"),
    _rule("support-changed", f"{_CH}.support {_CH}.white_label", ANY, U,
          "support split or white-label terms"),
    # ---- threshold ladders ---------------------------------------------------------------
    _rule("ladder-added", f"{_CH}.thresholds", ADDED, U, "threshold ladder added", True),
    _rule("ladder-removed", f"{_CH}.thresholds", REMOVED, U, "threshold ladder removed", True),
    _rule("ladder-mode-improved", f"{_CH}.thresholds.mode", UP, F,
          "crossing deals earn more", True),
    _rule("ladder-changed", f"{_CH}.thresholds.mode {_CH}.thresholds.reset "
          f"{_CH}.thresholds.basis {_CH}.thresholds.brackets[]", ANY, U,
          "how the threshold ladder applies", True),
    _rule("", f"{_CH}.thresholds.id {_CH}.thresholds.pays {_CH}.thresholds.brackets[].up_to "
          f"{_CH}.thresholds.brackets[].id", ANY, E, "follows from the bracket bounds"),
    _rule("threshold-raised", f"{_CH}.thresholds.brackets[].from", UP, U,
          "bracket threshold raised", True),
    _rule("threshold-lowered", f"{_CH}.thresholds.brackets[].from", ANY, F,
          "bracket threshold lowered", True),
    _rule("bracket-rate-increased", f"{_CH}.thresholds.brackets[].rate", UP, F,
          "bracket rate raised", True),
    _rule("bracket-rate-decreased", f"{_CH}.thresholds.brackets[].rate", ANY, U,
          "bracket rate cut", True),
    # ---- tiers ---------------------------------------------------------------------------
    _rule("tier-added", _TIER, ADDED, F, "tier added"),
    _rule("tier-removed", _TIER, REMOVED, U, "tier removed"),
    _rule("", f"{_TIER}.rank", ANY, E, "follows from the tier order"),
    _rule("tier-margin-increased", f"{_TIER}.margin", f"{UP} {ADDED}", F, "margin raised", True),
    _rule("tier-margin-decreased", f"{_TIER}.margin", ANY, U, "margin cut", True),
    _rule("tier-margin-y2-increased", f"{_TIER}.margin_y2", f"{UP} {ADDED}", F,
          "year-2 margin raised", True),
    _rule("tier-margin-y2-decreased", f"{_TIER}.margin_y2", ANY, U, "year-2 margin cut", True),
    _rule("mdf-increased", f"{_TIER}.mdf", f"{UP} {ADDED}", F, "MDF raised", True),
    _rule("mdf-decreased", f"{_TIER}.mdf", ANY, U, "MDF cut", True),
    _rule("mdf-cap-raised", f"{_TIER}.mdf_cap", f"{UP} {REMOVED}", F,
          "MDF fund cap raised or removed", True),
    _rule("mdf-cap-lowered", f"{_TIER}.mdf_cap", ANY, U, "MDF fund capped lower", True),
    _rule("mdf-claim-window-extended", f"{_TIER}.mdf_claim_deadline", f"{UP} {REMOVED}", F,
          "longer to claim MDF"),
    _rule("mdf-claim-window-shortened", f"{_TIER}.mdf_claim_deadline", ANY, U,
          "less time to claim MDF"),
    _rule("mdf-approval-changed", f"{_TIER}.mdf_approval", ANY, U,
          "who approves MDF claims changed"),
    _rule("quota-lowered", f"{_TIER}.quota {_TIER}.qualify", f"{DOWN} {REMOVED}", F,
          "quota or qualification lowered"),
    _rule("quota-raised", f"{_TIER}.quota {_TIER}.qualify {_TIER}.revenue_band", ANY, U,
          "quota or qualification raised"),
    _rule("promotion-added", f"{_TIER}.tier_up", ADDED, F, "promotion path added"),
    _rule("promotion-threshold-lowered", f"{_TIER}.tier_up.when", DOWN, F,
          "promotion threshold lowered"),
    _rule("promotion-threshold-raised", f"{_TIER}.tier_up {_TIER}.tier_up.when "
          f"{_TIER}.tier_up.to", ANY, U, "promotion threshold raised or changed"),
    _rule("grace-extended", f"{_TIER}.grace", f"{UP} {ADDED}", F, "grace period extended"),
    _rule("grace-shortened", f"{_TIER}.grace", ANY, U, "grace period shortened"),
    _rule("downgrade-removed", f"{_TIER}.downgrade_to", REMOVED, F, "downgrade removed"),
    _rule("downgrade-changed", f"{_TIER}.downgrade_to {_TIER}.review", ANY, U,
          "downgrade or review changed"),
    _rule("tier-benefits-added", f"{_TIER}.options {_TIER}.benefits", UP, F, "benefits added"),
    _rule("tier-benefits-removed", f"{_TIER}.options {_TIER}.benefits", ANY, U,
          "benefits removed or changed"),
    _rule("service-level-relaxed", f"{_TIER}.service.qbr {_TIER}.service.onsite", DOWN,
          f"{F}, {V}", "service commitment relaxed"),
    _rule("service-level-tightened", f"{_TIER}.service.qbr {_TIER}.service.onsite", ANY, U,
          "service commitment tightened"),
    _rule("service-level-relaxed", f"{_TIER}.service {_TIER}.service.*",
          f"{UP} {REMOVED}", f"{F}, {V}", "service commitment relaxed"),
    _rule("service-level-tightened", f"{_TIER}.service {_TIER}.service.*", ANY, U,
          "service commitment tightened"),
    # ---- attribution and registration ----------------------------------------------------
    _rule("unregistered-rate-increased", "attribution.unregistered_rate "
          "registration.unregistered_rate attribution.influenced_rate", f"{UP} {ADDED}", F,
          "unregistered or influence rate raised", True),
    _rule("influence-basis-changed", "attribution.influenced_of", ANY, U,
          "influence fee now measured on another basis", True),
    _rule("unregistered-rate-decreased", "attribution.unregistered_rate "
          "registration.unregistered_rate attribution.influenced_rate", ANY, U,
          "unregistered or influence rate cut", True),
    _rule("double-dipping-allowed", "attribution.no_double_dipping "
          "registration.no_double_dipping", DOWN, F, "double dipping allowed"),
    _rule("attribution-changed", "attribution attribution.* registration.no_double_dipping",
          ANY, U, "attribution rule changed", True),
    _rule("registration-relaxed", "registration.window registration.extension "
          "registration.auto_approve", f"{UP} {ADDED}", F, "registration relaxed"),
    _rule("registration-faster", "registration.approval_sla", f"{DOWN} {ADDED}", F,
          "registration approved sooner"),
    _rule("registration-lapse-approves", "registration.on_lapse", UP, F,
          "a registration not decided in time is now approved, not rejected"),
    _rule("registration-exclusions-relaxed", "registration.excludes", f"{DOWN} {REMOVED}", F,
          "fewer leads excluded from registration"),
    _rule("registered-bonus-increased", "registration.registered_bonus", f"{UP} {ADDED}", F,
          "registration bonus added or raised", True),
    _rule("registered-bonus-decreased", "registration.registered_bonus", ANY, U,
          "registration bonus cut or removed", True),
    _rule("registration-removed", "registration", REMOVED, F, "registration removed"),
    _rule("registration-stricter", "registration registration.*", ANY, U,
          "registration stricter or changed"),
    # ---- payment terms: when payouts fall due --------------------------------------------
    _rule("", "payment_terms.terms[].kind payment_terms.terms[].text", ANY, E,
          "follows from the term"),
    _rule("payout-due-sooner", "payment_terms.terms[].days", DOWN, F,
          "a payout falls due sooner"),
    _rule("payment-terms-changed", "payment_terms payment_terms.terms[] "
          "payment_terms.terms[].*", ANY, U,
          "payment terms added, removed or changed (when payouts fall due)"),
    # ---- handovers -----------------------------------------------------------------------
    _rule("handover-added", "handovers[]", ADDED, F, "handover added"),
    _rule("handover-removed", "handovers[]", REMOVED, U, "handover removed"),
    _rule("", "handovers[].from handovers[].to handovers[].introducer_fee", ANY, E,
          "follows from the handover"),
    _rule("introducer-fee-increased", "handovers[].introducer_rate handovers[].introducer_payment",
          f"{UP} {ADDED}", F, "introducer fee raised", True),
    _rule("introducer-fee-decreased", "handovers[].introducer_rate "
          "handovers[].introducer_payment", ANY, U, "introducer fee cut", True),
    _rule("handover-tiers-widened", "handovers[].allowed_tiers", UP, F,
          "more tiers allowed on the handover", True),
    _rule("handover-tiers-narrowed", "handovers[].allowed_tiers", ANY, U,
          "fewer tiers allowed on the handover", True),
    _rule("cap-raised", "handovers[].combined_cap", f"{UP} {REMOVED}", f"{V}, {F}",
          "combined cap raised", True),
    _rule("cap-lowered", "handovers[].combined_cap", ANY, U, "combined cap lowered", True),
    # ---- mitigations, clawbacks, incentives, scoring, processes, enablement --------------
    _rule("mitigation-added", "mitigations[]", ADDED, U, "mitigation added"),
    _rule("mitigation-removed", "mitigations[]", REMOVED, f"{F}, {V}", "mitigation removed"),
    _rule("mitigation-relaxed", "mitigations[].trigger mitigations[].sustained",
          f"{UP} {REMOVED}", f"{F}, {V}", "mitigation triggers less often"),
    _rule("mitigation-narrowed", "mitigations[].applies_to", DOWN, f"{F}, {V}",
          "mitigation applies to fewer channels"),
    _rule("mitigation-tightened", "mitigations[].*", ANY, U, "mitigation tightened or changed"),
    _rule("clawback-removed", "clawbacks[]", REMOVED, F, "clawback removed", True),
    _rule("clawback-changed", "clawbacks[] clawbacks[].*", ANY, U,
          "clawback added or changed", True),
    _rule("spiff-increased", "spiffs[] spiffs[].reward spiffs[].duration spiffs[].until "
          "spiffs[].claimable", f"{UP} {ADDED}", F, "incentive added, raised or extended", True),
    _rule("spiff-widened", "spiffs[].minimum", f"{DOWN} {REMOVED}", F,
          "incentive open to smaller deals", True),
    _rule("spiff-decreased", "spiffs[] spiffs[].*", ANY, U, "incentive cut or changed", True),
    _rule("scoring-changed", "scorings[] scorings[].*", ANY, U, "partner scoring changed"),
    _rule("enablement-added", "enablement[]", ADDED, F, "enablement added"),
    _rule("enablement-removed", "enablement[] enablement[].cadence", ANY, U,
          "enablement removed or changed"),
    _rule("process-changed", "processes[] processes[].*", ANY, U, "procedure changed"),
    _rule("conflict-resolution-faster", "conflicts[].within", DOWN, F,
          "a channel conflict resolved sooner"),
    _rule("conflict-rule-changed", "conflicts[] conflicts[].*", ANY, U,
          "channel-conflict rule added, removed or changed"),
    _rule("co-marketing-added", "co_marketing[]", ADDED, F, "co-marketing activity added"),
    _rule("co-marketing-cheaper", "co_marketing[].partner_share", DOWN, F,
          "partner pays a smaller share of a co-marketing activity"),
    _rule("co-marketing-cheaper", "co_marketing[].vendor_share", UP, F,
          "vendor pays a larger share of a co-marketing activity"),
    _rule("co-marketing-widened", "co_marketing[].tiers", UP, F,
          "co-marketing activity offered to more tiers"),
    _rule("co-marketing-changed", "co_marketing[] co_marketing[].*", ANY, U,
          "co-marketing activity removed or changed"),
    # ---- internal (never in the partner view) --------------------------------------------
    # A stricter line makes partner deals walk: partner-unfavourable too (internal paths are
    # not in the partner projection, so the partner view never shows these rows).
    _rule("cogs-increased", "internal.economics.cogs", f"{UP} {ADDED}", f"{V}, {U}",
          "COGS raised (more deals walk)"),
    _rule("margin-floor-lowered", "internal.economics.margin_floor", f"{DOWN} {REMOVED}", V,
          "margin-death line lowered", True),
    _rule("gm-target-lowered", "internal.economics.gm_target", f"{DOWN} {REMOVED}", V,
          "gross-margin target lowered"),
    _rule("walk-rule-relaxed", "internal.economics.mdf_counts_against_margin", DOWN, V,
          "MDF no longer counted against the margin-death line", True),
    _rule("walk-rule-relaxed", "internal.economics.walk", f"{DOWN} {CHANGED} {REMOVED}", V,
          "walk rule removed or reworded"),
    _rule("economics-removed", "internal.economics", REMOVED, V, "internal economics removed"),
    _rule("margin-floor-raised", "internal.economics.margin_floor", ANY, f"{I}, {U}",
          "margin-death line raised (more deals walk)", True),
    _rule("economics-tightened", "internal.economics internal.economics.*", ANY, f"{I}, {U}",
          "internal economics stricter (COGS down, a walk rule added, a higher target)"),
    _rule("unit-economics-worse", "internal.unit_economics.recruitment_cost "
          "internal.unit_economics.enablement_cost internal.unit_economics.management_cost "
          "internal.unit_economics.break_even internal.unit_economics.break_even_deals", UP, V,
          "a partner costs more or pays back later"),
    _rule("unit-economics-changed", "internal.unit_economics internal.unit_economics.*", ANY, I,
          "unit economics per partner changed"),
    _rule("headroom-decreased", "internal.routes[].headroom", DOWN, V,
          "less headroom to the margin-death line"),
    _rule("", "internal.routes[] internal.routes[].*", ANY, E,
          "the engine's vendor margin per route"),
    _rule("policy-setting-changed", "internal.policies.settings[] internal.policies.settings[].*",
          ANY, V, "policy severity changed"),
    _rule("waiver-removed", "internal.policies.waivers[]", REMOVED, I, "waiver removed"),
    _rule("waiver-shortened", "internal.policies.waivers[].expires", DOWN, I,
          "waiver expires sooner"),
    _rule("waiver-wording-changed", "internal.policies.waivers[].reason "
          "internal.policies.waivers[].owner", ANY, E, "waiver reason or owner"),
    _rule("waiver-added", "internal.policies.waivers[] internal.policies.waivers[].*", ANY, V,
          "waiver added, extended or widened"),
    _rule("ship-gate-changed", "internal.ship_gate[] internal.ship_gate[].requires "
          "internal.ship_gate[].see", ANY, I, "ship-gate condition changed"),
    _rule("benchmark-changed", "internal.channels[] internal.channels[].* internal.handovers[] "
          "internal.handovers[].*", ANY, I, "internal benchmark changed"),
    # ---- worked examples and internal procedures (editorial) ----------------------------
    _rule("example-added", "examples[] internal.examples[]", ADDED, E, "worked example added"),
    _rule("example-removed", "examples[] internal.examples[]", REMOVED, E,
          "worked example removed"),
    _rule("example-changed", "examples[].* internal.examples[].*", ANY, E,
          "worked example changed"),
    _rule("internal-process-changed", "internal.processes[] internal.processes[].*", ANY, E,
          "internal procedure changed"),
    # ---- the last resort: a path no row names (tests/test_diff.py keeps this unused) -----
    _rule("terms-changed", "*", ANY, U, "program terms changed (not judged: review)", True),
)


def classify(path: str, direction: str) -> Rule:
    """The first row of `RULES` covering ``path`` (normalised) in ``direction``."""
    plain = _plain(path)
    for rule in RULES:
        if (ANY in rule.when or direction in rule.when) and \
                any(fnmatchcase(plain, _plain(pattern)) for pattern in rule.paths):
            return rule
    raise AssertionError("RULES ends with a row that matches everything")


def _plain(path: str) -> str:
    """`[]` (an item of a list) spelt so that fnmatch does not read it as a character set."""
    return path.replace("[]", "#")


def check_ids() -> list[str]:
    """Every reported check id, in table order, once."""
    return list(dict.fromkeys(r.check for r in RULES if r.reported))


def rules_table() -> str:
    """docs/diff.md's table of check ids, one line per row in table order (the first row
    that matches a change wins, so `any other` means the directions no earlier row of the
    same paths took). Generated; a test compares the committed doc."""
    lines = ["| check id | class | meaning | direction | config paths | money impact |",
             "|---|---|---|---|---|---|"]
    for rule in RULES:
        if not rule.reported:
            continue
        classes = " + ".join(rule.classes)
        when = "any other" if ANY in rule.when else ", ".join(sorted(rule.when))
        paths = ", ".join(f"`{p}`" for p in rule.paths)
        lines.append(f"| `{rule.check}` | {classes} | {rule.title} | {when} | {paths} |"
                     f" {'yes' if rule.money else ''} |")
    derived = sorted({p for r in RULES if not r.reported for p in r.paths})
    lines.append("")
    lines.append("Not reported (derived from values that have rows of their own; the money"
                 " impact shows their effect): " + ", ".join(f"`{p}`" for p in derived) + ".")
    return "\n".join(lines) + "\n"
