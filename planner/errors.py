"""The errors planner raises; `cli.py` maps each to an exit code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Position:
    """Where a key or value stands in an input file (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where, which key, and what was wrong."""

    position: Position | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.position}: " if self.position else ""
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"


class PlannerError(Exception):
    """Base of every error planner raises on purpose."""


class InputError(PlannerError):
    """Bad input: one or more problems, each with file, line, key and what was wrong (exit 2)."""

    def __init__(self, problems: list[Problem], count: int | None = None) -> None:
        self.problems = problems
        self.count = max(count or 0, len(problems))
        """Problems found in all: more than `problems` where only the first were described (a file
        with 100,000 bad values is not described value by value)."""
        super().__init__("\n".join(str(p) for p in problems))


class SolverError(PlannerError):
    """The solver failed, or stopped without a plan (exit 4)."""


class KeyedValueError(ValueError):
    """A ValueError from a model validator that names the key it is about, relative to the model
    (`("sites", 3, "id")`), so the message points at that entry (in whichever file it was written)."""

    def __init__(self, message: str, where: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.where = where


def path_to_key(path: tuple[str | int, ...]) -> str:
    """Render a key path like ('sites', 0, 'pue') as `sites[0].pue`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
