"""`charter.nodes.node` behaves as `dataclass(frozen=True)` does: equality, hashing, repr,
immutability, `replace`, fields left out of comparison."""
from __future__ import annotations

import dataclasses
from dataclasses import field

import pytest

from charter.nodes import node


def _pair():
    def body(cls):
        cls.__annotations__ = {"name": "str", "rate": "int", "spans": "dict", "extra": "int"}
        cls.spans = field(default_factory=dict, compare=False, hash=False, repr=False)
        cls.extra = field(default=0, hash=False)
        return cls

    ours = node(body(type("Tier", (), {})))
    theirs = dataclasses.dataclass(frozen=True)(body(type("Tier", (), {})))
    return ours, theirs


@pytest.mark.parametrize("a, b", [(("Gold", 1, {}, 0), ("Gold", 1, {"x": 1}, 0)),
                                  (("Gold", 1, {}, 0), ("Gold", 2, {}, 0)),
                                  (("Gold", 1, {}, 0), ("Gold", 1, {}, 5))])
def test_equality_hash_and_repr_match_dataclass(a, b):
    ours, theirs = _pair()
    assert (ours(*a) == ours(*b)) == (theirs(*a) == theirs(*b))
    assert (hash(ours(*a)) == hash(ours(*b))) == (hash(theirs(*a)) == hash(theirs(*b)))
    assert hash(ours(*a)) == hash(theirs(*a))
    assert repr(ours(*a)) == repr(theirs(*a))


def test_a_node_is_frozen_and_replaceable():
    ours, _theirs = _pair()
    gold = ours("Gold", 1, {}, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        gold.rate = 2  # type: ignore[misc]
    assert dataclasses.replace(gold, rate=2).rate == 2 and gold.rate == 1
    assert gold != ("Gold", 1) and gold.__eq__(object()) is NotImplemented


def test_the_model_uses_it():
    from charter import model, syntax

    assert model.Tier.__eq__ is syntax.Block.__eq__  # shared, not compiled per class
    assert dataclasses.is_dataclass(model.Program) and model.Program.__dataclass_params__.frozen
