"""Payload key spellings: msgspec's ``rename`` values as pydantic alias generators.

loom-kernel's commands were msgspec structs, whose ``rename`` class keyword
chooses the spelling a payload uses for each field. :func:`alias_generator`
turns any such value into the function pydantic calls once per field, at
class creation, to name its alias. The renamings reproduce msgspec's own,
edge cases included (leading underscores, doubled underscores, digits).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def lower(name: str) -> str:
    """``price_Cents`` -> ``price_cents``."""
    return name.lower()


def upper(name: str) -> str:
    """``price_cents`` -> ``PRICE_CENTS``."""
    return name.upper()


def camel(name: str) -> str:
    """``price_cents`` -> ``priceCents``.

    Leading underscores stay; the first word is kept as written and every
    later word is title-cased; empty words (doubled or trailing
    underscores) vanish.
    """
    prefix, words = _split(name)
    if not words:
        return name
    return prefix + words[0] + "".join(word.title() for word in words[1:])


def pascal(name: str) -> str:
    """``price_cents`` -> ``PriceCents`` (leading underscores stay, every word title-cased)."""
    prefix, words = _split(name)
    if not words:
        return name
    return prefix + "".join(word.title() for word in words)


def kebab(name: str) -> str:
    """``price_cents`` -> ``price-cents`` (outer underscores dropped, case kept)."""
    return name.strip("_").replace("_", "-")


NAMED: Mapping[str, Callable[[str], str]] = {
    "lower": lower,
    "upper": upper,
    "camel": camel,
    "pascal": pascal,
    "kebab": kebab,
}
"""The renamings msgspec knows by name."""


def _split(name: str) -> tuple[str, list[str]]:
    stripped = name.lstrip("_")
    prefix = name[: len(name) - len(stripped)]
    return prefix, [word for word in stripped.split("_") if word]


def alias_generator(rename: Any, class_name: str) -> Callable[[str], str] | None:
    """The alias generator for a ``rename=`` class keyword; ``None`` renames nothing.

    ``rename`` is one of :data:`NAMED`'s keys, a mapping from field name to
    payload key (fields it does not list keep their name), or a callable
    returning the key or ``None`` to keep the name, as in msgspec.
    """
    if rename is None:
        return None
    if isinstance(rename, str):
        try:
            return NAMED[rename]
        except KeyError:
            choices = ", ".join(repr(key) for key in NAMED)
            raise ValueError(
                f"{class_name}: rename={rename!r} is not a renaming;"
                f" use one of {choices}, a mapping or a callable"
            ) from None
    if isinstance(rename, Mapping):
        return _MappingRename(class_name, dict(rename))
    if callable(rename):
        return _CallableRename(class_name, rename)
    raise TypeError(
        f"{class_name}: rename must be a string, a mapping or a callable,"
        f" got {type(rename).__name__}"
    )


class _MappingRename:
    __slots__ = ("class_name", "mapping")

    def __init__(self, class_name: str, mapping: dict[Any, Any]) -> None:
        self.class_name = class_name
        self.mapping = mapping

    def __call__(self, name: str) -> str:
        return _checked(self.class_name, name, self.mapping.get(name, name))


class _CallableRename:
    __slots__ = ("class_name", "function")

    def __init__(self, class_name: str, function: Callable[[str], Any]) -> None:
        self.class_name = class_name
        self.function = function

    def __call__(self, name: str) -> str:
        return _checked(self.class_name, name, self.function(name))


def _checked(class_name: str, name: str, renamed: Any) -> str:
    if renamed is None:
        return name
    if not isinstance(renamed, str):
        raise TypeError(
            f"{class_name}: rename gave {renamed!r} for field {name!r}; expected a str or None"
        )
    return renamed


__all__ = ["NAMED", "alias_generator", "camel", "kebab", "lower", "pascal", "upper"]
