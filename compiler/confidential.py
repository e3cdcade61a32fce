"""What may not reach a partner: the names of internal channels, and where they are written.

Partner documents render from the partner projection (`charter.targets.config`), which
refuses any string that names an internal channel as a word (`mentions`): a mitigation that
applies to one, a split that gives one a share, a doc string that mentions one, a scoring
dimension of the same name. That refusal is the build's last line of defence; `check` must
find the same mistakes first, at the place they are written. So:

- `mentions` is the one word rule, used by both;
- `example_names_internal`/`handover_is_internal` say which examples and handovers are
  internal because of the channels they name (the config also moves an example that states
  an internal metric or walks for an internal reason: the engine decides that);
- `written_mentions` walks the model's partner-facing constructs for every string that
  names an internal channel, with the span it is written at: cheap, and a superset of what
  the projection refuses, so `check_partner_text` (CH-E133, run after the policies by
  `charter.api.run_checks`) builds the projection (to ask it) only when this finds
  something.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import fields, is_dataclass
from functools import lru_cache
from typing import Iterable, Iterator

from charter import model as m
from charter.diagnostics import Label, Reporter
from charter.nodes import node
from charter.source import SourceFile, Span

# What partner-facing text may not say: neither blocks the policies (the numbers are whole).
PARTNER_TEXT_CODES = frozenset(("CH-E133", "CH-E134"))
# Program sections the projection leaves out whole (they go to its `internal` section).
_INTERNAL_SECTIONS = frozenset(("economics", "unit_economics", "ship_gate", "policy_settings",
                                "waivers"))


@node
class Mention:
    """A string of a partner-facing construct that names internal channel ``channel``."""

    section: str        # the config's section (a Program field): `mitigations`, `program`…
    entity: str         # the construct's name (`""` for a single block such as attribution)
    where: str          # what holds the text: `applies_to`, `the doc string`, `dimension X`
    channel: str
    span: Span
    owner: str          # the construct, in words: `mitigation `m``, `handover `A -> B``


# A construct of each section, in words (for messages).
_KINDS = {"program": "the program", "products": "product", "channels": "channel",
          "attribution": "attribution", "registration": "registration",
          "payment_terms": "payment terms", "handovers": "handover",
          "mitigations": "mitigation", "clawbacks": "clawback", "spiffs": "spiff",
          "scorings": "scoring", "processes": "process", "conflicts": "conflict case",
          "enablement": "enablement item", "co_marketing": "co-marketing activity",
          "examples": "example"}


def mentions(text: str, name: str) -> bool:
    """Whether ``text`` contains ``name`` as a word (or in an id such as `channel:NAME`).

    `_` ends a word too, and a `_` in ``name`` matches a space: partner documents print an
    identifier's `_` as a space (`spiff beat_Benchy` is "beat Benchy"), so `beat_Benchy`
    names `Benchy`, and "Commission Bench" names `Commission_Bench`."""
    return name.split("_")[0] in text and _word(name).search(text) is not None


@lru_cache(maxsize=256)
def _word(name: str) -> re.Pattern:
    return re.compile(rf"(?<![A-Za-z0-9]){_spelt(name)}(?![A-Za-z0-9])")


def _spelt(name: str) -> str:
    """``name`` as a pattern: its `_`s match a `_` or blanks (as partner documents print it)."""
    return r"[_\s]+".join(map(re.escape, name.split("_")))


# Words that name the vendor's internal economics. A partner document never contains them:
# the partner guide drops a doc string's sentences that use them (`charter.targets.wording.
# partner_prose`), other partner-facing text that uses them is CH-E134, and the leak tests
# search the partner documents for them.
INTERNAL_TERMS = ("COGS", "cost of goods", "margin-death", "margin death", "net margin",
                  "net GM", "vendor margin", "walk rule", "margin floor", "margin_floor",
                  "vendor_net", "gross margin")
# `INTERNAL_TERMS` as written, lower-cased (matching lower-cased text is ten times faster than
# `re.IGNORECASE`, and a group per term would be ten times slower again): any blank, and any
# of the hyphens that look alike (`margin‑death` with a non-breaking hyphen is the same words).
_TERMS = re.compile("|".join(
    re.escape(term.lower()).replace(r"\ ", "[\\s\u00a0\u202f]+").replace(
        r"\-", "[-\u2010-\u2014\u2212]\u00ad?") for term in INTERNAL_TERMS))
_BY_SPELLING = {term.lower(): term for term in INTERNAL_TERMS}


def mentions_internal(text: str) -> bool:
    """Whether ``text`` uses one of `INTERNAL_TERMS` (in any case, with any hyphen)."""
    return _TERMS.search(text.lower()) is not None


def internal_term(text: str) -> str | None:
    """The first of `INTERNAL_TERMS` ``text`` uses, as it is listed there, if any."""
    found = _TERMS.search(text.lower())
    if found is None:
        return None
    spelt = re.sub(r"[\s\u00a0\u202f]+", " ", re.sub("[\u2010-\u2014\u2212]\u00ad?|-\u00ad", "-",
                                                     found.group()))
    return _BY_SPELLING[spelt]


def internal_channels(program: m.Program) -> frozenset[str]:
    """The names of the program's internal channels."""
    return frozenset(c.name for c in program.channels if c.internal)


