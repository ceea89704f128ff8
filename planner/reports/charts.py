"""Result tables -> matplotlib Figures: one function per chart, no file I/O.

Every chart reads only `run.tables` and `run.plan`, draws on a fresh `Figure` (no pyplot, so
no global state and nothing to close), and keeps what it plots inspectable: each bar series is
a labelled `BarContainer`, each line a labelled `Line2D`. Colours are fixed per vendor across
every chart; numbers on axes go through `planner.fmt`, so they read as "1.5 GW" or "$4.5B".
Every figure is one page of `PAGE_INCHES`: a chart with a row per site (power, chip mix, hall
space) returns a list of pages, `site_pages.SITES_PER_PAGE` sites at most on each.

matplotlib is imported here and in `pdf_report.py` only; `report.py` imports those lazily, so
`import planner` never loads it. Charts read a run through `ChartInput` (its plan and tables).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from matplotlib.axes import Axes
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from planner import fmt
from planner.reports.site_pages import CLOUD, SitePage, site_pages

if TYPE_CHECKING:
    from planner.answers.results import Tables
    from planner.inputs.plan import Plan


class ChartInput(Protocol):
    """What a chart reads of a run: its plan and its result tables."""

    @property
    def plan(self) -> Plan: ...

    @property
    def tables(self) -> Tables | None: ...


PAGE_INCHES = (11.0, 8.5)
"""The one page size: every chart page and every page of report.pdf is landscape Letter (a chart
with a row per site runs over several such pages, `planner.reports.site_pages`)."""
MIN_SLOTS = 6
"""Bars are never wider than a sixth of their panel, however short the horizon."""

VENDOR_COLOURS = {
    "nvidia": "#76b900",
    "amd": "#e0201b",
    "google": "#4285f4",
    "meta": "#7b4fd6",
    "aws": "#ff9900",
}
ECOSYSTEM_VENDOR = {"cuda": "nvidia", "rocm": "amd", "xla": "google", "mtia": "meta", "neuron": "aws"}
"""Ecosystems whose colour is their vendor's: CUDA is NVIDIA's green wherever it appears."""
FALLBACK_COLOURS = ("#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f", "#1a9e77", "#b8860b", "#5d6d7e")
"""For vendors and ecosystems outside the fixed map, handed out in sorted order of name."""

SOURCE_COLOURS = {
    "grid": "#9fb4cc", "gas": "#d8b48a", "solar": "#f0d66e", "wind": "#a6d6c4",
    "nuclear": "#c7b2dc", "battery": "#c8c8c8", "other": "#dcdcdc",
}
HALL_COLOURS = {"building": "#4f6d94", "tent": "#a0703f"}
MONEY_COLOURS = {
    "capex_accelerators_usd": "#2f4b7c", "capex_modules_usd": "#6d8bbd", "capex_generation_usd": "#b3c6e6",
    "opex_energy_usd": "#8c5a2b", "opex_lease_usd": "#c4915c", "opex_hall_lease_usd": "#a8742f",
    "opex_generation_lease_usd": "#d9b06a", "opex_maintenance_usd": "#e8cba8",
    "opex_decommissioning_usd": "#7a7a7a", "opex_stack_adoption_usd": "#5b8c5a", "opex_stack_running_usd": "#a9cfa4",
}
"""Kinds stacked in the budget chart (a trade-in credit is negative: said in words instead)."""
MONEY_LABELS = {
    "capex_accelerators_usd": "capex: accelerators", "capex_modules_usd": "capex: hall modules",
    "capex_generation_usd": "capex: generation", "opex_energy_usd": "opex: energy",
    "opex_lease_usd": "opex: cloud lease", "opex_hall_lease_usd": "opex: hall lease",
    "opex_generation_lease_usd": "opex: generation lease", "opex_maintenance_usd": "opex: maintenance",
    "opex_decommissioning_usd": "opex: decommissioning", "opex_stack_adoption_usd": "opex: stack adoption",
    "opex_stack_running_usd": "opex: software stacks",
}
USED_LINE: dict[str, Any] = {"color": "#111111", "linewidth": 1.8, "linestyle": "-"}
RESERVE_LINE: dict[str, Any] = {"color": "#b22222", "linewidth": 1.2, "linestyle": "--"}
DEMAND_LINE: dict[str, Any] = {"color": "#111111", "linewidth": 1.6, "linestyle": "--"}
EFFECTIVE_LINE: dict[str, Any] = {"color": "#111111", "linewidth": 1.4, "linestyle": ":", "marker": "o",
                                  "markersize": 2.5}
SITE_GID = "site:"
"""A panel about one site has the gid `site:<id>` (no file shows it; report.html toggles panels by site)."""
NOTE: dict[str, Any] = {"fontsize": 8, "color": "#444444"}
TITLE: dict[str, Any] = {"fontsize": 10, "loc": "left"}


# --- colours -------------------------------------------------------------------------------

def _assign(names: Iterable[str], fixed: dict[str, str]) -> dict[str, str]:
    """Fixed colours where known; the others get fallback colours in sorted order of name."""
    unknown = sorted({n for n in names if n not in fixed})
    colours = dict(fixed)
    for i, name in enumerate(unknown):
        colours[name] = FALLBACK_COLOURS[i % len(FALLBACK_COLOURS)]
    return colours


def vendor_colours(run: ChartInput) -> dict[str, str]:
    """One colour per vendor of the plan's catalog, the same on every chart of the report."""
    return _assign((a.vendor for a in run.plan.catalog.values()), VENDOR_COLOURS)


