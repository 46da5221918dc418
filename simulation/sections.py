"""Frozen, strictly validated parameter sections: the part of pydantic the configuration uses.

A :class:`Section` subclass declares its keys as annotated class attributes with a
:func:`Field` (default, description, bounds), as with pydantic. Validation is strict, as
pydantic's ``strict=True, extra="forbid"``: ``"3"`` is not a number, ``3.5`` and ``true``
are not whole numbers, a whole number or any other real number (numpy scalar, Fraction,
Decimal) is accepted as a float where a real number is expected, and an unknown key is an
error. Errors are collected, not raised one at a time, as dicts with pydantic's ``type``,
``loc``, ``msg``, ``input`` and ``ctx``, so :func:`simulation.io.scenario_io.explain`
words them (``tests/test_sections.py`` checks both against pydantic itself).

Why not pydantic here: every ``egov-sim run`` builds the configuration, and importing
pydantic and building its 20 schemas cost about 0.1 s, a third of a short run (issue 22).
Experiment files, read only by sweeps, keep pydantic. The JSON Schema of scenario files
(``egov-sim schema``) is still pydantic's: :func:`to_pydantic` builds an equivalent model.

Annotations must be real types (no ``from __future__ import annotations`` in a module
that defines sections): ``int``, ``float``, ``bool``, ``str``, ``Literal[...]``, a section,
``list[Section]`` and any of these ``| None``.
"""

from __future__ import annotations

import copy
import math
import operator
import types
from collections.abc import Callable
from typing import Any, ClassVar, Literal, Self, Union, get_args, get_origin

_MISSING: Any = object()
#: A class's own annotations (not its bases'), on every Python from 3.10 (3.14 included).
_own_annotations: Callable[[type], dict[str, Any]] = type.__dict__["__annotations__"].__get__
#: Bound: (test the value must pass, words, pydantic's error type), in pydantic's order
#: (an upper bound is checked first).
_BOUNDS: dict[str, tuple[Callable[[Any, Any], bool], str, str]] = {
    "le": (operator.le, "less than or equal to", "less_than_equal"),
    "lt": (operator.lt, "less than", "less_than"),
    "ge": (operator.ge, "greater than or equal to", "greater_than_equal"),
    "gt": (operator.gt, "greater than", "greater_than"),
}


class SectionError(ValueError):
    """Invalid section data; :meth:`errors` lists every problem (pydantic's error dicts)."""

    def __init__(self, title: str, errors: list[dict[str, Any]]) -> None:
        self.title = title
        self._errors = errors
        lines = [f"{len(errors)} validation error{'s' if len(errors) != 1 else ''} for {title}"]
        for e in errors:
            lines.append(".".join(str(p) for p in e["loc"]) or "(top level)")
            lines.append(f"  {e['msg']} [type={e['type']}, input_value={e['input']!r}]")
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[Any, ...]:  # pickles (process pools) with its errors
        return (type(self), (self.title, self._errors))

    def errors(self, *, include_context: bool = True, include_input: bool = True) -> list[dict[str, Any]]:
        drop = {k for k, keep in (("ctx", include_context), ("input", include_input)) if not keep}
        return [{k: v for k, v in e.items() if k not in drop} for e in self._errors]

    def error_count(self) -> int:
        return len(self._errors)


class FieldInfo:
    """One key of a section: its type, default and bounds (``ge``/``gt``/``le``/``lt`` for
    numbers, ``min_length``/``max_length`` for strings and lists)."""

    __slots__ = (
        "annotation",
        "default",
        "default_factory",
        "description",
        "ge",
        "gt",
        "le",
        "lt",
        "min_length",
        "max_length",
        "check",
    )

    def __init__(
        self,
        default: Any = _MISSING,
        *,
        default_factory: Callable[[], Any] | None = None,
        description: str | None = None,
        ge: float | None = None,
        gt: float | None = None,
        le: float | None = None,
        lt: float | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
    ) -> None:
        if (default is _MISSING) == (default_factory is None):
            raise TypeError("a field needs exactly one of a default and a default_factory")
        self.annotation: Any = None
        self.default = None if default is _MISSING else default
        self.default_factory = default_factory
        self.description = description
        self.ge, self.gt, self.le, self.lt = ge, gt, le, lt
        self.min_length, self.max_length = min_length, max_length
        self.check: Callable[[Any, tuple[Any, ...], list[dict[str, Any]]], Any] = _unset

    def get_default(self) -> Any:
        return self.default_factory() if self.default_factory is not None else self.default

    def bounds(self) -> dict[str, float]:
        """The numeric bounds that are set, as ``{"le": 1, "ge": 0}`` (upper first)."""
        return {k: getattr(self, k) for k in _BOUNDS if getattr(self, k) is not None}

    def interval(self) -> tuple[float | None, bool, float | None, bool]:
        """(low, low is open, high, high is open); None where there is no bound."""
        lo = self.gt if self.gt is not None else self.ge
        hi = self.lt if self.lt is not None else self.le
        return lo, self.gt is not None, hi, self.lt is not None


