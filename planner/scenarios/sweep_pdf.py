"""`sweep.pdf`: a sweep on paper. Page 1 says what was swept (each input's distribution or grid, in
words, with its `--set` path), how many runs found a plan, and the spread of the results (P10, P50,
P90, each with its unit and the precision compute is counted in); then the sweep's charts, the very
figures of its PNGs, a landscape Letter page each; then the runs as a table (the first
`MAX_TABLE_RUNS`: sweep.csv has them all).

Pages are laid out and saved with the optimize report's helpers (`planner.reports.pdf_report`), so
every page is 11 x 8.5 in, drawn in the PDF's own Helvetica, without a creation date: the same sweep
gives the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from planner import __version__, fmt
from planner.reports.charts import PAGE_INCHES
from planner.reports.first_page import Writer, file_hash_lines
from planner.reports.literal import literal_text
from planner.reports.pdf_report import save_page
from planner.reports.pdf_tables import Column, table_pages, table_row
from planner.scenarios.sweep_charts import objective_formatter, short_label

if TYPE_CHECKING:
    import pandas as pd

    from planner.reports.output import OutputFolder
    from planner.scenarios.sweep import SweepResult
    from planner.scenarios.sweep_runs import Variable

PDF_NAME = "sweep.pdf"
MAX_TABLE_RUNS = 200
"""Runs listed in the PDF (five pages); sweep.csv has every one."""
MAX_INPUT_COLUMNS = 8
"""Swept inputs shown as columns of the runs' table (sweep.csv has every one)."""
HEADING = "#1f2d3d"
GREY = "#555555"
CHART_WORDS = {"sweep_lines.png": "results against the swept values", "sweep_bands.png": "the spread of the sampled "
               "runs", "tornado.png": "each input moved alone (tornado)"}
KIND_WORDS = {"base": "base", "grid": "grid", "sample": "sample", "low": "low end", "high": "high end"}


@literal_text()
def write_sweep_pdf(sweep: SweepResult, figures: dict[str, Figure], provenance: dict[str, Any],
                    folder: OutputFolder) -> None:
    """Write sweep.pdf into `folder`: page 1, the drawn sweep charts (`figures`, by PNG name), the runs."""
    matplotlib.use("Agg")
    buffer = io.BytesIO()
    metadata = {"Title": f"{sweep.title}: sweep", "Creator": f"planner {__version__}",
                "CreationDate": None, "ModDate": None}
    inputs = input_pages(sweep) if len(sweep.variables) > MAX_INPUT_ROWS else []
    runs = run_pages(sweep)
    with PdfPages(buffer, metadata=metadata) as pdf:
        save_page(pdf, first_page(sweep, provenance, list(figures), (len(inputs), len(runs))))
        for figure in [*inputs, *figures.values(), *runs]:
            save_page(pdf, figure)
    folder.write_bytes(PDF_NAME, buffer.getvalue())


# --- page 1 ----------------------------------------------------------------------------------

Formatter = Callable[[float], str]
RESULTS: tuple[tuple[str, str, Formatter], ...] = (
    ("bf16_eflops_end", "BF16 compute in service at the end (peak)", lambda v: fmt.pflops(v * 1000)),
    ("fp8_eflops_end", "FP8 compute in service at the end (peak)", lambda v: fmt.pflops(v * 1000)),
    ("accelerators_end", "Accelerators in service at the end", fmt.count),
    ("capex_usd", "Capex over the horizon", fmt.usd),
    ("opex_usd", "Opex over the horizon", fmt.usd),
    ("facility_mw_used_peak", "Highest facility power drawn (design PUE)", fmt.mw),
)
"""sweep.csv's results shown on page 1 beside the objective, with their formats (each with its unit)."""


def quantiles(values: pd.Series) -> tuple[float, float, float]:
    """P10, P50 and P90 of `values` (linear between runs, as pandas and numpy take them)."""
    return float(values.quantile(0.1)), float(values.quantile(0.5)), float(values.quantile(0.9))


def first_page(sweep: SweepResult, provenance: dict[str, Any], charts: list[str],
               later_pages: tuple[int, int]) -> Figure:
    """What was swept, how many runs found a plan, the spread of the headline and other results,
    what the other pages show, and provenance."""
    figure = Figure(figsize=PAGE_INCHES)
    periods = sweep.period_names
    figure.text(0.04, 0.955, f"Sweep: {sweep.title}", fontsize=17, weight="bold", va="top", color=HEADING)
    horizon = f", {periods[0]} to {periods[-1]}" if periods else ""
    writer = Writer(figure, 0.04, 0.915, 140)
    writer.line(f"Base plan '{sweep.plan_name}'{horizon}. {_runs_words(sweep, provenance)}", size=10,
                color="#333333")
    _swept(writer, sweep)
    _headline(writer, sweep)
    _contents(writer, charts, later_pages)
    _provenance(figure, sweep, provenance)
    return figure


