"""The `plan` command: the only module that prints or exits.

Exit codes: 0 a plan was found; 2 bad input (nothing written); 3 no plan meets every limit;
4 the solver failed or stopped without a plan. Heavy modules (pulp, pandas, matplotlib) are
imported inside the commands that need them, so `plan --help` and `plan validate` start fast.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import io
import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from planner.cli_options import (
    CatalogOption,
    FormatOption,
    GapOption,
    IntegerOption,
    JsonOption,
    NoChartsAlias,
    NoReportOption,
    NoRisksOption,
    ObjectiveOption,
    PlanArgument,
    QuietOption,
    SolverLogOption,
    SolverOption,
    ThreadsOption,
    TimeLimitOption,
    plan_document,
    solving,
)
from planner.errors import InputError, PlannerError, Problem, SolverError
from planner.exits import EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER, bad_input, fail

if TYPE_CHECKING:
    from planner.answers.run import RunResult
    from planner.options import Options


app = typer.Typer(
    help="Plan AI datacenter capacity: which accelerators, how many, at which site, in which quarter.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from planner import __version__  # noqa: PLC0415

        print(f"planner {__version__}")
        clash = _other_planner()
        if clash:
            _stderr(clash)
        raise typer.Exit


def _other_planner() -> str | None:
    """A warning when the unrelated `planner` distribution (`pip install planner`) is installed
    beside this one: both install the import package `planner`, so one overwrote the other's files."""
    from importlib.metadata import PackageNotFoundError, metadata  # noqa: PLC0415

    try:
        other = metadata("planner")
    except PackageNotFoundError:
        return None
    if (other["Summary"] or "").startswith("Datacenter power"):  # this project, installed under its old name
        return None
    return (f"warning: the unrelated package 'planner' {other['Version']} is installed too, in the same `planner` "
            "folder; fix with: pip uninstall -y planner ai-capacity-planner && pip install ai-capacity-planner")


