"""The Python API: `load_plan`, `Plan.with_overrides`, `solve`, `compare`, `sweep`.

Re-exported by `planner` itself (`import planner; planner.solve(...)`):

    import planner
    ohio = planner.load_plan("sites/ohio.yaml")
    base = planner.solve(ohio)
    cut = planner.solve(ohio.with_overrides({"budget.2027.capex_limit_usd": "$6B"}))
    planner.compare(base, cut)

`plans` (Plan, load_plan), `results` (solve, Result, compare), `tables` (the tidy tables),
`sweeps` (sweep, Sweep, and `sweep_host`, its helper process), `html` (notebook views).
"""

from __future__ import annotations

from planner.api.plans import Plan, load_plan
from planner.api.results import Result, compare, solve
from planner.api.sweeps import Sweep, sweep

__all__ = ["Plan", "Result", "Sweep", "compare", "load_plan", "solve", "sweep"]