def Field(default: Any = _MISSING, description: str | None = None, **kw: Any) -> Any:  # noqa: N802
    """A key with its default (or ``default_factory=``), description and bounds."""
    return FieldInfo(default, description=description, **kw)


class _Validator:
    def __init__(self, func: Any, mode: str, fields: tuple[str, ...]) -> None:
        self.func, self.mode, self.fields = func, mode, fields


def field_validator(*fields: str, mode: Literal["before"] = "before") -> Callable[[Any], Any]:
    """Decorate a classmethod ``(cls, value) -> value`` run on the raw value of ``fields``."""
    if mode != "before":
        raise ValueError(f"field_validator: only mode='before' is supported, got {mode!r}")
    return lambda func: _Validator(func, "before", fields)


def model_validator(*, mode: Literal["after"] = "after") -> Callable[[Any], Any]:
    """Decorate a method ``(self) -> self`` run once every key is valid; a ValueError it
    raises is reported at the section."""
    if mode != "after":
        raise ValueError(f"model_validator: only mode='after' is supported, got {mode!r}")
    return lambda func: _Validator(func, "after", ())


def _unset(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    raise TypeError("field used before its section class was built")


def _error(kind: str, loc: tuple[Any, ...], msg: str, value: Any, **ctx: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx:
        out["ctx"] = ctx
    return out


def _num(b: float) -> str:
    return f"{b:g}" if isinstance(b, float) and math.isfinite(b) and b == int(b) else str(b)


def _checker(ann: Any, info: FieldInfo, owner: str) -> Callable[..., Any]:
    """A function ``(value, loc, errors) -> value`` that validates one key's value."""
    if get_origin(ann) in (types.UnionType, Union):
        args = [a for a in get_args(ann) if a is not type(None)]
        if len(args) != 1 or len(get_args(ann)) != 2:
            raise TypeError(f"{owner}: only `X | None` unions are supported, got {ann}")
        inner = _checker(args[0], info, owner)
        return lambda v, loc, errors: None if v is None else inner(v, loc, errors)
    if get_origin(ann) is Literal:
        choices = get_args(ann)
        reprs = [repr(c) for c in choices]
        expected = reprs[0] if len(reprs) == 1 else f"{', '.join(reprs[:-1])} or {reprs[-1]}"

        def literal(v: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
            for c in choices:
                if (type(v) is type(c) or (isinstance(c, str) and isinstance(v, str))) and v == c:
                    return c
            errors.append(_error("literal_error", loc, f"Input should be {expected}", v, expected=expected))
            return v

        return literal
    if get_origin(ann) is list:
        (item,) = get_args(ann)
        if not (isinstance(item, type) and issubclass(item, Section)):
            raise TypeError(f"{owner}: only lists of sections are supported, got {ann}")
        return _list_checker(item, info)
    if isinstance(ann, type) and issubclass(ann, Section):
        return ann._check_value
    if ann in (int, float, bool, str):
        return _scalar_checker(ann, info)
    raise TypeError(f"{owner}: unsupported annotation {ann!r}")


def _scalar_checker(ann: type, info: FieldInfo) -> Callable[..., Any]:
    # The bound a float field reports is a float, as pydantic's (`ge: 0.0`).
    bounds = [(k, ann(b) if ann in (int, float) else b) for k, b in info.bounds().items()]
    max_length = info.max_length
    kind, what = {
        int: ("int_type", "a valid integer"),
        float: ("float_type", "a valid number"),
        bool: ("bool_type", "a valid boolean"),
        str: ("string_type", "a valid string"),
    }[ann]

    def scalar(v: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        t = type(v)
        out: Any
        if ann is float and t is not bool and not isinstance(v, str | bytes) and hasattr(t, "__float__"):
            # pydantic's strict float takes any real number (numpy scalars, Fraction, Decimal);
            # an integer beyond float's range is not a number
            try:
                out = float(v)
            except (OverflowError, TypeError, ValueError):
                errors.append(_error(kind, loc, f"Input should be {what}", v))
                return v
        elif ann is int and isinstance(v, int) and t is not bool:
            out = int(v)
        elif ann is bool and t is bool:
            out = v
        elif ann is str and isinstance(v, str):
            out = str.__str__(v)  # a plain str, also from a StrEnum or other subclass
            if not _encodable(out):
                msg = "Input should be a valid string, unable to parse raw data as a unicode string"
                errors.append(_error("string_unicode", loc, msg, v))
                return v
        else:
            errors.append(_error(kind, loc, f"Input should be {what}", v))
            return v
        for name, b in bounds:
            test, words, error_type = _BOUNDS[name]
            if not test(out, b):
                errors.append(_error(error_type, loc, f"Input should be {words} {_num(b)}", v, **{name: b}))
                return v
        if max_length is not None and len(out) > max_length:
            msg = f"String should have at most {max_length} character{'s' if max_length != 1 else ''}"
            errors.append(_error("string_too_long", loc, msg, v, max_length=max_length))
        return out

    return scalar


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (e.g. from an undecodable command line)
        return False
    return True


def _items(k: int) -> str:
    return "item" if k == 1 else "items"


def _list_checker(item: type[Section], info: FieldInfo) -> Callable[..., Any]:
    lo, hi = info.min_length, info.max_length

    def items(v: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        if not isinstance(v, list):
            errors.append(_error("list_type", loc, "Input should be a valid list", v))
            return v
        n = len(v)
        if hi is not None and n > hi:
            # pydantic stops at the first item past the limit and reports only the length
            msg = f"List should have at most {hi} {_items(hi)} after validation, not {n}"
            errors.append(_error("too_long", loc, msg, v, field_type="List", max_length=hi, actual_length=n))
            return v
        out = [item._check_value(x, (*loc, i), errors) for i, x in enumerate(v)]
        if lo is not None and n < lo:
            msg = f"List should have at least {lo} {_items(lo)} after validation, not {n}"
            errors.append(_error("too_short", loc, msg, v, field_type="List", min_length=lo, actual_length=n))
        return out

    return items


class Section:
    """A frozen table of typed keys; ``Section(**keys)`` or :meth:`model_validate` checks them."""

    model_fields: ClassVar[dict[str, FieldInfo]] = {}
    _before: ClassVar[dict[str, Callable[[Any], Any]]] = {}
    _after: ClassVar[tuple[Callable[[Any], Any], ...]] = ()

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        fields = dict(cls.model_fields)
        before = dict(cls._before)
        after = list(cls._after)
        for name, value in list(vars(cls).items()):
            if isinstance(value, _Validator):
                func = value.func
                if value.mode == "before":
                    bound = func.__get__(None, cls) if isinstance(func, classmethod) else func
                    before.update(dict.fromkeys(value.fields, bound))
                else:
                    after.append(func)
                setattr(cls, name, func)
        for name, ann in _own_annotations(cls).items():
            if get_origin(ann) is ClassVar or name.startswith("_"):
                continue
            if isinstance(ann, str):
                raise TypeError(
                    f"{cls.__name__}.{name}: annotation is a string; a module defining sections "
                    "must not use `from __future__ import annotations`"
                )
            value = vars(cls).get(name, _MISSING)
            # a copy: one Field() object may serve several classes with other annotations
            info = copy.copy(value) if isinstance(value, FieldInfo) else FieldInfo(value)
            if isinstance(value, FieldInfo):
                delattr(cls, name)
            info.annotation = ann
            info.check = _checker(ann, info, f"{cls.__name__}.{name}")
            fields[name] = info
        unknown = set(before) - set(fields)
        if unknown:
            raise TypeError(f"{cls.__name__}: validator for unknown keys {sorted(unknown)}")
        cls.model_fields, cls._before, cls._after = fields, before, tuple(after)

    def __init__(self, **data: Any) -> None:
        errors: list[dict[str, Any]] = []
        self._fill(data, (), errors)
        if errors:
            raise SectionError(type(self).__name__, errors)

    @classmethod
    def model_validate(cls, obj: Any) -> Self:
        """``obj`` (a dict, or an instance as it is) validated; raises :class:`SectionError`."""
        errors: list[dict[str, Any]] = []
        out = cls._check_value(obj, (), errors)
        if errors:
            raise SectionError(cls.__name__, errors)
        return out

    @classmethod
    def _check_value(cls, v: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        if isinstance(v, cls):
            return v
        if not isinstance(v, dict):
            msg = f"Input should be a valid dictionary or instance of {cls.__name__}"
            errors.append(_error("model_type", loc, msg, v, class_name=cls.__name__))
            return v
        obj = cls.__new__(cls)
        return obj if obj._fill(v, loc, errors) else v

    def _fill(self, data: dict[str, Any], loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> bool:
        """Set every key from ``data`` or its default; False (and ``errors`` grown) if invalid."""
        before = len(errors)
        state = self.__dict__
        cls = type(self)
        for name, info in cls.model_fields.items():
            value = data[name] if name in data else info.get_default()
            where = (*loc, name)
            hook = cls._before.get(name)
            if hook is not None:
                try:
                    value = hook(value)
                except ValueError as exc:
                    errors.append(_error("value_error", where, f"Value error, {exc}", value, error=exc))
                    continue
            state[name] = info.check(value, where, errors)
        for key in data:
            if not isinstance(key, str):
                errors.append(_error("invalid_key", (*loc, key), "Keys should be strings", key))
            elif key not in cls.model_fields:
                errors.append(
                    _error("extra_forbidden", (*loc, key), "Extra inputs are not permitted", data[key])
                )
        if len(errors) > before:
            return False
        for check in cls._after:
            try:
                check(self)
            except ValueError as exc:
                errors.append(_error("value_error", loc, f"Value error, {exc}", data, error=exc))
                return False
            except AssertionError as exc:
                errors.append(_error("assertion_error", loc, f"Assertion failed, {exc}", data, error=exc))
                return False
        return True

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"{type(self).__name__} is frozen: {name} cannot be set; use model_copy(update=...) "
            "or validate a changed model_dump()"
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be deleted")

    def _values(self) -> list[tuple[str, Any]]:
        # Only declared keys: model_copy(update=) may have added others (as in pydantic,
        # they are kept on the object but not dumped, compared or shown).
        state = self.__dict__
        return [(k, state[k]) for k in type(self).model_fields]

    def __iter__(self) -> Any:  # dict(section), as pydantic
        return iter(self._values())

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), *(v for _, v in self._values())))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._values())})"

    def __str__(self) -> str:
        return " ".join(f"{k}={v!r}" for k, v in self._values())

    def model_dump(self) -> dict[str, Any]:
        """Every key as plain Python values (sections as dicts), in declaration order."""
        return {k: _dump(v) for k, v in self._values()}

    def model_dump_json(self) -> str:
        import json

        return json.dumps(self.model_dump(), separators=(",", ":"), ensure_ascii=False)

    def model_copy(self, update: dict[str, Any] | None = None, *, deep: bool = False) -> Self:
        """A copy with ``update``'s keys replaced, not validated (as pydantic's)."""
        out = type(self).__new__(type(self))
        out.__dict__.update(copy.deepcopy(self.__dict__) if deep else self.__dict__)
        out.__dict__.update(update or {})
        return out

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        """pydantic's JSON Schema of this section (imports pydantic)."""
        return to_pydantic(cls).model_json_schema()


def _dump(v: Any) -> Any:
    if isinstance(v, Section):
        return v.model_dump()
    if isinstance(v, list):
        return [_dump(x) for x in v]
    return v


def to_pydantic(cls: type[Section], _done: dict[type, Any] | None = None) -> Any:
    """An equivalent pydantic model (same keys, types, bounds, defaults, validators and
    docstring): for the JSON Schema and for checking this module against pydantic."""
    import pydantic

    done = {} if _done is None else _done
    if cls in done:
        return done[cls]

    def twin_type(ann: Any) -> Any:
        if isinstance(ann, type) and issubclass(ann, Section):
            return to_pydantic(ann, done)
        if get_origin(ann) is list:
            return list[twin_type(get_args(ann)[0])]  # type: ignore[misc]
        return ann

    fields: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        kw: dict[str, Any] = {"description": info.description, **info.bounds()}
        if info.min_length is not None:
            kw["min_length"] = info.min_length
        if info.max_length is not None:
            kw["max_length"] = info.max_length
        if info.default_factory is not None:
            kw["default_factory"] = _twin_factory(info.default_factory, done)
        else:
            kw["default"] = info.default
        fields[name] = (twin_type(info.annotation), pydantic.Field(**kw))
    validators: dict[str, Any] = {}
    for name, hook in cls._before.items():
        validators[f"_before_{name}"] = pydantic.field_validator(name, mode="before")(
            classmethod(lambda _c, v, h=hook: h(v))
        )
    for i, check in enumerate(cls._after):
        validators[f"_after_{i}"] = pydantic.model_validator(mode="after")(_twin_after(check))
    config = pydantic.ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True)
    twin = pydantic.create_model(  # type: ignore[call-overload]
        cls.__name__, __config__=config, __doc__=cls.__doc__, __validators__=validators, **fields
    )
    done[cls] = twin
    return twin


def _twin_after(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def after(self: Any) -> Any:
        check(self)
        return self

    return after


def _twin_factory(factory: Callable[[], Any], done: dict[type, Any]) -> Callable[[], Any]:
    def make() -> Any:
        value = factory()
        if isinstance(value, Section):
            return to_pydantic(type(value), done).model_validate(value.model_dump())
        if isinstance(value, list):
            return [to_pydantic(type(x), done).model_validate(x.model_dump()) for x in value]
        return value

    return make