def example_names_internal(example: m.Example, internal: frozenset[str]) -> bool:
    """Whether a worked example quotes, credits or states an internal channel."""
    deal = example.deal
    named = [s.channel for s in deal.route] + [c for c, _ in deal.influenced] + \
        [e.party for e in example.expectations if e.party]
    return any(c in internal for c in named)


def handover_is_internal(handover: m.Handover, internal: frozenset[str]) -> bool:
    """Whether a handover starts or ends at an internal channel."""
    return handover.source in internal or handover.target in internal


def check_partner_text(program: m.Program, reporter: Reporter,
                       sources: dict[str, SourceFile] | None = None) -> None:
    """CH-E133 where partner-facing text names an internal channel: the partner projection
    would refuse it at build time (`charter.targets.config.partner_leaks`, the one judge),
    so check asks it, at the places `charter.confidential` finds such text written. Most
    programs name no internal channel anywhere partner-facing, and build nothing; the others
    build only the sections that hold such text."""
    written = written_mentions(program, sources)
    whole = projection_words_possible(program)
    if not written and not whole:
        return
    from charter.targets.config import partner_leaks_in

    leaks = partner_leaks_in(
        program, None if whole else {x.section for x in written},
        None if whole else {x.entity for x in written if x.section == "examples"})
    found = list(dict.fromkeys(located(written, [leak[:3] for leak in leaks])))
    for x in found:
        internal = program.channel(x.channel)
        reporter.error("CH-E133", f"{x.where} of {x.owner} names internal channel"
                       f" `{x.channel}`, and partners read it", x.span,
                       label=f"names `{x.channel}`",
                       labels=(Label(internal.spans.get("header") or internal.span,  # type: ignore[union-attr]
                                     "made internal here"),),
                       help=(f"partner documents never name an internal channel: reword or"
                             f" rename this, or drop `internal` from channel `{x.channel}` if"
                             " partners may know it",))
    _unplaced_leaks(program, reporter, leaks, {x.channel for x in found})


