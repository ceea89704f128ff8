"""What the stage contracts promise at run time: a report can be drawn where no solver is installed.

(`lint-imports` checks the import graph itself in CI; this checks what really loads.)
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_reports_and_comparisons_load_no_solver() -> None:
    code = ("import sys, planner.reports.report, planner.reports.terminal, planner.reports.pdf_report, "
            "planner.scenarios.comparison, planner.answers.outcome, planner.answers.diagnosis; "
            "print(sorted(m for m in ('pulp', 'highspy', 'planner.model.solve') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                            timeout=120)
    assert result.stdout.strip() == "[]"


def test_pandas_loads_after_the_solve_not_before() -> None:
    """The tables' library (pandas, with pyarrow some 75 MB) loads once HiGHS's memory is given
    back, so it never adds to the peak of a large plan, which is HiGHS's run (bench/README.md)."""
    code = ("import sys; from pathlib import Path; "
            "from planner.answers.run import Options, load, optimize, solve_verified; "
            "loaded = load(Path('tests/data/one-quarter.yaml'), None, Options()); "
            "solved = solve_verified(loaded, Options(risks=False)); "
            "print(solved.result.status, 'pandas' in sys.modules); "
            "run = optimize(loaded, Options(risks=False)); "
            "print(run.tables is not None, 'pandas' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                            timeout=120)
    assert result.stdout.split() == ["optimal", "False", "True", "True"]
