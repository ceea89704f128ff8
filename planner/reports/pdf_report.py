"""The report a person reads: `report.pdf` (summary, charts, tables) and each chart as a PNG.

Each chart is drawn once (`planner.reports.charts`), rendered to PNG bytes and onto a PDF page; every
file goes through `OutputFolder.write_bytes` (atomic, hashed for the manifest). Nothing that
changes from run to run reaches the files: the PDF has no creation date, PNGs no software tag,
and the summary page shows no timings, so identical inputs give identical bytes.

Pages are saved in reading order (summary, charts, tables), in PDF's own Helvetica where it has
every character (`save_page`), which is what keeps the table pages fast.
"""

from __future__ import annotations

import io
import logging
import math
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from planner import __version__, fmt
from planner.answers.decision import unit_cost_words
from planner.model.families import FAMILIES
from planner.model.families import INTERNAL as INTERNAL_FAMILIES
from planner.model.rows import KEY_FIELDS
from planner.objective import Objective
from planner.reports.charts import CHARTS, PAGE_INCHES, ChartInput, ecosystem_pflops, vendor_colours
from planner.reports.first_page import FOOT_TOP, MAX_FILES_SHOWN, SHA_SHOWN, provenance_block, risks_block
from planner.reports.first_page import Writer as _Writer
from planner.reports.literal import literal_text

if TYPE_CHECKING:
    from planner.answers.diagnosis import Diagnosis
    from planner.answers.outcome import RunResult
    from planner.reports.output import OutputFolder

PNG_DPI = 150
ROWS_PER_PAGE = 40
PDF_NAME = "report.pdf"

@literal_text()
def write_charts_and_pdf(run: RunResult, summary: dict[str, Any], folder: OutputFolder) -> dict[str, Figure]:
    """Write each chart as a PNG and the whole report as `report.pdf` into `folder`: the summary
    page, a page per chart, then the table pages. Returns the drawn charts by PNG name (report.html shows them)."""
    matplotlib.use("Agg")
    buffer = io.BytesIO()
    metadata = {"Title": f"{run.plan.title}: capacity plan", "Creator": f"planner {__version__}",
                "CreationDate": None, "ModDate": None}
    with PdfPages(buffer, metadata=metadata) as pdf:
        save_page(pdf, summary_page(run, summary))
        figures = {}
        for name, chart in CHARTS.items():
            png, figures[name] = render_chart(chart, run)
            folder.write_bytes(name, png)
            save_page(pdf, figures[name])
        for page in [*allocation_pages(run), *limit_pages(run)]:
            save_page(pdf, page)
    folder.write_bytes(PDF_NAME, buffer.getvalue())
    return figures


def render_chart(chart: Callable[[ChartInput], Figure], run: ChartInput) -> tuple[bytes, Figure]:
    """A chart's PNG bytes, and its figure with the layout the PNG got (for the PDF page: the same
    page, and no second layout pass)."""
    figure = chart(run)
    png = png_bytes(figure)
    figure.set_layout_engine("none")
    return png, figure


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG bytes, without the software tag (which names the matplotlib version)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return buffer.getvalue()


CORE_ENCODING = "cp1252"
"""The only characters PDF's core fonts have (WinAnsiEncoding)."""


def save_page(pdf: PdfPages, figure: Figure) -> None:
    """Add `figure` as a page, in the PDF's own Helvetica if it has all the page's characters, else
    in DejaVu Sans (embedded), so that no name is ever drawn as '?'.

    Helvetica needs nothing embedded and no glyph-by-glyph layout: matplotlib lays out and loads
    every glyph of a TrueType text it writes to a PDF, 0.2 s a table page against 0.03 s. The PNGs
    keep DejaVu Sans."""
    texts = [text.get_text() for text in figure.findobj(Text)]
    try:
        "".join(texts).encode(CORE_ENCODING)
    except UnicodeEncodeError:
        pdf.savefig(figure)  # type: ignore[no-untyped-call]
        return
    # Helvetica's metrics file calls its regular weight "Medium": matplotlib finds it for
    # "normal" and warns that the names differ. The font is the right one; the warning is noise.
    fonts = logging.getLogger("matplotlib.font_manager")
    level = fonts.level
    fonts.setLevel(logging.ERROR)
    try:
        with matplotlib.rc_context({"pdf.use14corefonts": True, "font.sans-serif": ["Helvetica"],
                                    "font.monospace": ["Courier"]}):
            pdf.savefig(figure)  # type: ignore[no-untyped-call]
    finally:
        fonts.setLevel(level)