def _swept(writer: Writer, sweep: SweepResult) -> None:
    """Every swept input: its name, its values or distribution, its `--set` path (the first
    MAX_INPUT_ROWS; a sweep of more says where the others are)."""
    count = len(sweep.variables)
    how = ("each drawn on its own" if (sweep.table["kind"] == "sample").any() else
           "every combination of their values" if count > 1 else "each of its values")
    writer.heading(f"What was swept: {count} input{'s' if count != 1 else ''}, {how}")
    step = ROW_STEP
    table_row(writer.figure, INPUT_COLUMNS, [c.header for c in INPUT_COLUMNS], writer.y - step / 2, weight="bold")
    for number, variable in enumerate(sweep.variables[:MAX_INPUT_ROWS], start=1):
        writer.y -= step
        table_row(writer.figure, INPUT_COLUMNS, _input_cells(number, variable), writer.y - step / 2, weight="normal")
    writer.y -= step
    if count > MAX_INPUT_ROWS:
        writer.line(f"... and {count - MAX_INPUT_ROWS} more inputs: page 2 lists every one", size=8, color=GREY)


ROW_STEP = 8.0 * 1.5 / 72 / PAGE_INCHES[1]
"""A table row on page 1, in figure coordinates."""
MAX_INPUT_ROWS = 12


def _runs_words(sweep: SweepResult, provenance: dict[str, Any]) -> str:
    """How many runs of each kind, and how many found a plan."""
    table = sweep.table
    kinds = table["kind"].value_counts()
    parts = ["the base plan"]
    if kinds.get("grid", 0):
        parts.append(f"{kinds['grid']} grid points")
    if kinds.get("sample", 0):
        seed = provenance.get("options", {}).get("seed")
        parts.append(f"{kinds['sample']} random draws" + (f" (seed {seed})" if seed is not None else ""))
    alone = int(kinds.get("low", 0) + kinds.get("high", 0))
    if alone:
        parts.append(f"{alone} with one input alone at an end ({sweep.sensitivity_words})")
    statuses = table["status"].value_counts()
    found = int(statuses.get("optimal", 0))
    infeasible = int(statuses.get("infeasible", 0))
    other = len(table) - found - infeasible
    status = f"{found} found a plan (optimal), {infeasible} had none (infeasible)" + (
        f", {other} stopped without an answer (solver error or time limit)" if other else "")
    return f"{len(table)} runs: {', '.join(parts)}. {status}."


def _spread(variable: Variable) -> str:
    """Its values or distribution; the base plan's value where it is not simply the plan's own."""
    if variable.kind in ("factor", "slip"):
        return variable.spread
    base = variable.text(variable.base) if variable.base is not None else "not set"
    return f"{variable.spread}; base plan {base}"


def _headline(writer: Writer, sweep: SweepResult) -> None:
    """The objective's P10, P50, P90 in large type, what it counts, then a table of the other results."""
    solved = sweep.varied_solved()
    runs = "grid" if (sweep.table["kind"] == "grid").any() else "sampled"
    writer.heading(f"Headline: the objective across the {len(solved)} {runs} runs that found a plan")
    if solved.empty:
        writer.line("No run of the sweep found a plan: there is no spread to show (sweep.csv has each run's status).")
        return
    shown = objective_formatter(sweep.objective_unit)
    p10, p50, p90 = quantiles(solved["objective"])
    writer.line(f"P10 {shown(p10)}    P50 {shown(p50)}    P90 {shown(p90)}", size=15, weight="bold",
                color=HEADING, gap=1.25)
    base = sweep.table[(sweep.table["kind"] == "base") & (sweep.table["status"] == "optimal")]
    base_words = f" The base plan: {shown(float(base['objective'].iloc[0]))}." if not base.empty else ""
    unit = "" if sweep.objective_unit.startswith("USD") else " (FLOPS-q: FLOPS x quarters)"
    writer.line(f"Objective: {sweep.objective_words}{unit}. 1 run in 10 is below P10, 1 in 10 above P90."
                f"{base_words}", size=8.5, color="#333333")
    writer.space(0.4)
    columns = [Column("other results", 0.3), Column("P10", 0.1, True), Column("P50", 0.1, True),
               Column("P90", 0.1, True), Column("min", 0.1, True), Column("max", 0.1, True),
               Column("base plan", 0.1, True), Column("", 0.02)]
    table_row(writer.figure, columns, [c.header for c in columns], writer.y - ROW_STEP / 2, weight="bold")
    for column, label, formatter in RESULTS:
        writer.y -= ROW_STEP
        values = solved[column].astype(float)
        cells = [formatter(v) for v in (*quantiles(values), float(values.min()), float(values.max()))]
        base_value = float(base[column].iloc[0]) if not base.empty else math.nan
        table_row(writer.figure, columns, [label, *cells, "-" if math.isnan(base_value) else formatter(base_value), ""],
                  writer.y - ROW_STEP / 2, weight="normal")
    writer.y -= ROW_STEP


