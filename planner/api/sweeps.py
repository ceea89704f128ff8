"""`planner.sweep`: many variants of a plan solved in parallel, from a notebook or a plain script.

Where the runs are solved:
- `client=` a `dask.distributed.Client`: on its cluster (the caller made it, and closes it);
- `workers=1`: in this process;
- `workers=N`: a local process pool, as `plan sweep` uses (forkserver where there is one, else
  spawn). Its workers start by importing the caller's `__main__` module again (forkserver and spawn
  both do), so a script that calls `planner.sweep` at its top level, without an
  `if __name__ == "__main__":` guard, would run again in every worker and fail (BrokenProcessPool).
  When `__main__` is such a script (`_unguarded_main`), the pool is run from a helper process,
  `python -m planner.api.sweep_host`, whose own `__main__` is guarded. We do not fork instead:
  numpy's BLAS has already started threads when a sweep begins (4 in this process), and forking a
  threaded process may deadlock the child (Python 3.12 warns of it). The helper costs one
  interpreter start (about a second), only to scripts without the guard. A notebook or a REPL has
  no main file to import again, and a guarded script is safe: both use the pool directly.
"""

from __future__ import annotations

import ast
import os
import pickle  # noqa: S403 - only what this module's own helper process writes, in a private folder
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from planner.api.arguments import flag_argument, instance_argument, path_argument, refuse
from planner.api.plans import Plan, document_of
from planner.errors import InputError, Position, Problem, SolverError
from planner.files import shown
from planner.options import Options

if TYPE_CHECKING:
    import pandas as pd

    from planner.scenarios.sweep import SweepResult
    from planner.scenarios.sweep_runs import Base, Run, Variable


MAX_SOCKET_PATH_BYTES = 104
"""The longest path a Unix socket may have, less its final zero byte: 108 on Linux, 104 on macOS."""


def sweep(plan: Plan, grid: Mapping[str, Sequence[Any]], *, workers: int = 2, client: Any = None,
          tornado: bool = False, objective: str | None = None, solver: str = "highs",
          warm_start: bool = False) -> Sweep:
    """Solve the plan once for each combination of values (and once as it is), in parallel.

    Args:
        plan: The base plan.
        grid: Values of each dotted path (`{"budget.2027.capex_limit_usd": ["$6B", "$8B", "$10B"]}`),
            written as `with_overrides` takes them (`"x1.2"` scales, `"+1"` slips a quarter); several
            paths make a product grid.
        workers: Local processes (1: in this process). Works from a script without a main guard.
        client: A `dask.distributed.Client`: solve on its cluster instead of local processes.
        tornado: Also solve each path alone at its first and last value (for a tornado chart).
        objective: `max-compute` or `min-cost`, instead of the plan's own.
        solver: As `planner.solve` takes it.
        warm_start: Start each run from the previous run's basis (faster; ties may pick another optimum).

    Returns:
        The sweep: `table` (one row per run), `periods` (one row per run and quarter).

    Raises:
        InputError: A path that leads nowhere, a value that does not apply, or a bad option.
        SolverError: The helper process failed.
    """
    from planner.model.solvers import solver_problem  # noqa: PLC0415
    from planner.scenarios.sweep_runs import Base, plan_runs  # noqa: PLC0415

    instance_argument("plan", plan, Plan, "planner.load_plan")
    if not isinstance(grid, Mapping):
        raise refuse("grid", "a mapping of dotted path to a list of values", grid)
    tornado = flag_argument("tornado", tornado)
    if client is not None and not callable(getattr(client, "submit", None)):
        raise refuse("client", "a dask.distributed.Client", client)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 1024:
        raise refuse("workers", "a whole number from 1 to 1024", workers)
    options = Options(objective=objective, solver=solver, warm_start=warm_start)
    if problem := solver_problem(options.solver):
        raise InputError([Problem(None, "solver", problem)])
    if not grid:
        raise InputError([Problem(None, "grid", "expected at least one path with a list of values")])
    base = Base(document_of(plan), plan.catalog_path, options)
    variables, values = _variables(base, grid)
    runs = plan_runs(variables, values, None, tornado)
    if client is None and workers > 1 and _unguarded_main():
        result = _in_helper(base, variables, runs, workers)
    else:
        from planner.scenarios.sweep import run_sweep  # noqa: PLC0415

        result = run_sweep(base, variables, runs, workers=workers, client=client)
    return Sweep(plan, result, options)


def _variables(base: Base, grid: Mapping[str, Sequence[Any]]) -> tuple[list[Variable], list[list[Any]]]:
    """The grid as a sweep file's `grid:` is read (`planner.scenarios.sweep_runs.file_variables`)."""
    from planner.inputs.loading import Document  # noqa: PLC0415
    from planner.scenarios.sweep_file import SweepFile  # noqa: PLC0415
    from planner.scenarios.sweep_runs import file_variables  # noqa: PLC0415

    paths = list(grid)
    for number, path in enumerate(paths, start=1):
        values = grid[path]
        if not isinstance(path, str) or isinstance(values, str | bytes) or not isinstance(values, Sequence) or (
                not values):
            raise InputError([Problem(Position("sweep", number, 1), str(path),
                                      f"expected a path and a non-empty list of values, found {values!r}")])
    sweep_file = SweepFile(grid={path: list(grid[path]) for path in paths})
    positions: dict[tuple[str | int, ...], Position] = {
        ("grid", path): Position("sweep", number, 1) for number, path in enumerate(paths, start=1)}
    found = file_variables(base, sweep_file, Document({"grid": dict(grid)}, positions, []))
    return [variable for variable, _ in found], [values for _, values in found]