# --- 1. summary ----------------------------------------------------------------------------

def summary_page(run: RunResult, summary: dict[str, Any]) -> Figure:
    """Page 1: what was planned, the headline numbers, what limits the plan, its main risks, and provenance."""
    figure = Figure(figsize=PAGE_INCHES)
    plan = summary["plan"]
    totals = summary.get("totals", {})
    figure.text(0.04, 0.955, run.plan.title, fontsize=18, weight="bold", va="top", color="#1f2d3d")
    first, last = plan["horizon"]
    sites = len(run.plan.sites)
    figure.text(0.04, 0.905, f"Capacity plan '{plan['name']}', {first} to {last} ({len(run.plan.periods)} quarters), "
                f"{sites} site{'s' if sites != 1 else ''}; objective {summary['objective']['name']}.  "
                f"{fmt.as_of_words(summary['as_of'])}.", fontsize=10.5, va="top", color="#333333")
    top = 0.85
    if "decision" in summary:
        top = _decision(figure, summary["decision"])
    left = _Writer(figure, 0.04, top, 62)
    left.heading(f"Headline at the end of the horizon ({totals.get('end_period', last)})")
    _headline(left, run, summary, totals)
    right = _Writer(figure, 0.55, top, 72)
    right.heading("What limits the plan most")
    limits = summary.get("binding", [])[:3]
    if not limits:
        right.line("No limit binds with a non-zero price: the plan has room on every side.")
    for number, limit in enumerate(limits, start=1):
        right.line(f"{number}. {limit['words']}.", size=9, gap=1.05)
        right.space(0.2)
    right.line("What one more step of each is worth; the last pages list every limit and its slack.",
               size=7.5, color="#555555", scaled=True)
    if run.risks is not None:
        risks_block(right, run.risks)
    _contents(figure, FOOT_TOP)
    provenance_block(figure, summary, width_chars=160)
    return figure


CONTENTS = (
    "2  Power by site: firm power by source against the peak draw",
    "3  Chip mix: accelerators and compute by site",
    "4  Budget: capex and opex by year against the limit",
    "5  Compute over time: by vendor, by ecosystem, against demand",
    "6  Hall space: ready and in use, new modules",
    "7  Tables: allocation at the end; every limit with its slack",
)


def _contents(figure: Figure, top: float) -> None:
    """The pages that follow, small, at the foot's right (beside the status and provenance)."""
    writer = _Writer(figure, 0.725, top, 80)
    writer.line("In this report", size=9, weight="bold", color="#1f2d3d")
    for line in CONTENTS:
        writer.line(line, size=7)


def _decision(figure: Figure, decision: dict[str, Any]) -> float:
    """The plan in a sentence or two, under the title; returns where the next block starts."""
    writer = _Writer(figure, 0.04, 0.87, 150)
    words = unit_cost_words(decision)
    text = decision["sentence"] + (f" Capex per unit: {words}." if words else "")
    for line in textwrap.wrap(text, 150)[:4]:
        writer.line(line, size=9.5, weight="bold", color="#1f2d3d")
    return writer.y - 0.02


