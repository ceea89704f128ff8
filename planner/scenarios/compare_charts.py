"""Charts that compare a what-if's sides. Figures only, except `write_whatif_charts`, which
renders them to PNG and a PDF through an OutputFolder (a sweep's charts: `planner.scenarios.sweep_charts`).

Every figure is drawn on a fresh `Figure` (no pyplot state); colours are fixed per case (the
base is always dark grey) and per vendor (as in the plan's own report), and every axis says
its unit, so a chart read on its own is not misread.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from planner import __version__, fmt
from planner.reports.charts import PAGE_INCHES, VENDOR_COLOURS, quarter_axis, value_axis
from planner.reports.literal import literal_text
from planner.reports.output import OutputFolder
from planner.scenarios.comparison import SHOWN_METRICS, format_value, verdict

if TYPE_CHECKING:
    from planner.scenarios.whatif import Case, WhatIf

BASE_COLOUR = "#4a4a4a"
CASE_COLOURS = ("#1f5fa8", "#e07b00", "#7b4fd6", "#0f9d8a", "#b8860b", "#c2185b", "#5d6d7e", "#8c564b")
OTHER_VENDOR_COLOURS = ("#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f")
TITLE: dict[str, Any] = {"fontsize": 10, "loc": "left"}
SUPTITLE: dict[str, Any] = {"fontsize": 12, "x": 0.01, "ha": "left"}
PNG_DPI = 150


def png_bytes(figure: Figure) -> bytes:
    """PNG without the software tag, so the same chart gives the same bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return buffer.getvalue()


def case_colours(names: Sequence[str]) -> dict[str, str]:
    colours = {names[0]: BASE_COLOUR}
    colours.update({name: CASE_COLOURS[i % len(CASE_COLOURS)] for i, name in enumerate(names[1:])})
    return colours


def vendor_colour_map(vendors: Sequence[str]) -> dict[str, str]:
    others = sorted(v for v in vendors if v not in VENDOR_COLOURS)
    return {**VENDOR_COLOURS, **{v: OTHER_VENDOR_COLOURS[i % len(OTHER_VENDOR_COLOURS)] for i, v in enumerate(others)}}


