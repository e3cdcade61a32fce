"""Assembling the typed `Program` from a file's merged top-level items."""
from __future__ import annotations

from collections import Counter

from charter import lower as lw
from charter import model as m
from charter import syntax as s
from charter.diagnostics import Reporter
from charter.names import amounts_as_names
from charter.source import Recovery, Span
from charter.values import BOOLS, Reader
from charter.view import TOP, Ctx, View


def assemble(items: tuple[s.Item, ...], reporter: Reporter, path: str,
             files: tuple[str, ...], recovery: Recovery | None = None) -> m.Program | None:
    """Lower every top-level construct; None when there is no `program` header at all.

    ``recovery`` (what could not be read) gains the names of blocks lowering cannot read."""
    recovery = recovery if recovery is not None else Recovery()
    items = amounts_as_names(items)
    amounts = [node for node in s.walk(items) if type(node) is s.Money]
    top = s.Block(TOP, _file_span(path), (), None, items, False, _file_span(path))
    ctx = Ctx(reporter, Reader(reporter, None), recovery)
    view = View(top, ctx, ("extends",), lw.TOP_LEVEL)
    header_block = view.child("program")
    if header_block is None or header_block.span.file != path and _abstract(header_block):
        _no_header(items, amounts, header_block, reporter, path, recovery)
        return None
    header = lw.parse_header(header_block, ctx)
    ctx.reader.currency = header.currency or None
    _warn_empty(items, reporter, ctx)
    _check_internal(items, reporter)
    _warn_precision(amounts, header.currency, header.minor_units, reporter)
    program = m.Program(header=header, files=files, **_constructs(view, ctx))
    declared = next((a.values[0].span for a in header_block.attributes() if a.key == "currency"),
                    None)
    ctx.reader.report_currency(declared)
    return program


def _no_header(items: tuple[s.Item, ...], amounts: list[s.Money], inherited: s.Block | None,
               reporter: Reporter, path: str, recovery: Recovery) -> None:
    """CH-E204, unless the file did not parse far enough to judge (its syntax error says it).

    An abstract base's `program` block is the base's own: being abstract is never inherited,
    so a file extending it without a `program` of its own would silently become an unchecked
    base."""
    if any(f == path for f, _ in recovery.lines) or (not items and reporter.has_errors):
        return
    currency = _likely_currency(amounts)
    notes = (f"the `program` block of {inherited.span.file} is an abstract base's; a file"
             " that extends it needs one of its own",) if inherited is not None else ()
    reporter.error("CH-E204", "file has no `program` block", _file_span(path),
                   label="program header missing", notes=notes,
                   help=(f"start the file with `program my_program {{ currency: {currency}"
                         " ... }`",))


def _abstract(block: s.Block) -> bool:
    """Whether a `program` block says `abstract: yes`."""
    return any(a.key == "abstract" and isinstance(a.values[0], s.Name)
               and BOOLS.get(a.values[0].value.lower(), False) for a in block.attributes())


def _likely_currency(amounts: list[s.Money]) -> str:
    """The currency most of the file's amounts are written in (IDR when it has none)."""
    counts = Counter(money.value.currency for money in amounts)
    return counts.most_common(1)[0][0] if counts else "IDR"


def _constructs(view: View, ctx: Ctx) -> dict:
    """Every `Program` field but the header, lowered as the construct table says."""
    fields = {}
    for c in lw.CONSTRUCTS:
        if c.kind == "program":
            continue
        if c.many:
            fields[c.field] = tuple(x for b in view.children(c.kind)
                                    if (x := c.lower(b, ctx)) is not None)
        else:
            block = view.child(c.kind)
            value = c.lower(block, ctx) if block is not None else None
            fields[c.field] = c.absent if value is None else value
    return fields


def _warn_empty(items: tuple[s.Item, ...], reporter: Reporter, ctx: Ctx) -> None:
    for item in items:
        if isinstance(item, s.Block):
            if not item.items and item.doc is None and not ctx.damaged(item):
                reporter.warning("CH-W102", f"empty `{item.kind}` block has no effect",
                                 item.kind_span, label="nothing inside",
                                 help=("fill it in or remove it",))
            _warn_empty(item.items, reporter, ctx)


# Blocks that `internal` changes: kept out of every partner-facing output. (`economics` is
# always internal; it may say so.)
INTERNAL_KINDS = ("channel", "process", "economics", "unit_economics")


def _check_internal(items: tuple[s.Item, ...], reporter: Reporter) -> None:
    """`internal` on a block it does not change would promise a secrecy it does not keep."""
    for item in items:
        if not isinstance(item, s.Block):
            continue
        _check_internal(item.items, reporter)
        if item.internal and item.kind not in INTERNAL_KINDS:
            reporter.error("CH-E113", f"`internal` has no effect on a `{item.kind}` block: it"
                           " would still reach partner-facing outputs", item.kind_span,
                           label="cannot be made internal",
                           help=(f"`internal` applies to {', '.join(INTERNAL_KINDS)}; move"
                                 " what partners must not read into an internal block, or"
                                 " remove `internal`",))


def _warn_precision(amounts: list[s.Money], currency: str, minor_units: int,
                    reporter: Reporter) -> None:
    """CH-W101 for amounts finer than the currency's minor unit (e.g. Rp 0,5)."""
    for money in amounts:
        exponent = money.value.amount.as_tuple().exponent
        if money.value.currency == currency and isinstance(exponent, int) \
                and -exponent > minor_units:
            reporter.warning("CH-W101", f"`{money.text}` is finer than {currency} pays"
                             f" ({minor_units} decimal{'s' * (minor_units != 1)})", money.span,
                             label="will be rounded when paid",
                             help=("round the amount, or set `minor_units` in `program`",))


def _file_span(path: str) -> Span:
    return Span(path, 0, 0, 1, 1, 1, 1)