def _headline(writer: _Writer, run: RunResult, summary: dict[str, Any], totals: dict[str, Any]) -> None:
    if not totals:
        writer.line(f"No plan to report: status {summary['status']}.")
        return
    by_vendor = totals["accelerators_end_by_vendor"]
    writer.line(f"Accelerators in service: {fmt.count(totals['accelerators_end'])}", size=10.5, weight="bold")
    colours = vendor_colours(run)
    shares = _vendor_shares(run)
    top = writer.y
    if len(shares) > 1:  # beside the vendor lines, and the lines below it wait for it
        _vendor_bar(writer.figure, run, top, writer.x + 0.28)
    for vendor, count in by_vendor.items():
        figure = writer.figure
        figure.add_artist(_swatch(figure, writer.x + 0.013, writer.y, colours.get(vendor, "#777777")))
        writer.x += 0.03
        share = f"  ({fmt.share(shares[vendor])} of BF16 compute)" if vendor in shares else ""
        writer.line(f"{vendor}: {fmt.count(count)}{share}")
        writer.x -= 0.03
    if len(shares) > 1:
        writer.y = min(writer.y, top - VENDOR_BAR_DEPTH)
    writer.space(0.4)
    writer.line(f"Compute in service: {fmt.pflops(totals['bf16_eflops_end'] * 1000)} BF16, "
                f"{fmt.pflops(totals['fp8_eflops_end'] * 1000)} FP8 peak; "
                f"{fmt.pflops(totals['effective_bf16_eflops_end'] * 1000)} BF16 effective", size=10.5, weight="bold")
    plan = run.plan
    writer.line(f"Delivered over the horizon (effective): "
                f"{fmt.pflops(totals['delivered_training_pflops_quarters'])}-quarters training "
                f"({plan.training_precision.upper()}), "
                f"{fmt.pflops(totals['delivered_inference_pflops_quarters'])}-quarters inference "
                f"({plan.inference_precision.upper()})")
    if totals.get("retired_units", 0.0) > 0:
        writer.line(f"Retired early: {fmt.count(totals['retired_units'])} installed units, sold for "
                    f"{fmt.usd(totals['resale_usd'])}")
    writer.space(0.4)
    used, available = totals["facility_mw_used_end"], totals["facility_mw_available_end"]
    share = f" ({fmt.share(used / available)})" if available > 0 else ""
    writer.line(f"Peak facility power (design PUE): {fmt.mw(used)} of {fmt.mw(available)} firm{share}",
                size=10.5, weight="bold")
    writer.line(f"Highest peak in any quarter: {fmt.mw(totals['facility_mw_used_peak'])}, all sites together; "
                f"average draw (annual PUE) {fmt.mw(totals['facility_mw_average_end'])}")
    writer.space(0.4)
    capex, opex, limit = totals["capex_usd"], totals["opex_usd"], totals["budget_limit_usd"]
    writer.line(f"Spending over the horizon: {fmt.usd(capex + opex)} (capex {fmt.usd(capex)}, opex {fmt.usd(opex)})",
                size=10.5, weight="bold")
    capex_limit = totals.get("capex_limit_usd")
    if limit is None and capex_limit is None:
        writer.line("No yearly budget limit is set in this plan.")
    if limit is not None:
        writer.line(f"Against budget limits of {fmt.usd(limit)} over the years that have one "
                    f"({fmt.share((capex + opex) / limit) if limit > 0 else '-'} used)")
    if capex_limit is not None:
        spent = totals["capex_in_capped_years_usd"]
        writer.line(f"Capex {fmt.usd(spent)} against capex limits of {fmt.usd(capex_limit)} "
                    f"({fmt.share(spent / capex_limit) if capex_limit > 0 else '-'} used)")
    objective = summary["objective"]
    if Objective(objective["name"]).maximises:
        words = f"{fmt.pflops(objective['value'])}-quarters of effective compute, weighted by workload"
    else:
        words = f"{fmt.usd(objective['value'])}, {objective['unit']}"
    writer.space(0.4)
    writer.line(f"Objective ({objective['name']}): {words}", size=8.5, color="#444444")


def _swatch(figure: Figure, x: float, top: float, colour: str, points: float = 7.0) -> Rectangle:
    """A small square of colour, its top `points` / 5 below `top` (a line's top, in figure coordinates)."""
    width, height = points / 72 / figure.get_figwidth(), points / 72 / figure.get_figheight()
    return Rectangle((x, top - height * 1.2), width, height, transform=figure.transFigure, color=colour, linewidth=0)


