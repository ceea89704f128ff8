"""What a sweep costs, and what reusing the loaded base saves.

    python bench/bench_sweep.py                    # sites/ohio.yaml, and a generated 50-site plan
    python bench/bench_sweep.py --runs 40 --plans ohio
    python bench/bench_sweep.py --target           # issue 6: the 1,000-run Ohio sweep; 2 workers, 1, 2 warm-started

Part 1, preparing one run's plan (median of repeats, in this process, after a warm-up):
- `reload`: what a naive sweep does per run: read the YAML (and includes) again, apply the overrides,
  validate and resolve with `plan_from_document`, which reads and validates the catalog again;
- `reuse`: what `planner.scenarios.sweep_runs.Base.loaded` does: the loaded tree is kept, overrides copy only what they
  touch, then validate and resolve against the catalog read once;
- `replace`: a price change as `dataclasses.replace` on the resolved Plan (no validation at all): the floor
  of any reuse, shown for scale (planner does not do this: it would bypass the checks of the schema);
- `optimize`: build, solve, verify and tabulate the run (what `plan optimize` pays);
- `sweep run`: what a sweep worker pays for the same run (`planner.scenarios.sweep_worker.solve_task`): the same build,
  solve, re-check and re-solves of the top limits, then the row's numbers without the report's tables.

Part 2, whole sweeps of N grid runs: in this process (`--workers 1`), a local pool of 2 processes, and a
Dask LocalCluster of 2 worker processes (start-up of the cluster excluded, shown apart).

Part 3 (`--target`, issue 6: "1,000-run sweep of sites/ohio.yaml on 2 cores: <= 30 s"): the command a user
runs, `plan sweep sites/ohio.yaml` over a 40 x 25 grid (a rack price and the 2027 budget: 1,000 runs, plus
the base plan), charts and all, timed from start to exit: on 2 worker processes, then in one process for
comparison; both must write the same sweep.csv. Other work on the machine slows it: the load average before
each run is printed, and (with psutil, which Dask brings) the CPU seconds of the command and its workers: a
wall time well above CPU / processes busy means the cores were shared.

Not run by CI: speed is measured here, never by timed tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.answers.run import Options, optimize  # noqa: E402
from planner.inputs.loading import load_file  # noqa: E402
from planner.inputs.resolve import plan_from_document  # noqa: E402
from planner.scenarios.overrides import parse_override  # noqa: E402
from planner.scenarios.plan_tree import CatalogSource  # noqa: E402
from planner.scenarios.scenarios import Scenario, apply_scenario  # noqa: E402
from planner.scenarios.sweep import run_sweep  # noqa: E402
from planner.scenarios.sweep_runs import Base, plan_runs, range_variable  # noqa: E402
from planner.scenarios.sweep_worker import Task, solve_task  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 30.0
TARGET_GRID = ("catalog.gb300-nvl72.unit_price_usd=x0.8:x1.2:40", "budget.2027.limit_usd=$6B:$14B:25")


def median_seconds(function: Callable[[], object], repeats: int) -> float:
    function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def plan_path(name: str, folder: Path) -> tuple[Path, Path | None, str, str]:
    """The plan file, its catalog, a numeric path to override and a grid over it."""
    if name == "ohio":
        return REPO / "sites" / "ohio.yaml", None, "catalog.gb300-nvl72.unit_price_usd", "x0.8:x1.2"
    sites = int(name.split("x")[0])
    path = folder / f"{name}.yaml"
    import yaml  # noqa: PLC0415

    from planner.inputs.generate import generate  # noqa: PLC0415

    path.write_text(yaml.safe_dump(generate(sites, 8, 12, 1), sort_keys=False), encoding="utf-8")
    return path, REPO / "tests" / "data" / "catalog-small.yaml", "budget.2027.limit_usd", "x0.8:x1.2"


def preparation(name: str, path: Path, catalog: Path | None, lever: str, repeats: int) -> None:
    options = Options(charts=False)
    override = parse_override(f"{lever}=x1.1", 1)
    source = CatalogSource(catalog)

    def reload() -> object:
        document = apply_scenario(load_file(path), Scenario("s", "s", (), (override,)), source)
        return plan_from_document(document, catalog)

    base = Base(load_file(path), catalog, options)
    loaded = base.loaded([])

    def reuse() -> object:
        return base.loaded([override])

    def plan_replace() -> object:
        plan = loaded.plan
        if lever.startswith("catalog."):
            accelerator_id = lever.split(".")[1]
            entry = plan.catalog[accelerator_id]
            changed = replace(entry, unit_price_usd=(entry.unit_price_usd or 0.0) * 1.1)
            return replace(plan, catalog={**plan.catalog, accelerator_id: changed},
                           accelerators=tuple(changed if a.id == accelerator_id else a for a in plan.accelerators))
        return replace(plan, budget_usd={y: v * 1.1 for y, v in plan.budget_usd.items()})

    seconds = {
        "reload": median_seconds(reload, repeats),
        "reuse": median_seconds(reuse, repeats),
        "replace": median_seconds(plan_replace, repeats),
        "optimize": median_seconds(lambda: optimize(loaded, options), max(3, repeats // 4)),
        "sweep run": median_seconds(lambda: solve_task(Task(0, loaded, options)), max(3, repeats // 4)),
    }
    saved = seconds["reload"] - seconds["reuse"]
    print(f"{name:10} reload {seconds['reload'] * 1e3:8.1f} ms  reuse {seconds['reuse'] * 1e3:8.1f} ms  "
          f"replace {seconds['replace'] * 1e3:8.3f} ms  optimize {seconds['optimize'] * 1e3:8.1f} ms  "
          f"sweep run {seconds['sweep run'] * 1e3:8.1f} ms  "
          f"reuse saves {saved * 1e3:.1f} ms a run = {saved / (seconds['reload'] + seconds['sweep run']):.0%} "
          f"of reload + sweep run")


def sweeps(name: str, path: Path, catalog: Path | None, lever: str, ends: str, runs: int) -> None:
    options = Options(charts=False)
    base = Base(load_file(path), catalog, options)
    variable, values = range_variable(base, f"{lever}={ends}:{runs}", 1)
    planned = plan_runs([variable], [values], None, tornado=False)
    results = {}
    for label, workers in (("in process", 1), ("pool x2", 2)):
        started = time.perf_counter()
        results[label] = run_sweep(base, [variable], planned, workers=workers).table
        seconds = time.perf_counter() - started
        print(f"{name:10} {len(planned):4} runs  {label:22} {seconds:7.2f} s  "
              f"{seconds / len(planned) * 1e3:7.1f} ms a run")
    try:
        from dask.distributed import LocalCluster  # noqa: PLC0415
    except ImportError:
        print("dask not installed: pip install 'ai-capacity-planner[dask]'")
        return
    started = time.perf_counter()
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        ready = time.perf_counter()
        results["dask"] = run_sweep(base, [variable], planned, scheduler=cluster.scheduler_address).table
        seconds = time.perf_counter() - ready
    print(f"{name:10} {len(planned):4} runs  {'dask LocalCluster x2':22} {seconds:7.2f} s  "
          f"{seconds / len(planned) * 1e3:7.1f} ms a run  (cluster start {ready - started:.2f} s)")
    same = all(table.to_csv() == results["in process"].to_csv() for table in results.values())
    print(f"{name:10} identical tables on every executor: {same}")


def run_timed(command: list[str]) -> tuple[float, float | None]:
    """Run `command` from the repository; wall seconds, and CPU seconds of it and every process it started
    (polled while they live, so up to a tenth of a second of each may be missed), if psutil is there."""
    try:
        import psutil  # noqa: PLC0415 - optional: comes with Dask
    except ImportError:
        psutil = None
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    cpu: dict[int, float] = {}
    while process.poll() is None:
        if psutil is not None:
            try:
                root = psutil.Process(process.pid)
                for each in [root, *root.children(recursive=True)]:
                    times = each.cpu_times()
                    cpu[each.pid] = times.user + times.system
            except psutil.Error:
                pass
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return seconds, sum(cpu.values()) if psutil is not None else None


def target(folder: Path) -> None:
    """Issue 6: the 1,000-run Ohio sweep as a user runs it, on 2 worker processes and in one process."""
    plan = shutil.which("plan", path=str(Path(sys.executable).parent)) or shutil.which("plan")
    if plan is None:
        print("the `plan` command is not installed: pip install -e .")
        return
    ranges = [part for grid in TARGET_GRID for part in ("--set-range", grid)]
    print(f"Issue 6 target: {TARGET_SECONDS:.0f} s for a 1,000-run sweep of sites/ohio.yaml on 2 cores "
          f"({os.cpu_count()} here)\n  plan sweep sites/ohio.yaml {' '.join(ranges)} --no-tornado --workers N")
    tables = {}
    cases = ((2, "pool of 2 workers", ()), (1, "in process (sequential)", ()),
             (2, "pool of 2, --warm-start", ("--warm-start",)))
    for workers, label, extra in cases:
        out = folder / f"target-{workers}{'-warm' if extra else ''}"
        load = os.getloadavg()[0]
        seconds, cpu = run_timed([plan, "sweep", "sites/ohio.yaml", *ranges, "--no-tornado", "--workers",
                                  str(workers), *extra, "--out", str(out), "--quiet"])
        table = (out / "sweep.csv").read_bytes()
        if not extra:
            tables[workers] = table
        runs = table.count(b"\n") - 1
        verdict = f"  target {TARGET_SECONDS:.0f} s: {'met' if seconds <= TARGET_SECONDS else 'MISSED'}" \
            if workers == 2 else ""
        used = f"  CPU {cpu:6.1f} s" if cpu is not None else ""
        print(f"  {label:24} {runs:5} runs {seconds:7.2f} s  {runs / seconds:6.1f} runs/s  "
              f"{seconds / runs * 1e3:6.1f} ms a run{used}  load average before {load:.2f}{verdict}")
    print(f"  identical sweep.csv from the pool and one process: {tables[1] == tables[2]}")
    print("  (--warm-start: the same objective in every row; another optimal plan may stand behind it)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", default="ohio,50x8x12", help="ohio and/or SITESx8x12 plans from `plan generate`")
    parser.add_argument("--runs", type=int, default=40, help="grid runs per sweep")
    parser.add_argument("--repeats", type=int, default=20, help="repeats per preparation timing")
    parser.add_argument("--target", action="store_true", help="only the issue 6 target: the 1,000-run Ohio sweep")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if arguments.target:
            target(Path(folder))
            return
        plans = {name: plan_path(name, Path(folder)) for name in arguments.plans.split(",")}
        print("Preparing one run's plan (median):")
        for name, (path, catalog, lever, _) in plans.items():
            preparation(name, path, catalog, lever, arguments.repeats)
        print(f"\nWhole sweeps of {arguments.runs} grid runs (+ the base run):")
        for name, (path, catalog, lever, ends) in plans.items():
            sweeps(name, path, catalog, lever, ends, arguments.runs)


if __name__ == "__main__":
    main()
