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


CALLS = [(("Gold", 1), {}), (("Gold",), {"rate": 2}), ((), {"rate": 3, "name": "Silver"}),
         (("Gold", 1, {"a": 1}), {"extra": 5}), (("Gold", 1, {}, 7), {})]


@pytest.mark.parametrize("args, kwargs", CALLS)
def test_a_call_binds_as_dataclass_binds_it(args, kwargs):
    ours, theirs = _pair()
    a, b = ours(*args, **kwargs), theirs(*args, **kwargs)
    assert vars(a) == vars(b) and list(vars(a)) == list(vars(b))  # values and field order
    if len(args) < 3 and "spans" not in kwargs:  # a fresh default per instance
        assert ours(*args, **kwargs).spans is not a.spans


@pytest.mark.parametrize("args, kwargs", [((), {}), (("Gold", 1, {}, 0, 9), {}),
                                          (("Gold",), {"name": "Silver", "rate": 1}),
                                          (("Gold", 1), {"colour": "red"})])
def test_a_call_that_does_not_fit_is_a_type_error(args, kwargs):
    ours, theirs = _pair()
    with pytest.raises(TypeError):
        theirs(*args, **kwargs)
    with pytest.raises(TypeError):
        ours(*args, **kwargs)


def test_a_class_built_often_gets_its_own_init_and_builds_the_same():
    from charter import nodes

    ours, _theirs = _pair()
    before = [ours(*args, **kwargs) for args, kwargs in CALLS]
    for _ in range(nodes.HOT + 1):
        ours("Gold", 1)
    assert ours.__init__ is not nodes._init  # compiled for its fields
    after = [ours(*args, **kwargs) for args, kwargs in CALLS]
    assert after == before and [list(vars(a)) for a in after] == [list(vars(b)) for b in before]
    assert ours("Gold", 1).spans is not ours("Gold", 1).spans
    with pytest.raises(TypeError):
        ours()


@node
class Pickled:
    name: str
    rate: int
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    extra: int = 0


def test_frozen_picklable_and_introspectable():
    import pickle

    gold = Pickled("Gold", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        del gold.rate
    with pytest.raises(dataclasses.FrozenInstanceError):
        gold.colour = "red"  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(gold)) == gold
    assert [f.name for f in dataclasses.fields(gold)] == ["name", "rate", "spans", "extra"]
    assert Pickled.__match_args__ == ("name", "rate", "spans", "extra")


def test_post_init_runs_and_an_own_init_goes_to_dataclass():
    from charter import nodes

    class Checked:
        __annotations__ = {"rate": "int"}

        def __post_init__(self):
            if self.rate < 0:
                raise ValueError("negative")

    made = node(Checked)
    assert made(1).rate == 1 and made.__init__ is nodes._init
    with pytest.raises(ValueError):
        made(-1)
    for _ in range(nodes.HOT + 1):
        made(2)
    with pytest.raises(ValueError):  # and in the compiled __init__
        made(-1)

    class Own:
        __annotations__ = {"rate": "int"}

        def __init__(self, rate):
            object.__setattr__(self, "rate", rate * 2)

    assert node(Own)(2).rate == 4
    with pytest.raises(TypeError):  # a required field after a defaulted one, as dataclass says
        node(type("Odd", (), {"__annotations__": {"a": "int", "b": "int"}, "a": 1}))


def test_the_mutable_form_is_dataclass():
    def body(cls):
        cls.__annotations__ = {"items": "list", "name": "str"}
        cls.items = field(default_factory=list)
        cls.name = "x"
        return cls

    ours = node(frozen=False)(body(type("Bag", (), {})))
    theirs = dataclasses.dataclass(body(type("Bag", (), {})))
    a, b = ours(), theirs()
    a.name, b.name = "y", "y"  # assignable
    assert vars(a) == vars(b) and repr(a) == repr(b) and a == ours([], "y")
    assert ours.__hash__ is None and theirs.__hash__ is None
    assert not ours.__dataclass_params__.frozen


def test_the_value_classes_use_it():
    from charter import diagnostics, values

    assert diagnostics.Diagnostic.__eq__ is values.Rate.__eq__
    assert values.Rate.__init__.__qualname__ in ("_init", "Rate.__init__")


def test_subclasses_behave_as_dataclass_subclasses():
    """Found in review: the class built `HOT` times, its `__post_init__` and its frozenness
    are the decorated class's, never an undecorated subclass's."""
    from charter import nodes

    def family(decorate):
        base = decorate(type("A", (), {"__annotations__": {"x": "int"},
                                       "__post_init__": lambda self: self.log.append("A")}))
        base.log = []

        class Doubled(base):
            def __init__(self, x):
                super().__init__(x * 10)

            def __post_init__(self):
                self.log.append("B")

        return base, Doubled

    ours, theirs = family(node), family(dataclasses.dataclass(frozen=True))
    for _ in range(nodes.HOT + 5):
        assert ours[1](1).x == theirs[1](1).x == 10
    assert ours[0].log == theirs[0].log and set(ours[0].log) == {"B"}
    b = ours[1](1)
    b.extra = 5  # an undecorated subclass may take attributes; its fields stay frozen
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.x = 2
    assert ours[0](3).x == 3  # the compiled __init__ went to the decorated class


def test_decorated_subclasses_mutable_defaults_and_own_methods_follow_dataclass():
    base = node(type("A", (), {"__annotations__": {"x": "int"}}))
    child = node(type("B", (base,), {"__annotations__": {"y": "int"}, "y": 0}))
    assert child(1, 2).y == 2 and child.__match_args__ == ("x", "y")
    assert all(f.kw_only is False for f in dataclasses.fields(child))
    with pytest.raises(ValueError):  # a list as a default is shared: dataclass refuses it
        node(type("C", (), {"__annotations__": {"x": "list"}, "x": []}))
    own = node(type("D", (), {"__annotations__": {"x": "int"}, "__repr__": lambda self: "D!",
                              "__eq__": lambda self, other: True}))
    assert repr(own(1)) == "D!" and own(1) == own(2) and hash(own(1)) == hash(own(1))


@pytest.mark.parametrize("name", ["self", "_d", "_MISSING", "_default_x"])
def test_any_field_name_works_before_and_after_compiling(name):
    from charter import nodes

    made = node(type("E", (), {"__annotations__": {name: "int", "z": "dict"},
                               "z": field(default_factory=dict)}))
    for _ in range(nodes.HOT + 2):
        one = made(1)
        assert getattr(one, name) == 1 and one.z == {}
    assert made(**{name: 2}).__dict__ == {name: 2, "z": {}}
