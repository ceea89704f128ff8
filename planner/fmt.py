"""Numbers formatted for people: 1.2 GW, $4.5B, 350k, 2.9 EFLOPS."""

from __future__ import annotations

import math


def _scaled(value: float, steps: list[tuple[float, str]], digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    magnitude = abs(value)
    for size, suffix in steps:
        if magnitude >= size * 0.9995:
            number = value / size
            return f"{number:,.{_decimals(number, digits)}f}{suffix}"
    return f"{value:.{_decimals(value, digits)}f}{steps[-1][1] if steps[-1][0] == 1 else ''}"


def _decimals(number: float, digits: int) -> int:
    """Decimals that leave about `digits` significant figures (none for big numbers)."""
    magnitude = abs(number)
    if magnitude >= 100 or magnitude == 0:
        return 0
    if magnitude >= 10:
        return max(0, digits - 2)
    return max(0, digits - 1)


def mw(value: float) -> str:
    """Power: 950 MW, 1.23 GW, 12.5 kW."""
    if abs(value) < 1 and value != 0:
        return f"{value * 1000:.0f} kW"
    return _scaled(value, [(1000.0, " GW"), (1.0, " MW")])


def usd(value: float) -> str:
    """Money: $4.50B, $320M, $12k."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    sign = "-" if value < 0 else ""
    return sign + "$" + _scaled(abs(value), [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"), (1.0, "")])


def count(value: float) -> str:
    """A count: 350k, 1.2M, 72; a fraction below 1,000 as it is (847.5 racks of supply a quarter,
    not 848: rounded, a limit would show more than it allows)."""
    if abs(value) < 999.5:
        if abs(value - round(value)) > 1e-6:
            return f"{value:.2f}".rstrip("0").rstrip(".")
        return f"{value:.0f}"
    return _scaled(value, [(1e9, "B"), (1e6, "M"), (1e3, "k"), (1.0, "")])


def pflops(value: float) -> str:
    """Compute given in PFLOPS: 2.90 EFLOPS, 540 PFLOPS."""
    return _scaled(value, [(1e3, " EFLOPS"), (1.0, " PFLOPS")])


def share(value: float) -> str:
    """A 0-1 share as a percentage."""
    return f"{100 * value:.0f}%"


def quantity(value: float, unit: str) -> str:
    """A quantity in the unit a limit family names (`planner.model.families.Family.unit`)."""
    by_unit = {"MW": mw, "USD": usd, "PFLOPS": pflops}
    return by_unit.get(unit, count)(value)


def whole_units_words(solver: dict[str, object]) -> str:
    """How units and modules came out, from summary.json's `solver`: whole (with the gap to the
    best bound and how they were made whole) or the LP's fractions."""
    if not solver.get("integer"):
        return "fractional racks and modules (--continuous: the LP, an upper bound on whole units)"
    gap, target = solver.get("gap"), solver.get("target_gap")
    method = solver.get("whole_method") or "method unknown"
    within = f"within {100 * gap:.2f}% of the best bound" if isinstance(gap, float) else "gap unknown"
    if isinstance(gap, float) and isinstance(target, float) and gap > target:
        within += f", above the {100 * target:g}% target"
    return f"whole racks, modules and generation units, {within} ({method})"


def as_of_words(as_of: dict[str, str | None]) -> str:
    """summary.json's `as_of` in words: `Figures as of 2026-06 (catalog)`, or that the inputs give no date."""
    if not as_of.get("date"):
        return "Figures undated (neither the plan nor the catalog gives as_of)"
    return f"Figures as of {as_of['date']} ({as_of['from']})"
