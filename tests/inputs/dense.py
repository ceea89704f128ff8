"""Dense YAML files: many values in few bytes, holding exactly the number of values asked for.

Each file is `name: x` and a mapping `x` of rows, each row a list of at most 1,999 units (one list may
hold 2,000 items); a unit is a one-character scalar, a tiny mapping, short lists nested or an empty
list. The files are valid YAML that no plan can be; the value cap (`loading.MAX_VALUES`) and the
schema refuse them, and the tests and benchmarks measure what that costs.
"""

from __future__ import annotations

ROW_ITEMS = 1_999
HEAD_VALUES = 3
"""The file's mapping, its name and the mapping of rows."""

UNITS: dict[str, tuple[str, int]] = {
    "one-character scalars": ("1", 1),
    "tiny mappings": ("{a: 1}", 2),
    "short lists nested": ("[[1], [1]]", 5),
    "empty lists": ("[]", 1),
}
"""Name: (the unit as written, the values it holds)."""


def _rows(unit: str, unit_values: int, values: int) -> list[list[str]]:
    left = values - HEAD_VALUES
    rows: list[list[str]] = []
    while left > 0:
        left -= 1  # the row's own list
        items: list[str] = []
        while left > 0 and len(items) < ROW_ITEMS:
            item, held = (unit, unit_values) if left >= unit_values else ("1", 1)
            items.append(item)
            left -= held
        rows.append(items)
    return rows


def dense_file(shape: str, values: int, *, block: bool = False) -> bytes:
    """A file of exactly `values` values (at least 4) of the units `shape` names, each row a flow list
    (`k0: [1,1,...]`) or a block one (`- 1` a line)."""
    unit, unit_values = UNITS[shape]
    lines = ["name: x", "x:"]
    for number, items in enumerate(_rows(unit, unit_values, values)):
        if block and items:
            lines.append(f"  k{number}:")
            lines.extend(f"    - {item}" for item in items)
        else:
            lines.append(f"  k{number}: [{','.join(items)}]")
    return ("\n".join(lines) + "\n").encode()


def dense_file_of_size(shape: str, size_bytes: int, *, block: bool = False) -> bytes:
    """A file of `shape` of about `size_bytes` bytes (its values as many as fit)."""
    unit, unit_values = UNITS[shape]
    per_value = (len(unit) + (7 if block else 1)) / unit_values
    return dense_file(shape, max(HEAD_VALUES + 1, int(size_bytes / per_value)), block=block)


def nested_file(depth: int) -> bytes:
    """A file whose deepest value, inside lists nested in `x`, is `depth` deep (`x`'s own value is 1 deep)."""
    return f"name: x\nx: {'[' * (depth - 1)}1{']' * (depth - 1)}\n".encode()
