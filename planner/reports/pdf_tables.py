"""report.pdf's table pages: the allocation at the end of the horizon, and the limits (those that
bind, by worth; those with room).

A table runs over as many pages as its rows need (`ROWS_PER_PAGE` a page, the header repeated, "page
i of n" in the title), each a page of `charts.PAGE_INCHES` like every other page of the report.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from planner import fmt
from planner.answers.explain import RESOLVED
from planner.model.families import FAMILIES
from planner.model.families import INTERNAL as INTERNAL_FAMILIES
from planner.model.rows import KEY_FIELDS
from planner.reports.charts import PAGE_INCHES, ecosystem_pflops
from planner.tolerances import SOLVER_NOISE, STEP_VALUE_NOISE

if TYPE_CHECKING:
    from planner.answers.outcome import RunResult

ROWS_PER_PAGE = 40
ASCENT = 0.72
"""Height of a capital above the baseline, per point of font size (Helvetica's cap height)."""


# --- 7. tables -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    header: str
    width: float
    """Share of the page width."""
    right: bool = False


def table_pages(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]], note: str,
                bold_rows: frozenset[int] = frozenset()) -> Iterator[Figure]:
    """A table as pages of `ROWS_PER_PAGE` rows, header repeated, 'page i of n' in the title."""
    pages = max(1, math.ceil(len(rows) / ROWS_PER_PAGE))
    for page in range(pages):
        figure = Figure(figsize=PAGE_INCHES)
        suffix = f" (page {page + 1} of {pages})" if pages > 1 else ""
        figure.text(0.04, 0.955, title + suffix, fontsize=13, weight="bold", va="top", color="#1f2d3d")
        lines = textwrap.wrap(note, 190)
        figure.text(0.04, 0.915, "\n".join(lines), fontsize=8, va="top", color="#555555", parse_math=False)
        y = 0.915 - 0.0175 * len(lines) - 0.022
        step = (y - 0.05) / ROWS_PER_PAGE
        table_row(figure, columns, [c.header for c in columns], y, weight="bold")
        figure.add_artist(_rule(figure, y - step * 0.55))
        start = page * ROWS_PER_PAGE
        for i, row in enumerate(rows[start:start + ROWS_PER_PAGE]):
            y -= step
            if i % 2 == 1:
                figure.add_artist(_band(figure, y, step))
            table_row(figure, columns, row, y, weight="bold" if start + i in bold_rows else "normal")
        if not rows:
            figure.text(0.04, y - step, "(none)", fontsize=8)
        yield figure


def table_row(figure: Figure, columns: Sequence[Column], cells: Sequence[str], y: float, weight: str) -> None:
    """One row of cells; column widths are shares of the 0.92 of the page between the margins."""
    total = sum(c.width for c in columns)
    x = 0.04
    baseline = y - 7.5 * ASCENT / 2 / 72 / figure.get_figheight()  # capitals centred on y (see Writer.line)
    for column, cell in zip(columns, cells, strict=True):
        width = 0.92 * column.width / total
        figure.text(x + width - 0.006 if column.right else x, baseline, cell, fontsize=7.5, va="baseline",
                    ha="right" if column.right else "left", weight=weight, parse_math=False)
        x += width


def _rule(figure: Figure, y: float) -> Line2D:
    return Line2D([0.04, 0.96], [y, y], transform=figure.transFigure, color="#555555", linewidth=0.6)


def _band(figure: Figure, y: float, height: float) -> Rectangle:
    return Rectangle((0.04, y - height / 2), 0.92, height, transform=figure.transFigure, color="#f1f3f6",
                     zorder=-1, linewidth=0)


