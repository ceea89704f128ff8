"""`--set PATH=VALUE` as written: the path, and the value read by the project's YAML rules.

Shorthands: `+2`/`-1` shifts a quarter by that many quarters (a delivery slip), `x1.2` (or
`*1.2`) multiplies a number, `null` removes a key or a list item. Each override keeps its
position, `--set:N:COLUMN` (the N-th override), so validation errors say where a value came from.
Where a path leads is `planner.scenarios.set_paths`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from planner.errors import InputError, Position, Problem
from planner.inputs.loading import load_text

MAX_VALUE_CHARS = 2_000
_SHIFT = re.compile(r"^[+-][0-9]{1,3}$")
_SCALE = re.compile(r"^[x*]([0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)$")

Op = Literal["set", "scale", "shift"]

@dataclass(frozen=True)
class Override:
    """One `--set PATH=VALUE`: set a value, scale a number (`x1.2`) or shift a quarter (`+2`)."""

    path: str
    op: Op
    value: Any
    """set: the value (None removes); scale: the factor; shift: quarters."""
    origin: Position
    text: str
    """The value as written, for tables and messages."""

    @property
    def segments(self) -> list[str]:
        return self.path.split(".")


def parse_override(argument: str, number: int, option: str = "--set") -> Override:
    """Read `PATH=VALUE` (the `number`-th `option` given).

    Raises:
        InputError: No `=`, an empty path or value, or a value that is not valid YAML.
    """
    path, equals, text = argument.partition("=")
    path = path.strip()
    origin = Position(option, number, len(path) + 2)
    if not equals or not path or not text.strip():
        raise InputError([Problem(Position(option, number, 1), path,
                                  f"expected PATH=VALUE (e.g. budget.2026.limit_usd=$30B), found '{argument}'")])
    if any(not part for part in path.split(".")):
        raise InputError([Problem(Position(option, number, 1), path, "expected a dotted path without empty parts")])
    return make_override(path, text.strip(), origin)


def make_override(path: str, text: str, origin: Position) -> Override:
    """An Override from a value written as text (YAML rules, plus the `+N` and `xF` shorthands)."""
    if scale := _SCALE.match(text):
        return Override(path, "scale", float(scale[1]), origin, text)
    value = parse_value(text, origin)
    if _SHIFT.match(text):
        return Override(path, "shift", int(text), origin, text)
    return Override(path, "set", value, origin, text)


def parse_value(text: str, origin: Position) -> Any:
    """A value written on the command line, read by the same loader (and rules) as plan files.

    Raises:
        InputError: Not valid YAML by the project's rules; positions point at `origin`.
    """
    if len(text) > MAX_VALUE_CHARS or "\n" in text or "\r" in text:
        raise InputError([Problem(origin, "", f"expected a one-line value of at most {MAX_VALUE_CHARS} characters")])
    prefix = "value: "
    try:
        document = load_text(prefix + text + "\n", "--set")
    except InputError as error:
        raise InputError([_moved(problem, origin, len(prefix)) for problem in error.problems]) from None
    assert isinstance(document.data, dict)
    return document.data.get("value")


def _moved(problem: Problem, origin: Position, offset: int) -> Problem:
    column = origin.column + max(0, (problem.position.column if problem.position else 1) - 1 - offset)
    key = problem.key.removeprefix("value").lstrip(".")
    return Problem(Position(origin.file, origin.line, column), key, problem.message)