def _contents(writer: Writer, charts: list[str], later_pages: tuple[int, int]) -> None:
    """What each later page shows: every input (a long sweep's), the charts, the runs."""
    inputs, runs = later_pages
    writer.space(0.3)
    writer.heading("In this report")
    page = 2
    for count, words in ((inputs, "every swept input, as above"), *((1, f"{CHART_WORDS.get(name, name)} ({name})")
                                                                     for name in charts),
                         (runs, "the runs, their inputs and results (sweep.csv has every run and column)")):
        if count:
            last = page + count - 1
            writer.line(f"{f'Page {page}' if last == page else f'Pages {page}-{last}'}: {words}", size=8.5)
            page = last + 1


def _input_cells(number: int, variable: Variable) -> list[str]:
    return [f"[{number}]", short_label(variable.path, variable.kind), _spread(variable), variable.path]


INPUT_COLUMNS = (Column("", 0.03), Column("input", 0.27),
                 Column("values (x: times the plan's value; q: quarters)", 0.37),
                 Column("path, as --set takes it", 0.3))


def input_pages(sweep: SweepResult) -> list[Figure]:
    """Every swept input as table pages (for a sweep of more than page 1 has room for)."""
    rows = [_input_cells(number, v) for number, v in enumerate(sweep.variables, start=1)]
    note = ("Each input's values (a grid) or distribution (samples): x, times the plan's value; q, quarters of slip. "
            "Its path as --set takes it.")
    return list(table_pages(f"What was swept: {len(rows)} inputs", INPUT_COLUMNS, rows, note))


def _provenance(figure: Figure, sweep: SweepResult, provenance: dict[str, Any]) -> None:
    foot = Writer(figure, 0.04, 0.19, 150)
    foot.line("Provenance", size=10, weight="bold", color=HEADING)
    solvers = ", ".join(sweep.solvers) or "none answered"
    foot.line(f"Solver: {solvers}.  Planner version {provenance.get('planner_version', __version__)}.", size=8)
    file_hash_lines(foot, provenance)
    options = ", ".join(f"{k}={v}" for k, v in provenance.get("options", {}).items() if v is not None)
    if options:
        foot.line(f"Options: {options}.", size=8)
    foot.line("Full hashes of inputs and of every output file are in summary.json, written with this report.",
              size=8, color=GREY)


# --- the runs --------------------------------------------------------------------------------

def run_pages(sweep: SweepResult) -> list[Figure]:
    """The runs as table pages: run, kind, each swept input's value, status and the main results."""
    table = sweep.table
    shown = table.head(MAX_TABLE_RUNS)
    variables = sweep.variables[:MAX_INPUT_COLUMNS]
    numbers = {variable.column: number for number, variable in enumerate(sweep.variables, start=1)}
    objective = objective_formatter(sweep.objective_unit)
    columns = [Column("run", 0.04, True), Column("kind", 0.09),
               *(Column(f"[{numbers[v.column]}]", 0.06, True) for v in variables),
               Column("status", 0.07), Column("objective", 0.1, True), Column("BF16 at end", 0.08, True),
               Column("capex", 0.07, True), Column("peak MW", 0.07, True)]
    rows = []
    for _, record in shown.iterrows():
        kind = KIND_WORDS.get(str(record["kind"]), str(record["kind"]))
        if record["kind"] in ("low", "high") and record["varied"] in numbers:
            kind = f"[{numbers[record['varied']]}] {kind}"
        values = [_value(v, record[v.column]) for v in variables]
        solved = record["status"] == "optimal"
        rows.append([str(record["run"]), kind, *values, str(record["status"]),
                     *((objective(float(record["objective"])), fmt.pflops(float(record["bf16_eflops_end"]) * 1000),
                        fmt.usd(float(record["capex_usd"])), fmt.mw(float(record["facility_mw_used_peak"])))
                       if solved else ("-", "-", "-", "-"))])
    more = (f" The first {MAX_TABLE_RUNS} of {len(table)} runs; sweep.csv has them all." if len(table) > len(shown)
            else " sweep.csv has every column, sweep_periods.csv every quarter.")
    hidden = (f" Inputs [{MAX_INPUT_COLUMNS + 1}] on are in sweep.csv." if len(sweep.variables) > MAX_INPUT_COLUMNS
              else "")
    note = ("Inputs [n] as page 1 numbers them, each run's value (x: times the plan's value, q: quarters of slip); "
            "'[n] low end' and '[n] high end' move input n alone. Objective as on page 1; BF16 at end: peak BF16 "
            f"compute in service in the last quarter; capex over the horizon; peak MW: facility power at design "
            f"PUE.{more}{hidden}")
    return list(table_pages(f"Runs of the sweep ({len(table)})", columns, rows, note))


def _value(variable: Variable, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    try:
        return variable.text(value)
    except (TypeError, ValueError):
        return str(value)