@app.callback()
def _options_of_every_command(
    version: Annotated[bool | None, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print planner's version and exit.")] = None,
) -> None:
    """Plan AI datacenter capacity: which accelerators, how many, at which site, in which quarter."""


class SchemaKind(StrEnum):
    plan = "plan"
    site = "site"
    catalog = "catalog"


def _stderr(text: str) -> None:
    print(text, file=sys.stderr)


@app.command()
def optimize(
    plan_file: PlanArgument,
    out: Annotated[Path | None, typer.Option(help="Report folder \\[default: reports/<plan name>/].")] = None,
    objective: ObjectiveOption = None,
    solver: SolverOption = "highs",
    time_limit: TimeLimitOption = None,
    threads: ThreadsOption = 1,
    integer: IntegerOption = True,
    gap: GapOption = None,
    catalog: CatalogOption = None,
    write_mps: Annotated[Path | None, typer.Option(
        help="Also write the exact LP solved, as MPS (money rows in units of $100k, as HiGHS gets them, "
        "where the plan has whole units or yes-or-no choices, or is large enough for the interior-point "
        "method).")] = None,
    no_report: NoReportOption = False,
    no_charts: NoChartsAlias = False,
    formats: FormatOption = "csv",
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    solver_log: SolverLogOption = False,
    no_risks: NoRisksOption = False,
) -> None:
    """Solve a plan, print a summary, and write the report folder."""
    from planner.options import Options  # noqa: PLC0415
    from planner.reports.formats import parse_formats  # noqa: PLC0415

    options = Options(
        objective=objective.value if objective else None, solver=solver, time_limit_s=time_limit,
        threads=threads, integer=integer, gap=gap, write_mps=write_mps, charts=not (no_report or no_charts),
        solver_log=solver_log, formats=parse_formats(formats), risks=not no_risks,
    )
    _optimize(plan_file, catalog, options, out, Said.JSON if as_json else Said.QUIET if quiet else Said.ALL)


class Said(StrEnum):
    """What a command that writes a folder prints on stdout: its summary, the folder's JSON, or the folder alone."""

    ALL = "all"
    JSON = "json"
    QUIET = "quiet"


def _optimize(plan_file: Path, catalog: Path | None, options: Options, out: Path | None, said: Said) -> None:
    from planner.files import check_file_destination  # noqa: PLC0415
    from planner.inputs.resolve import plan_from_document, with_objective  # noqa: PLC0415
    from planner.reports.destination import check_destination  # noqa: PLC0415

    try:  # read and check the input and the destinations before the solver stack is even imported
        document = plan_document(plan_file)
        loaded = with_objective(plan_from_document(document, catalog), options.objective)
        out = out or Path("reports") / loaded.plan.name
        check_destination(out, [*loaded.files, *loaded.catalog_files])
        if options.write_mps is not None:
            check_file_destination(options.write_mps, "--write-mps", [*loaded.files, *loaded.catalog_files], out)
    except InputError as error:
        bad_input(error)
    from planner.answers.run import optimize as run_optimize  # noqa: PLC0415

    try:
        with solving(said != Said.ALL or options.solver_log, f"solving {loaded.plan.name}"):
            run = run_optimize(loaded, options)
        if options.risks and run.tables is not None:
            from planner.scenarios.risks import weigh_estimates  # noqa: PLC0415

            with solving(said != Said.ALL or options.solver_log, "weighing the estimates (--no-risks skips it)"):
                run.risks = weigh_estimates(run, document, catalog)
        _finish(run, out, said)
    except InputError as error:  # an output that cannot be written: the folder is left as it was
        bad_input(error)
    except SolverError as error:
        fail(EXIT_SOLVER, f"error: {error}")


def _finish(run: RunResult, out: Path, said: Said) -> None:
    from planner.model.highs_run import Status  # noqa: PLC0415
    from planner.reports.report import write_report  # noqa: PLC0415
    from planner.reports.terminal import print_no_plan, print_summary  # noqa: PLC0415

    status = run.result.status
    if status == Status.INFEASIBLE:
        from planner.answers.diagnose import diagnose  # noqa: PLC0415
        from planner.reports.report import write_diagnosis  # noqa: PLC0415
        from planner.reports.terminal import print_diagnosis  # noqa: PLC0415

        with solving(said != Said.ALL, "no plan fits: finding what is short and what would close it"):
            diagnosis = diagnose(run.plan, run.model)
            path = write_diagnosis(run, diagnosis, out)
        print_diagnosis(diagnosis, path)  # on stderr
        if said == Said.JSON:
            print(path.read_text(encoding="utf-8"), end="")
        elif said == Said.QUIET:
            print(out)
        raise typer.Exit(EXIT_INFEASIBLE)
    if status in (Status.UNBOUNDED, Status.NO_SOLUTION) or run.tables is None:
        print_no_plan(run)
        raise typer.Exit(EXIT_BAD_INPUT if status == Status.UNBOUNDED else EXIT_SOLVER)
    with solving(said != Said.ALL or not run.options.charts, f"writing {out}"):
        data = write_report(run, out)
    if said == Said.JSON:
        print((out / "summary.json").read_text(encoding="utf-8"), end="")
    elif said == Said.QUIET:
        print(out)
    else:
        print_summary(run, data, out)


@app.command()
def validate(
    plan_files: Annotated[list[Path], typer.Argument(help="Plan files to check; - reads one from stdin.")],
    catalog: CatalogOption = None,
) -> None:
    """Check plan files (and the catalog) without solving."""
    from planner.inputs.resolve import plan_from_document  # noqa: PLC0415

    problems: list[InputError] = []
    for path in plan_files:
        try:
            loaded = plan_from_document(plan_document(path), catalog)
        except InputError as error:
            problems.append(error)
            continue
        plan = loaded.plan
        print(f"ok: {path}: plan '{plan.name}', {len(plan.sites)} site(s), {len(plan.periods)} quarters "
              f"({plan.periods[0]}-{plan.periods[-1]}), {len(plan.accelerators)} accelerators allowed")
    if problems:
        bad_input(InputError([p for error in problems for p in error.problems], sum(e.count for e in problems)))


@app.command("catalog")
def catalog_command(
    catalog: CatalogOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per accelerator, for scripts.")] = False,
) -> None:
    """Print the accelerator catalog."""
    from planner.inputs.catalog import as_used, load_catalog  # noqa: PLC0415

    try:
        accelerators, _ = load_catalog(catalog)
    except InputError as error:
        bad_input(error)
    if as_json:
        print(json.dumps([as_used(a) for a in accelerators.values()], indent=2))
        return
    from planner.reports.terminal import print_catalog  # noqa: PLC0415

    print_catalog(list(accelerators.values()))


@app.command()
def schema(
    kind: Annotated[SchemaKind, typer.Argument(help="Which file's schema.")] = SchemaKind.plan,
    write: Annotated[str | None, typer.Option(  # text, not a Path: typer reads '' as '.'
        metavar="FOLDER", help="Write all three schemas into this folder instead.")] = None,
) -> None:
    """Print the JSON Schema of plan, site or catalog files (for editors and CI)."""
    from planner.inputs.schemas import json_schemas  # noqa: PLC0415

    schemas = json_schemas()
    if write is not None:
        from planner.files import write_bytes  # noqa: PLC0415

        try:
            if not write:  # as `generate --out ''`: an empty name is no folder
                raise InputError([Problem(None, "--write", "expected a folder name, found ''")])
            for name, text in schemas.items():
                write_bytes(Path(write) / f"{name}.schema.json", text.encode("utf-8"), "--write")
                print(Path(write) / f"{name}.schema.json")
        except InputError as error:
            bad_input(error)
        return
    print(schemas[kind.value], end="")


@app.command()
def explain(
    plan_file: PlanArgument,
    objective: ObjectiveOption = None,
    solver: SolverOption = "highs",
    time_limit: TimeLimitOption = None,
    threads: ThreadsOption = 1,
    integer: IntegerOption = True,
    catalog: CatalogOption = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the ranked limits as one JSON document to stdout, and nothing else.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    solver_log: SolverLogOption = False,
) -> None:
    """Solve a plan and rank every limit that binds by what one more step of it is worth (writes no files)."""
    from planner.answers.run import Options  # noqa: PLC0415
    from planner.answers.run import optimize as run_optimize  # noqa: PLC0415
    from planner.inputs.resolve import plan_from_document, with_objective  # noqa: PLC0415
    from planner.model.highs_run import Status  # noqa: PLC0415
    from planner.reports.terminal import print_explanation  # noqa: PLC0415

    options = Options(objective=objective.value if objective else None, solver=solver, time_limit_s=time_limit,
                      threads=threads, integer=integer, solver_log=solver_log)
    try:
        loaded = with_objective(plan_from_document(plan_document(plan_file), catalog), options.objective)
        with solving(quiet or as_json or solver_log, f"solving {loaded.plan.name}"):
            run = run_optimize(loaded, options)
    except InputError as error:
        bad_input(error)
    except SolverError as error:
        fail(EXIT_SOLVER, f"error: {error}")
    if run.result.status == Status.INFEASIBLE:
        from planner.answers.diagnose import diagnose  # noqa: PLC0415
        from planner.reports.terminal import print_diagnosis  # noqa: PLC0415

        diagnosis = diagnose(run.plan, run.model)
        if as_json:
            print(json.dumps({"status": "infeasible", "headline": diagnosis.headline(), **diagnosis.to_json()},
                             indent=2))
        else:
            print_diagnosis(diagnosis, None)
        raise typer.Exit(EXIT_INFEASIBLE)
    if run.tables is None:
        _finish(run, Path(), Said.QUIET)
    if as_json:
        from dataclasses import asdict  # noqa: PLC0415

        from planner.reports.report import binding_limits  # noqa: PLC0415

        print(json.dumps({"plan": run.plan.name, "status": str(run.result.status),
                          "binding": [asdict(limit) for limit in binding_limits(run)]}, indent=2))
        return
    print_explanation(run)


@app.command("fit")
def fit_command(
    power: Annotated[str, typer.Option(help="Facility power, e.g. '1 GW' or 1000 (MW).")],
    accelerator: Annotated[str, typer.Option(help="Catalog id, e.g. gb300-nvl72.")],
    pue: Annotated[float, typer.Option(
        help="Design PUE, at the hottest hour: facility power / IT power.", min=1.0, max=3.0)] = 1.2,
    fabric: Annotated[float | None, typer.Option(
        help="Scale-out network, storage and host IT power per unit of rack IT power; by default 0.07, an "
             "estimate (docs/design.md). With any share above 0 the price gains the estimated 0.16.",
        min=0.0, max=1.0, show_default=False,
    )] = None,
    budget: Annotated[str | None, typer.Option(help="Money for the units, e.g. '$50B'.")] = None,
    claim: Annotated[str | None, typer.Option(help="Accelerators claimed, e.g. 1.3M or 1300000.")] = None,
    catalog: CatalogOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts.")] = False,
) -> None:
    """How many units of an accelerator fit a power (and budget); check a public claim."""
    from planner.answers.fit import fit  # noqa: PLC0415

    try:
        result = _fit(fit, power, accelerator, pue, fabric, budget, claim, catalog)
    except InputError as error:
        bad_input(error)
    if as_json:
        print(json.dumps(result.to_json(), indent=2))
        return
    from planner.reports.terminal import print_fit  # noqa: PLC0415

    print_fit(result)


def _fit(fit_function: Any, power: str, accelerator: str, pue: float, fabric: float | None, budget: str | None,
         claim: str | None, catalog: Path | None) -> Any:
    import difflib  # noqa: PLC0415

    from planner.inputs import units  # noqa: PLC0415
    from planner.inputs.catalog import load_catalog  # noqa: PLC0415
    from planner.inputs.plan import Accelerator  # noqa: PLC0415
    from planner.inputs.schema import (  # noqa: PLC0415
        FABRIC_CAPEX_SHARE_ESTIMATE,
        FABRIC_POWER_SHARE_ESTIMATE,
        period_index,
    )

    entries, _ = load_catalog(catalog)
    if accelerator not in entries:
        close = difflib.get_close_matches(accelerator, list(entries), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "; `plan catalog` lists them"
        raise InputError([Problem(None, "--accelerator", f"expected a catalog id, found '{accelerator}'{hint}")])
    entry = entries[accelerator]
    fabric = FABRIC_POWER_SHARE_ESTIMATE if fabric is None else fabric
    problems = []
    values: dict[str, float | None] = {"power": None, "budget": None, "claim": None}
    for name, text, convert in (("power", power, units.to_mw), ("budget", budget, units.to_usd),
                                ("claim", claim, _count)):
        if text is None:
            continue
        try:
            values[name] = convert(_number_or_text(text))
        except ValueError as error:
            problems.append(Problem(None, f"--{name}", str(error)))
    if problems:
        raise InputError(problems)
    model = Accelerator(
        id=entry.id, name=entry.name, vendor=entry.vendor, ecosystem=entry.ecosystem, unit=entry.unit,
        accelerators_per_unit=entry.accelerators_per_unit, unit_it_kw=entry.unit_it_kw, rack_kw=entry.rack_kw,
        bf16_pflops=entry.bf16_pflops, fp8_pflops=entry.fp8_pflops, hbm_gb=entry.hbm_gb,
        unit_price_usd=entry.unit_price_usd, first_period=period_index(entry.first_available), cooling=entry.cooling,
        trains="training" in entry.workloads, infers="inference" in entry.workloads, life_periods=entry.life_quarters,
        fabric_power_share=fabric, fabric_capex_share=FABRIC_CAPEX_SHARE_ESTIMATE if fabric > 0 else 0.0,
    )
    assert values["power"] is not None
    return fit_function(model, entry.first_available, values["power"], pue, values["budget"], values["claim"])


def _number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _count(value: float | str) -> float:
    """A count such as 1300000, 1.3M or 350k."""
    if isinstance(value, float):
        number = value
    else:
        scale = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9}.get(value.strip()[-1:])
        try:
            number = float(value.strip()[:-1]) * scale if scale else float(value)
        except ValueError:
            raise ValueError(f"expected a count like 1.3M or 350k, found '{value}'") from None
    if not (0 < number < 1e12):
        raise ValueError(f"expected a count between 1 and 1e12, found {value}")
    return number


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Plan file to write.")],
    sites: Annotated[int, typer.Option(help="Campuses (at most 2,000).", min=1)] = 10,
    accelerators: Annotated[int, typer.Option(help="Catalog entries.", min=1, max=200)] = 8,
    quarters: Annotated[int, typer.Option(help="Quarters from 2026Q1.", min=1, max=80)] = 12,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same file.", min=0)] = 0,
) -> None:
    """Write a valid synthetic plan with realistic spreads (for benchmarks and trying scale)."""
    import yaml  # noqa: PLC0415

    from planner.files import check_file_destination, write_bytes  # noqa: PLC0415
    from planner.inputs.generate import UNIT_COLUMNS_PER_SITE_PART_QUARTER  # noqa: PLC0415
    from planner.inputs.generate import generate as make_plan  # noqa: PLC0415
    from planner.inputs.loading import MAX_SITES  # noqa: PLC0415
    from planner.model.size import MAX_COLUMNS  # noqa: PLC0415

    try:
        if sites > MAX_SITES:
            raise InputError([Problem(None, "--sites", f"expected at most {MAX_SITES:,} sites, found {sites:,}")])
        columns = round(UNIT_COLUMNS_PER_SITE_PART_QUARTER * sites * accelerators * quarters)
        if columns > MAX_COLUMNS:  # a plan `plan optimize` would refuse: not written
            raise InputError([Problem(None, "--sites", (
                f"expected sites x accelerators x quarters whose LP has at most {MAX_COLUMNS:,} columns (about 2 GB "
                f"to solve), found {sites:,} x {accelerators:,} x {quarters:,}: about {columns:,}; "
                f"at most {MAX_COLUMNS // round(UNIT_COLUMNS_PER_SITE_PART_QUARTER * accelerators * quarters):,} "
                f"sites with {accelerators} accelerators and {quarters} quarters"))])
        check_file_destination(out, "--out")
        data = make_plan(sites, accelerators, quarters, seed)
        header = (f"# Synthetic plan from `plan generate --sites {sites} --accelerators {accelerators} "
                  f"--quarters {quarters} --seed {seed}`.\n# Every number is a random draw, not a sourced figure.\n")
        text = header + yaml.safe_dump(data, sort_keys=False, width=120)
        write_bytes(out, text.encode("utf-8"), "--out")
    except InputError as error:
        bad_input(error)
    print(out)