def check_internal_words(program: m.Program, reporter: Reporter,
                         sources: dict[str, SourceFile] | None = None) -> None:
    """CH-E134 where partner-facing text (a title, a label, a trigger: anything but a doc
    string and a name) uses the vendor's internal vocabulary (`INTERNAL_TERMS`). A doc string
    may explain a rule by its internal reason: the partner guide drops such sentences
    (`charter.targets.wording.partner_prose`), so only the rest is an error. Worked examples
    state internal metrics by name (`vendor_net_margin`); the projection moves those
    examples to the internal section. ``sources`` (the program's files) allow a quick
    answer: only a construct whose block holds such a term is read closely."""
    hits = _term_offsets(sources) if sources is not None else None
    if hits == {}:
        return
    for _section, _entity, construct in _partner_constructs(program, internal_channels(program)):
        if isinstance(construct, m.Example) or (hits is not None and not _holds(construct, hits)):
            continue
        for where, text, span in _texts(construct):
            term = None if where.startswith(("the doc string", "the name")) else \
                internal_term(text)
            if term is not None:
                reporter.error("CH-E134", f"{where} of {_owner(_section, _entity, construct)}"
                               f" says `{term}`, and partners read it", span,
                               label="internal vocabulary",
                               help=("partner documents never speak of the vendor's own"
                                     " economics: reword it, or put the reason in a comment",))


def _term_offsets(sources: dict[str, SourceFile]) -> dict[str, list[int]]:
    """Where each file may use an internal term (a superset), by file. (Lower-casing keeps
    offsets but for a few letters outside ASCII; a construct is read closely whenever a hit
    falls in its block, and a shifted one still does unless it ends the block.)"""
    found = {path: [hit.start() for hit in _TERMS.finditer(source.text.lower())]
             for path, source in sources.items()}
    return {path: offsets for path, offsets in found.items() if offsets}


def _holds(construct: object, hits: dict[str, list[int]]) -> bool:
    """Whether ``construct``'s block holds one of ``hits`` (offsets by file). A construct
    merged from several files (an `extends:` override) has its block in one file: it is read
    closely whenever another file it draws from (an attribute's or a nested block's) has a
    hit at all."""
    span = getattr(construct, "span", None)
    if span is None:
        return True
    if any(file in hits for file in _files_of(construct) - {span.file}):
        return True
    return any(span.start <= at < span.end for at in hits.get(span.file, ()))


def _files_of(construct: object) -> set[str]:
    """The files ``construct``'s attributes and nested blocks (one level down) are written in."""
    files = {s.file for s in (getattr(construct, "spans", None) or {}).values()}
    for name in _field_names(type(construct)):
        value = getattr(construct, name)
        if isinstance(value, tuple):
            files.update(item.span.file for item in value
                         if getattr(item, "span", None) is not None)
    return files


def _unplaced_leaks(program: m.Program, reporter: Reporter, leaks, placed: set[str]) -> None:
    """A leak of a channel named nowhere partner-facing: the projection writes the name
    itself (`day` is a unit, `example` an id's kind), so the channel's name is the mistake."""
    for channel in dict.fromkeys(leak.channel for leak in leaks if leak.channel not in placed):
        where = next(leak.path for leak in leaks if leak.channel == channel)
        found = program.channel(channel)
        span = found.spans.get("header") or found.span  # type: ignore[union-attr]
        reporter.error("CH-E133", f"internal channel `{channel}` is named like a word partner"
                       f" documents use (at {where})", span,
                       label="partners would seem to read this name",
                       help=(f"rename the channel, e.g. `{channel.capitalize()}Benchmark`",))


def written_mentions(program: m.Program, sources: dict[str, SourceFile] | None = None
                     ) -> list[Mention]:
    """Every string of a partner-facing construct that names an internal channel.

    ``sources`` (the program's files) allow a quick answer, and exact places: when every
    place the files name an internal channel lies inside an internal construct (the channel
    itself, a waiver, an example quoting it), there is nothing to look for; and a mention's
    span is narrowed from its attribute to the word itself."""
    internal = internal_channels(program)
    if not internal:
        return []
    texts = {path: source.text for path, source in (sources or {}).items()}
    outside = _named_outside(program, internal, texts) if sources is not None else None
    if outside == {}:
        return []
    found = []
    words = _any_word(internal)
    named = {_joined(name): name for name in internal}  # a match as written -> the channel
    for section, entity, construct in _partner_constructs(program, internal):
        if outside is not None and not _holds(construct, outside):
            continue  # its text is inside its block (or its files'), and none is there
        owner = _owner(section, entity, construct)
        for where, text, span in _texts(construct):
            found.extend(Mention(section, entity, where, name, _narrowed(span, name, sources),
                                 owner)
                         for name in sorted({named[_joined(hit.group())]
                                             for hit in _words(words, text)}))
    return found