def _unguarded_main() -> bool:
    """Whether a process pool's workers would run the caller's script again, unguarded: `__main__`
    has a file (not a notebook, REPL or `python -c`) whose top level has no `if __name__ == "__main__":`.
    A file that cannot be read or parsed counts as unguarded (the helper works either way)."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if path is None:
        return False
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return True
    return not any(isinstance(node, ast.If) and _is_main_test(node.test) for node in tree.body)


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))


def _in_helper(base: Base, variables: list[Variable], runs: list[Run], workers: int) -> SweepResult:
    """Run the sweep's process pool from `python -m planner.api.sweep_host` (see the module's docstring).

    Raises:
        InputError, SolverError: As the sweep raised them in the helper.
    """
    # The helper imports what this process imports: its search path, in its order (a notebook's
    # sys.path.insert included), then its own.
    search = [entry or str(Path.cwd()) for entry in sys.path]
    with tempfile.TemporaryDirectory(prefix="planner-sweep-") as folder:
        # The helper's temporary files (multiprocessing's pymp-* folder) go into the job folder: one
        # folder to remove, by this process, or by the helper when this process was killed. Unless
        # the fork server's socket would then pass the length a socket's path may have.
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(search)}
        if len(os.fsencode(folder)) + len(b"/pymp-12345678/listener-12345678") < MAX_SOCKET_PATH_BYTES:
            environment["TMPDIR"] = folder
        job, answer = Path(folder) / "job.pickle", Path(folder) / "answer.pickle"
        job.write_bytes(pickle.dumps((base, variables, runs, workers), protocol=pickle.HIGHEST_PROTOCOL))
        done = subprocess.run([sys.executable, "-m", "planner.api.sweep_host", str(job), str(answer), str(os.getpid())],
                              env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, check=False)
        if done.returncode != 0 or not answer.exists():
            error = done.stderr.decode(errors="replace").strip().splitlines()[-5:]
            raise SolverError("the sweep's helper process failed: " + " | ".join(error))
        kind, payload = pickle.loads(answer.read_bytes())  # noqa: S301 - written by our own helper, just now
    if kind == "input":
        raise InputError(payload)
    if kind == "solver":
        raise SolverError(payload)
    return payload  # type: ignore[no-any-return]


class Sweep:
    """A solved sweep: one row per run in `table`, one per run and quarter in `periods`."""

    __slots__ = ("_options", "_plan", "_result")

    _plan: Plan
    _result: SweepResult
    _options: Options

    def __init__(self, plan: Plan, result: SweepResult, options: Options) -> None:
        for name, value in (("_plan", plan), ("_result", result), ("_options", options)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"a Sweep cannot be changed (setting {name!r})")

    @property
    def plan(self) -> Plan:
        return self._plan

    @property
    def table(self) -> pd.DataFrame:
        """One row per run (run 0 is the plan as it is): `run`, `kind`, each path's value, `status`,
        `objective` (as `Result.objective_value`), compute, MW, capex, opex, accelerators by vendor.
        A copy: changing it changes nothing here."""
        return self._result.table.copy()

    @property
    def periods(self) -> pd.DataFrame:
        """One row per run and quarter: compute in service, compute delivered, facility MW used (a copy)."""
        return self._result.periods.copy()

    @property
    def variables(self) -> tuple[str, ...]:
        """The columns of `table` that hold each swept path's value."""
        return tuple(variable.column for variable in self._result.variables)

    def write_report(self, path: str | os.PathLike[str], *, charts: bool = True) -> Path:
        """Write what `plan sweep` writes (sweep.csv, sweep_periods.csv, charts, summary.json last).

        Returns:
            The folder's summary.json.
        """
        from planner import __version__  # noqa: PLC0415
        from planner.reports.destination import check_destination  # noqa: PLC0415
        from planner.reports.output import sha256_file  # noqa: PLC0415
        from planner.scenarios.sweep import write_sweep  # noqa: PLC0415

        out = path_argument("path", path, what="a report folder")
        charts = flag_argument("charts", charts)
        check_destination(out, [*self._plan.files, *([self._plan.catalog_path] if self._plan.catalog_path else [])],
                          "path")
        provenance = {"planner_version": __version__,
                      "inputs": [{"path": shown(p.name), "sha256": sha256_file(p)} for p in self._plan.files],
                      "overrides": list(self._plan.overrides),
                      "options": {"objective": self._options.objective, "solver": self._options.solver,
                                  "warm_start": self._options.warm_start}}
        write_sweep(self._result, out, provenance, charts=charts)
        return out / "summary.json"

    def __repr__(self) -> str:
        return f"<planner.Sweep {self._plan.name!r}: {len(self._result.table)} runs of {', '.join(self.variables)}>"

    def _repr_html_(self) -> str:
        from planner.api.html import sweep_html  # noqa: PLC0415

        return sweep_html(self)
