"""`planner.sweep` (issue 16): the same numbers as `planner.solve`, in this process, in a pool, on a
Dask client, and from a plain script without an `if __name__ == "__main__":` guard.

Power-bound one-quarter plan (tests/data/one-quarter.yaml): facility MW / 1.25 = IT MW of beta at
400 PFLOPS per IT MW: 5 MW -> 1,600, 10 MW -> 3,200, 20 MW -> 6,400 PFLOPS-quarters.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

import planner
from tests.conftest import DATA, REPO, SMALL_CATALOG, kill_and_collect_group, wait_for_group

POWER = "sites.lab.power_sources.grid.phases.2026Q1.available_mw"
EXPECTED = [3200.0, 1600.0, 3200.0, 6400.0]  # run 0 is the plan as it is (10 MW)


@pytest.fixture(scope="module")
def plan() -> planner.Plan:
    return planner.load_plan(DATA / "one-quarter.yaml", catalog=SMALL_CATALOG)


def test_sweep_in_this_process_matches_solve(plan):
    result = planner.sweep(plan, {POWER: [5, 10, "20 MW"]}, workers=1)
    assert result.table["objective"].tolist() == pytest.approx(EXPECTED)
    assert result.variables == (POWER,)
    solved = planner.solve(plan.with_overrides({POWER: 5}))
    assert result.table["objective"].iloc[1] == pytest.approx(solved.objective_value, rel=1e-12)
    assert len(repr(result)) < 200
    assert "<table" in result._repr_html_()


def test_sweep_on_a_dask_client(plan):
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=1, processes=False, threads_per_worker=1, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        result = planner.sweep(plan, {POWER: [5, 10, 20]}, client=client)
        assert client.status == "running"  # the caller's client is left open
    assert result.table["objective"].tolist() == pytest.approx(EXPECTED)


def test_sweep_writes_its_folder(plan, tmp_path):
    result = planner.sweep(plan, {POWER: [5, 20]}, workers=1)
    summary = json.loads(result.write_report(tmp_path / "sweep", charts=False).read_text())
    assert summary["sweep"]["runs"] == 3
    assert (tmp_path / "sweep" / "sweep.csv").exists()


def test_a_bad_grid_names_the_path(plan):
    with pytest.raises(planner.InputError, match="expected a path and a non-empty list of values"):
        planner.sweep(plan, {POWER: []}, workers=1)
    with pytest.raises(planner.InputError, match="no such path"):
        planner.sweep(plan, {"budget.2026.limit_usdd": [1]}, workers=1)


@pytest.mark.parametrize("guarded", [False, True], ids=["no-main-guard", "main-guard"])
def test_a_plain_script_sweeps_in_parallel(tmp_path, guarded):
    """The issue: a script calling a 2-worker sweep at its top level, without the main guard,
    failed with BrokenProcessPool (each worker ran the script again)."""
    body = f"""
        import planner
        plan = planner.load_plan({str(DATA / 'one-quarter.yaml')!r}, catalog={str(SMALL_CATALOG)!r})
        sweep = planner.sweep(plan, {{{POWER!r}: [5, 10, 20]}}, workers=2)
        print(sweep.table["objective"].tolist())
    """
    code = textwrap.dedent(body)
    if guarded:
        code = "def main():\n" + textwrap.indent(code, "    ") + "\nif __name__ == '__main__':\n    main()\n"
    script = tmp_path / "script.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(EXPECTED)


def test_a_killed_script_leaves_no_helper_worker_or_folder(tmp_path):
    """A script without the main guard runs its sweep's pool from a helper process. Killed (SIGKILL)
    while its 2,000 runs solve, it leaves nothing: the helper sees the script gone, removes the job
    folder the script made, and ends; the workers, watching the helper, end after it."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(f"""
        import planner
        plan = planner.load_plan({str(DATA / 'one-quarter.yaml')!r}, catalog={str(SMALL_CATALOG)!r})
        planner.sweep(plan, {{{POWER!r}: list(range(1, 2001))}}, workers=2)
    """), encoding="utf-8")
    # A short TMPDIR: under pytest's long tmp_path the fork server's socket path would be too long.
    temporary = Path(tempfile.mkdtemp(prefix="planner-test-"))
    process = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path, start_new_session=True,  # noqa: S603
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "TMPDIR": str(temporary)})
    assert wait_for_group(process.pid, 5) >= 5  # the script, the helper, the fork server, two workers
    assert [p.name[:14] for p in temporary.iterdir()] == ["planner-sweep-"]
    assert not kill_and_collect_group(process)
    assert not list(temporary.iterdir())
    temporary.rmdir()


@pytest.mark.parametrize(("source", "unguarded"), [
    ("import planner\nplanner.sweep(...)\n", True),
    ("def main(): ...\nif __name__ == '__main__':\n    main()\n", False),
    ("if '__main__' == __name__:\n    pass\n", False),
    ("def f():\n    if __name__ == '__main__':\n        pass\n", True),  # only the top level counts
])
def test_an_unguarded_main_is_found(tmp_path, monkeypatch, source, unguarded):
    import types

    from planner.api import sweeps

    script = tmp_path / "script.py"
    script.write_text(source, encoding="utf-8")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert sweeps._unguarded_main() is unguarded
    del main.__file__  # a notebook or a REPL: nothing to run again
    assert sweeps._unguarded_main() is False