def allocation_pages(run: RunResult) -> list[Figure]:
    """Every accelerator in service at the end of the horizon, by site and hall, with totals."""
    assert run.tables is not None
    end = run.plan.periods[-1]
    table = run.tables.allocation
    at_end = table[table["period"] == end]
    grouped = at_end.groupby(["site", "hall", "accelerator", "vendor"], sort=False).sum(numeric_only=True)
    site_order = {s.id: i for i, s in enumerate(run.plan.sites)}
    keys = sorted(grouped.index,
                  key=lambda k: (site_order.get(k[0], len(site_order)), k[1], -grouped.loc[k, "bf16_pflops"]))
    columns = [Column("site", 0.1), Column("hall", 0.1), Column("accelerator", 0.24), Column("vendor", 0.07),
               Column("units", 0.06, True), Column("accelerators", 0.08, True), Column("IT power", 0.08, True),
               Column("facility power", 0.09, True), Column("BF16", 0.1, True), Column("FP8", 0.1, True)]
    rows = []
    for site, hall, accelerator, vendor in keys:
        r = grouped.loc[(site, hall, accelerator, vendor)]
        rows.append([str(site), str(hall), run.plan.catalog[str(accelerator)].name, str(vendor), fmt.count(r["units"]),
                     fmt.count(r["accelerators"]), fmt.mw(r["it_mw"]), fmt.mw(r["facility_mw"]),
                     fmt.pflops(r["bf16_pflops"]), fmt.pflops(r["fp8_pflops"])])
    total = at_end.sum(numeric_only=True)
    rows.append(["total", "", "", "", fmt.count(total["units"]) if len(at_end) else "0",
                 fmt.count(total["accelerators"]), fmt.mw(total["it_mw"]), fmt.mw(total["facility_mw"]),
                 fmt.pflops(total["bf16_pflops"]), fmt.pflops(total["fp8_pflops"])])
    leased = " Site 'cloud' is leased capacity (no site power)." if any(k[0] == "cloud" for k in keys) else ""
    note = (f"Units and accelerators in service in {end}, the last quarter of the horizon. Facility power is IT power "
            f"x the hall's PUE.{leased} allocation.csv has every quarter.")
    return list(table_pages(f"Allocation at the end of the horizon ({end})", columns, rows, note,
                            bold_rows=frozenset({len(rows) - 1})))


SENSES = {"<=": "<=", ">=": ">=", "==": "="}
"""As written: the core fonts have no \u2264, and table cells are drawn literally (no mathtext), so
'$\\leq$' showed as typed."""


def _number(value: float, formatter: Callable[[float], str]) -> str:
    """A cell: '-' for a missing value, and solver noise (|x| < 1e-6) shown as zero, not '-0 kW'."""
    if value != value:
        return "-"
    return formatter(0.0 if abs(value) < 1e-6 else value)


class _Levels:
    """A limit's level and what is used of it, in the user's terms where the LP row's own sides
    are not: hall rows hold modules on the left, share rows compute minus share x total."""

    def __init__(self, run: RunResult) -> None:
        assert run.tables is not None
        self.run = run
        self.sites = run.tables.sites.set_index(["site", "period"])
        compute = run.tables.compute.set_index("period")
        self.totals = compute["bf16_pflops_in_service"]
        self.groups: dict[tuple[str, str], dict[str, float]] = {}
        for column in compute.columns:
            if column.startswith("bf16_pflops_") and column != "bf16_pflops_in_service":
                vendor = column.removeprefix("bf16_pflops_")
                self.groups["vendor", vendor] = {str(p): float(v) for p, v in compute[column].items()}
        for ecosystem, values in ecosystem_pflops(run).items():
            self.groups["ecosystem", ecosystem] = dict(zip(run.plan.periods, values, strict=True))

    def __call__(self, limit: Any, formatter: Callable[[float], str]) -> tuple[str, str]:
        """(level, used) of one row of the constraints table."""
        family, period, rhs, lhs = str(limit.family), str(limit.period), float(limit.rhs), float(limit.lhs)
        # sites.csv's columns (level, used) for rows whose sides hold terms moved across.
        columns = {
            "hall": (f"hall_{limit.hall}_ready_mw", f"hall_{limit.hall}_used_mw"),
            "power": (f"source_{limit.source}_available_mw", f"source_{limit.source}_used_mw"),
            "firm": ("power_firm_mw", "power_peak_mw"),
            "cooling_liquid": (f"hall_{limit.hall}_liquid_cooling_mw", f"hall_{limit.hall}_liquid_heat_mw"),
            "cooling_air": (f"hall_{limit.hall}_air_cooling_mw", f"hall_{limit.hall}_air_heat_mw"),
        }.get(family)
        if columns and (str(limit.site), period) in self.sites.index:
            row = self.sites.loc[(str(limit.site), period)]
            return fmt.mw(float(row[columns[0]])), fmt.mw(float(row[columns[1]]))
        if family in ("share_min", "share_max"):
            kind, group = ("vendor", str(limit.vendor)) if limit.vendor else ("ecosystem", str(limit.ecosystem))
            t = self.run.plan.periods.index(period)
            bounds = [b for b in self.run.plan.shares if b.group_kind == kind and b.group == group
                      and b.first_period <= t]
            total = float(self.totals.get(period, 0.0))
            share = self.groups.get((kind, group), {}).get(period, 0.0) / total if total > 0 else float("nan")
            bound = (max((b.min_share for b in bounds), default=float("nan")) if family == "share_min"
                     else min((b.max_share for b in bounds), default=float("nan")))
            return _number(bound, _percent), _number(share, _percent)
        return _number(rhs, formatter), _number(lhs, formatter)


