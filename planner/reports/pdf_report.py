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
from planner.reports.first_page import FOOT_TOP, Writer, provenance_block, risks_block
from planner.reports.literal import literal_text
from planner.reports.pdf_tables import allocation_pages, limit_pages

if TYPE_CHECKING:
    from planner.answers.outcome import RunResult
    from planner.inputs.plan import Plan
    from planner.reports.output import OutputFolder

PNG_DPI = 150
PDF_NAME = "report.pdf"
DECISION_LINES = 4
"""Lines of the decision above page 1's headline."""
DECISION_SIZES = ((9.5, 150), (8.5, 168), (7.5, 190))
"""(points, characters a line) to set the decision in, largest first: the first that fits."""

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
    left = Writer(figure, 0.04, top, 62)
    left.heading(f"Headline at the end of the horizon ({totals.get('end_period', last)})")
    _headline(left, run, summary, totals)
    right = Writer(figure, 0.55, top, 72)
    right.heading("What limits the plan most")
    limits = summary.get("binding", [])[:3]
    if not limits:
        right.line("No limit binds with a non-zero price: the plan has room on every side.")
    for number, limit in enumerate(limits, start=1):
        right.line(f"{number}. {limit['words']}.", size=9, gap=1.05)
        right.space(0.2)
    right.line("What one more step of each is worth; the last pages list the limits that bind, then those with room.",
               size=7.5, color="#555555", scaled=True)
    if run.risks is not None:
        risks_block(right, run.risks)
    _contents(figure, FOOT_TOP, run)
    provenance_block(figure, summary, width_chars=160)
    return figure


CONTENTS_FLOOR = 0.02
"""The lowest the contents may reach: the page's bottom margin."""


def _contents(figure: Figure, top: float, run: RunResult) -> None:
    """The report's parts with their pages (`chart_pages.contents`, counted for this run), small, at the
    foot's right beside the status and provenance: a line each where there is room, else their headings
    run together."""
    writer = Writer(figure, 0.725, top, 80)
    writer.line("In this report", size=9, weight="bold", color="#1f2d3d")
    entries = contents(run)
    room = (writer.y - CONTENTS_FLOOR) / writer.height(7)
    if len(entries) <= room:
        for entry in entries:
            writer.line(f"{entry.pages}  {entry.heading}: {entry.words}", size=7, scaled=True)
        return
    # No-break spaces inside an entry and before each dot: lines break after a dot only.
    writer.line("\u00a0\u00b7  ".join(f"{entry.pages}\u00a0{entry.heading}".replace(" ", "\u00a0")
                                       for entry in entries), size=7, scaled=True)


def _decision(figure: Figure, decision: dict[str, Any]) -> float:
    """The plan in a sentence or two, under the title; returns where the next block starts."""
    words = unit_cost_words(decision)
    text = decision["sentence"] + (f" Capex per unit: {words}." if words else "")
    # Four lines fit above the headline; a longer decision (a fleet that buys, builds, leases and
    # retires) is set smaller to fit, and never cut short: past that it says where the rest is.
    setting = [(size, width, textwrap.wrap(text, width)) for size, width in DECISION_SIZES]
    size, width, lines = next((s for s in setting if len(s[2]) <= DECISION_LINES), setting[-1])
    if len(lines) > DECISION_LINES:
        lines = [*lines[:DECISION_LINES - 1], "... (the whole decision is in summary.json)"]
    writer = Writer(figure, 0.04, 0.87, width)
    for line in lines:
        writer.line(line, size=size, weight="bold", color="#1f2d3d")
    return writer.y - 0.02


def _headline(writer: Writer, run: RunResult, summary: dict[str, Any], totals: dict[str, Any]) -> None:
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
        words = f"{fmt.pflops(objective['value'])}-quarters of {_objective_compute(run.plan)}"
    else:
        words = f"{fmt.usd(objective['value'])}, {objective['unit']}"
    writer.space(0.4)
    writer.line(f"Objective ({objective['name']}): {words}", size=8.5, color="#444444")


def _objective_compute(plan: Plan) -> str:
    """What max-compute counts, in words: every workload at the objective's precision (so its value is
    not the sum of the delivered lines above, inference being at FP8 there), and the weights unless 1."""
    words = f"effective compute delivered, every workload at {plan.objective_precision.upper()}"
    if plan.training_weight != 1.0 or plan.inference_weight != 1.0:
        words += f", training x{plan.training_weight:g}, inference x{plan.inference_weight:g}"
    return words


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