def ecosystem_colours(run: ChartInput) -> dict[str, str]:
    """CUDA in NVIDIA's green and so on; other ecosystems in fallback colours."""
    fixed = {eco: VENDOR_COLOURS[vendor] for eco, vendor in ECOSYSTEM_VENDOR.items()}
    return _assign((a.ecosystem for a in run.plan.catalog.values()), fixed)


def _shade(colour: str, amount: float) -> str:
    """`colour` mixed with white (amount > 0) or black (amount < 0)."""
    red, green, blue = to_rgb(colour)
    target = 1.0 if amount > 0 else 0.0
    weight = abs(amount)
    return to_hex((red + (target - red) * weight, green + (target - green) * weight, blue + (target - blue) * weight))


def _shades(colour: str, count: int) -> list[str]:
    """`count` distinguishable shades of one colour, darkest first."""
    if count == 1:
        return [colour]
    return [_shade(colour, -0.35 + 0.85 * i / (count - 1)) for i in range(count)]


# --- axes ----------------------------------------------------------------------------------

def _trimmed(text: str) -> str:
    """'1.50 GW' -> '1.5 GW', '$4.00B' -> '$4B': tick labels need no trailing zeros."""
    return re.sub(r"(\d)\.(\d*?)0+(?!\d)", lambda m: m.group(1) + ("." + m.group(2) if m.group(2) else ""), text)


def _tick(function: Callable[[float], str], value: float, _position: int | None = None) -> str:
    """A tick label: '0' at zero (it needs no unit), else the people's format without trailing zeros."""
    return "0" if abs(value) < 1e-12 else _trimmed(function(float(value)))


def _formatter(function: Callable[[float], str]) -> FuncFormatter:
    return FuncFormatter(functools.partial(_tick, function))  # a partial pickles; a lambda does not


AXIS_FORMATS: dict[str, Callable[[float], str]] = {
    "mw": fmt.mw, "usd": fmt.usd, "pflops": fmt.pflops, "count": fmt.count,
}
"""Tick formats by kind of quantity: each tick carries its own unit ("965 MW", "$15B")."""


