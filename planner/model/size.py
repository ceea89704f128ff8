"""How large a plan's LP will be, worked out before it is built, and the largest planner solves.

Most of the LP's columns are its units: new and installed, one each per hall, part the hall takes
and quarter the part can be bought in. Their count, known from the plan without building
anything, is the estimate; the other families (modules, dispatch, leases) add a few percent.
"""

from __future__ import annotations

from typing import Any

from planner.errors import InputError, Position, Problem
from planner.inputs.plan import Plan

MAX_COLUMNS = 800_000
"""The largest LP planner builds. A generated 1500 x 20 x 12 plan (838,670 columns) solved and
verified in 5 minutes at a peak of 2.07 GB, 2.4 kB a column (bench/README.md), so 800,000 columns
stay under 2 GB (the cap was 900,000, from a 2.1 kB estimate)."""

UNIT_COLUMNS_PER_KEY = 2
"""`new` and `inst`, per (site, hall, part, quarter)."""


def purchase_blocks(plan: Plan, halls: list[tuple[int, int]]) -> list[tuple[int, Any, int]]:
    """(hall's position in `halls`, part, first quarter) of every hall and part that hall takes
    and that can be bought within the horizon: each holds one unit column per quarter from then on."""
    periods = len(plan.periods)
    purchasable = [c for c in plan.accelerators if c.purchasable]
    blocks = []
    for q, (s, h) in enumerate(halls):
        hall = plan.sites[s].halls[h]
        blocks += [(q, c, max(0, c.first_period)) for c in purchasable if hall.fits(c) and c.first_period < periods
                   and (c.last_period is None or c.last_period >= 0)]
    return blocks


def estimated_columns(plan: Plan) -> int:
    """The LP's columns of units (a little below its total)."""
    halls = [(s, h) for s, site in enumerate(plan.sites) for h in range(len(site.halls))]
    periods = len(plan.periods)
    keys = sum(periods - first for _, _, first in purchase_blocks(plan, halls))
    return UNIT_COLUMNS_PER_KEY * keys


def refuse_oversized(plan: Plan, where: Position | None = None) -> None:
    """Refuse, before building it, an LP larger than one machine solves. `where`: the plan's file.

    Raises:
        InputError: The estimate is above MAX_COLUMNS (the message gives both and what to cut).
    """
    columns = estimated_columns(plan)
    if columns > MAX_COLUMNS:
        shape = f"{len(plan.sites):,} x {len(plan.accelerators):,} x {len(plan.periods)}"
        message = (f"expected a plan whose LP has at most {MAX_COLUMNS:,} columns (about 2 GB to solve), found one "
                   f"of about {columns:,} (sites x parts x quarters: {shape}): split it into regions, or plan "
                   "fewer parts or quarters")
        raise InputError([Problem(where, "sites", message)])