def main() -> None:
    """The `plan` console script: the app, with native output kept off stdout for the whole command
    and every process it starts (see `planner.model.native_output`)."""
    from planner.model.native_output import diverted_stdout  # noqa: PLC0415

    # At exit, freeze what is alive so that the interpreter's final garbage collection skips it:
    # walking pandas' and matplotlib's objects costs 0.4 s of a `plan optimize`, and the memory
    # goes back to the OS anyway. Registered when the command runs, not when planner is imported.
    atexit.register(gc.freeze)
    _open_closed_standard_streams()
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 prints escaped, never crashes
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        with diverted_stdout():
            try:
                if (empty := _empty_argument(sys.argv[1:])) is not None:
                    raise InputError([empty])
                app()
            except InputError as error:  # raised outside a command's own handling: still no traceback
                try:
                    bad_input(error)
                except typer.Exit as done:
                    sys.exit(done.exit_code)
            except PlannerError as error:
                _stderr(f"error: {error}")
                sys.exit(EXIT_SOLVER)
    except OSError as error:  # standard output full (`> /dev/full`) or gone: the files are written
        _discard_standard_output()
        _stderr(f"error: cannot write the output ({error.strerror or error})")
        sys.exit(EXIT_BAD_INPUT)


def _empty_argument(arguments: list[str]) -> Problem | None:
    """An empty argument (`--out ""`, `--out=`, a plan file `""`), named by its option or position.
    Typer reads '' as a path to the current folder, so `--out "$UNSET"` would write a report there;
    no option of planner takes an empty value."""
    for position, argument in enumerate(arguments, start=1):
        option = argument[:-1] if argument.startswith("--") and argument.endswith("=") else None
        if argument and option is None:
            continue
        before = arguments[position - 2] if position > 1 else ""
        name = option or (before if before.startswith("-") else f"argument {position}")
        return Problem(None, name, "expected a file or folder name (or a value), found an empty argument ('');"
                                   " '' would mean the current folder")
    return None


