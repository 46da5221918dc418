"""Strategies register under the name a scenario file uses (``service.model``,
``rollout.strategy``), so the model looks them up and never branches on the name."""

from __future__ import annotations

from collections.abc import Callable


def registrar[T: type](table: dict[str, T]) -> Callable[[str], Callable[[T], T]]:
    """A ``@register("name")`` decorator that files a class in ``table`` and sets its ``name``."""

    def register(name: str) -> Callable[[T], T]:
        def deco(cls: T) -> T:
            cls.name = name
            table[name] = cls
            return cls

        return deco

    return register
