"""The helper process of `planner.sweep` for scripts without a main guard (see `planner.api.sweeps`).

`python -m planner.api.sweep_host JOB ANSWER`: read the pickled (base, variables, runs, workers)
from JOB, run the sweep's process pool here (this module is the pool's `__main__`, and it is
guarded), and pickle ("ok", SweepResult), ("input", problems) or ("solver", message) to ANSWER.
"""

from __future__ import annotations

import pickle  # noqa: S403 - the job comes from the parent planner process, through a private folder
import sys
from pathlib import Path

from planner.errors import InputError, SolverError


def main(job: Path, answer: Path) -> None:
    from planner.scenarios.sweep import run_sweep  # noqa: PLC0415

    base, variables, runs, workers = pickle.loads(job.read_bytes())  # noqa: S301 - see the import
    try:
        outcome: tuple[str, object] = ("ok", run_sweep(base, variables, runs, workers=workers))
    except InputError as error:
        outcome = ("input", error.problems)
    except SolverError as error:
        outcome = ("solver", str(error))
    temporary = answer.with_name(answer.name + ".partial")
    temporary.write_bytes(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    temporary.replace(answer)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
