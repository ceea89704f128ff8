"""The report a person reads: `report.pdf` (summary, charts, tables) and each chart as a PNG.

Each chart is drawn once (`planner.reports.charts`), rendered to PNG bytes and onto a PDF page; every
file goes through `OutputFolder.write_bytes` (atomic, hashed for the manifest). Nothing that
changes from run to run reaches the files: the PDF has no creation date, PNGs no software tag,
and the summary page shows no timings, so identical inputs give identical bytes.

Pages are saved in reading order (summary, charts, tables: `pdf_tables`), in PDF's own Helvetica where it has
every character (`save_page`), which is what keeps the table pages fast.
"""

from __future__ import annotations

import io
import logging
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from planner import __version__, fmt
from planner.answers.decision import unit_cost_words
from planner.objective import Objective
from planner.reports.chart_pages import REPORT_CHARTS, contents
from planner.reports.charts import PAGE_INCHES, ChartInput, vendor_colours
from planner.reports.literal import literal_text
from planner.reports.pdf_tables import ASCENT, allocation_pages, limit_pages

if TYPE_CHECKING:
    from planner.answers.outcome import RunResult
    from planner.reports.output import OutputFolder

PNG_DPI = 150
PDF_NAME = "report.pdf"
SHA_SHOWN = 16
"""Hex digits of each input's SHA-256 on the summary page (summary.json has all 64)."""
MAX_FILES_SHOWN = 9

@literal_text()
def write_charts_and_pdf(run: RunResult, summary: dict[str, Any], folder: OutputFolder) -> dict[str, list[Figure]]:
    """Write each chart page as a PNG and the whole report as `report.pdf` into `folder`: the summary
    page, the pages of each chart (`chart_pages.REPORT_CHARTS`), then the table pages. Returns each
    chart's drawn pages by its name (report.html shows them); a chart with no page for this run has none."""
    matplotlib.use("Agg")
    buffer = io.BytesIO()
    metadata = {"Title": f"{run.plan.title}: capacity plan", "Creator": f"planner {__version__}",
                "CreationDate": None, "ModDate": None}
    with PdfPages(buffer, metadata=metadata) as pdf:
        save_page(pdf, summary_page(run, summary))
        figures = {}
        for chart in REPORT_CHARTS:
            pages = render_pages(chart.draw, run)
            figures[chart.name] = [figure for _, figure in pages]
            for name, (png, figure) in zip(chart.files(len(pages)), pages, strict=True):
                folder.write_bytes(name, png)
                save_page(pdf, figure)
        for page in [*allocation_pages(run), *limit_pages(run)]:
            save_page(pdf, page)
    folder.write_bytes(PDF_NAME, buffer.getvalue())
    return figures


def render_pages(chart: Callable[[ChartInput], list[Figure]], run: ChartInput) -> list[tuple[bytes, Figure]]:
    """Each page of a chart: its PNG bytes, and its figure with the layout the PNG got (`render_chart`)."""
    return [(png_bytes(figure), _laid_out(figure)) for figure in chart(run)]


def render_chart(chart: Callable[[ChartInput], Figure], run: ChartInput) -> tuple[bytes, Figure]:
    """A chart's PNG bytes, and its figure with the layout the PNG got (for the PDF page: the same
    page, and no second layout pass)."""
    figure = chart(run)
    png = png_bytes(figure)
    return png, _laid_out(figure)


def _laid_out(figure: Figure) -> Figure:
    """`figure` with its layout frozen as it was when last saved (no second layout pass on the PDF page)."""
    figure.set_layout_engine("none")
    return figure


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
    _contents(figure, min(bar_bottom - 0.08, 0.405), run)
    _provenance(figure, summary)
    return figure


CONTENTS_FLOOR = 0.235
"""The lowest the contents may reach: below it, the provenance's lines run across the page."""


def _contents(figure: Figure, top: float, run: RunResult) -> None:
    """The report's parts with their pages (`chart_pages.contents`, counted for this run): a line each
    saying what it shows where there is room above the provenance, else their headings run together."""
    writer = _Writer(figure, 0.55, top, 80)
    writer.line("In this report", size=10, weight="bold", color="#1f2d3d")
    entries = contents(run)
    room = (writer.y - CONTENTS_FLOOR) / (8 * 1.45 / 72 / figure.get_figheight())
    if len(entries) <= room:
        for entry in entries:
            writer.line(f"{entry.pages}  {entry.heading}: {entry.words}", size=8)
        return
    # No-break spaces inside an entry and before each dot: lines break after a dot only.
    writer.line("\u00a0\u00b7  ".join(f"{entry.pages}\u00a0{entry.heading}".replace(" ", "\u00a0")
                                       for entry in entries), size=8)


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


