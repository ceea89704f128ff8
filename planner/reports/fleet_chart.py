"""The fleet roll-up: every site summed on one page, before the pages about each site.

A plan of two or more sites opens its charts with one page of four panels: firm power against the
peak draw, compute in service by vendor, hall space ready and occupied, and spending by year against
the budget. Each figure is a plain sum of the tables the per-site pages draw (sites.csv over its
sites, allocation.csv over its rows, budget.csv as it is), so the roll-up and the pages after it
cannot disagree. A sum hides where things are: a site's spare power or hall space cannot serve
another site, which the page's title says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from planner import fmt
from planner.reports.charts import (
    DEMAND_LINE,
    HALL_COLOURS,
    MONEY_COLOURS,
    RESERVE_LINE,
    SOURCE_COLOURS,
    TITLE,
    USED_LINE,
    VENDOR_COLOURS,
    ChartInput,
    Series,
    _column,
    _empty,
    _group_order,
    _panels,
    _shade,
    _stacked_bars,
    _steps,
    _tables,
    _upper_limit,
    effective_pflops_by_vendor,
    quarter_axis,
    spending_axes,
    value_axis,
    vendor_colours,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LEGEND: dict[str, Any] = {"loc": "upper left", "bbox_to_anchor": (0.0, -0.16), "fontsize": 7, "frameon": False,
                          "ncols": 3, "columnspacing": 1.2, "handlelength": 1.6}
"""Under the panel, across its width: a half-page panel has no width to spare beside it."""
PANEL_TITLE: dict[str, Any] = {**TITLE, "parse_math": False}
"""Two lines, each with its "$" amounts drawn as written (matplotlib reads each line of a text alone:
two "$" on one line would be mathtext, even where the whole holds an odd number)."""
CAPEX_COLOUR = MONEY_COLOURS["capex_accelerators_usd"]
OPEX_COLOUR = MONEY_COLOURS["opex_energy_usd"]


def fleet(run: ChartInput) -> list[Figure]:
    """The roll-up page of a plan with two or more sites; no page for one site (its pages say it all)."""
    sites = len(run.plan.sites)
    if sites < 2:
        return []
    figure, grid = _panels(2, 2, sharex=False)
    power_panel(run, grid[0][0])
    compute_panel(run, grid[0][1])
    hall_panel(run, grid[1][0])
    spend_panel(run, grid[1][1])
    summed = "both sites" if sites == 2 else f"all {sites} sites"
    figure.suptitle(f"Fleet: {summed} summed (a site's spare power or hall space cannot serve another)",
                    fontsize=12, x=0.01, ha="left")
    return [figure]


def fleet_sum(run: ChartInput, column: str) -> list[float]:
    """`column` of sites.csv summed over the plan's sites, per quarter (zero where a site lacks it)."""
    sites = _tables(run).sites
    periods = run.plan.periods
    totals = [0.0] * len(periods)
    for site in run.plan.sites:
        totals = [a + b for a, b in zip(totals, _column(sites, site.id, column, periods), strict=True)]
    return totals


def firm_by_kind(run: ChartInput) -> dict[str, list[float]]:
    """Firm MW per kind of source (grid, gas, ...) summed over sites, per quarter: sites.csv's
    `source_<id>_firm_mw` of each site's sources. Kinds in the order of `SOURCE_COLOURS`."""
    sites = _tables(run).sites
    periods = run.plan.periods
    out: dict[str, list[float]] = {}
    for site in run.plan.sites:
        for source in site.sources:
            values = _column(sites, site.id, f"source_{source.id}_firm_mw", periods)
            totals = out.setdefault(source.kind, [0.0] * len(periods))
            out[source.kind] = [a + b for a, b in zip(totals, values, strict=True)]
    return {kind: out[kind] for kind in _group_order(out, list(SOURCE_COLOURS))}


def power_panel(run: ChartInput, ax: Axes) -> None:
    """Firm MW of every site by kind of source (bars) against the sites' peak draws summed (line)."""
    periods = run.plan.periods
    x = list(range(len(periods)))
    series: list[Series] = [(kind, values, SOURCE_COLOURS.get(kind, SOURCE_COLOURS["other"]))
                            for kind, values in firm_by_kind(run).items()]
    tops = _stacked_bars(ax, x, series)
    peak = fleet_sum(run, "power_peak_mw")
    _steps(ax, peak, "peak draw (design PUE)", USED_LINE)
    firm = fleet_sum(run, "power_firm_mw")  # less N-1 reserves: the firm MW page 1 and the terminal show
    reserved = max(fleet_sum(run, "reserve_mw"), default=0.0) > 0
    if reserved:
        _steps(ax, firm, "firm less N-1 reserves", RESERVE_LINE)
    top = max([*tops, *peak])
    _upper_limit(ax, top)
    if top <= 0:
        _empty(ax, "no power available in the horizon")
    share = f" ({fmt.share(peak[-1] / firm[-1])})" if firm[-1] > 0 else ""
    net = " after N-1 reserves" if reserved else ""
    ax.set_title(f"Power: peak draw {fmt.mw(peak[-1])} of {fmt.mw(firm[-1])} firm{net} in {periods[-1]}{share}\n"
                 f"firm MW by source (bars), peak draw at design PUE (line); highest {fmt.mw(max(peak))}",
                 **PANEL_TITLE)
    value_axis(ax, "Facility power", "mw")
    quarter_axis(ax, periods, width_share=0.4)
    _legend(ax)