def _vendor_shares(run: RunResult) -> dict[str, float]:
    """Each vendor's share of the BF16 compute in service at the end (those with some), largest first."""
    if run.tables is None:
        return {}
    last = run.tables.compute.iloc[-1]
    compute = {c.removeprefix("bf16_pflops_"): float(last[c]) for c in run.tables.compute.columns
               if c.startswith("bf16_pflops_") and c != "bf16_pflops_in_service" and float(last[c]) > 0}
    total = sum(compute.values())
    return {vendor: value / total for vendor, value in sorted(compute.items(), key=lambda item: -item[1])} if (
        total > 0) else {}


VENDOR_BAR_WIDTH = 0.2
VENDOR_BAR_DEPTH = 0.05
"""The vendor bar sits beside the headline's vendor lines (their swatches give the same colours), its
bottom this far below their top."""


def _vendor_bar(figure: Figure, run: RunResult, top: float, x: float) -> None:
    """A 100% bar of BF16 compute in service at the end, by vendor, its title's top at `top`."""
    shares = _vendor_shares(run)
    if not shares:
        return
    ax = figure.add_axes((x, top - VENDOR_BAR_DEPTH, VENDOR_BAR_WIDTH, 0.025))
    colours = vendor_colours(run)
    start = 0.0
    for vendor, share in shares.items():
        ax.barh([0], [share], left=[start], color=colours.get(vendor, "#777777"), height=1.0)
        if share * VENDOR_BAR_WIDTH * PAGE_INCHES[0] * 72 > (len(vendor) + 5) * 4.5:
            ax.text(start + share / 2, 0, f"{vendor} {fmt.share(share)}", ha="center", va="center", fontsize=7,
                    color="white", weight="bold")
        start += share
    ax.set_xlim(0, 1)
    ax.set_axis_off()
    ax.set_title(f"BF16 compute in service in {run.plan.periods[-1]}, by vendor", fontsize=7.5, loc="left")


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
        _table_row(figure, columns, [c.header for c in columns], y, weight="bold")
        figure.add_artist(_rule(figure, y - step * 0.55))
        start = page * ROWS_PER_PAGE
        for i, row in enumerate(rows[start:start + ROWS_PER_PAGE]):
            y -= step
            if i % 2 == 1:
                figure.add_artist(_band(figure, y, step))
            _table_row(figure, columns, row, y, weight="bold" if start + i in bold_rows else "normal")
        if not rows:
            figure.text(0.04, y - step, "(none)", fontsize=8)
        yield figure


