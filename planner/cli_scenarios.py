"""`plan whatif` and `plan sweep`. Registered on the `plan` app at the end of `planner.cli`.

Only typer and the standard library are imported here at the top: everything heavy (pandas,
PuLP, matplotlib, Dask) loads inside the command that runs, so `plan --help` stays fast.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from planner.cli_options import (
    BasePlanArgument,
    CatalogOption,
    FormatOption,
    IntegerOption,
    JsonOption,
    NoChartsAlias,
    NoReportOption,
    ObjectiveOption,
    QuietOption,
    SolverLogOption,
    SolverOption,
    ThreadsOption,
    TimeLimitOption,
    plan_document,
    solving,
)
from planner.errors import InputError, SolverError
from planner.exits import EXIT_INFEASIBLE, EXIT_SOLVER, bad_input, fail

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console

    from planner.answers.run import Options
    from planner.objective import Objective
    from planner.scenarios.changes import InputChange
    from planner.scenarios.scenarios import Scenario
    from planner.scenarios.sweep import SweepResult
    from planner.scenarios.whatif import WhatIf


SetOption = Annotated[list[str] | None, typer.Option(
    "--set", metavar="PATH=VALUE",
    help="Override one value, by a dotted path through ids: budget.2026.limit_usd=$30B, "
         "catalog.mi455x.unit_price_usd=x1.2 (multiply), catalog.vera-rubin-nvl144.first_available=+2 "
         "(slip quarters), sites.prometheus.power_sources.socrates-north.online=2026Q4 (move all phases), "
         "policy.exclude=\\[tpu-ironwood], KEY=null (remove).")]
ScenarioOption = Annotated[list[Path] | None, typer.Option(
    "--scenario", metavar="FILE", help="Scenario file overlaying the base plan (repeat for several).")]


def _console(stderr: bool = False) -> Console:
    from planner.reports.console import make_console  # noqa: PLC0415

    return make_console(stderr)


def _options(objective: Objective | None, solver: str, time_limit: float | None, threads: int, integer: bool,
             charts: bool = False, solver_log: bool = False, formats: str = "csv") -> Options:
    """The solving options (each checked as the command line was read: `planner.cli_options`)."""
    from planner.answers.run import Options  # noqa: PLC0415
    from planner.reports.formats import parse_formats  # noqa: PLC0415

    # What-ifs and sweeps compare plans and count binding limits; no step value is shown, so none
    # is re-solved (a whole-unit re-solve costs a search per limit).
    return Options(objective=objective.value if objective else None, solver=solver, time_limit_s=time_limit,
                   threads=threads, integer=integer, charts=charts, solver_log=solver_log,
                   formats=parse_formats(formats), resolve_steps=False, risks=False)


def _printed(folder: Path, as_json: bool, quiet: bool) -> bool:
    """Print what `--json` or `-q` ask for (summary.json, or the folder); False when neither was asked."""
    if as_json:
        typer.echo((folder / "summary.json").read_text(encoding="utf-8"), nl=False)
    elif quiet:
        typer.echo(str(folder))
    return as_json or quiet


def _scenarios(files: list[Path], sets: list[str], combine: bool) -> list[Scenario]:
    """One scenario per file (each with every --set after it), one of all files with --combine,
    or one of the --set overrides alone."""
    from planner.errors import Problem  # noqa: PLC0415
    from planner.scenarios.overrides import parse_override  # noqa: PLC0415
    from planner.scenarios.scenarios import Scenario, read_scenario  # noqa: PLC0415

    overrides = tuple(parse_override(text, i) for i, text in enumerate(sets, start=1))
    read = [read_scenario(path) for path in files]
    if not read and not overrides:
        raise InputError([Problem(None, "", "nothing to compare: give --scenario FILE or --set PATH=VALUE")])
    if not read:
        return [Scenario("overrides", "; ".join(f"{o.path}={o.text}" for o in overrides), (), overrides)]
    if combine:
        joined = "+".join(s.name for s in read)
        read = [Scenario(joined if len(joined) <= MAX_SCENARIO_NAME else "combined", " + ".join(s.title for s in read),
                         tuple(o for s in read for o in s.overlays))]
    named: list[Scenario] = []
    taken: set[str] = set()
    for scenario in read:
        stem = scenario.name if scenario.name != "base" else "base-scenario"
        name, number = stem, 1
        while name in taken:  # a second file of the same name: stem-2, stem-3, ...
            number += 1
            name = f"{stem}-{number}"
        taken.add(name)
        named.append(Scenario(name, scenario.title, scenario.overlays, overrides))
    return named


MAX_SCENARIO_NAME = 64
"""The longest name `--combine` joins from its files' names (else it is "combined"): it names a
column, a chart's legend and, with --reports, a folder."""