def compute_panel(run: ChartInput, ax: Axes) -> None:
    """Effective BF16 compute in service by vendor (allocation.csv's `effective_bf16_pflops`, cloud
    leases included), against demand where both workloads count BF16."""
    plan = run.plan
    periods = plan.periods
    x = list(range(len(periods)))
    by_vendor = effective_pflops_by_vendor(run)
    colours = vendor_colours(run)
    series: list[Series] = [(vendor, by_vendor[vendor], colours[vendor])
                            for vendor in _group_order(by_vendor, list(VENDOR_COLOURS))]
    tops = _stacked_bars(ax, x, series)
    top = max(tops)
    demand = [a + b for a, b in zip(plan.training_pflops, plan.inference_pflops, strict=True)]
    if plan.training_precision == plan.inference_precision == "bf16" and max(demand) > 0:
        _steps(ax, demand, "demand", DEMAND_LINE)
        top = max(top, max(demand))
    _upper_limit(ax, top)
    if top <= 0:
        _empty(ax, "no compute in service")
    allocation = _tables(run).allocation
    at_end = allocation[allocation["period"] == periods[-1]]
    peak = float(at_end["bf16_pflops"].sum())
    leased = float(at_end.loc[at_end["site"] == "cloud", "effective_bf16_pflops"].sum())
    words = f"; {fmt.pflops(leased)} of it leased" if leased > 0 else ""  # effective, as the bars
    ax.set_title(f"Compute in service: {fmt.pflops(tops[-1])} BF16 effective in {periods[-1]}\n"
                 f"by vendor (bars){words}; {fmt.pflops(peak)} BF16 peak", **PANEL_TITLE)
    value_axis(ax, "BF16 compute, effective", "pflops")
    quarter_axis(ax, periods, width_share=0.4)
    _legend(ax)


def hall_panel(run: ChartInput, ax: Axes) -> None:
    """IT MW of hall space ready (light) and occupied (dark: racks in service or being commissioned),
    every hall of every site summed."""
    periods = run.plan.periods
    x = list(range(len(periods)))
    ready, used = fleet_sum(run, "hall_ready_mw"), fleet_sum(run, "hall_used_mw")
    colour = HALL_COLOURS["building"]
    ax.bar(x, ready, 0.8, color=_shade(colour, 0.72), linewidth=0, label="ready")
    ax.bar(x, used, 0.45, color=colour, linewidth=0, label="occupied")
    top = max([*ready, *used])
    _upper_limit(ax, top)
    if top <= 0:
        _empty(ax, "no hall space in the horizon")
    share = f" ({fmt.share(used[-1] / ready[-1])})" if ready[-1] > 0 else ""
    ax.set_title(f"Hall space: {fmt.mw(used[-1])} IT occupied of {fmt.mw(ready[-1])} ready in {periods[-1]}{share}\n"
                 "all halls: IT MW ready (light), occupied incl. commissioning (dark)", **PANEL_TITLE)
    value_axis(ax, "IT power in halls", "mw")
    quarter_axis(ax, periods, width_share=0.4)
    _legend(ax)


def spend_panel(run: ChartInput, ax: Axes) -> None:
    """Capex and opex by calendar year (budget.csv's `capex_usd`, `opex_usd`) against the yearly limits."""
    table = _tables(run).budget
    years = [str(int(y)) for y in table["year"]]
    x = list(range(len(years)))
    capex, opex = [float(v) for v in table["capex_usd"]], [float(v) for v in table["opex_usd"]]
    tops = _stacked_bars(ax, x, [("capex", capex, CAPEX_COLOUR), ("opex", opex, OPEX_COLOUR)], width=0.6)
    limits = _limit_ticks(ax, [float(v) for v in table["limit_usd"]], "yearly budget limit", "#111111", "-")
    capex_limits = (_limit_ticks(ax, [float(v) for v in table["capex_limit_usd"]], "yearly capex limit",
                                 "#b22222", "--") if "capex_limit_usd" in table else {})
    top = max([*tops, *limits.values(), *capex_limits.values()])
    _upper_limit(ax, top)
    if top <= 0:
        _empty(ax, "no spending in the horizon")
    spending_axes(ax, years, 7.5)
    words = _used_words(capex, opex, limits, capex_limits)
    ax.set_title(f"Spending over the horizon: {fmt.usd(sum(capex) + sum(opex))}{words}\n"
                 f"capex {fmt.usd(sum(capex))} and opex {fmt.usd(sum(opex))}, by calendar year", **PANEL_TITLE)
    _legend(ax)


def _limit_ticks(ax: Axes, values: Sequence[float], label: str, colour: str,
                 style: Literal["-", "--"]) -> dict[int, float]:
    """A level across each year's bar where the year has one (as the budget chart draws them);
    returns the levels drawn, by the year's place."""
    drawn = {i: v for i, v in enumerate(values) if not math.isnan(v)}
    if drawn:
        ax.hlines(list(drawn.values()), [i - 0.42 for i in drawn], [i + 0.42 for i in drawn],
                  colors=colour, linewidth=1.6, linestyles=style, label=label, zorder=5)
    return drawn


def _used_words(capex: Sequence[float], opex: Sequence[float], limits: dict[int, float],
                capex_limits: dict[int, float]) -> str:
    """How much of the yearly limits was spent, over the years that set one (budget limits first)."""
    if sum(limits.values()) > 0:
        spent = sum(capex[i] + opex[i] for i in limits)
        return f", {fmt.share(spent / sum(limits.values()))} of the yearly budget limits"
    if sum(capex_limits.values()) > 0:
        spent = sum(capex[i] for i in capex_limits)
        return f"; capex {fmt.share(spent / sum(capex_limits.values()))} of the yearly capex limits"
    return "; no yearly budget limit is set"


def _legend(ax: Axes) -> None:
    """The panel's legend, under it; none where nothing is drawn (an empty plan)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**LEGEND)
