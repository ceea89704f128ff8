"""How long what a plan buys lasts, and what is left of it: the conventions that depreciation
(reports) and the residual value at the horizon's end (objective and reports) share."""

from __future__ import annotations

import numpy as np

MODULE_LIFE_QUARTERS = 60
"""Estimate: hall shells and their power and cooling plant are depreciated over 15 years (the
usual 10-20 years for data-centre buildings and MEP plant, midpoint)."""
GENERATION_LIFE_QUARTERS = 80
"""Estimate: on-site generation and batteries over 20 years (gas turbines and engines run 20-30
years; batteries are replaced sooner, a simplification)."""


def remaining_share(served_quarters: np.ndarray, life_quarters: np.ndarray | int) -> np.ndarray:
    """Straight-line book value left, as a share of cost, after serving `served_quarters` of a
    life; 0 for an asset not yet in service when the horizon ends (it is not counted as an
    asset of the plan until it serves)."""
    share = 1.0 - served_quarters / np.asarray(life_quarters, dtype=np.float64)
    return np.where(served_quarters > 0, np.clip(share, 0.0, 1.0), 0.0)


def build_payments(start: int, lead_quarters: int) -> list[tuple[int, float]]:
    """(quarter, share of the cost) of a build started in `start` and ready `lead_quarters`
    later: paid evenly over the quarters it is being built (all at the start if it is ready at
    once)."""
    if lead_quarters <= 0:
        return [(start, 1.0)]
    return [(start + i, 1.0 / lead_quarters) for i in range(lead_quarters)]
