"""Amounts that are names: `product: USD2026` where the program defines `product USD2026`.

A name is letters, digits and `_` (§1.3), and some amounts are spelt the same way (`RM5`,
`Rp250K`, `USD2026`). Where only a name can stand (a block's header, a key) the lexers
already read such a word as the name. In a value either is allowed, so the word is read as an
amount there, unless the program defines something of that name: then it is that name
everywhere in the program, and an amount in its place is written with a space (`RM 5`), which
the amount's type error says (`charter.values`).
"""
from __future__ import annotations

from charter import syntax as s
from charter.literals import spelt_like_amount


def amounts_as_names(items: tuple[s.Item, ...]) -> tuple[s.Item, ...]:
    """``items`` with every amount spelt like a name the program defines made that name."""
    defined = _defined_like_amounts(items)
    if not defined:
        return items   # the usual case: no name spelt like an amount, nothing to look at

    def change(node: object) -> object | None:
        if type(node) is s.Money:
            words = _as_names(node, defined)
            return None if words is None else \
                words[0] if len(words) == 1 else s.Phrase(words, node.span)
        if type(node) is s.Phrase and any(type(a) is s.Money for a in node.atoms):
            atoms = tuple(w for a in node.atoms for w in (
                (_as_names(a, defined) or (a,)) if type(a) is s.Money else (a,)))
            return s.Phrase(tuple(s.rewrite(atoms, change)), node.span)
        return None

    return s.rewrite(items, change)


def _as_names(money: s.Money, defined: frozenset[str]) -> tuple[s.Name, ...] | None:
    """`RM5` as the name `RM5`, and `RM5 B` (lexed as RM 5 billion) as the names `RM5` and
    `B` (channel RM5, tier B), where the program defines `RM5`; else None."""
    if money.text in defined:
        return (s.Name(money.text, money.span),)
    head, _, tail = money.text.partition(" ")
    if head not in defined or not tail:
        return None
    span = money.span
    first = span._replace(end=span.start + len(head), end_column=span.column + len(head))
    last = span._replace(start=span.end - len(tail), column=span.end_column - len(tail))
    return s.Name(head, first), s.Name(tail, last)


def _defined_like_amounts(items: tuple[s.Item, ...]) -> frozenset[str]:
    """The names of blocks (any depth) spelt like an amount (`RM5`; not `Growth_17`)."""
    found = set()
    stack = [i for i in items if type(i) is s.Block]
    while stack:
        block = stack.pop()
        found.update(h.value for h in block.header
                     if type(h) is s.Name and spelt_like_amount(h.value))
        stack.extend(i for i in block.items if type(i) is s.Block)
    return frozenset(found)