def _table_row(figure: Figure, columns: Sequence[Column], cells: Sequence[str], y: float, weight: str) -> None:
    """One row of cells; column widths are shares of the 0.92 of the page between the margins."""
    total = sum(c.width for c in columns)
    x = 0.04
    for column, cell in zip(columns, cells, strict=True):
        width = 0.92 * column.width / total
        figure.text(x + width - 0.006 if column.right else x, y, cell, fontsize=7.5, va="center",
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


SENSES = {"<=": r"$\leq$", ">=": r"$\geq$", "==": "="}
"""Mathtext, so that a page of limits stays in the core fonts (which have no \u2264)."""


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
    """Every limit with its slack and prices, binding ones first (constraints.csv's order)."""
    assert run.tables is not None
    table = run.tables.constraints
    table = table[~table["family"].isin(INTERNAL_FAMILIES)]
    columns = [Column("limit", 0.115), Column("key", 0.18), Column("period", 0.055), Column("", 0.02),
               Column("limit value", 0.08, True), Column("used", 0.08, True), Column("slack", 0.08, True),
               Column("shadow price", 0.08, True), Column("binds", 0.05, True),
               Column("worth of one more step", 0.22, True)]
    rows, bold = [], set()
    levels = _Levels(run)
    worth = fmt.pflops if run.plan.objective.maximises else fmt.usd
    for i, r in enumerate(table.itertuples(index=False)):
        family = FAMILIES[str(r.family)]
        words, formatter = family.title, partial(fmt.quantity, unit=family.unit)
        solved = float(getattr(r, "solved_step_value", float("nan")))
        value = float(r.step_value) if solved != solved else solved  # re-solved worth where there is one
        suffix = "-quarters" if run.plan.objective.maximises else ""
        where = " / ".join(str(getattr(r, f)) for f in KEY_FIELDS if getattr(r, f))
        rows.append([words, where, str(r.period), SENSES.get(str(r.sense), str(r.sense)),
                     *levels(r, formatter),
                     _number(float(r.slack), formatter), _number(float(r.shadow_price), _price),
                     "yes" if r.binding else "", f"{worth(value)}{suffix} per {r.step}" if value > 1e-9 else ""])
        if r.binding:
            bold.add(i)
    binding = len(bold)
    unit = run.plan.objective.value_unit
    note = (f"{len(rows)} limits, {binding} binding (shown first, in bold, most valuable first). Shadow price: the "
            f"solver's dual, in {unit} per unit of the limit (MW, USD, units, PFLOPS); worth of one more step: the "
            "same in a person's step (100 MW, $1B, 1,000 units), re-solved with the step for the top-ranked limits. "
            f"Rows that only tie the model together ({', '.join(sorted(INTERNAL_FAMILIES))}) are in constraints.csv, "
            "with every row's name.")
    return list(table_pages("Limits: every limit with its slack, binding first", columns, rows, note,
                            bold_rows=frozenset(bold)))


# --- diagnosis (a plan that cannot be met) -------------------------------------------------

@literal_text()
def write_diagnosis_pdf(run: RunResult, diagnosis: Diagnosis, provenance: dict[str, Any], folder: OutputFolder) -> None:
    """`report.pdf` for a plan that cannot be met: one page saying what is short and why."""
    matplotlib.use("Agg")
    buffer = io.BytesIO()
    metadata = {"Title": f"{run.plan.title}: no plan fits", "Creator": f"planner {__version__}",
                "CreationDate": None, "ModDate": None}
    with PdfPages(buffer, metadata=metadata) as pdf:
        save_page(pdf, diagnosis_page(run, diagnosis, provenance))
    folder.write_bytes(PDF_NAME, buffer.getvalue())


def diagnosis_sections(diagnosis: Diagnosis) -> list[tuple[str, list[str]]]:
    """The diagnosis's sections, (title, lines), as report.pdf and report.html show them."""
    return [
        ("What is short, with every limit held", [s.words for s in diagnosis.short]),
        ("Because", diagnosis.binding_while_short[:8]),
        ("What would close it, all together, with every target held (money gives first, then space, power, "
         "supply)", [s.words for s in diagnosis.would_close]
         or ([] if diagnosis.closable else ["No change to power, space, budget or supply closes it: the targets "
                                            "ask for compute before any allowed accelerator can serve it."])),
        ("Conflicting limits found by HiGHS (irreducible infeasible subsystem)", diagnosis.iis_limits[:20]),
    ]


def diagnosis_page(run: RunResult, diagnosis: Diagnosis, provenance: dict[str, Any]) -> Figure:
    """What is short with every limit held, why, what would close it, and the solver's IIS."""
    figure = Figure(figsize=PAGE_INCHES)
    figure.text(0.04, 0.955, run.plan.title, fontsize=18, weight="bold", va="top", color="#1f2d3d")
    first, last = run.plan.periods[0], run.plan.periods[-1]
    figure.text(0.04, 0.905, f"Capacity plan '{run.plan.name}', {first} to {last}: no plan meets every limit.",
                fontsize=10.5, va="top", color="#9b1c1c", weight="bold")
    writer = _Writer(figure, 0.04, 0.86, 110)
    writer.line(diagnosis.headline(), size=11)
    writer.width_chars = 140
    for title, lines in diagnosis_sections(diagnosis):
        if not lines:
            continue
        writer.heading(title)
        for text in lines[:12]:
            writer.line(f"- {text}")
        if len(lines) > 12:
            writer.line(f"... {len(lines) - 12} more in diagnosis.json", color="#555555")
    foot = _Writer(figure, 0.04, 0.16, 150)
    foot.line("Provenance", size=10, weight="bold", color="#1f2d3d")
    foot.line(f"Solver: {run.result.solver.name} {run.result.solver.version}.  "
              f"Planner version {provenance['planner_version']}.", size=8)
    for entry in [*provenance["inputs"], *provenance["catalog"]][:MAX_FILES_SHOWN]:
        foot.line(f"SHA-256 {entry['sha256'][:SHA_SHOWN]}...  {entry['path']}", size=8, family="monospace")
    return figure
