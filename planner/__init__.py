"""planner: datacenter power and cluster-capacity planning for AI infrastructure.

The Python API (documented in the README's "Python" section):

    import planner
    ohio = planner.load_plan("sites/ohio.yaml")
    base = planner.solve(ohio)
    cut = planner.solve(ohio.with_overrides({"budget.2027.capex_limit_usd": "$6B"}))
    planner.compare(base, cut)

Names are imported on first use, so `import planner` (and the `plan` command's start) stays cheap.
"""

from __future__ import annotations

import functools
import importlib

TYPE_CHECKING = False  # not `from typing import TYPE_CHECKING`: typing costs 4 ms at start-up (type checkers
# read this name as True all the same)
if TYPE_CHECKING:
    from typing import Any

    from planner.api import Plan, Result, Sweep, compare, load_plan, solve, sweep
    from planner.errors import InputError, PlannerError, SolverError
    from planner.model.solve import Status
    from planner.objective import Objective
    from planner.options import Options

__all__ = ["InputError", "Objective", "Options", "Plan", "PlannerError", "Result", "SolverError", "Status", "Sweep",
           "__version__", "compare", "load_plan", "solve", "sweep"]

_HOMES = {
    "Plan": "planner.api", "Result": "planner.api", "Sweep": "planner.api", "compare": "planner.api",
    "load_plan": "planner.api", "solve": "planner.api", "sweep": "planner.api",
    "InputError": "planner.errors", "PlannerError": "planner.errors", "SolverError": "planner.errors",
    "Status": "planner.model.solve", "Objective": "planner.objective", "Options": "planner.options",
}
"""Where each public name lives. Imported by name on first use (a string, not an import statement:
the lower stages import `planner` for `__version__` and must not be seen to reach the API above them)."""

DISTRIBUTION = "ai-capacity-planner"
"""planner's name on the package index (`pip install ai-capacity-planner`); `planner` there is another project."""


@functools.cache
def _version() -> str:
    # importlib.metadata costs ~40 ms: looked up only when a report asks, not at start-up.
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # found once; later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