def whatif_command(
    base: BasePlanArgument,
    scenario: ScenarioOption = None,
    set_: SetOption = None,
    combine: Annotated[bool, typer.Option("--combine", help="Apply every scenario file together, as one.")] = False,
    out: Annotated[Path | None, typer.Option(help="Output folder \\[default: reports/<plan name>-whatif/].")] = None,
    objective: ObjectiveOption = None,
    solver: SolverOption = "highs",
    time_limit: TimeLimitOption = None,
    threads: ThreadsOption = 1,
    integer: IntegerOption = True,
    catalog: CatalogOption = None,
    reports: Annotated[bool, typer.Option("--reports", help="Also write each side's full report folder.")] = False,
    no_report: NoReportOption = False,
    no_charts: NoChartsAlias = False,
    formats: FormatOption = "csv",
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    solver_log: SolverLogOption = False,
) -> None:
    """Solve a plan and scenarios of it side by side; write and print what moved."""
    from planner.reports.destination import check_destination  # noqa: PLC0415
    from planner.scenarios.whatif import run_whatif, write_whatif  # noqa: PLC0415

    charts = not (no_report or no_charts)
    try:
        options = _options(objective, solver, time_limit, threads, integer, charts=charts, solver_log=solver_log,
                           formats=formats)
        scenarios = _scenarios(scenario or [], set_ or [], combine)
        document = plan_document(base)
        name = document.data.get("name") if isinstance(document.data, dict) else None
        if out is not None or isinstance(name, str):  # the folders are checked before anything is solved
            inputs = [*document.files, *(scenario or []), *([catalog] if catalog else [])]
            checked = out or Path("reports") / f"{name}-whatif"
            check_destination(checked, inputs)
            for side in ["base", *(s.name for s in scenarios)] if reports else []:
                check_destination(checked / side, inputs, "--reports")
        with solving(quiet or as_json or solver_log, f"solving the base and {len(scenarios)} scenario(s)"):
            result = run_whatif(document, scenarios, catalog, options)
        folder = out or Path("reports") / f"{result.base.loaded.plan.name}-whatif"
        write_whatif(result, folder, options, charts=charts, reports=reports)
    except InputError as error:
        bad_input(error)
    except SolverError as error:
        fail(EXIT_SOLVER, f"error: {error}")
    if not _printed(folder, as_json, quiet):
        print_whatif(result, folder)
    unsolved = [case for case in result.cases if not case.solved]
    if unsolved:
        raise typer.Exit(EXIT_INFEASIBLE if all(c.status == "infeasible" for c in unsolved) else EXIT_SOLVER)


SHOWN_CHANGES = 10
"""Inputs changed listed in the terminal per scenario (all of them are in input_changes.csv)."""


def _delta_text(metric: str, delta: float, base: float, unit: str, maximises: bool) -> str:
    """A change as rich markup: green where it is good, red where bad, plain where neither."""
    from planner.scenarios.comparison import format_value, verdict  # noqa: PLC0415

    if abs(delta) < 1e-9 * max(1.0, abs(base)):
        return "0"
    text = ("+" if delta > 0 else "") + format_value(delta, unit)
    good = verdict(metric, delta, maximises)
    return text if good is None else f"[{'green' if good else 'red'}]{text}[/{'green' if good else 'red'}]"


def _print_changes(console: Console, changes: Sequence[InputChange], folder: Path) -> None:
    """The inputs a scenario changed, the first `SHOWN_CHANGES` of them."""
    if not changes:
        return
    console.print("Inputs changed (base -> scenario):")
    for change in changes[:SHOWN_CHANGES]:
        console.print(f"  {change.words}", markup=False)
    if len(changes) > SHOWN_CHANGES:
        console.print(f"  ... {len(changes) - SHOWN_CHANGES} more in {folder / 'input_changes.csv'}", markup=False)