def _joined(written: str) -> str:
    """A name as written (`Commission Bench`, `Commission_Bench`) in one spelling."""
    return re.sub(r"[_\s]+", "_", written)


def _any_word(names: Iterable[str]) -> re.Pattern:
    """One pattern for any of ``names`` ending a word; `_words` checks the start (a
    look-behind at every position of a long file costs 30 times the search)."""
    alternatives = "|".join(map(_spelt, sorted(names, key=lambda n: (-len(n), n))))
    return re.compile(rf"(?:{alternatives})(?![A-Za-z0-9])")


def _words(pattern: re.Pattern, text: str, start: int = 0, end: int | None = None
           ) -> Iterator[re.Match]:
    """The matches of an `_any_word` pattern in source text that are whole words in the
    value they are written in (`mentions`' rule): after `\\n` or `\\t`, an escape, a word
    starts too."""
    for hit in pattern.finditer(text, start, len(text) if end is None else end):
        at = hit.start()
        before = text[at - 1] if at else " "
        if not (before.isascii() and before.isalnum()) or \
                before in "nt" and text[at - 2:at - 1] == "\\":
            yield hit


def _owner(section: str, entity: str, construct: object) -> str:
    kind = _KINDS.get(section, section)
    if isinstance(construct, m.Handover):
        return f"{kind} `{construct.source} -> {construct.target}`"
    return f"{kind} `{entity}`" if entity else kind


def projection_words_possible(program: m.Program) -> bool:
    """Whether an internal channel is named like a word the projection writes itself (its
    vocabulary, units and id kinds are lower case: `day`, `example`, `wholesale_margin`),
    which no text of the program shows: then only the whole projection can tell."""
    return any(name == name.lower() for name in internal_channels(program))


def _narrowed(span: Span, name: str, sources: dict[str, SourceFile] | None) -> Span:
    """The first place inside ``span`` where ``name`` is written as a word (else ``span``)."""
    source = (sources or {}).get(span.file)
    found = next(_words(_any_word((name,)), source.text, span.start, span.end), None) \
        if source else None
    return source.span(found.start(), found.end()) if found else span  # type: ignore[union-attr]


def _named_outside(program: m.Program, internal: frozenset[str], texts: dict[str, str]
                   ) -> dict[str, list[int]]:
    """The offsets, by file, where a file names an internal channel other than inside an
    internal construct (a comment counts: this only decides where to look closer)."""
    inside = sorted((c.span.file, c.span.start, c.span.end)  # type: ignore[attr-defined]
                    for section, c in _constructs(program)
                    if (section in _INTERNAL_SECTIONS or _is_internal(c, internal))
                    and getattr(c, "span", None) is not None)
    words = _any_word(internal)
    found: dict[str, list[int]] = {}
    for path, text in texts.items():
        # top-level constructs do not overlap: the one starting last before a word holds it
        starts = [start for file, start, _end in inside if file == path]
        ends = [end for file, _start, end in inside if file == path]
        for word in _words(words, text):
            at = bisect_right(starts, word.start()) - 1
            if at < 0 or word.start() >= ends[at]:
                found.setdefault(path, []).append(word.start())
    return found


def _constructs(program: m.Program) -> Iterator[tuple[str, object]]:
    """(section, construct) for every top-level construct of the program."""
    for f in fields(program):
        if f.name != "files":
            value = getattr(program, f.name)
            section = "program" if f.name == "header" else f.name
            for construct in value if isinstance(value, tuple) else (value,):
                if construct is not None:
                    yield section, construct