def _price(value: float) -> str:
    """A dual as the solver gives it: 4 significant figures, thousands separated, no exponent
    between 0.001 and a billion."""
    if value == 0 or 1e-3 <= abs(value) < 1e4:
        return f"{value:.4g}"
    if 1e4 <= abs(value) < 1e9:
        return f"{value:,.0f}"
    return f"{value:.3e}"


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def limit_pages(run: RunResult) -> list[Figure]:
    """The limits that bind, most valuable first (constraints.csv's order), with what one more step
    of each is worth and how that was found; then the limits with room at the horizon's end and in
    each year. Rows that bind at no worth, and rows with nothing available and nothing asked (0 of
    0), fill pages and say nothing: they are counted in a note, and constraints.csv has every row."""
    assert run.tables is not None
    table = run.tables.constraints
    table = table[~table["family"].isin(INTERNAL_FAMILIES)]
    worth = table["solved_step_value"].fillna(table["step_value"])
    # The ranking is of re-solved values; marginal ones follow it, most valuable first too.
    order = np.lexsort((-worth.to_numpy(), (table["step_value_method"] != RESOLVED).to_numpy()))
    table, worth = table.iloc[order], worth.iloc[order]
    valued = table["binding"] & (worth >= STEP_VALUE_NOISE)
    empty = (table["rhs"].abs() <= SOLVER_NOISE) & (table["lhs"].abs() <= SOLVER_NOISE)
    last = run.plan.periods[-1]
    yearly = ~table["period"].astype(str).str.contains("Q")
    room = ~table["binding"] & ~empty & ((table["period"] == last) | yearly)
    levels = _Levels(run)
    unit, scale = _worth_unit(run, worth[valued])
    binding_rows = [[*_limit_cells(r, levels), str(r.step), f"{value / scale:,.1f}", str(r.step_value_method)]
                    for r, value in zip(table[valued].itertuples(index=False), worth[valued].tolist(), strict=True)]
    room_rows = [_limit_cells(r, levels) for r in table[room].itertuples(index=False)]
    head = [Column("limit", 0.115), Column("key", 0.18), Column("period", 0.055), Column("", 0.02),
            Column("limit value", 0.08, True), Column("used", 0.08, True), Column("slack", 0.08, True)]
    silent = int((table["binding"] & ~valued).sum())
    note = (f"{len(binding_rows)} of the {int(table['binding'].sum())} binding limits are worth at least "
            f"{STEP_VALUE_NOISE:g} {run.plan.objective.value_unit} a step. First, most valuable first, those "
            "'re-solved': the plan solved again with the step applied (what a what-if returns); then those "
            "'marginal': the shadow price x the step, which holds for small steps only. "
            + (f"The other {silent} bind at no worth (met exactly, or 0 of 0: nothing available and nothing "
               "asked); " if silent else "")
            + "constraints.csv lists every row of every quarter, with its shadow price.")
    pages = list(table_pages("Limits that bind: re-solved, then marginal, most valuable first", [
        *head, Column("step", 0.08, True), Column(f"worth of a step ({unit})", 0.12, True),
        Column("found by", 0.07)], binding_rows, note))
    room_note = (f"Limits that do not bind, in {last} and for each year: {len(room_rows)} of "
                 f"{int((~table['binding']).sum())}; the quarters before {last}, and rows with nothing available "
                 "and nothing asked, are in constraints.csv.")
    pages += table_pages(f"Limits with room at the end of the horizon ({last}) and by year", head, room_rows,
                         room_note)
    return pages


def _limit_cells(limit: Any, levels: _Levels) -> list[str]:
    """limit, key, period, sense, level, used, slack."""
    family = FAMILIES[str(limit.family)]
    formatter = partial(fmt.quantity, unit=family.unit)
    where = " / ".join(str(getattr(limit, f)) for f in KEY_FIELDS if getattr(limit, f))
    return [family.title, where, str(limit.period), SENSES.get(str(limit.sense), str(limit.sense)),
            *levels(limit, formatter), _number(float(limit.slack), formatter)]


def _worth_unit(run: RunResult, values: Any) -> tuple[str, float]:
    """One unit for a column of step values (its name, and what a value is divided by), so that
    '670 PFLOPS-quarters' never sits under '10.1 EFLOPS-quarters'."""
    largest = float(values.max()) if len(values) else 0.0
    if run.plan.objective.maximises:
        return ("EFLOPS-q", 1e3) if largest >= 1e3 else ("PFLOPS-q", 1.0)
    return ("$B", 1e9) if largest >= 1e9 else ("$M", 1e6)