def print_whatif(result: WhatIf, folder: Path) -> None:
    """Per scenario: a table of base, scenario and delta, and the limits that changed."""
    from rich.table import Table  # noqa: PLC0415

    from planner.scenarios.comparison import SHOWN_METRICS, format_value, limit_changes  # noqa: PLC0415
    from planner.scenarios.whatif import comparison_table  # noqa: PLC0415

    console = _console()
    plan = result.base.loaded.plan
    console.print(f"[bold]What-if: {plan.title}[/bold]  ({plan.name}, {plan.periods[0]}-{plan.periods[-1]}, "
                  f"{plan.objective}); base: {result.base.status}")
    if result.base.diagnosis:
        console.print(f"  base has no plan: {result.base.diagnosis}", markup=False)
    table = comparison_table(result)
    for case in result.scenarios:
        console.print(f"\n[bold]{case.name}[/bold]: {case.title}  ({case.status})", markup=True)
        _print_changes(console, case.changes, folder)
        if not case.solved:
            console.print(f"  no plan: {case.diagnosis or case.status}", markup=False)
            continue
        rows = table[table["scenario_name"] == case.name]
        view = Table(title_justify="left")
        for column in ("metric", "base", case.name, "change", "change %"):
            view.add_column(column, justify="left" if column == "metric" else "right")
        for row in rows.itertuples(index=False):
            name = str(row.metric)
            if name not in SHOWN_METRICS and not name.startswith("accelerators_end_"):
                continue
            label = SHOWN_METRICS.get(name) or f"{name.removeprefix('accelerators_end_')} accelerators at end"
            delta, pct = float(row.delta), float(row.delta_pct)
            view.add_row(label, format_value(float(row.base), str(row.unit)),
                         format_value(float(row.scenario), str(row.unit)),
                         _delta_text(name, delta, float(row.base), str(row.unit), plan.objective.maximises),
                         "" if pct != pct else f"{pct:+.1f}%")
        console.print(view)
        if result.base.solved:
            changes = limit_changes(result.base.run, case.run)
            for became, words in ((True, "Became binding"), (False, "Stopped binding")):
                listed = [c.words for c in changes if c.became == became]
                if listed:
                    console.print(f"{words}: " + "; ".join(listed[:8])
                                  + (f"; ... {len(listed) - 8} more" if len(listed) > 8 else ""), markup=False)
            if not changes:
                console.print("The same limits bind as in the base plan.")
    console.print(f"\nComparison: {folder}/ (comparison.csv, limit_changes.csv, comparison.pdf, charts, summary.json)")