def _partner_constructs(program: m.Program, internal: frozenset[str]
                        ) -> Iterator[tuple[str, str, object]]:
    """(section, name, construct) for every construct the projection may show a partner."""
    for section, construct in _constructs(program):
        if section not in _INTERNAL_SECTIONS and not _is_internal(construct, internal):
            yield section, getattr(construct, "name", ""), construct


def _is_internal(construct: object, internal: frozenset[str]) -> bool:
    if isinstance(construct, (m.Channel, m.Process)):
        return construct.internal
    if isinstance(construct, m.Example):
        return example_names_internal(construct, internal)
    if isinstance(construct, m.Handover):
        return handover_is_internal(construct, internal)
    return False


def _texts(construct: object, span: Span | None = None) -> Iterator[tuple[str, str, Span]]:
    """(what holds it, text, span) for every string of a construct: its own attributes by
    name (`applies_to`, `the doc string`, `the name`), a nested block by kind and name
    (`the doc string of tier `Gold``), a nested value by its own attributes (a deal's
    `cumulative`)."""
    own = getattr(construct, "span", None) or span
    spans = getattr(construct, "spans", None) or {}
    for name in _field_names(type(construct)):
        value = getattr(construct, name)
        if isinstance(value, tuple) and value and _named(value[0]):
            for item in value:
                for inner, text, at in _texts(item):
                    yield f"{inner} of {_label(item)}", text, at
        elif _record(value):
            yield from _texts(value, spans.get(name) or own)
        else:
            where = _WHERE.get(name, f"`{name}`")
            for text, at in _strings(value, spans.get(name) or own):  # type: ignore[arg-type]
                yield where, text, at


_WHERE = {"doc": "the doc string", "name": "the name", "id": "the name"}


def _record(value: object) -> bool:
    """A nested value of several attributes that is no block of its own (a deal)."""
    return is_dataclass(value) and not isinstance(value, type) and not _named(value) \
        and hasattr(value, "__dict__") and not isinstance(value, (m.TierScope, Span))


def _named(value: object) -> bool:
    """A nested block with a name of its own (a tier, a dimension, a step)."""
    return is_dataclass(value) and hasattr(value, "name") and hasattr(value, "span")


def _label(item: object) -> str:
    kind = re.sub(r"(?<!^)(?=[A-Z])", " ", type(item).__name__).lower()
    return f"{kind} `{item.name}`"  # type: ignore[attr-defined]


def _strings(value: object, span: Span) -> Iterator[tuple[str, Span]]:
    """Every string in ``value`` with the span it is written at: the nearest one a value
    carries (a split's share carries its own), else the attribute's."""
    if isinstance(value, str):
        yield value, span
    elif isinstance(value, Span):   # a named tuple: its file path is no program text
        return
    elif isinstance(value, (tuple, list)):
        own = next((v for v in value if isinstance(v, Span)), span)
        for item in value:
            yield from _strings(item, own)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, span)
    elif is_dataclass(value) and not isinstance(value, (type, m.TierScope, Span)):
        # a tier scope never names an internal channel's tiers in the projection (`_scope`)
        own = getattr(value, "span", None) or span
        spans = getattr(value, "spans", None) or {}
        for name in _field_names(type(value)):
            yield from _strings(getattr(value, name), spans.get(name) or own)


@lru_cache(maxsize=None)
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.name not in ("span", "spans"))


def located(mentions_: Iterable[Mention], leaks: Iterable[tuple[str, str, str]]
            ) -> list[Mention]:
    """The written mentions behind the projection's ``leaks`` ((section, entry name,
    channel) triples): those in an entry, and of a channel, the projection refused (an
    example the projection keeps internal has no leak, so none of its mentions)."""
    refused = set(leaks)
    return [x for x in mentions_ if (x.section, x.entity, x.channel) in refused]