def value_axis(ax: Axes, quantity: str, kind: str) -> None:
    """Label the y axis with its quantity, and format its ticks for people, each with its unit
    (so the label names no unit that could disagree with them: "(W)" beside "965 MW")."""
    ax.set_ylabel(quantity, fontsize=8)
    ax.yaxis.set_major_formatter(_formatter(AXIS_FORMATS[kind]))
    ax.tick_params(axis="y", labelsize=7.5)
    ax.grid(axis="y", color="#e3e3e3", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def spending_axes(ax: Axes, years: Sequence[str], labelsize: float) -> None:
    """A spending chart's axes: one slot a calendar year (at least `MIN_SLOTS` wide), dollars up."""
    pad = 0.7 + max(0.0, (MIN_SLOTS - 2 - len(years)) / 2)
    ax.set_xlim(-pad, len(years) - 1 + pad)
    ax.set_xticks(range(len(years)), years)
    ax.tick_params(axis="x", labelsize=labelsize)
    ax.set_xlabel("calendar year", fontsize=8)
    value_axis(ax, "Spending", "usd")


def quarter_axis(ax: Axes, periods: Sequence[str], labelled: bool = True, width_share: float = 1.0) -> None:
    """Quarters on the x axis: a tick per quarter, a label on as many as fit (Q1s on long horizons).

    Panels that share the x axis share its labels; `labelled=False` hides them on this panel.
    """
    count = len(periods)
    pad = 0.6 + max(0.0, (MIN_SLOTS - count) / 2)  # a short horizon keeps bars of a sensible width
    ax.set_xlim(-pad, count - 1 + pad)
    room = max(4, int(14 * width_share))
    if count <= room:
        shown = list(range(count))
    else:
        years = max(1, math.ceil(count / 4 / room))
        first_year = int(periods[0][:4])
        shown = [t for t, p in enumerate(periods) if p.endswith("Q1") and (int(p[:4]) - first_year) % years == 0]
        shown = shown or [0]
    labels = [periods[t] if t in shown else "" for t in range(count)]
    ax.set_xticks(list(range(count)), labels)
    ax.tick_params(axis="x", labelsize=7.5, length=2.5, labelbottom=labelled)
    if labelled:
        ax.set_xlabel("quarter", fontsize=8)
        if len(shown) > 16 * width_share:
            for label in ax.get_xticklabels():
                label.set_rotation(45)
                label.set_horizontalalignment("right")


Series = tuple[str, Sequence[float], str]
"""(label, one value per bar, colour)."""


def _stacked_bars(ax: Axes, x: Sequence[float], series: Sequence[Series],
                  width: float = 0.8, **style: Any) -> list[float]:
    """Stack `series` (label, values, colour) as bars; skip all-zero ones; return the tops."""
    bottom = [0.0] * len(x)
    for label, values, colour in series:
        if not any(abs(v) > 1e-9 for v in values):
            continue
        ax.bar(list(x), list(values), width, bottom=bottom, color=colour, label=label, linewidth=0, **style)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    return bottom


def _steps(ax: Axes, values: Sequence[float], label: str, style: dict[str, Any]) -> None:
    """A per-quarter level as a step line across each quarter's bar (a `StepPatch`, values readable)."""
    edges = [t - 0.5 for t in range(len(values) + 1)]
    ax.stairs(list(values), edges, label=label, baseline=None, zorder=5, **style)


def _named(item_id: str, kind: str) -> str:
    """'gas-plant' for a gas source called gas-plant, 'north (grid)' for a grid source called north."""
    return item_id if kind in item_id else f"{item_id} ({kind})"


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", **NOTE)
    ax.set_ylim(0, 1)
    ax.set_yticks([0])


def _panels(rows: int, columns: int = 1, *, sharex: bool = True) -> tuple[Figure, list[list[Axes]]]:
    """A page of rows x columns panels (a page, whatever the rows: charts page their sites)."""
    figure = Figure(figsize=PAGE_INCHES, layout="constrained")
    grid = figure.subplots(rows, columns, squeeze=False, sharex=sharex)
    return figure, [list(row) for row in grid]


def _column(table: Any, site: str, column: str, periods: Sequence[str]) -> list[float]:
    """One site's values of `column` in each period (zero where absent)."""
    rows = table[table["site"] == site]
    if column not in rows.columns:
        return [0.0] * len(periods)
    return [float(v) for v in rows.set_index("period")[column].reindex(list(periods)).fillna(0.0)]


def _tables(run: ChartInput) -> Any:
    if run.tables is None:
        raise ValueError("charts need a solved run with result tables")
    return run.tables


TITLE_CHARS = 140
"""The longest a full-width panel's title runs on one line (past it, it would leave the page)."""


def _lines(head: str, tail: str) -> str:
    """'head; tail' where that fits on one line of a full-width panel's title, else tail on a line below."""
    if not tail:
        return head
    return f"{head}; {tail}" if len(head) + 2 + len(tail) <= TITLE_CHARS else f"{head}\n{tail}"


def _paged(figure: Figure, page: SitePage, name: str, words: str) -> Figure:
    """Title a page of a chart drawn a row per site; its label keeps the chart's title without the
    page's place, which report.html (one chart of every page's panels) shows."""
    figure.suptitle(page.title(name, words), fontsize=12, x=0.01, ha="left")
    figure.set_label(f"{name}: {words}")
    return figure


def _site_title(run: ChartInput, site_id: str) -> str:
    for site in run.plan.sites:
        if site.id == site_id:
            return site.name
    return "Leased from clouds" if site_id == CLOUD else site_id


Mark = tuple[float, float, str]
"""(x, y, words): an event drawn above the data with a dotted line down to (x, y)."""

RELPOS = {"left": 0.0, "center": 0.5, "right": 1.0}
"""Where a mark's dotted line leaves its text: straight down from the anchor point."""
MARK_ROW = 0.085
"""Height of one row of marks, as a share of the data's top."""


def _mark_steps(ax: Axes, marks: list[Mark], count: int, top: float, width_share: float = 1.0) -> int:
    """Write each mark in the room above the data, in rows, so that no two marks overlap.

    Marks at one x are joined; each goes to the lowest row where it fits beside those already
    placed (its width estimated from its length and the room one quarter has on the page).

    Returns:
        Rows used; the caller leaves that much room above the data (`_upper_limit`).
    """
    joined: dict[float, list[str]] = {}
    anchors: dict[float, float] = {}
    for x, y, words in sorted(marks):
        joined.setdefault(x, []).append(words)
        anchors[x] = max(anchors.get(x, 0.0), y)
    quarter_points = PAGE_INCHES[0] * 72 * 0.75 * width_share / max(count, 1)
    rows: list[float] = []
    for x, parts in joined.items():
        words = "; ".join(parts)
        width = len(words) * 3.6 / quarter_points + 0.3
        align = "right" if x > 0.75 * count else "left" if x < 0.25 * count else "center"
        left = x - width if align == "right" else x if align == "left" else x - width / 2
        row = next((i for i, end in enumerate(rows) if end < left), len(rows))
        if row == len(rows):
            rows.append(0.0)
        rows[row] = left + width
        ax.annotate(
            words, xy=(x, anchors[x]), xytext=(x, top * (1.04 + MARK_ROW * row)), textcoords="data",
            ha=align, va="bottom", fontsize=6.5, color="#333333",
            arrowprops={"arrowstyle": "-", "color": "#999999", "linewidth": 0.7, "linestyle": (0, (1, 1.5)),
                        "shrinkA": 0, "shrinkB": 1, "relpos": (RELPOS[align], 0.0)},
        )
    return len(rows)


def _upper_limit(ax: Axes, top: float, mark_rows: int = 0) -> None:
    """Room above the data: 15%, and a row for each row of marks."""
    ax.set_ylim(0, top * (1.15 + MARK_ROW * mark_rows) if top > 0 else 1)


# --- 2. power ------------------------------------------------------------------------------

def power_by_site(run: ChartInput) -> list[Figure]:
    """Per site: available facility power stacked by source (bars) and power used (line); a page
    per `SITES_PER_PAGE` sites."""
    return [_power_page(run, page) for page in site_pages([s.id for s in run.plan.sites])]


def _power_page(run: ChartInput, page: SitePage) -> Figure:
    sites = _tables(run).sites
    periods = run.plan.periods
    x = list(range(len(periods)))
    figure, grid = _panels(len(page.rows))
    by_id = {site.id: site for site in run.plan.sites}
    for index, site in enumerate(by_id[row] for row in page.rows):
        ax = grid[index][0]
        ax.set_gid(SITE_GID + site.id)
        series: list[Series] = []
        events: list[tuple[int, str]] = []
        kinds: dict[str, int] = {}
        for source in site.sources:
            values = _column(sites, site.id, f"source_{source.id}_firm_mw", periods)
            if max(values, default=0.0) <= 0:
                # No firm MW (solar at night): say so in the legend, with what it gives on average.
                average = max(_column(sites, site.id, f"source_{source.id}_available_mw", periods), default=0.0)
                if average > 0:
                    ax.plot([], [], " ", label=f"{_named(source.id, source.kind)}: no firm MW "
                                               f"(up to {fmt.mw(average)} on average)")
                continue
            shade = kinds.get(source.kind, 0)
            kinds[source.kind] = shade + 1
            colour = _shade(SOURCE_COLOURS.get(source.kind, SOURCE_COLOURS["other"]), -0.25 * shade)
            series.append((f"{_named(source.id, source.kind)}: firm", values, colour))
            for t in range(1, len(values)):
                if values[t] > values[t - 1] + 1e-6:
                    words = "online" if values[t - 1] <= 1e-6 else "+" + _trimmed(fmt.mw(values[t] - values[t - 1]))
                    events.append((t, f"{source.id} {words}"))
        tops = _stacked_bars(ax, x, series)
        marks: list[Mark] = [(t, tops[t], words) for t, words in events]
        used = _column(sites, site.id, "power_peak_mw", periods)
        _steps(ax, used, "peak facility power (design PUE)", USED_LINE)
        reserve = _column(sites, site.id, "reserve_mw", periods)
        net = _column(sites, site.id, "power_firm_mw", periods)  # the firm MW page 1 and the terminal show
        if max(reserve, default=0.0) > 0:
            _steps(ax, net, "firm power less the N-1 reserve", RESERVE_LINE)
        top = max([*tops, *used])
        _upper_limit(ax, top, _mark_steps(ax, marks, len(periods), top))
        if max([*tops, *used]) <= 0:
            _empty(ax, "no power available in the horizon")
        exposed = max(_column(sites, site.id, "it_at_risk_n1_mw", periods), default=0.0)
        unbacked = max(_column(sites, site.id, "it_without_backup_mw", periods), default=0.0)
        risk = "; ".join([
            *([f"up to {fmt.mw(exposed)} of IT lost if its largest unit trips (no reserve)"] if exposed > 0 else []),
            *([f"up to {fmt.mw(unbacked)} of IT without backup power"] if unbacked > 0 else [])])
        after = " after the N-1 reserve" if reserve[-1] > 0 else ""
        head = (f"{_site_title(run, site.id)}: peak draw {fmt.mw(used[-1])} of {fmt.mw(net[-1])} firm{after} "
                f"in {periods[-1]} (highest {fmt.mw(max(used))})")
        ax.set_title(_lines(head, risk), **TITLE)
        value_axis(ax, "Facility power", "mw")
        quarter_axis(ax, periods, labelled=page.is_last_row(index))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    return _paged(figure, page, "Power by site",
                  "firm power of each source (bars) and the peak facility draw at design PUE (line)")


# --- 3. chip mix ---------------------------------------------------------------------------

def _accelerator_order(run: ChartInput, ids: Iterable[str]) -> list[str]:
    """Accelerators grouped by vendor (fixed vendors first), then in catalog order."""
    catalog = list(run.plan.catalog)
    vendors = list(VENDOR_COLOURS)

    def key(accelerator_id: str) -> tuple[int, str, int]:
        vendor = run.plan.catalog[accelerator_id].vendor
        rank = vendors.index(vendor) if vendor in vendors else len(vendors)
        return rank, vendor, catalog.index(accelerator_id)

    return sorted(set(ids), key=key)


def accelerator_colours(run: ChartInput, ids: Iterable[str]) -> dict[str, str]:
    """Each accelerator in a shade of its vendor's colour, fixed by its place among the vendor's
    parts in the whole catalog: the same part has the same colour in every report and what-if,
    whichever parts a plan happens to use."""
    vendor_colour = vendor_colours(run)
    everything = _accelerator_order(run, run.plan.catalog)
    colours: dict[str, str] = {}
    for vendor in dict.fromkeys(run.plan.catalog[a].vendor for a in everything):
        members = [a for a in everything if run.plan.catalog[a].vendor == vendor]
        colours.update(zip(members, _shades(vendor_colour[vendor], len(members)), strict=True))
    return {a: colours[a] for a in _accelerator_order(run, ids)}


def _accelerator_label(run: ChartInput, accelerator_id: str) -> str:
    accelerator = run.plan.catalog[accelerator_id]
    if accelerator.vendor.lower() in accelerator.name.lower():
        return accelerator.name
    return f"{accelerator.vendor}: {accelerator.name}"


def chip_mix_rows(run: ChartInput) -> list[str]:
    """The chip mix's rows: every site, then `cloud` where capacity is leased."""
    allocation = _tables(run).allocation
    return [s.id for s in run.plan.sites] + ([CLOUD] if (allocation["site"] == CLOUD).any() else [])


def chip_mix(run: ChartInput) -> list[Figure]:
    """Per site (and cloud leases): accelerators and BF16 compute in service by accelerator; a page
    per `SITES_PER_PAGE` rows."""
    return [_chip_mix_page(run, page) for page in site_pages(chip_mix_rows(run))]


def _chip_mix_page(run: ChartInput, page: SitePage) -> Figure:
    allocation = _tables(run).allocation
    periods = run.plan.periods
    x = list(range(len(periods)))
    ids = _accelerator_order(run, allocation["accelerator"])
    colours = accelerator_colours(run, ids)
    figure, grid = _panels(len(page.rows), 2)
    for index, site_id in enumerate(page.rows):
        rows = allocation[allocation["site"] == site_id]
        by = rows.groupby(["accelerator", "period"])[["accelerators", "bf16_pflops"]].sum()
        for column, (measure, quantity, kind) in enumerate(
            [("accelerators", "Accelerators in service", "count"), ("bf16_pflops", "BF16 compute", "pflops")]
        ):
            ax = grid[index][column]
            ax.set_gid(SITE_GID + site_id)
            series = []
            for accelerator_id in ids:
                if accelerator_id in by.index.get_level_values(0):
                    values = by.loc[accelerator_id][measure].reindex(list(periods)).fillna(0.0)
                    series.append((_accelerator_label(run, accelerator_id), [float(v) for v in values],
                                   colours[accelerator_id]))
            tops = _stacked_bars(ax, x, series)
            _upper_limit(ax, max(tops))
            if max(tops) <= 0:
                _empty(ax, "no accelerators here")
            total = fmt.count(tops[-1]) + " accelerators" if measure == "accelerators" else fmt.pflops(tops[-1])
            ax.set_title(f"{_site_title(run, site_id)}: {total}", **TITLE)
            value_axis(ax, quantity, kind)
            quarter_axis(ax, periods, labelled=page.is_last_row(index), width_share=0.4)
    handles = [Patch(facecolor=colours[a], edgecolor="none") for a in ids if a in set(allocation["accelerator"])]
    if handles:
        figure.legend(handles, [_accelerator_label(run, a) for a in ids], loc="outside right upper",
                      fontsize=7.5, frameon=False, title="accelerator, by vendor", title_fontsize=8)
    return _paged(figure, page, "Chip mix by site",
                  f"accelerators in service (left) and their BF16 compute (right); totals for {periods[-1]}")


# --- 4. budget -----------------------------------------------------------------------------

def budget(run: ChartInput) -> Figure:
    """Per year: capex and opex by kind (stacked bars) against the yearly limit (black bars)."""
    table = _tables(run).budget
    years = [str(int(y)) for y in table["year"]]
    x = list(range(len(years)))
    figure, grid = _panels(1)
    ax = grid[0][0]
    kinds = [c for c in MONEY_COLOURS if c in table.columns]
    series = [(MONEY_LABELS[c], [float(v) for v in table[c]], MONEY_COLOURS[c]) for c in kinds]
    tops = _stacked_bars(ax, x, series, width=0.6)
    limits = [float(v) for v in table["limit_usd"]]
    limited = [i for i, v in enumerate(limits) if not math.isnan(v)]
    if limited:
        ax.hlines([limits[i] for i in limited], [i - 0.42 for i in limited], [i + 0.42 for i in limited],
                  colors="#111111", linewidth=1.8, label="yearly budget limit (capex + opex)", zorder=5)
    capex_limits = [float(v) for v in table["capex_limit_usd"]] if "capex_limit_usd" in table else []
    capped = [i for i, v in enumerate(capex_limits) if not math.isnan(v)]
    if capped:
        ax.hlines([capex_limits[i] for i in capped], [i - 0.42 for i in capped], [i + 0.42 for i in capped],
                  colors="#b22222", linewidth=1.6, linestyles="--", label="yearly capex limit", zorder=5)
    for i, total in enumerate(tops):
        words = "spent " + _trimmed(fmt.usd(total))
        if i in limited and limits[i] > 0:
            words += f"\nof {_trimmed(fmt.usd(limits[i]))} ({fmt.share(total / limits[i])})"
        if i in capped and capex_limits[i] > 0:
            capex_i = float(table["capex_usd"].iloc[i])
            words += (f"\ncapex {_trimmed(fmt.usd(capex_i))} of {_trimmed(fmt.usd(capex_limits[i]))} "
                      f"({fmt.share(capex_i / capex_limits[i])})")
        credit = float(table["capex_trade_in_usd"].iloc[i]) if "capex_trade_in_usd" in table else 0.0
        if credit < 0:
            words += f"\nafter a {_trimmed(fmt.usd(-credit))} trade-in credit"
        ceiling = max([total, limits[i] if i in limited else 0.0, capex_limits[i] if i in capped else 0.0])
        # parse_math off: two "$" in one label would otherwise be read as TeX.
        ax.annotate(words, xy=(i, ceiling), xytext=(0, 4), textcoords="offset points", ha="center", va="bottom",
                    fontsize=8, parse_math=False)
    top = max([*tops, *(limits[i] for i in limited), *(capex_limits[i] for i in capped)])
    _upper_limit(ax, top, 1)
    if top <= 0:
        _empty(ax, "no spending in the horizon")
    spending_axes(ax, years, 8.5)
    capex = sum(float(table[c].sum()) for c in kinds if c.startswith("capex_"))
    opex = sum(float(table[c].sum()) for c in kinds if c.startswith("opex_"))
    limit_words = "; ".join(
        ([f"budget limits total {fmt.usd(sum(limits[i] for i in limited))}"] if limited else [])
        + ([f"capex limits total {fmt.usd(sum(capex_limits[i] for i in capped))}"] if capped else [])
    ) or "no yearly budget limit is set"
    if limited and len(limited) < len(years):
        limit_words += f" ({len(years) - len(limited)} year(s) without a limit)"
    ax.set_title(f"Over the horizon: capex {fmt.usd(capex)}, opex {fmt.usd(opex)}; {limit_words}", **TITLE)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    figure.suptitle("Budget: spending by year, capex and opex by kind, against the yearly limit",
                    fontsize=12, x=0.01, ha="left")
    return figure


# --- 5. compute ----------------------------------------------------------------------------

def ecosystem_pflops(run: ChartInput) -> dict[str, list[float]]:
    """Peak BF16 PFLOPS in service per ecosystem and quarter (as the compute table counts vendors)."""
    allocation = _tables(run).allocation
    periods = list(run.plan.periods)
    out: dict[str, list[float]] = {}
    for row in allocation.itertuples(index=False):
        ecosystem = run.plan.catalog[str(row.accelerator)].ecosystem
        values = out.setdefault(ecosystem, [0.0] * len(periods))
        values[periods.index(str(row.period))] += float(row.bf16_pflops)
    return out


def effective_pflops_by_vendor(run: ChartInput) -> dict[str, list[float]]:
    """Effective BF16 PFLOPS in service per vendor and quarter (allocation.csv's
    `effective_bf16_pflops`: peak x availability x utilisation x stack maturity)."""
    allocation = _tables(run).allocation
    periods = list(run.plan.periods)
    out: dict[str, list[float]] = {}
    for row in allocation.itertuples(index=False):
        values = out.setdefault(str(row.vendor), [0.0] * len(periods))
        values[periods.index(str(row.period))] += float(row.effective_bf16_pflops)
    return out


def _stacks_are_vendors(run: ChartInput) -> dict[str, str] | None:
    """Each vendor's one stack, where every vendor in the plan's allocation runs one stack and no
    two share one (then a panel by stack would repeat the panel by vendor); else None."""
    allocation = _tables(run).allocation
    pairs = {(str(v), run.plan.catalog[str(a)].ecosystem) for v, a in zip(allocation["vendor"],
                                                                          allocation["accelerator"], strict=True)}
    vendors, stacks = {v for v, _ in pairs}, {e for _, e in pairs}
    return dict(sorted(pairs)) if len(pairs) == len(vendors) == len(stacks) else None


def _group_order(names: Iterable[str], first: Sequence[str]) -> list[str]:
    return sorted(set(names), key=lambda n: (first.index(n) if n in first else len(first), n))


def compute_over_time(run: ChartInput) -> Figure:
    """BF16 compute in service by vendor and by ecosystem; delivered compute against demand."""
    plan = run.plan
    table = _tables(run).compute
    periods = plan.periods
    x = list(range(len(periods)))
    figure, grid = _panels(2, 2)
    vendors = _group_order([c.removeprefix("bf16_pflops_") for c in table.columns
                            if c.startswith("bf16_pflops_") and c != "bf16_pflops_in_service"], list(VENDOR_COLOURS))
    colours = vendor_colours(run)
    by_vendor = [(v, [float(p) for p in table[f"bf16_pflops_{v}"]], colours[v]) for v in vendors]
    stacks = _stacks_are_vendors(run)
    if stacks is None:
        ecosystems = ecosystem_pflops(run)
        eco_colours = ecosystem_colours(run)
        right = ("software ecosystem", [(e, ecosystems[e], eco_colours[e])
                                        for e in _group_order(ecosystems, list(ECOSYSTEM_VENDOR))])
    else:  # by stack would repeat by vendor: show what each vendor's compute is worth instead
        effective = effective_pflops_by_vendor(run)
        right = ("vendor, effective", [(f"{v} ({stacks[v]})" if v in stacks else v,
                                        effective.get(v, [0.0] * len(periods)), colours[v]) for v in vendors])
    same_precision = plan.training_precision == plan.inference_precision == "bf16"
    demand = [a + b for a, b in zip(plan.training_pflops, plan.inference_pflops, strict=True)]
    for column, (what, series) in enumerate([("vendor", by_vendor), right]):
        ax = grid[0][column]
        tops = _stacked_bars(ax, x, series)
        top = max(tops)
        if "effective_bf16_pflops_in_service" in table:
            # Peak bars, and what they are worth as useful compute (the figure demand is held to).
            ax.plot(x, [float(v) for v in table["effective_bf16_pflops_in_service"]], **EFFECTIVE_LINE,
                    label="effective (x utilisation x stack maturity)")
        if same_precision and max(demand) > 0:
            _steps(ax, demand, "demand, effective (training + inference)", DEMAND_LINE)
            top = max(top, max(demand))
        _upper_limit(ax, top)
        if top <= 0:
            _empty(ax, "no compute in service")
        ax.set_title(f"In service by {what}: {fmt.pflops(tops[-1])} in {periods[-1]}", **TITLE)
        value_axis(ax, "BF16 compute in service", "pflops")
        quarter_axis(ax, periods, labelled=False, width_share=0.4)
        _inner_legend(ax)
    for column, workload in enumerate(["training", "inference"]):
        _delivered_panel(run, grid[1][column], workload)
    figure.suptitle("Compute over time: in service, BF16 peak and effective (top); delivered, effective, "
                    "against demand (bottom)",
                    fontsize=12, x=0.01, ha="left")
    return figure


def _delivered_panel(run: ChartInput, ax: Axes, workload: str) -> None:
    """One workload's delivered compute (bars) and its demand (dashed steps), at its precision."""
    plan = run.plan
    table = _tables(run).compute
    periods = plan.periods
    precision = (plan.training_precision if workload == "training" else plan.inference_precision).upper()
    delivered = [float(v) for v in table[f"{workload}_pflops"]]
    demand = [float(v) for v in table[f"{workload}_demand_pflops"]]
    ax.bar(list(range(len(periods))), delivered, 0.8, color="#8a9bb0", linewidth=0, label=f"{workload} delivered")
    if max(demand) > 0:
        _steps(ax, demand, f"{workload} demand", DEMAND_LINE)
        short = sum(1 for done, due in zip(delivered, demand, strict=True) if done < due * (1 - 1e-6))
        status = "met in every quarter" if short == 0 else f"short in {short} quarter(s)"
        words = f"demand {status}"
    else:
        words = "no demand set"
    top = max([*delivered, *demand])
    _upper_limit(ax, top)
    if top <= 0:
        _empty(ax, f"no {workload} compute")
    ax.set_title(f"{workload.capitalize()} delivered ({precision}, effective): {words}", **TITLE)
    value_axis(ax, f"{workload.capitalize()} compute, {precision} effective", "pflops")
    quarter_axis(ax, periods, width_share=0.4)
    _inner_legend(ax)


def _inner_legend(ax: Axes) -> None:
    """A legend inside a panel of a 2 x 2 page, top left, where compute (which grows over time) is
    lowest: outside, beside each panel, it took half the page's width and squeezed the quarters'
    labels into one another."""
    ax.legend(loc="upper left", fontsize=7.5, frameon=True, framealpha=0.9, edgecolor="none")


# --- 6. hall space -------------------------------------------------------------------------

def hall_space(run: ChartInput) -> list[Figure]:
    """Per site and hall type: IT MW ready (light bars) and occupied (dark bars: racks in service or
    being commissioned, which hold their space from delivery), module arrivals marked;
    a page per `SITES_PER_PAGE` sites."""
    return [_hall_page(run, page) for page in site_pages([s.id for s in run.plan.sites])]


def _hall_page(run: ChartInput, page: SitePage) -> Figure:
    sites = _tables(run).sites
    periods = run.plan.periods
    figure, grid = _panels(len(page.rows))
    by_id = {site.id: site for site in run.plan.sites}
    for index, site in enumerate(by_id[row] for row in page.rows):
        ax = grid[index][0]
        ax.set_gid(SITE_GID + site.id)
        halls = [(h, _column(sites, site.id, f"hall_{h.id}_ready_mw", periods),
                  _column(sites, site.id, f"hall_{h.id}_used_mw", periods)) for h in site.halls]
        halls = [(h, ready, used) for h, ready, used in halls if max([*ready, *used]) > 1e-9] or halls
        width = 0.8 / len(halls)
        marks: list[Mark] = []
        tops = [0.0] * len(periods)
        kinds: dict[str, int] = {}
        for slot, (hall, ready, used) in enumerate(halls):
            shade = kinds.get(hall.kind, 0)
            kinds[hall.kind] = shade + 1
            colour = _shade(HALL_COLOURS.get(hall.kind, "#777777"), 0.3 * shade)
            x = [t - 0.4 + width * (slot + 0.5) for t in range(len(periods))]
            name = _named(hall.id, hall.kind) + (", no backup power" if hall.backup == "none" else "")
            ax.bar(x, ready, width * 0.95, color=_shade(colour, 0.72), linewidth=0, label=f"{name}: ready")
            ax.bar(x, used, width * 0.55, color=colour, linewidth=0, label=f"{name}: occupied")
            for t in range(len(periods)):
                tops[t] = max(tops[t], ready[t], used[t])
                if t > 0 and ready[t] > ready[t - 1] + 1e-6:
                    modules = (ready[t] - ready[t - 1]) / hall.module_it_mw if hall.module_it_mw else 0.0
                    count = f" ({modules:.3g} module{'s' if modules != 1 else ''})" if modules else ""
                    named = f"{hall.id} " if len(halls) > 1 else ""
                    marks.append((x[t], ready[t], f"{named}+{_trimmed(fmt.mw(ready[t] - ready[t - 1]))}{count}"))
        _upper_limit(ax, max(tops), _mark_steps(ax, marks, len(periods), max(tops)))
        if max(tops) <= 0:
            _empty(ax, "no hall space in the horizon")
        ready_end = sum(r[-1] for _, r, _ in halls)
        used_end = sum(u[-1] for _, _, u in halls)
        ax.set_title(f"{_site_title(run, site.id)}: {fmt.mw(used_end)} IT occupied of {fmt.mw(ready_end)} ready "
                     f"in {periods[-1]}", **TITLE)
        value_axis(ax, "IT power in halls", "mw")
        quarter_axis(ax, periods, labelled=page.is_last_row(index))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    return _paged(figure, page, "Hall space", "IT MW ready (light) and occupied (dark: racks in service or being "
                  "commissioned) per hall type; new modules marked")

