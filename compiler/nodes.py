"""`node`: the frozen dataclass of the model and the syntax tree, compiling code only if used.

`dataclass(frozen=True)` compiles six methods per class when it is imported (`__init__`,
`__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`, each an `exec` of generated
source) and parses every annotation: ≈ 0.45 ms a class, ≈ 30 ms for charter's sixty node
classes, a fifth of a small program's whole check. None of the six differs between nodes but
for the field names, so `node` declares the fields as dataclass does (`__dataclass_fields__`,
so `dataclasses.fields`, `replace` and `is_dataclass` work as on any dataclass) and gives
every class the same six functions, which read the names from the class:

- ``__init__`` stores the arguments straight into the instance's ``__dict__`` (as dataclass's
  frozen ``__init__`` does through ``object.__setattr__``), with defaults and
  ``default_factory``. Once a class has been built `HOT` times (a large program builds
  thousands of names and attributes), it gets an ``__init__`` compiled for its fields, as
  dataclass would have compiled at import, and twice as fast as dataclass's frozen one;
- ``__setattr__`` and ``__delattr__`` raise `FrozenInstanceError`;
- equality, hashing and the repr follow dataclass's rules: fields with ``compare=False`` are
  left out of equality and hashing (as ``hash=None`` leaves them), ``repr=False`` fields out
  of the repr.

``__post_init__`` runs after ``__init__``, as dataclass runs it. ``@node(frozen=False)`` is
the mutable form (``@dataclass``): no ``__setattr__``/``__delattr__`` of its own, and
unhashable, as dataclass makes a mutable class that compares by its fields. A class `node`
cannot declare this way (a base class with fields, `ClassVar`/`InitVar`, a field with
``init=False`` or ``kw_only``, its own ``__init__``) is handed to `dataclass` itself, with the
same shared equality, hashing and repr.
"""
from __future__ import annotations

import dataclasses
from dataclasses import MISSING, Field, FrozenInstanceError, dataclass, fields
from operator import attrgetter
from types import SimpleNamespace
from typing import Any, Callable, Iterable, TypeVar

T = TypeVar("T", bound=type)

_FROZEN = SimpleNamespace(init=True, repr=True, eq=True, order=False, unsafe_hash=False,
                          frozen=True, match_args=True, kw_only=False, slots=False,
                          weakref_slot=False)
_MUTABLE = SimpleNamespace(**{**vars(_FROZEN), "frozen": False})


def node(cls: T | None = None, *, frozen: bool = True) -> T | Callable[[T], T]:
    """`@dataclass(frozen=True)`, with shared methods instead of compiled ones;
    ``@node(frozen=False)`` is `@dataclass` (mutable, unhashable, compared by its fields)."""
    if cls is None:
        return lambda made: _node(made, frozen)  # type: ignore[return-value]
    return _node(cls, frozen)


def _node(cls: T, frozen: bool) -> T:
    declared = _declared(cls)
    if declared is None:
        cls = dataclass(frozen=frozen, eq=False, repr=False)(cls)
        declared = list(fields(cls))
    else:
        cls.__dataclass_fields__ = {f.name: f for f in declared}  # type: ignore[attr-defined]
        cls.__dataclass_params__ = _FROZEN if frozen else _MUTABLE  # type: ignore[attr-defined]
        cls.__match_args__ = tuple(f.name for f in declared)  # type: ignore[attr-defined]
        cls.__init__ = _init  # type: ignore[misc]
        cls.__node_class__ = cls  # type: ignore[attr-defined]  # the decorated class
        cls.__node_calls__ = 0  # type: ignore[attr-defined]
        cls.__node_post__ = hasattr(cls, "__post_init__")  # type: ignore[attr-defined]
        if frozen:
            cls.__setattr__ = _setattr  # type: ignore[assignment]
            cls.__delattr__ = _delattr  # type: ignore[assignment]
    cls.__node_init__ = tuple(f.name for f in declared)  # type: ignore[attr-defined]
    cls.__node_eq__ = _values(f.name for f in declared if f.compare)  # type: ignore[attr-defined]
    cls.__node_hash__ = _values(f.name for f in declared  # type: ignore[attr-defined]
                                if (f.compare if f.hash is None else f.hash))
    cls.__node_repr__ = tuple(f.name for f in declared if f.repr)  # type: ignore[attr-defined]
    own = cls.__dict__  # a class's own methods are kept, as dataclass keeps them
    if "__eq__" not in own:
        cls.__eq__ = _eq  # type: ignore[assignment]
    if "__hash__" not in own or own["__hash__"] is None and "__eq__" in own:
        cls.__hash__ = _hash if frozen else None  # type: ignore[assignment]
    if "__repr__" not in own:
        cls.__repr__ = _repr  # type: ignore[assignment]
    return cls