def blank_page(rows: int = 1, columns: int = 1) -> tuple[Figure, list[Axes]]:
    """A fresh page-sized figure (no pyplot state) with rows x columns axes, listed row by row."""
    figure = Figure(figsize=PAGE_INCHES, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    return figure, [ax for row in axes for ax in row]


def _solved(result: WhatIf) -> list[Case]:
    return [case for case in result.cases if case.solved]


def _signed_share(value: float, base: float) -> str:
    if base == 0:
        return ""
    change = 100 * (value - base) / abs(base)
    return "same as base" if abs(change) < 0.05 else f"{change:+.1f}% vs base"


# --- what-if ------------------------------------------------------------------------------------

def chip_mix(result: WhatIf) -> Figure:
    """Accelerators and BF16 compute in service at the end, by vendor, each case side by side."""
    cases = _solved(result)
    end = result.base.loaded.plan.periods[-1]
    tables = {}
    for case in cases:
        assert case.run.tables is not None
        allocation = case.run.tables.allocation
        tables[case.name] = allocation[allocation["period"] == allocation["period"].max()] \
            .groupby("vendor")[["accelerators", "bf16_pflops"]].sum()
    vendors = sorted({v for table in tables.values() for v in table.index})
    colours = vendor_colour_map(vendors)
    figure, axes = blank_page(1, 2)
    x = list(range(len(cases)))
    for ax, (column, quantity, kind) in zip(axes, [("accelerators", "Accelerators in service", "count"),
                                                   ("bf16_pflops", "BF16 compute in service", "pflops")],
                                            strict=True):
        bottom = [0.0] * len(cases)
        for vendor in vendors:
            values = [float(tables[c.name][column].get(vendor, 0.0)) for c in cases]
            ax.bar(x, values, 0.6, bottom=bottom, color=colours[vendor], label=vendor, linewidth=0)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        base_total = bottom[0] if cases and cases[0].name == result.base.name else 0.0
        for i, total in enumerate(bottom):
            words = fmt.count(total) if kind == "count" else fmt.pflops(total)
            if i > 0 and base_total:
                words += f"\n{_signed_share(total, base_total)}"
            ax.annotate(words, xy=(i, total), xytext=(0, 3), textcoords="offset points", ha="center",
                        va="bottom", fontsize=8)
        ax.set_ylim(0, max([*bottom, 1e-9]) * 1.22)
        ax.set_xticks(x, [c.name for c in cases], fontsize=8)
        value_axis(ax, quantity, kind)
        ax.set_title(f"{quantity} at {end}, by vendor", **TITLE)
    axes[1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, title="vendor")
    figure.suptitle("Chip mix: base and scenarios side by side", **SUPTITLE)
    return figure


def _by_period(case: Case, table: str, column: str) -> list[float]:
    tables = case.run.tables
    assert tables is not None
    frame = getattr(tables, table)
    periods = list(case.run.plan.periods)
    if column not in frame.columns:
        return [0.0] * len(periods)
    return [float(v) for v in frame.groupby("period")[column].sum().reindex(periods).fillna(0.0)]


def _case_legend(ax: Axes, cases: Sequence[Case], colours: dict[str, str], styles: list[tuple[Any, str]],
                 notes: dict[str, str] | None = None) -> None:
    """One entry per case (its colour), then one per line style (in black)."""
    handles = [Line2D([], [], color=colours[c.name], linewidth=2.2, label=c.name + (notes or {}).get(c.name, ""))
               for c in cases]
    handles += [Line2D([], [], color="#111111", linestyle=style, linewidth=1.4, label=label) for style, label in styles]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def _draw_lines(ax: Axes, cases: Sequence[Case], colours: dict[str, str], values: dict[str, list[float]],
                style: str = "-") -> None:
    """A line per case; the base drawn wide and pale underneath, so a scenario equal to it does not hide it."""
    for case in cases:
        is_base = case is cases[0]
        ax.plot(range(len(values[case.name])), values[case.name], color=colours[case.name], linestyle=style,
                linewidth=(5.0 if is_base else 1.8) if style == "-" else (2.6 if is_base else 1.1),
                alpha=0.45 if is_base else 1.0, marker="o" if style == "-" and not is_base else None,
                markersize=3, zorder=2 if is_base else 3)


def power(result: WhatIf) -> Figure:
    """Peak facility power (solid) and firm power (dashed) over the horizon, a line per case."""
    cases = _solved(result)
    colours = case_colours([c.name for c in result.cases])
    periods = result.base.loaded.plan.periods
    figure, axes = blank_page()
    ax = axes[0]
    used = {c.name: _by_period(c, "sites", "power_peak_mw") for c in cases}
    available = {c.name: _by_period(c, "sites", "power_firm_mw") for c in cases}
    _draw_lines(ax, cases, colours, available, "--")
    _draw_lines(ax, cases, colours, used)
    ax.set_ylim(0, max([v for values in available.values() for v in values] + [1e-9]) * 1.1)
    value_axis(ax, "Facility power, all sites", "mw")
    quarter_axis(ax, periods)
    _case_legend(ax, cases, colours, [("-", "peak power (design PUE)"), ("--", "firm power")],
                 {c.name: f" (peak use {fmt.mw(max(used[c.name]))})" for c in cases})
    ax.set_title("Solid: peak facility power the plan draws; dashed: firm power (with any generation it builds)",
                 **TITLE)
    figure.suptitle("Power: base and scenarios", **SUPTITLE)
    return figure


def budget(result: WhatIf) -> Figure:
    """Spending per year (capex dark, opex light), a bar per case, and each year's limit."""
    cases = _solved(result)
    colours = case_colours([c.name for c in result.cases])
    figure, axes = blank_page()
    ax = axes[0]
    years: list[int] = sorted({int(y) for c in cases for y in c.run.tables.budget["year"]})  # type: ignore[union-attr]
    width = 0.8 / max(1, len(cases))
    top = 0.0
    for i, case in enumerate(cases):
        assert case.run.tables is not None
        table = case.run.tables.budget.set_index("year").reindex(years).fillna(0.0)
        capex = table["capex_usd"].to_numpy()
        opex = table["opex_usd"].to_numpy()
        x = np.arange(len(years)) - 0.4 + width * (i + 0.5)
        ax.bar(x, capex, width * 0.92, color=colours[case.name], label=case.name, linewidth=0)
        ax.bar(x, opex, width * 0.92, bottom=capex, color=colours[case.name], alpha=0.45, linewidth=0)
        for xi, total in zip(x, capex + opex, strict=True):
            ax.annotate(fmt.usd(float(total)), xy=(xi, total), xytext=(0, 2), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7, rotation=90 if len(cases) > 3 else 0)
        top = max(top, float((capex + opex).max(initial=0.0)))
        limits = table["limit_usd"].to_numpy() if "limit_usd" in table.columns else []
        for xi, limit in zip(x, limits, strict=False):
            if limit and not math.isnan(limit):
                ax.hlines(limit, xi - width / 2, xi + width / 2, colors="#111111", linewidth=1.6, zorder=5)
                top = max(top, float(limit))
    ax.plot([], [], color="#111111", linewidth=1.6, label="yearly budget limit")
    ax.set_ylim(0, top * 1.25 if top > 0 else 1)
    ax.set_xticks(range(len(years)), [str(y) for y in years])
    ax.set_xlabel("year", fontsize=8)
    value_axis(ax, "Spending, capex + opex", "usd")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_title("Each bar: one case's spending that year, capex (solid) and opex (pale, on top); black line: "
                 "that year's limit", **TITLE)
    figure.suptitle("Budget: base and scenarios", **SUPTITLE)
    return figure


def compute(result: WhatIf) -> Figure:
    """BF16 compute in service over time, a line per case; below, each scenario's change from the base."""
    cases = _solved(result)
    colours = case_colours([c.name for c in result.cases])
    periods = result.base.loaded.plan.periods
    figure, axes = blank_page(2, 1)
    in_service = {c.name: _by_period(c, "allocation", "bf16_pflops") for c in cases}
    _draw_lines(axes[0], cases, colours, in_service)
    _case_legend(axes[0], cases, colours, [], {c.name: f" ({fmt.pflops(in_service[c.name][-1])} at {periods[-1]})"
                                               for c in cases})
    axes[0].set_ylim(bottom=0)
    axes[0].set_title("BF16 compute in service (every site, and leased), per quarter", **TITLE)
    base = in_service.get(result.base.name)
    axes[1].axhline(0, color=BASE_COLOUR, linewidth=5.0, alpha=0.45, label="base")
    if base is not None:
        changes = {c.name: [v - b for v, b in zip(in_service[c.name], base, strict=True)] for c in cases[1:]}
        _draw_lines(axes[1], [cases[0], *cases[1:]], colours, {cases[0].name: [0.0] * len(base), **changes})
        _case_legend(axes[1], cases, colours, [])
    axes[1].set_title("Change from the base plan (above zero: more compute than the base that quarter)", **TITLE)
    for ax in axes:
        value_axis(ax, "BF16 compute", "pflops")
        quarter_axis(ax, periods, labelled=ax is axes[1])
    figure.suptitle("Compute over time: base and scenarios", **SUPTITLE)
    return figure


WHATIF_CHARTS = {"chip_mix.png": chip_mix, "power.png": power, "budget.png": budget, "compute.png": compute}

SCENARIOS_PER_PAGE = 4


def summary_pages(result: WhatIf, table: pd.DataFrame) -> list[Figure]:
    """The first pages of comparison.pdf: each metric for the base and up to four scenarios a page
    (value, and change from the base), then each scenario's title and the limits that moved."""
    scenarios = result.scenarios
    chunks = [scenarios[i:i + SCENARIOS_PER_PAGE] for i in range(0, len(scenarios), SCENARIOS_PER_PAGE)] or [[]]
    return [_summary_page(result, table, chunk, page, len(chunks)) for page, chunk in enumerate(chunks, start=1)]


def _summary_page(result: WhatIf, table: pd.DataFrame, chunk: Sequence[Case], page: int, pages: int) -> Figure:
    figure = Figure(figsize=PAGE_INCHES)
    y = 0.95

    def line(text: str, size: float = 9.0, mono: bool = False, **style: Any) -> None:
        nonlocal y
        # parse_math off: two "$" in one line ("$10B -> $12B") would otherwise be read as TeX.
        figure.text(0.04, y, text, fontsize=size, va="top", ha="left",
                    family="monospace" if mono else None, parse_math=False, **style)
        y -= size * 1.55 / 72 / PAGE_INCHES[1]

    plan = result.base.loaded.plan
    line(f"What-if: {plan.title}" + (f" ({page}/{pages})" if pages > 1 else ""), 14, weight="bold")
    line(f"{plan.name}, {plan.periods[0]}-{plan.periods[-1]}, objective {plan.objective}; base: "
         f"{result.base.status}; planner {__version__}", 9, color="#444444")
    y -= 0.015
    columns = [0.30 + 0.16 * i for i in range(len(chunk) + 1)]
    size = 8.5
    step = size * 1.45 / 72 / PAGE_INCHES[1]
    for x, name in zip(columns, ["base", *[c.name for c in chunk]], strict=True):
        figure.text(x, y, name[:24], fontsize=size, va="top", ha="right", weight="bold")
    y -= step * 1.3
    for metric, label in SHOWN_METRICS.items():
        rows = table[(table["metric"] == metric) & table["scenario_name"].isin([c.name for c in chunk])]
        if rows.empty:
            continue
        unit = str(rows.iloc[0]["unit"])
        figure.text(0.04, y, label, fontsize=size, va="top", ha="left")
        figure.text(columns[0], y, format_value(float(rows.iloc[0]["base"]), unit), fontsize=size, va="top",
                    ha="right")
        for x, case in zip(columns[1:], chunk, strict=True):
            row = rows[rows["scenario_name"] == case.name]
            if row.empty or math.isnan(float(row["scenario"].iloc[0])):
                figure.text(x, y, "no plan", fontsize=size, va="top", ha="right", color="#8b0000")
                continue
            pct = float(row["delta_pct"].iloc[0])
            change = "" if math.isnan(pct) else "same" if abs(pct) < 0.05 else f"{pct:+.1f}%"
            good = None if change in ("", "same") else verdict(metric, pct, plan.objective.maximises)
            colour = "#444444" if good is None else "#1f5fa8" if good else "#b45f06"
            figure.text(x, y, format_value(float(row["scenario"].iloc[0]), unit), fontsize=size, va="top", ha="right")
            figure.text(x + 0.004, y, change, fontsize=size - 1.5, va="top", ha="left", color=colour)
        y -= step
    y -= 0.02
    for case in chunk:
        line(f"{case.name}: {case.title}  [{case.status}]", 9.5, weight="bold")
        for part, colour in _case_lines(result, case):
            line(f"    {part}", 8, color=colour)
        y -= 0.008
    return figure


def _case_lines(result: WhatIf, case: Case) -> list[tuple[str, str]]:
    """(text, colour) under a scenario's title: the inputs it changed, why it has no plan, and the
    limits that started or stopped binding, each in at most three lines (all in the CSVs)."""
    from planner.scenarios.comparison import limit_changes  # noqa: PLC0415

    texts: list[tuple[str, str]] = []
    if case.changes:
        changed = "; ".join(change.words for change in case.changes)
        texts += [(part, "#111111") for part in textwrap.wrap(
            f"inputs changed: {changed}", 160, max_lines=3, placeholder=" ... (input_changes.csv)")]
    if case.diagnosis:
        texts.append((f"no plan: {case.diagnosis[:150]}", "#8b0000"))
    if case.solved and result.base.solved:
        changes = limit_changes(result.base.run, case.run)
        for became, words in ((True, "became binding"), (False, "stopped binding")):
            listed = "; ".join(c.words for c in changes if c.became == became)
            if listed:
                texts += [(part, "#111111") for part in textwrap.wrap(f"{words}: {listed}", 160, max_lines=3,
                                                                     placeholder=" ...")]
    return texts


@literal_text()
def write_whatif_charts(result: WhatIf, table: pd.DataFrame, folder: OutputFolder) -> dict[str, Figure]:
    """The comparison charts as PNGs, and comparison.pdf (summary page, then the charts); returns
    the drawn charts by PNG name (comparison.html shows them)."""
    matplotlib.use("Agg")
    buffer = io.BytesIO()
    metadata = {"Title": f"{result.base.title}: what-if", "Creator": f"planner {__version__}",
                "CreationDate": None, "ModDate": None}
    with PdfPages(buffer, metadata=metadata) as pdf:
        for page in summary_pages(result, table):
            pdf.savefig(page)
        figures = {}
        for name, chart in WHATIF_CHARTS.items():
            figure = figures[name] = chart(result)
            folder.write_bytes(name, png_bytes(figure))
            pdf.savefig(figure)
    folder.write_bytes("comparison.pdf", buffer.getvalue())
    return figures
