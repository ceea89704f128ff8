"""The API's arguments checked at the door: a wrong type is an `InputError` that names the argument,
what it expects and what it was given, as the CLI names an option (not a TypeError or an
AttributeError from deep inside)."""

from __future__ import annotations

import os
from pathlib import Path

from planner.errors import InputError, Problem


def refuse(name: str, expected: str, found: object) -> InputError:
    """The error for argument `name`: expected `expected`, found `found` (its repr, cut short)."""
    shown = repr(found)
    return InputError([Problem(None, name, f"expected {expected}, found {shown[:80]}{'…' if len(shown) > 80 else ''}")])


def path_argument(name: str, value: object, *, what: str = "a file") -> Path:
    """`value` as a path: a non-empty `str` or `os.PathLike` (an empty name would mean the current
    folder, which no one means by passing '').

    Raises:
        InputError: Anything else.
    """
    if isinstance(value, str | os.PathLike):
        text = os.fspath(value)
        if isinstance(text, str) and text:
            return Path(text)
    raise refuse(name, f"{what}'s path (a non-empty str or Path)", value)


def flag_argument(name: str, value: object) -> bool:
    """`value` if it is True or False (a string such as 'no' is not: it would read as True).

    Raises:
        InputError: Anything else.
    """
    if isinstance(value, bool):
        return value
    raise refuse(name, "True or False", value)


def instance_argument[T](name: str, value: object, kind: type[T], made_by: str) -> T:
    """`value` if it is a `kind` (made by `made_by`, as the message says).

    Raises:
        InputError: Anything else.
    """
    if isinstance(value, kind):
        return value
    raise refuse(name, f"a planner.{kind.__name__} (from {made_by})", value)


__all__ = ["flag_argument", "instance_argument", "path_argument", "refuse"]
