"""The registry of diagnostic codes. A code is never reused; retired codes stay listed."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    """A documented diagnostic code."""

    code: str
    title: str
    explanation: str


_ENTRIES = [
    # --- syntax (E0xx)
    ("CH-E001", "unexpected token", "The parser met a token that cannot appear here. The help"
     " line lists what could."),
    ("CH-E002", "unterminated string", "A `\"` string must close on the same line. Use"
     " `\"\"\"…\"\"\"` for text over several lines."),
    ("CH-E003", "unclosed block", "The file ended while a `{` was still open."),
    ("CH-E004", "unexpected character", "A character that is not part of the language, outside"
     " a string or comment."),
    ("CH-E005", "ambiguous number", "`2.400` is 2.4 in en_US and 2400 in id_ID. Write `2_400`"
     " or `2.4`. A single `.` or `,` followed by exactly three digits is always refused."),
    ("CH-E006", "ambiguous scale word", "`M` means million in English and miliar (10^9) in"
     " Indonesian. Write `juta`/`million` or `Miliar`/`billion`."),
    ("CH-E007", "malformed literal", "A number, date or amount that cannot be read."),
    ("CH-E008", "missing colon", "Attributes are written `key: value`."),
    ("CH-E009", "missing value", "An attribute needs a value after its `:`."),
    ("CH-E010", "binary input", "The file is not UTF-8 text."),
    ("CH-E011", "unmatched closing brace", "A `}` with no open block."),
    ("CH-E012", "file too large", "The file exceeds the size limit."),
    ("CH-E013", "nesting too deep", "Blocks, lists or parentheses nest beyond the limit."),
    ("CH-E014", "block without `{`", "A block header (`channel VAD`) must be followed by `{`."),
    ("CH-E015", "dangling operator", "An operator (`->`, `and`, `or`, `>=`, `,`) with no"
     " right-hand side."),
    ("CH-E016", "unclosed bracket", "A `[` or `(` is not closed on this line."),
    ("CH-E017", "line too long", "A line exceeds the line-length limit (docs/language.md,"
     " Limits). Break it: a list may continue on the next line after a `,`."),
    ("CH-E018", "list too long", "One list of values (`a, b, …` or `[a, b, …]`) exceeds the"
     " list-length limit (docs/language.md, Limits)."),
    ("CH-E019", "too many tokens", "The file holds more tokens than the limit (docs/language.md,"
     " Limits). Split the program with `extends:`."),
    ("CH-E020", "too many definitions", "The file holds more blocks than the limit"
     " (docs/language.md, Limits). Split the program with `extends:`."),
    # --- structure and types (E1xx)
    ("CH-E101", "unknown block", "This block kind does not exist here; see docs/language.md."),
    ("CH-E102", "unknown attribute", "This attribute does not exist on this block."),
    ("CH-E103", "missing attribute", "A required attribute is missing."),
    ("CH-E104", "duplicate attribute", "An attribute that may appear once appears twice."),
    ("CH-E105", "duplicate definition", "Two definitions share a name."),
    ("CH-E106", "wrong type", "The value has the wrong type (e.g. a percentage where money is"
     " expected)."),
    ("CH-E107", "currency mismatch", "An amount is in another currency than the program's."),
    ("CH-E108", "invalid choice", "The value is not one of the allowed words."),
    ("CH-E109", "unknown reference", "A name that refers to a channel, tier, product or other"
     " definition that does not exist."),
    ("CH-E110", "missing or unexpected name", "The block needs a name (`tier Elite {`) or"
     " takes none."),
    ("CH-E111", "invalid value", "The value has the right type but is out of range or"
     " inconsistent."),
    ("CH-E112", "attribute has no effect", "A rate the channel's model never pays: a"
     " `discount` or `margin` on a commission channel, a `commission` on a channel that buys at"
     " wholesale, written fixed or `negotiable`; a `discount` on a channel whose every tier"
     " pays its own margin; `payment: one_time` or another `commission_base` than `software`"
     " on a wholesale channel; a year-2 rate on a channel paid once. It would be silently"
     " ignored, so it is an error."),
    ("CH-E113", "internal has no effect", "`internal` on a block kind that it does not keep out"
     " of partner-facing outputs (it applies to `channel`, `process`, `economics` and"
     " `unit_economics`)."),
    ("CH-E114", "window ends before it starts", "A SPIFF's `until` is earlier than its"
     " `from`: no deal could ever close inside the window."),
    ("CH-E115", "contradictory registration rules", "`registered_bonus` and"
     " `unregistered_rate` both say what an unregistered deal earns: the bonus pays it the"
     " base rate, the flat rate pays it that rate. Keep one. Two different"
     " `unregistered_rate`s (in `registration` and `attribution`) contradict each other too."),
    # negotiable terms (`negotiable commission { range: 10% .. 20%; default: 10% }`)
    ("CH-E120", "negotiable default outside its range", "A `negotiable` term's `default` lies"
     " outside its `range`: a deal that negotiates nothing would get a value no deal may"
     " agree to. Move the default into the range, or widen the range."),
    ("CH-E121", "negotiable range runs backwards", "A `negotiable` term's `range` has its low"
     " end above its high end (`20% .. 10%`). Write the low end first."),
    ("CH-E122", "negotiable term in the wrong unit", "A `negotiable` term's `range` or"
     " `default` is in another unit than the term: an amount or a duration for a percentage"
     " term (`commission`, `discount`, `margin`), a percentage for a duration term"
     " (`lead_protection`)."),
    ("CH-E123", "term both fixed and negotiable", "A term is written as a fixed attribute"
     " (`commission: 10%`) and as a `negotiable` block in the same channel or tier. Neither"
     " wins silently: remove the fixed attribute and let the negotiable block's `default` say"
     " what a deal gets unless agreed."),
    # MDF as a fixed fund, and payment terms
    ("CH-E130", "MDF cap below one period's fund", "A tier's `mdf_cap` allows less in a year"
     " than one period of its fixed fund (`mdf: $5_000 per quarter` with `mdf_cap: $4K per"
     " year`): the fund could never be paid in full even once. Raise the cap or lower the"
     " fund."),
    ("CH-E131", "MDF term without a fund", "`mdf_cap`, `mdf_claim_deadline` or `mdf_approval`"
     " on a tier that funds no MDF (no `mdf`, or 0), or `mdf_cap` on an MDF that is a share of"
     " revenue rather than a fixed fund. It would be silently ignored, so it is an error."),
    ("CH-E132", "payment term has no effect", "A `payment_terms` entry for `wholesale_margin`:"
     " the reselling partner keeps its margin out of what the customer pays, so the vendor"
     " pays nothing that could fall due."),
    ("CH-E133", "internal channel named where partners read", "A partner-facing construct"
     " (a mitigation's `applies_to`, a split's party, a doc string or title, a name) names an"
     " internal channel. Partner documents are built from a projection that holds nothing"
     " internal, and the build refuses any partner text that names one; rename, reword, or"
     " keep the reference out of partner-facing constructs."),
    ("CH-E134", "internal vocabulary where partners read", "Partner-facing text other than a"
     " doc string (a title, a label, a trigger, a step's text) speaks of the vendor's own"
     " economics (COGS, the margin floor or margin-death line, vendor or net margin, walk"
     " rules). A doc string may explain a rule by its internal reason: the partner guide"
     " drops such sentences."),
    # --- files and programs (E2xx)
    ("CH-E201", "import not found", "An `extends:` path does not exist."),
    ("CH-E202", "import outside project", "An `extends:` path leaves the project directory."),
    ("CH-E203", "import cycle", "Files extend each other in a cycle."),
    ("CH-E204", "missing program header", "Every non-base file needs a `program` block."),
    ("CH-E205", "unreadable file", "The file cannot be read or is not UTF-8."),
    ("CH-E206", "file outside the project", "A file named on the command line or found in a"
     " folder leads, through a link, to a file outside the project root. Nothing is read from"
     " it."),
    ("CH-E208", "extends chain too deep", "An `extends:` chain is longer than the limit"
     " (docs/language.md, Limits): a file extends a file that extends a file … more than 32"
     " times."),
    ("CH-E207", "not a regular file", "A FIFO, a device, a socket or a folder where a"
     " `.charter` file was expected. Only regular files are read."),
    ("CH-E209", "folder cannot be listed", "A folder under a path given to `check`, `build`,"
     " `fmt` or `diff` cannot be listed (no read or search permission, or it vanished during"
     " the walk). Its `.charter` files were not found, so the run did not cover everything:"
     " an error, never a silent pass. Give the user running charter `r-x` on it, or leave it"
     " out of the paths."),
    # --- worked examples (E3xx)
    ("CH-E301", "example does not compute", "A worked example's expected number differs from"
     " what the economics engine computes for its deal."),
    ("CH-E302", "example deal cannot be quoted", "An example's deal is not a valid quote request"
     " (for example a tiered channel on the route without a tier)."),
    ("CH-E303", "expectation does not apply", "An expectation asks for a year the deal does not"
     " have, or for a party that is not on the deal's route."),
    # --- policies (E4xx); the policies' own codes (CH-P…) live in their registry
    ("CH-E401", "unknown policy", "A `policy`, `waiver` or ship-gate `requires` names a policy"
     " that is not registered (see `charter policies`)."),
    ("CH-E402", "expired waiver", "A waiver's `expires` date has passed; the finding it waived"
     " is reported again."),
    # --- warnings
    ("CH-W101", "precision finer than currency", "An amount has more decimals than the"
     " currency's minor unit (IDR has none); it will be rounded when paid."),
    ("CH-W102", "empty block", "A block with nothing in it has no effect."),
    ("CH-W103", "fiscal year read as the calendar year", "A threshold ladder's `reset:"
     " fiscal_year` resets the cumulative volume on 1 January: a program cannot state when its"
     " fiscal year starts. Write `calendar_year` if that is what is meant."),
    ("CH-W130", "payout without a payment term", "The program states `payment_terms` but not"
     " for a kind of payout it makes (a rebate, an MDF accrual, an introducer's commission…);"
     " quotes say that line's due date is not stated. Add a term for it."),
    ("CH-W301", "example input has no effect", "A worked example states something its deal"
     " does not use (a cumulative volume for a channel that is not the partner of record); the"
     " same input in a quote request is warned about."),
    ("CH-W401", "unused waiver", "A waiver matches no finding: the problem was fixed or the"
     " waiver's `subject` is wrong."),
    ("CH-W402", "waiver expires soon", "A waiver in use expires within 30 days; after that the"
     " finding it waives is reported again. Renew it with a new date and a reason, or fix the"
     " finding."),
]

CODES: dict[str, Code] = {c: Code(c, t, e) for c, t, e in _ENTRIES}


def lookup(code: str) -> Code:
    """The documentation of a code (KeyError if unknown)."""
    return CODES[code]


# ---- docs/diagnostics.md, generated from the registry (a test fails when the file is stale):
#      python -m charter.codes > docs/diagnostics.md

_GROUPS = (  # (code prefix, heading), in page order; every registered code falls in one
    ("CH-E0", "Syntax (CH-E0xx)"),
    ("CH-E1", "Structure and types (CH-E1xx)"),
    ("CH-E2", "Files and programs (CH-E2xx)"),
    ("CH-E3", "Worked examples (CH-E3xx)"),
    ("CH-E4", "Policies and waivers (CH-E4xx)"),
    ("CH-W", "Warnings (CH-Wxxx)"),
)

_DOC_HEAD = """# Diagnostic codes

<!-- Generated from the code registry (compiler/codes.py) by `python -m charter.codes`;
do not edit. -->

Every diagnostic `charter check` reports carries a stable code; a code is never reused.
`CH-E…` codes are errors and `CH-W…` codes warnings (`--strict` makes them errors).
`charter explain CODE` prints a code's entry; the policies' own codes (`CH-P…`) are in
[policies.md](policies.md). Each code below has an anchor of its own (`#ch-e109`), which the
SARIF output links each rule to. docs/language.md §4 describes the text and JSON formats.
"""


def anchor(code: str) -> str:
    """The anchor of a code's section in docs/diagnostics.md (``CH-E109`` → ``ch-e109``)."""
    return code.lower()


def render_markdown() -> str:
    """The whole of docs/diagnostics.md: one section per group, one heading per code."""
    parts = [_DOC_HEAD]
    for prefix, heading in _GROUPS:
        entries = sorted((c for c in CODES.values() if c.code.startswith(prefix)),
                         key=lambda c: c.code)
        parts.append(f"\n## {heading}\n")
        parts += [f"\n### {c.code}\n\n**{c.title}**. {c.explanation}\n" for c in entries]
    return "".join(parts)


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
