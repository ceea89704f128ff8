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
from planner.reports.literal import literal_text

if TYPE_CHECKING:
    from planner.answers.outcome import RunResult
    from planner.reports.output import OutputFolder

PNG_DPI = 150
ROWS_PER_PAGE = 40
PDF_NAME = "report.pdf"
SHA_SHOWN = 16
"""Hex digits of each input's SHA-256 on the summary page (summary.json has all 64)."""
MAX_FILES_SHOWN = 9

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

ASCENT = 0.72
"""Height of a capital above the baseline, per point of font size (Helvetica's cap height)."""


class Writer:
    """Lines of text placed down a column of a figure, in figure coordinates (every report's
    text pages use it: the diagnosis, a sweep's first page)."""

    def __init__(self, figure: Figure, x: float, y: float, width_chars: int) -> None:
        self.figure, self.x, self.y, self.width_chars = figure, x, y, width_chars

    def line(self, text: str, size: float = 9.5, gap: float = 1.0, **style: Any) -> None:
        for part in textwrap.wrap(text, self.width_chars, break_on_hyphens=False) or [""]:
            # parse_math off: two "$" in a line ("$58B of $58B") would otherwise be read as TeX.
            # Placed by its baseline, one ascent below the line's top: aligned by its top, a line with
            # an apostrophe or a backtick drops by half a line in the PDF's Helvetica (matplotlib
            # measures those two glyphs far taller than they are).
            baseline = self.y - size * ASCENT / 72 / self.figure.get_figheight()
            self.figure.text(self.x, baseline, part, fontsize=size, va="baseline", ha="left", parse_math=False,
                             **style)
            self.y -= size * 1.45 * gap / 72 / self.figure.get_figheight()

    def heading(self, text: str) -> None:
        self.space(0.6)
        self.line(text, size=11.5, weight="bold", color="#1f2d3d")
        self.space(0.25)

    def space(self, lines: float = 1.0) -> None:
        self.y -= lines * 9.5 * 1.45 / 72 / self.figure.get_figheight()


_Writer = Writer
"""The name page 1's code knew it by (kept while page 1 changes on other branches)."""


def file_hash_lines(writer: Writer, provenance: dict[str, Any], listed_in: str = "summary.json") -> None:
    """Each input and catalog file of `provenance` with the start of its SHA-256 (the first
    MAX_FILES_SHOWN), small, as every report's first page stamps them; `listed_in` has them all."""
    files = ([("input", e) for e in provenance.get("inputs", [])]
             + [("catalog", e) for e in provenance.get("catalog", [])])
    for label, entry in files[:MAX_FILES_SHOWN]:
        writer.line(f"{label:8} SHA-256 {entry['sha256'][:SHA_SHOWN]}...  {entry['path']}", size=8,
                    family="monospace")
    if len(files) > MAX_FILES_SHOWN:
        writer.line(f"... and {len(files) - MAX_FILES_SHOWN} more input files, listed in {listed_in}", size=8)


def summary_page(run: RunResult, summary: dict[str, Any]) -> Figure:
    """Page 1: what was planned, the headline numbers, what limits the plan, and provenance."""
    figure = Figure(figsize=PAGE_INCHES)
    plan = summary["plan"]
    totals = summary.get("totals", {})
    figure.text(0.04, 0.955, run.plan.title, fontsize=18, weight="bold", va="top", color="#1f2d3d")
    first, last = plan["horizon"]
    sites = len(run.plan.sites)
    figure.text(0.04, 0.905, f"Capacity plan '{plan['name']}', {first} to {last} ({len(run.plan.periods)} quarters), "
                f"{sites} site{'s' if sites != 1 else ''}; objective {summary['objective']['name']}.",
                fontsize=10.5, va="top", color="#333333")
    top = 0.85
    if "decision" in summary:
        top = _decision(figure, summary["decision"])
    left = _Writer(figure, 0.04, top, 62)
    left.heading(f"Headline at the end of the horizon ({totals.get('end_period', last)})")
    _headline(left, run, summary, totals)
    right = _Writer(figure, 0.55, top, 60)
    right.heading("What limits the plan most")
    limits = summary.get("binding", [])[:3]
    if not limits:
        right.line("No limit binds with a non-zero price: the plan has room on every side.")
    for number, limit in enumerate(limits, start=1):
        right.line(f"{number}. {limit['words']}.", gap=1.05)
        right.space(0.3)
    right.space(0.2)
    right.line("Each is the value of relaxing one limit by one step, as the solver prices it; "
               "the limits table at the end of this report lists every limit with its slack.",
               size=8, color="#555555")
    bar_bottom = right.y - 0.1
    _vendor_bar(figure, run, totals, bar_bottom)
    _contents(figure, min(bar_bottom - 0.08, 0.405))
    _provenance(figure, summary)
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
    writer = _Writer(figure, 0.55, top, 80)
    writer.line("In this report", size=10, weight="bold", color="#1f2d3d")
    for line in CONTENTS:
        writer.line(line, size=8)


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
    for vendor, count in by_vendor.items():
        figure = writer.figure
        figure.add_artist(_swatch(figure, writer.x + 0.013, writer.y, colours.get(vendor, "#777777")))
        writer.x += 0.03
        writer.line(f"{vendor}: {fmt.count(count)}")
        writer.x -= 0.03
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