def sweep_command(
    base: Annotated[Path, typer.Argument(help="Base plan file, e.g. sites/ohio.yaml.")],
    set_range: Annotated[list[str] | None, typer.Option(
        "--set-range", metavar="PATH=LO:HI:N",
        help="Sweep a number over N values (budget.2027.limit_usd=$5B:$15B:5), a factor (..=x0.8:x1.2:5), "
             "quarters (..first_available=2026Q4:2027Q4:5) or slips (..first_available=0:4:5). "
             "Several make a product grid.")] = None,
    sweep_file: Annotated[Path | None, typer.Option(
        "--sweep", metavar="FILE", help="Sweep file: `set:`, `grid:` values or `samples:` distributions.")] = None,
    samples: Annotated[int, typer.Option(help="Draws from the sweep file's distributions.", min=0,
                                         max=10_000)] = 0,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same draws.", min=0)] = 0,
    set_: SetOption = None,
    scenario: ScenarioOption = None,
    workers: Annotated[int, typer.Option(help="Local worker processes (1: solve in this process).", min=1,
                                         max=256, envvar="PLANNER_WORKERS")] = 2,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address (tcp://host:8786): run on that cluster instead "
             "(pip install 'ai-capacity-planner\\[dask]').",
        envvar="PLANNER_DASK_SCHEDULER")] = None,
    tornado: Annotated[bool, typer.Option(help="Also run each input alone at its low and high.")] = True,
    out: Annotated[Path | None, typer.Option(help="Output folder \\[default: reports/<plan name>-sweep/].")] = None,
    objective: ObjectiveOption = None,
    solver: SolverOption = "highs",
    time_limit: TimeLimitOption = None,
    threads: ThreadsOption = 1,
    integer: IntegerOption = True,
    catalog: CatalogOption = None,
    no_report: NoReportOption = False,
    no_charts: NoChartsAlias = False,
    formats: FormatOption = "csv",
    as_json: JsonOption = False,
    warm_start: Annotated[bool, typer.Option(
        "--warm-start", help="Start each run's solve from the previous run's optimal basis where only numbers "
                             "changed: faster; where a plan has several optimal answers, a row may show another "
                             "one of the same objective than `plan optimize` would.")] = False,
    quiet: QuietOption = False,
    solver_log: SolverLogOption = False,
) -> None:
    """Solve many variants of a plan (a grid, or random draws) in parallel; write sweep.csv and charts."""
    from planner.reports.destination import check_destination  # noqa: PLC0415
    from planner.scenarios.sweep import write_sweep  # noqa: PLC0415

    charts = not (no_report or no_charts)
    try:
        options = replace(_options(objective, solver, time_limit, threads, integer, solver_log=solver_log,
                                   formats=formats), warm_start=warm_start)
        sweep, runs, provenance = _prepare_sweep(base, set_range or [], sweep_file, samples, seed, set_ or [],
                                                 scenario or [], catalog, options, tornado)
        folder = out or Path("reports") / f"{sweep[0].loaded([]).plan.name}-sweep"
        check_destination(folder, [p for p in (base, sweep_file, catalog, *(scenario or [])) if p is not None])
        result = _run_with_progress(sweep, runs, workers, scheduler, quiet or as_json)
        write_sweep(result, folder, provenance, charts=charts, formats=options.formats)
    except InputError as error:
        bad_input(error)
    except SolverError as error:
        fail(EXIT_SOLVER, f"error: {error}")
    if not _printed(folder, as_json, quiet):
        print_sweep(result, folder)


def _prepare_sweep(base_path: Path, ranges: list[str], sweep_path: Path | None, samples: int, seed: int,
                   sets: list[str], files: list[Path], catalog: Path | None, options: Options,
                   tornado: bool) -> tuple[Any, Any, dict[str, Any]]:
    import numpy as np  # noqa: PLC0415

    from planner.errors import Problem  # noqa: PLC0415
    from planner.reports.report import as_of  # noqa: PLC0415
    from planner.scenarios.overrides import Override, make_override, parse_override  # noqa: PLC0415
    from planner.scenarios.scenarios import Scenario, read_scenario  # noqa: PLC0415
    from planner.scenarios.sweep_file import draw_value, read_sweep_file  # noqa: PLC0415
    from planner.scenarios.sweep_runs import (  # noqa: PLC0415
        Base,
        file_variables,
        plan_runs,
        range_variable,
        sample_variables,
    )

    document = plan_document(base_path)
    sweep_file, sweep_document = read_sweep_file(sweep_path) if sweep_path else (None, None)
    fixed: list[Override] = []
    if sweep_file is not None and sweep_document is not None:
        for key, value in sweep_file.set.items():
            origin = sweep_document.position(("set", key))
            assert origin is not None
            fixed.append(make_override(key, value, origin) if isinstance(value, str)
                         else Override(key, "set", value, origin, str(value)))
    fixed += [parse_override(text, i) for i, text in enumerate(sets, start=1)]
    overlays = tuple(o for path in files for o in read_scenario(path).overlays)
    base = Base(document, catalog, options, Scenario("fixed", "fixed", overlays, tuple(fixed)))
    grid = [range_variable(base, text, i) for i, text in enumerate(ranges, start=1)]
    sampled = []
    if sweep_file is not None and sweep_document is not None:
        grid += file_variables(base, sweep_file, sweep_document)
        sampled = sample_variables(base, sweep_file, sweep_document)
    if grid and sampled:
        raise InputError([Problem(None, "", "a sweep is a grid or samples, not both: drop --set-range/`grid:` "
                                            "or `samples:`")])
    if sampled and samples < 1:
        raise InputError([Problem(None, "--samples", "the sweep file has `samples:`; say how many with --samples N")])
    if not grid and not sampled:
        raise InputError([Problem(None, "", "nothing to sweep: give --set-range PATH=LO:HI:N, or --sweep FILE "
                                            "with `grid:` or `samples:`")])
    variables = [v for v, _ in grid] + [v for v, _, _ in sampled]
    draws = None
    if sampled:
        rng = np.random.default_rng(seed)
        draws = [tuple(draw_value(draw, slot, rng) for _, draw, slot in sampled) for _ in range(samples)]
    runs = plan_runs(variables, [values for _, values in grid] if grid else None, draws, tornado)
    inputs = [*base.document.files, *([sweep_path] if sweep_path else [])]
    used = {"objective": options.objective, "solver": options.solver, "samples": samples, "seed": seed,
            "tornado": tornado, "warm_start": options.warm_start, "threads": options.threads,
            "integer": options.integer, "formats": list(options.formats)}
    provenance = _provenance(inputs, base.document.digests, base.catalog_files, used)
    provenance["as_of"] = as_of(base.loaded([]).plan)  # the base's date: a sweep moves numbers, not dates
    title = sweep_file.title if sweep_file is not None and sweep_file.title else ""
    return (base, variables, title), runs, provenance


