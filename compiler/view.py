"""Schema-checked access to a block's attributes and children, used by every `parse_<construct>`.

A `View` knows which attributes and child blocks a construct allows; anything else is reported
once (CH-E101/CH-E102, with "did you mean"), duplicates are CH-E104, missing required ones CH-E103.
"""
from __future__ import annotations

from dataclasses import field
from typing import Callable, Iterable, TypeVar

from charter import syntax as s
from charter.diagnostics import Label, Reporter
from charter.literals import localise
from charter.nodes import node
from charter.source import Recovery, Span
from charter.values import Reader

T = TypeVar("T")
TOP = "<file>"  # kind of the pseudo-block holding a file's top-level items


def suggest(word: str, choices: Iterable[str]) -> tuple[str, ...]:
    """A "did you mean" help line for ``word`` among ``choices`` (difflib), or nothing."""
    pool = sorted(set(choices))
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return (f"did you mean `{lowered[word.lower()]}`?",)
    import difflib  # only for a mistake

    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if close:
        return (f"did you mean `{close[0]}`?",)
    if 0 < len(pool) <= 8:
        return ("expected one of " + ", ".join(f"`{c}`" for c in pool),)
    return ()


# Attributes that mean something on one construct only, and a line showing them there: the
# help of CH-E102 when one is written where it has no meaning. (The deal's attributes, which
# only an `example` states, come from the request-field table, `charter.economics.fields`.)
# tests/test_one_mistake.py holds each row to its construct's schema.
BELONGS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("currency", "locales", "rounding", "minor_units", "effective", "status",
                     "abstract", "version"), ("program", "program my_program { currency: IDR }")),
    **{key: ("tier", f"tier Standard {{ {line} }}") for key, line in (
        ("margin", "margin: 20%"), ("margin_y2", "margin_y2: 20%"), ("mdf", "mdf: 2%"),
        ("mdf_claim", 'mdf_claim: "co-marketing, on proof"'),
        ("mdf_cap", "mdf_cap: Rp 150 juta per year"),
        ("mdf_claim_deadline", "mdf_claim_deadline: 60 days"),
        ("mdf_approval", 'mdf_approval: "channel manager"'),
        ("quota", "quota: Rp 5 Miliar per year"),
        ("qualify", "qualify: revenue >= Rp 5 Miliar per year"), ("rank", "rank: 1"),
        ("tier_up", "tier_up: revenue >= Rp 5 Miliar per year -> Gold"),
        ("revenue_band", "revenue_band: Rp 0 .. Rp 5 Miliar"),
        ("downgrade_to", "downgrade_to: Silver"),
        ("grace", "grace: 1 quarter"), ("review", "review: annual"),
        ("certified_people", "certified_people: 2"), ("benefits", 'benefits: "Priority queue"'))},
    **{key: ("channel", f"channel VAD {{ {line} }}") for key, line in (
        ("model", "model: wholesale"), ("owner", "owner: partner"),
        ("lead_protection", "lead_protection: 90 days"),
        ("commission_base", "commission_base: software"),
        ("payment", "payment: recurring"), ("eligibility", 'eligibility: "certified partners"'),
        ("barrier", "barrier: low"), ("certification", "certification: sales, technical"))},
    **{key: ("economics", f"economics {{ {line} }}") for key, line in (
        ("cogs", "cogs: 3%"), ("margin_floor", "margin_floor: 60%"),
        ("gm_target", "gm_target: 70%"),
        ("mdf_counts_against_margin", "mdf_counts_against_margin: no"))},
    **{key: ("handover", f"handover Referral -> VAD {{ {line} }}") for key, line in (
        ("introducer_rate", "introducer_rate: 5%"), ("allowed_tiers", "allowed_tiers: Standard"),
        ("combined_cap", "combined_cap: 40%"), ("cap_year", "cap_year: 1"))},
    **{key: ("thresholds", f"thresholds volume {{ {line} }}") for key, line in (
        ("bracket", "bracket: Rp 0 .. Rp 3 Miliar -> 10%"), ("semantics", "semantics: forward"),
        ("reset", "reset: calendar_year"), ("basis", "basis: referred_software_revenue"))},
    "influenced_rate": ("attribution", "attribution { influenced_rate: 2% }"),
    "enforcement": ("mitigation", "mitigation certification_gate { enforcement: gate }"),
}


