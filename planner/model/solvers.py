"""Which solvers `--solver` may name: planner's own two, and any other PuLP finds installed.

Light on purpose (PuLP is imported only to check a name that is neither of planner's own), so
the CLI can check the option before the solver stack loads.
"""

from __future__ import annotations

OWN_SOLVERS = ("highs", "cbc")
"""HiGHS in-process through highspy (the default), and CBC through PuLP (the `cbc` extra:
`pip install 'ai-capacity-planner[cbc]'`)."""
FALLBACK = {"highs": "cbc"}
"""The solver that answers the same LP when the chosen one is missing or crashes; every solver
but HiGHS falls back to HiGHS."""


def fallback_for(solver: str) -> str:
    return FALLBACK.get(solver, "highs")


def solver_problem(name: str) -> str | None:
    """What is wrong with `--solver name`, or None when the name can be used here."""
    if name in OWN_SOLVERS:
        return None
    import pulp  # noqa: PLC0415 - only for a name planner does not know itself

    available = list(pulp.listSolvers(onlyAvailable=True))
    if name.lower() in (solver.lower() for solver in available):
        return None
    return f"expected highs, cbc or a solver PuLP finds installed ({', '.join(available)}), found '{name}'"
