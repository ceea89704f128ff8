"""How every `plan` command ends when it does not succeed: the exit codes and the messages on stderr."""

from __future__ import annotations

from typing import NoReturn

import typer

from planner.errors import InputError

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_SOLVER = 4
MAX_PROBLEMS_SHOWN = 50


def fail(code: int, text: str) -> NoReturn:
    """Print `text` to stderr and exit with `code` (no traceback)."""
    typer.echo(text, err=True)
    raise typer.Exit(code)


def bad_input(error: InputError) -> NoReturn:
    """Every problem found in the input (the first 50), then exit 2: nothing was written."""
    count = error.count
    lines = [f"error: {p}" for p in error.problems[:MAX_PROBLEMS_SHOWN]]
    if count > MAX_PROBLEMS_SHOWN:
        lines.append(f"... and {count - MAX_PROBLEMS_SHOWN:,} more")
    lines.append(f"{count:,} problem{'s' if count != 1 else ''} in the input; nothing was written.")
    fail(EXIT_BAD_INPUT, "\n".join(lines))
