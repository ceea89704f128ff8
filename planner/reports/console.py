"""The terminal `plan` writes to: its width, and tables that fit it without cutting a name.

Tables follow the real terminal's width (or `COLUMNS`); piped into a file or another program,
they take `PIPED_WIDTH`. A column that holds names a user must type again (catalog ids, sites,
halls) is never wrapped or cut: where a table is too wide, its optional columns are hidden
first, and the caller says which.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.console import Console
from rich.table import Table

PIPED_WIDTH = 110
"""Columns when the output is not a terminal and `COLUMNS` is unset."""


def terminal_width(stderr: bool = False) -> int:
    """`COLUMNS` if set, else the width of the terminal the output goes to, else `PIPED_WIDTH`."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stream = sys.stderr if stderr else sys.stdout
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        return PIPED_WIDTH


def make_console(stderr: bool = False) -> Console:
    """A console on stdout (or stderr) at `terminal_width`, without rich's guesses at highlighting."""
    return Console(width=terminal_width(stderr), highlight=False, soft_wrap=False, stderr=stderr)


@dataclass(frozen=True)
class TextColumn:
    """One column of a terminal table."""

    header: str
    justify: Literal["left", "right"] = "left"
    identifier: bool = False
    """Holds names a user types again: never wrapped, cut or hidden."""
    hide_rank: int = 0
    """0: always shown; otherwise hidden, highest rank first, while the table is too wide."""


def fitted_table(
    console: Console, columns: Sequence[TextColumn], rows: Sequence[Sequence[str]], title: str | None = None,
) -> tuple[Table, list[str]]:
    """A table of `rows` that fits the console, and the headers of the columns hidden to make it fit
    (none when it fits whole). A shown column is never narrower than its longest word (its longest
    cell, for an identifier), so text may wrap between words but is never cut."""
    narrowest = [_narrowest(column, [row[i] for row in rows]) for i, column in enumerate(columns)]
    shown = list(range(len(columns)))
    hidden: list[str] = []
    while sum(narrowest[i] + CELL_CHROME for i in shown) + 1 > console.width:
        optional = [i for i in shown if columns[i].hide_rank > 0 and not columns[i].identifier]
        if not optional:
            break
        dropped = max(optional, key=lambda i: (columns[i].hide_rank, i))
        shown.remove(dropped)
        hidden.append(columns[dropped].header)
    widths = _shrunk_to(console.width, {i: _widest(columns[i], [row[i] for row in rows]) for i in shown},
                        {i: narrowest[i] for i in shown})
    table = Table(title=title, title_justify="left")
    for i in shown:
        column = columns[i]
        table.add_column(column.header, justify=column.justify, no_wrap=column.identifier, width=widths[i])
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    return table, hidden


def narrowest_width(columns: Sequence[TextColumn], rows: Sequence[Sequence[str]]) -> int:
    """The fewest characters `fitted_table` can show every column of `rows` in (no text cut)."""
    return sum(_narrowest(column, [row[i] for row in rows]) + CELL_CHROME for i, column in enumerate(columns)) + 1


def _shrunk_to(width: int, widest: dict[int, int], narrowest: dict[int, int]) -> dict[int, int]:
    """Column text widths that fit `width`: each column as wide as its widest cell, then the columns
    with the most room to give narrowed one character at a time, never below `narrowest`."""
    widths = dict(widest)
    excess = sum(widths.values()) + CELL_CHROME * len(widths) + 1 - width
    while excess > 0:
        column = max(widths, key=lambda i: (widths[i] - narrowest[i], -i))
        if widths[column] <= narrowest[column]:
            break
        widths[column] -= 1
        excess -= 1
    return widths


CELL_CHROME = 3
"""Characters a column adds beside its text in rich's default table: a space each side and a rule."""


def _widest(column: TextColumn, cells: Sequence[str]) -> int:
    return max(len(text) for text in (column.header, *cells))


def _narrowest(column: TextColumn, cells: Sequence[str]) -> int:
    """The narrowest the column may be: its longest cell if an identifier, else its longest word."""
    texts = [column.header, *cells]
    if column.identifier:
        return max(len(text) for text in texts)
    return max((len(word) for text in texts for word in text.split()), default=1)
