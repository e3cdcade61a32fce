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
from charter.literals import MONEY_RE


def amounts_as_names(items: tuple[s.Item, ...]) -> tuple[s.Item, ...]:
    """``items`` with every amount spelt like a name the program defines made that name."""
    defined = _defined_like_amounts(items)
    if not defined:
        return items   # the usual case: no name spelt like an amount, nothing to look at

    def change(node: object) -> object | None:
        if type(node) is s.Money and node.text in defined:
            return s.Name(node.text, node.span)
        return None

    return s.rewrite(items, change)


def _defined_like_amounts(items: tuple[s.Item, ...]) -> frozenset[str]:
    """The names of blocks (any depth) spelt like an amount (`RM5`; not `Growth_17`)."""
    found = set()
    stack = [i for i in items if type(i) is s.Block]
    while stack:
        block = stack.pop()
        found.update(h.value for h in block.header
                     if type(h) is s.Name and MONEY_RE.match(h.value))
        stack.extend(i for i in block.items if type(i) is s.Block)
    return frozenset(found)
