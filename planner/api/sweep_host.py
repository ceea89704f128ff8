"""The helper process of `planner.sweep` for scripts without a main guard (see `planner.api.sweeps`).

`python -m planner.api.sweep_host JOB ANSWER CALLER_PID`: read the pickled (base, variables, runs,
workers) from JOB, run the sweep's process pool here (this module is the pool's `__main__`, and it
is guarded), and pickle ("ok", SweepResult), ("input", problems) or ("solver", message) to ANSWER.

The helper ends as soon as the script that started it does (even by SIGKILL): it then removes the
script's job folder, which the script can no longer remove (the helper's own temporary files are
in it: its TMPDIR), and its pool's workers, which watch this process
(`sweep_executors.die_with_parent`), end within a quarter of a second.
"""

from __future__ import annotations

import os
import pickle  # noqa: S403 - the job comes from the parent planner process, through a private folder
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

from planner.errors import InputError, SolverError


def main(job: Path, answer: Path, caller_pid: int) -> None:
    from planner.scenarios.sweep import run_sweep  # noqa: PLC0415

    threading.Thread(target=_end_with_caller, args=(caller_pid, job.parent), name="planner-sweep-host-watch",
                     daemon=True).start()
    # A SIGTERM sent to the script's whole process group (`timeout`, a job scheduler) reaches the
    # script and this helper at once: the script dies without removing its job folder, so this
    # helper removes it when the script is gone too.
    signal.signal(signal.SIGTERM, lambda *_: _end(caller_pid, job.parent, TERM_GRACE_S))
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


TERM_GRACE_S = 1.0
"""How long a helper sent SIGTERM waits to see whether the script ends too (then it removes the
script's job folder)."""


def _end_with_caller(caller_pid: int, folder: Path) -> None:
    from planner.scenarios.sweep_executors import PARENT_CHECK_S, is_running  # noqa: PLC0415

    while is_running(caller_pid):
        time.sleep(PARENT_CHECK_S)
    _end(caller_pid, folder, 0.0)


def _end(caller_pid: int, folder: Path, grace_s: float) -> None:
    """End this process (its workers follow); first remove the job folder if the script is gone
    (else the script removes it, and raises that the helper failed)."""
    from planner.scenarios.sweep_executors import is_running  # noqa: PLC0415

    deadline = time.monotonic() + grace_s
    while is_running(caller_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not is_running(caller_pid):
        shutil.rmtree(folder, ignore_errors=True)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