def belongs_elsewhere(key: str, kind: str, currency: str | None = None) -> tuple[str, ...]:
    """Where an attribute written on a ``kind`` block that does not take it belongs, as help."""
    deal = _deal_fields()
    if key in deal and kind != "example":
        return (f"`{key}` is a field of a deal (a quote request): in an `example` block write"
                f" `{localise(deal[key], currency)}`",)
    home, line = BELONGS.get(key, (kind, ""))
    if home == kind:
        return ()
    if key == "currency" and currency:
        line = line.replace("IDR", currency)
    article = "the" if home in ("program", "economics", "attribution") else "a"
    return (f"`{key}` belongs in {article} `{home}` block: `{localise(line, currency)}`",)


def _deal_fields() -> dict[str, str]:
    """Each deal attribute with the line that writes it (read on first use: the table lives
    in the economics package, which a program without mistakes never needs here)."""
    from charter.economics.fields import REQUEST_FIELDS

    return {f.attribute: f.form for f in REQUEST_FIELDS if f.attribute}


@node(frozen=False)
class Ctx:
    """What lowering needs: where to report and how to read typed values."""

    reporter: Reporter
    reader: Reader
    recovery: Recovery = field(default_factory=Recovery)

    def damaged(self, block: s.Block) -> bool:
        """True if ``block`` may be incomplete: a syntax error was recovered inside it, or a
        part of the program that could have completed it was not read."""
        return self.recovery.unknown_parts or self.recovery.damaged(block.span)