def _declared(cls: type) -> list[Field] | None:
    """The fields of ``cls`` as dataclass would declare them; None for a class this module
    leaves to dataclass (see the module's doc)."""
    own = cls.__dict__
    if any(hasattr(base, "__dataclass_fields__") for base in cls.__mro__[1:]) \
            or {"__init__", "__setattr__", "__delattr__", "__slots__"} & own.keys():
        return None
    declared = []
    for name, kind in own.get("__annotations__", {}).items():
        if str(kind).split("[")[0].split(".")[-1] in ("ClassVar", "InitVar", "KW_ONLY") \
                or name.startswith("__node_"):
            return None
        default = own.get(name, MISSING)
        made = default if isinstance(default, Field) else dataclasses.field(default=default)
        if not made.init or made.kw_only is True or (declared and _required(made)
                                                        and not _required(declared[-1])) \
                or (made.default is not MISSING and made.default.__class__.__hash__ is None):
            return None  # dataclass raises: a required field after a default, a list default
        made.name, made.type, made.kw_only = name, kind, False
        made._field_type = dataclasses._FIELD  # type: ignore[attr-defined]  # what fields() lists
        if isinstance(default, Field):  # as dataclass: the class keeps a plain default only
            if made.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, made.default)
        declared.append(made)
    return declared


# Instances of a class built through the shared `_init` before the class gets an `__init__` of
# its own (`_compile_init`): a small program builds few of each, a large one many.
HOT = 200


def _required(field: Field) -> bool:
    return field.default is MISSING and field.default_factory is MISSING


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = self.__node_class__  # the decorated class, for an instance of a subclass too
    calls = cls.__node_calls__
    if calls == HOT:
        _compile_init(cls)
    cls.__node_calls__ = calls + 1
    names = cls.__node_init__
    if not kwargs and len(args) == len(names):
        self.__dict__.update(zip(names, args))
    else:
        self.__dict__.update(_bound(cls, args, kwargs))
    if cls.__node_post__:
        self.__post_init__()


def _compile_init(cls: type) -> None:
    """Give ``cls`` an ``__init__`` of its own, compiled for its fields (what dataclass does for
    every class at import, done here only for a class built often): it stores the arguments
    straight into ``__dict__``, half the cost of the shared one, or of dataclass's frozen
    ``__init__``."""
    # Names of the function's own start with `__node_`, which no field name does (`_declared`
    # leaves such a class to dataclass), so a field named `self` or `_d` is an argument like
    # any other.
    env: dict[str, Any] = {"__node_missing__": MISSING}
    params, lines = [], []
    for number, field in enumerate(cls.__dataclass_fields__.values()):  # type: ignore[attr-defined]
        name = field.name
        if field.default is not MISSING:
            env[f"__node_default{number}__"] = field.default
            params.append(f"{name}=__node_default{number}__")
        elif field.default_factory is not MISSING:
            env[f"__node_factory{number}__"] = field.default_factory
            params.append(f"{name}=__node_missing__")
            lines.append(f"    if {name} is __node_missing__: {name} = __node_factory{number}__()")
        else:
            params.append(name)
        lines.append(f"    __node_dict__[{name!r}] = {name}")
    if cls.__node_post__:  # type: ignore[attr-defined]
        lines.append("    __node_self__.__post_init__()")
    source = (f"def __init__(__node_self__, {', '.join(params)}):\n"
              "    __node_dict__ = __node_self__.__dict__\n" + "\n".join(lines) + "\n")
    exec(source, env)  # noqa: S102  (source made of the class's own field names only)
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[misc]


def _bound(cls: type, args: tuple, kwargs: dict) -> dict:
    """The field values of a call with keywords or defaults, in field order, or the
    `TypeError` Python raises for a call that does not fit the fields. Only the first `HOT`
    such calls of a class come here; then its compiled ``__init__`` binds them."""
    declared = cls.__dataclass_fields__  # type: ignore[attr-defined]
    name = cls.__qualname__
    if len(args) > len(declared):
        raise TypeError(f"{name}.__init__() takes {len(declared) + 1} positional arguments but"
                        f" {len(args) + 1} were given")
    values = dict(zip(declared, args))
    for key, value in kwargs.items():
        if key not in declared:
            raise TypeError(f"{name}.__init__() got an unexpected keyword argument '{key}'")
        if key in values:
            raise TypeError(f"{name}.__init__() got multiple values for argument '{key}'")
        values[key] = value
    for field in declared.values():
        if field.name in values:
            continue
        if field.default is not MISSING:
            values[field.name] = field.default
        elif field.default_factory is not MISSING:
            values[field.name] = field.default_factory()
        else:
            raise TypeError(f"{name}.__init__() missing 1 required argument: '{field.name}'")
    return {key: values[key] for key in declared}


def _setattr(self: Any, name: str, value: Any) -> None:
    # As dataclass: any attribute of the decorated class itself, only fields of a subclass.
    if type(self) is self.__node_class__ or name in self.__dataclass_fields__:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def _delattr(self: Any, name: str) -> None:
    if type(self) is self.__node_class__ or name in self.__dataclass_fields__:
        raise FrozenInstanceError(f"cannot delete field {name!r}")
    object.__delattr__(self, name)


def _values(names: Iterable[str]) -> Callable[[Any], tuple]:
    """A function giving a node's values of ``names`` as a tuple (`operator.attrgetter`,
    which reads them in C; wrapped when it would give one value bare)."""
    names = tuple(names)
    if len(names) == 1:
        one = attrgetter(names[0])
        return staticmethod(lambda node: (one(node),))  # type: ignore[return-value]
    return staticmethod(attrgetter(*names) if names else (lambda node: ()))  # type: ignore


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    values = self.__node_eq__
    return values(self) == values(other)


def _hash(self: Any) -> int:
    return hash(self.__node_hash__(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__node_repr__)
    return f"{self.__class__.__qualname__}({shown})"