def _provenance(inputs: list[Path], digests: dict[Path, str], catalog: tuple[Path, ...],
                options: dict[str, Any]) -> dict[str, Any]:
    from planner import __version__  # noqa: PLC0415
    from planner.reports.output import sha256_file  # noqa: PLC0415

    def shown(path: Path) -> str:
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return path.name

    return {"planner_version": __version__,
            "inputs": [{"path": shown(p), "sha256": digests.get(p) or sha256_file(p)}
                       for p in dict.fromkeys(inputs)],
            "catalog": [{"path": shown(p), "sha256": sha256_file(p)} for p in catalog],
            "options": options}


def _run_with_progress(sweep: Any, runs: Any, workers: int, scheduler: str | None, quiet: bool) -> SweepResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415

    from planner.scenarios.sweep import run_sweep  # noqa: PLC0415

    base, variables, title = sweep
    where = f"Dask at {scheduler}" if scheduler else f"{workers} worker{'s' if workers > 1 else ''}"
    with Progress(TextColumn(f"solving on {where}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=_console(stderr=True), disable=quiet or not sys.stderr.isatty(), transient=True) as bar:
        job = bar.add_task("sweep", total=None)
        return run_sweep(base, variables, runs, workers=workers, scheduler=scheduler, title=title,
                         progress=lambda done, total: bar.update(job, completed=done, total=total))


def print_sweep(result: SweepResult, folder: Path) -> None:
    """How many runs found a plan, the spread of the objective, and the inputs that move it most."""
    from planner.scenarios.comparison import format_value  # noqa: PLC0415

    console = _console()
    table = result.table
    statuses = ", ".join(f"{count} {status}" for status, count in table["status"].value_counts().sort_index().items())
    console.print(f"[bold]Sweep of {result.title}[/bold]: {len(table)} runs ({statuses}); "
                  f"inputs: {', '.join(v.column for v in result.variables)}", markup=True, soft_wrap=True)
    solved = result.varied_solved()["objective"]
    if len(solved):
        unit = result.objective_unit
        quantiles = [format_value(float(solved.quantile(q)), unit) for q in (0.1, 0.5, 0.9)]
        console.print(f"Objective ({unit}): P10 {quantiles[0]}, P50 {quantiles[1]}, P90 {quantiles[2]}; "
                      f"min {format_value(float(solved.min()), unit)}, max {format_value(float(solved.max()), unit)}")
    bars = sorted(result.sensitivities(), key=lambda b: -abs(b[2] - b[1]))
    if bars:
        console.print(f"Inputs that move the objective most (each alone, {result.sensitivity_words}):")
        for variable, low, high in bars[:8]:
            moves = [f"{variable.text(end)} -> {_change(value, result.objective_unit)}"
                     for end, value in ((variable.low, low), (variable.high, high))]
            console.print(f"  {variable.label}: {', '.join(moves)}", markup=False, soft_wrap=True)
    console.print(f"Sweep: {folder}/ (sweep.csv, sweep_periods.csv, sweep.pdf, charts, sweep.html, summary.json)")


def _change(value: float, unit: str) -> str:
    from planner.scenarios.comparison import format_value  # noqa: PLC0415

    if value != value:  # noqa: PLR0124 - NaN: that run found no plan
        return "no plan"
    if abs(value) < 1e-9:
        return "no change"
    return ("+" if value > 0 else "") + format_value(value, unit)