def _discard_standard_output() -> None:
    """Point standard output, and the stream that still buffers what could not be written, at the null
    device: the interpreter's last flush then succeeds, and the exit code stays the one given."""
    null = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.__stdout__):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            os.dup2(null, stream.fileno())  # type: ignore[union-attr]
    os.dup2(null, 1)
    os.close(null)


def _open_closed_standard_streams() -> None:
    """A standard stream closed by the caller (`>&-`) reads from or writes to the null device instead:
    Python leaves it None, and every print would fail."""
    for descriptor, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        if getattr(sys, name) is None:
            null = os.open(os.devnull, os.O_RDONLY if mode == "r" else os.O_WRONLY)
            if null != descriptor:
                os.dup2(null, descriptor)
                os.close(null)
            setattr(sys, name, open(descriptor, mode, closefd=False))  # noqa: SIM115 - the process's own stream


# Examples, what-if and sweeps (typer and stdlib only at import time).
from planner.cli_examples import example_command  # noqa: E402
from planner.cli_scenarios import sweep_command, whatif_command  # noqa: E402

app.command("example")(example_command)
app.command("whatif")(whatif_command)
app.command("sweep")(sweep_command)

if __name__ == "__main__":  # `python -m planner.cli`, as the tests run it in a fresh process
    main()