class View:
    """A block seen through its construct's schema."""

    def __init__(self, block: s.Block, ctx: Ctx, attrs: Iterable[str], blocks: Iterable[str] = (),
                 repeated: Iterable[str] = (), free_attrs: bool = False):
        self.block, self.ctx = block, ctx
        self.allowed, self.kinds = set(attrs), set(blocks)
        self.repeated = set(repeated)
        self.attrs: dict[str, list[s.Attribute]] = {}
        self.suggested: set[str] = set()  # keys offered as "did you mean": not also "missing"
        for attr in block.attributes():
            self.attrs.setdefault(attr.key, []).append(attr)
        if not free_attrs:
            self._check_attributes()
        self._check_blocks()

    @property
    def reporter(self) -> Reporter:
        """The reporter."""
        return self.ctx.reporter

    @property
    def reader(self) -> Reader:
        """The typed-value reader."""
        return self.ctx.reader

    def _check_attributes(self) -> None:
        for key, attrs in self.attrs.items():
            if key not in self.allowed:
                where = f"in {self.block.kind}" if self.block.kind != TOP else "at top level"
                help = belongs_elsewhere(key, self.block.kind, self.reader.currency) \
                    or suggest(key, self.allowed)
                self.suggested.update(w.split("`")[1] for w in help if w.startswith("did you"))
                for attr in attrs:
                    self.reporter.error("CH-E102", f"unknown attribute `{key}` {where}",
                                        attr.key_span, label="unknown attribute", help=help)
            elif len(attrs) > 1 and key not in self.repeated:
                for dup in attrs[1:]:
                    self.reporter.error("CH-E104", f"`{key}` is set twice in {self.block.kind}",
                                        dup.key_span, label="set again here",
                                        labels=(Label(attrs[0].key_span, "first set here"),),
                                        help=("remove one of them",))

    def _check_blocks(self) -> None:
        for child in self.block.blocks():
            if child.kind not in self.kinds:
                self.ctx.recovery.lost.update(defined_names(child))  # not read: not "unknown"
                where = f"in {self.block.kind}" if self.block.kind != TOP else "at top level"
                self.reporter.error("CH-E101", f"unknown block `{child.kind}` {where}",
                                    child.kind_span, label="unknown block kind",
                                    help=suggest(child.kind, self.kinds))

    def has(self, key: str) -> bool:
        """True if the attribute is present."""
        return key in self.attrs

    def attr(self, key: str) -> s.Attribute | None:
        """The (first) attribute called ``key``."""
        found = self.attrs.get(key)
        return found[0] if found else None

    def all(self, key: str) -> list[s.Attribute]:
        """Every occurrence of a repeated attribute."""
        return self.attrs.get(key, [])

    def span(self, key: str) -> Span:
        """The span of attribute ``key``, or of the block header if absent."""
        attr = self.attr(key)
        return attr.span if attr else self.header_span

    @property
    def header_span(self) -> Span:
        """The span of the block's kind and header words."""
        last = self.block.header[-1].span if self.block.header else self.block.kind_span
        return self.block.kind_span.to(last)

    def missing(self, key: str, example: str) -> None:
        """Report a required attribute that is absent (not in a block that may be incomplete:
        damaged by a syntax error, or named like a block that could not be read)."""
        if self.ctx.damaged(self.block) or key in self.suggested \
                or self.block.name in self.ctx.recovery.lost:
            return
        self.reporter.error("CH-E103", f"{self.block.kind} `{self.block.name or ''}` is missing"
                            f" `{key}`".replace(" `` ", " "), self.header_span,
                            label=f"needs `{key}`", labels=self._merged_from(key),
                            help=(f"add `{key}: {localise(example, self.reader.currency)}`",))

    def _merged_from(self, key: str) -> tuple[Label, ...]:
        """Where the block's base (another file, merged by `extends:`) is, if it has one: the
        attribute may be missing from either file."""
        here = self.block.span.file
        other = next((i for i in self.block.items if s.span_of(i).file != here), None)
        if other is None:
            return ()
        name = f"{self.block.kind} {self.block.name}" if self.block.name else self.block.kind
        return (Label(s.span_of(other), f"merged with the base's `{name}`, which does not set"
                                        f" `{key}` either"),)

    def one(self, key: str, read: Callable[[Reader, s.Value], T], required: str | None = None,
            default: T | None = None) -> T | None:
        """Read a single-valued attribute; ``required`` is an example value if it must exist."""
        attr = self.attr(key)
        if attr is None:
            if required is not None:
                self.missing(key, required)
            return default
        if len(attr.values) > 1:
            self.reporter.error("CH-E106", f"`{key}` takes one value, found {len(attr.values)}",
                                attr.values[1].span, label="extra value",
                                help=("remove the extra values, or drop the commas",))
        return read(self.reader, attr.values[0])

    def many(self, key: str, read: Callable[[Reader, s.Value], T]) -> tuple[T, ...]:
        """Read every value of a comma-separated attribute (skipping unreadable ones)."""
        attr = self.attr(key)
        if attr is None:
            return ()
        values = [v.items if isinstance(v, s.ListValue) else (v,) for v in attr.values]
        read_values = [read(self.reader, v) for group in values for v in group]
        return tuple(v for v in read_values if v is not None)

    def text(self, key: str, required: str | None = None) -> str:
        """A string attribute ('' if absent)."""
        return self.one(key, Reader.string, required) or ""

    def flag(self, key: str, default: bool = False) -> bool:
        """A yes/no attribute."""
        value = self.one(key, Reader.boolean)
        return default if value is None else value

    def choice(self, key: str, choices: Iterable[str], required: str | None = None,
               default: str | None = None) -> str | None:
        """A word from a fixed vocabulary (CH-E108 with "did you mean" otherwise)."""
        word = self.one(key, Reader.name, required)
        if word is None:
            return default
        return check_choice(self.ctx, self.attr(key).values[0], word, choices, key)  # type: ignore[union-attr]

    def children(self, kind: str) -> list[s.Block]:
        """Child blocks of ``kind``."""
        return [b for b in self.block.blocks() if b.kind == kind]

    def child(self, kind: str) -> s.Block | None:
        """The single child block of ``kind`` (duplicates reported)."""
        found = self.children(kind)
        for dup in found[1:]:
            where = "the file" if self.block.kind == TOP else self.block.kind
            self.reporter.error("CH-E105", f"`{kind}` is defined twice in {where}",
                                dup.kind_span, label="defined again here",
                                labels=(Label(found[0].kind_span, "first defined here"),))
            # only the first is read: what the second defines is not missing (no CH-E109)
            self.ctx.recovery.lost |= defined_names(dup)
        return found[0] if found else None

    @property
    def doc(self) -> str:
        """The block's doc string."""
        return self.block.doc.value if self.block.doc else ""


def defined_names(block: s.Block) -> set[str]:
    """The names a block and the blocks inside it define (`channel VAD { tier Elite {} }`)."""
    names = {block.name} if block.name else set()
    for child in block.blocks():
        names |= defined_names(child)
    return names


def check_choice(ctx: Ctx, value: s.Value, word: str, choices: Iterable[str], what: str) -> str | None:
    """Return ``word`` if allowed, else report CH-E108 and return None."""
    pool = tuple(choices)
    if word in pool:
        return word
    ctx.reporter.error("CH-E108", f"`{word}` is not a valid {what}", value.span,
                       label="not allowed here", help=suggest(word, pool))
    return None


def block_name(block: s.Block, ctx: Ctx, required: bool = True) -> str:
    """The block's name (first header word); CH-E110 if it is missing or not a name."""
    first = block.header[0] if block.header else None
    if isinstance(first, (s.Name, s.Str)):
        return first.value
    if required:
        ctx.reporter.error("CH-E110", f"`{block.kind}` needs a name", block.kind_span,
                           label="name missing", help=(f"write `{block.kind} SomeName {{`",))
    return ""