def _vendor_bar(figure: Figure, run: RunResult, totals: dict[str, Any], bottom: float) -> None:
    """A 100% bar of BF16 compute in service at the end, by vendor."""
    if run.tables is None or not totals:
        return
    last = run.tables.compute.iloc[-1]
    shares = {c.removeprefix("bf16_pflops_"): float(last[c]) for c in run.tables.compute.columns
              if c.startswith("bf16_pflops_") and c != "bf16_pflops_in_service" and float(last[c]) > 0}
    total = sum(shares.values())
    if total <= 0:
        return
    ax = figure.add_axes((0.55, bottom, 0.41, 0.05))
    colours = vendor_colours(run)
    start = 0.0
    for vendor, value in sorted(shares.items(), key=lambda item: -item[1]):
        ax.barh([0], [value / total], left=[start], color=colours.get(vendor, "#777777"), height=1.0,
                label=f"{vendor} {fmt.share(value / total)}")
        if value / total * 0.41 * PAGE_INCHES[0] * 72 > (len(vendor) + 5) * 5.0:
            ax.text(start + value / total / 2, 0, f"{vendor} {fmt.share(value / total)}", ha="center",
                    va="center", fontsize=7.5, color="white", weight="bold")
        start += value / total
    ax.set_xlim(0, 1)
    ax.set_axis_off()
    ax.set_title(f"Share of BF16 compute in service in {run.plan.periods[-1]}, by vendor", fontsize=9,
                 loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.15), ncols=6, fontsize=7.5, frameon=False)


def _provenance(figure: Figure, summary: dict[str, Any]) -> None:
    """Status and provenance, small, at the foot of the summary page (no timings: they vary)."""
    writer = _Writer(figure, 0.04, 0.25, 150)
    writer.line("Status and provenance", size=10, weight="bold", color="#1f2d3d")
    solver = summary["solver"]
    verification = summary["verification"]
    checked = ("every limit re-checked on the returned numbers, "
               f"{verification['violations']} violation(s) (tolerance {verification['tolerance']})")
    writer.line(f"Status: {summary['status']}; {checked}.", size=8)
    writer.line(f"Units: {fmt.whole_units_words(solver)}.", size=8)
    writer.line(f"Solver: {solver['name']} {solver['version']}; "
                f"model {summary['model']['rows']} rows, "
                f"{summary['model']['columns']} columns.  Planner version {summary['provenance']['planner_version']}.",
                size=8)
    for line in _assumption_lines(summary["model"]["assumptions"]):
        writer.line(line, size=8)
    writer.space(0.3)
    provenance = summary["provenance"]
    file_hash_lines(writer, provenance)
    options = ", ".join(f"{k}={v}" for k, v in provenance["options"].items() if v is not None)
    writer.line(f"Options: {options}.", size=8)
    writer.line("Full hashes of inputs and of every output file are in summary.json, written with this report.",
                size=8, color="#555555")


def _assumption_lines(assumptions: dict[str, Any]) -> list[str]:
    """The model's choices for this plan, and what it leaves out, in two or three lines."""
    sites = []
    for site in assumptions["sites"]:
        design = (f"{site['design_pue']:g} design" if site["design_pue_given"]
                  else "no design PUE given, so power is sized at the annual one")
        reserve = "N-1 reserve" if site["reserve"] == "n-1" else "no reserve (exposure in sites.csv)"
        sites.append(f"{site['site']} PUE {site['annual_pue']:g} annual / {design}, {reserve}")
    shown = "; ".join(sites[:3]) + (f"; and {len(sites) - 3} more sites" if len(sites) > 3 else "")
    fabric = (f"Each rack carries its share of network, storage and host servers: "
              f"+{fmt.share(assumptions['fabric_power_share'])} IT power, "
              f"+{fmt.share(assumptions['fabric_capex_share'])} capex"
              + (f" ({', '.join(assumptions['fabric_of_their_own'][:4])} with shares of their own)."
                 if assumptions["fabric_of_their_own"] else ".")
              if assumptions["fabric_power_share"] or assumptions["fabric_capex_share"]
              else "No fabric declared: network, storage and host servers are not counted.")
    utilisation = sorted(set(assumptions.get("utilisation", {}).values()))
    span = f" ({utilisation[0]:g} to {utilisation[-1]:g})" if len(utilisation) > 1 else (
        f" ({utilisation[0]:g})" if utilisation else "")
    useful = f"Effective compute: peak x utilisation{span} x stack maturity"
    maturity = assumptions.get("stack_maturity", {})
    if maturity:
        useful += " (" + ", ".join(f"{k} {lo:g}" + (f"-{hi:g}" if hi != lo else "")
                                   for k, (lo, hi) in maturity.items()) + ")"
    cluster = assumptions.get("training_cluster_min_accelerators", 0)
    if cluster:
        useful += f"; training in clusters of at least {fmt.count(cluster)} accelerators of one family at one site"
    return [f"Assumptions: {shown}.", fabric, useful + ".",
            "Left out: " + ", ".join(assumptions["simplifications"]) + " (README: 'The site model')."]


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
