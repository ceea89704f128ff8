"""`report.pdf` for a plan that cannot be met: page 1 says what is short, why, what would close it and
what that costs; page 2 charts demand against the most the plan can deliver (also as a PNG).

The words and figures are the `Diagnosis`'s (`planner.answers.diagnose`, priced by
`planner.answers.fix_costs`); report.html shows the same sections and the same chart
(`planner.reports.html_report.write_diagnosis_html`). Pages are saved as the optimize report's are
(`pdf_report.save_page`: no creation date, so the same input gives the same bytes).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from planner import __version__, fmt
from planner.reports.charts import DEMAND_LINE, PAGE_INCHES, TITLE, quarter_axis, value_axis
from planner.reports.first_page import Writer, file_hash_lines
from planner.reports.literal import literal_text
from planner.reports.pdf_report import PDF_NAME, png_bytes, save_page

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from planner.answers.diagnosis import DemandGap, Diagnosis
    from planner.answers.outcome import RunResult
    from planner.reports.output import OutputFolder

DEMAND_CHART = "demand_shortfall.png"
MET_COLOUR, SHORT_COLOUR = "#4f6d94", "#d9534f"
HEADING = "#1f2d3d"
ALARM = "#9b1c1c"
GREY = "#555555"
FOOT_TOP = 0.15
"""Page 1's provenance starts here; the sections above stop short of it."""
MAX_LINES = 12
"""Lines of one section on page 1 (diagnosis.json has every one)."""
MAX_SIDE_LINES = 6
"""Lines of a section in a column, so that what would close the gap keeps its room."""


@literal_text()
def write_diagnosis_pdf(run: RunResult, diagnosis: Diagnosis, provenance: dict[str, Any],
                        folder: OutputFolder) -> dict[str, Figure]:
    """Write `report.pdf` (and the chart's PNG, where a demand is short) into `folder`; returns the
    drawn chart by PNG name (report.html shows it)."""
    matplotlib.use("Agg")
    figures = {}
    if diagnosis.demand:
        figure = figures[DEMAND_CHART] = demand_chart(diagnosis.demand)
        folder.write_bytes(DEMAND_CHART, png_bytes(figure))
        figure.set_layout_engine("none")  # the PDF page keeps the PNG's layout
    buffer = io.BytesIO()
    metadata = {"Title": f"{run.plan.title}: no plan fits", "Creator": f"planner {__version__}",
                "CreationDate": None, "ModDate": None}
    with PdfPages(buffer, metadata=metadata) as pdf:
        save_page(pdf, diagnosis_page(run, diagnosis, provenance, chart_page=bool(figures)))
        for figure in figures.values():
            save_page(pdf, figure)
    folder.write_bytes(PDF_NAME, buffer.getvalue())
    return figures


# --- page 1 ----------------------------------------------------------------------------------

def fix_line(words: str, cost: str, basis: str) -> str:
    """A change and its price as one line of text (report.html, the terminal)."""
    return f"{words}: {cost}; {basis}"


def diagnosis_sections(diagnosis: Diagnosis) -> list[tuple[str, str, list[str]]]:
    """The diagnosis's sections, (title, short link, lines), as report.html shows them."""
    closing = [fix_line(fix.words, fix.cost_words(), fix.cost_basis)
               + (f" (source: {fix.source_note})" if fix.source_note else "") for fix in diagnosis.limit_fixes]
    if closing:
        closing.append(diagnosis.cost_words())
    elif not diagnosis.closable:
        closing = [NOT_CLOSABLE]
    return [
        ("What is short, with every limit held", "What is short", [s.words for s in diagnosis.short]),
        ("Why: the limits that are full then", "Why", diagnosis.binding_while_short[:8]),
        (CLOSING_TITLE, "What would close it", closing),
        ("Or, instead, lower the targets (no dollar cost)", "Or instead", [f.words for f in diagnosis.target_fixes]),
        ("Limits in conflict, as HiGHS finds them", "Limits in conflict",
         [*diagnosis.iis_limits[:20], IIS_NOTE]
         if diagnosis.iis else []),
    ]


IIS_NOTE = "(HiGHS's irreducible infeasible subsystem: these cannot all hold, and without any one of them the rest can)"
CLOSING_TITLE = ("What would close it, all together, with every target held (money gives first, then space, power, "
                 "supply), and what each change costs")
NOT_CLOSABLE = ("No change to power, space, budget or supply closes it: the targets ask for compute before any "
                "allowed accelerator can serve it.")


def diagnosis_page(run: RunResult, diagnosis: Diagnosis, provenance: dict[str, Any], chart_page: bool) -> Figure:
    """Page 1: no plan meets every limit; what is short, why, what would close it at what cost."""
    figure = Figure(figsize=PAGE_INCHES)
    plan = run.plan
    figure.text(0.04, 0.955, plan.title, fontsize=18, weight="bold", va="top", color=HEADING)
    figure.text(0.04, 0.905, f"No plan meets every limit of capacity plan '{plan.name}' ({plan.periods[0]} to "
                f"{plan.periods[-1]}).", fontsize=12, va="top", color=ALARM, weight="bold")
    lead = Writer(figure, 0.04, 0.87, 135)
    lead.line(diagnosis.because() + _closing_words(diagnosis), size=10.5)
    if chart_page:
        lead.line("Page 2 charts each short demand against the most the plan can deliver, quarter by quarter.",
                  size=8.5, color=GREY)
    short, because, closing, instead, conflicts = diagnosis_sections(diagnosis)
    bottom = _side_by_side(figure, lead.y, short, because)
    body = Writer(figure, 0.04, bottom, 150)
    if closing[2]:
        body.heading(closing[0])
        if diagnosis.limit_fixes:
            _fixes(body, diagnosis)
        else:
            _lines(body, closing[2])
    _side_by_side(figure, body.y, instead, conflicts)
    foot = Writer(figure, 0.04, FOOT_TOP, 150)
    foot.line("Provenance", size=10, weight="bold", color=HEADING)
    foot.line(f"Solver: {run.result.solver.name} {run.result.solver.version}.  "
              f"Planner version {provenance['planner_version']}.  diagnosis.json has every figure on this page.",
              size=8)
    file_hash_lines(foot, provenance)
    return figure


Section = tuple[str, str, list[str]]


def _closing_words(diagnosis: Diagnosis) -> str:
    """What closing the gap takes, after the lead's 'because'."""
    count = len(diagnosis.limit_fixes)
    if not count:
        return "" if diagnosis.closable else f" {NOT_CLOSABLE}"
    text = (f" Closing the gap with every target held takes {count} change{'s' if count != 1 else ''} to the "
            f"limits, listed below. {diagnosis.cost_words()}")
    return text + (" Or the targets can be lowered by what is short." if diagnosis.target_fixes else "")


def _side_by_side(figure: Figure, top: float, left: Section, right: Section) -> float:
    """Two sections in two columns from `top` (an empty one leaves its column blank); returns where
    the taller one ends."""
    ends = [top]
    for x, (title, _, lines) in ((0.04, left), (0.52, right)):
        if lines and top > FOOT_TOP + 0.06:
            writer = Writer(figure, x, top, 80)
            writer.heading(title)
            _lines(writer, lines, MAX_SIDE_LINES)
            ends.append(writer.y)
    return min(ends)


def _lines(writer: Writer, lines: list[str], most: int = MAX_LINES) -> None:
    """A section's lines as a list, at most `most`, stopping short of the page's foot (diagnosis.json
    has them all)."""
    for number, text in enumerate(lines[:most]):
        if writer.y < FOOT_TOP + 0.04:
            writer.line(f"... {len(lines) - number} more in diagnosis.json", color=GREY)
            return
        if text == IIS_NOTE:
            writer.line(text, size=8, color=GREY)
        else:
            writer.line(f"- {text}")
    if len(lines) > most:
        writer.line(f"... {len(lines) - most} more in diagnosis.json", color=GREY)


def _fixes(writer: Writer, diagnosis: Diagnosis) -> None:
    """Each change with its price in bold, how it is priced below it, then the total; a price's
    source note the first time it is used."""
    fixes = diagnosis.limit_fixes
    noted: set[str] = set()
    for number, fix in enumerate(fixes):
        if writer.y < FOOT_TOP + 0.13:  # room for this fix and the total under it
            writer.line(f"... {len(fixes) - number} more in diagnosis.json", color=GREY)
            break
        writer.line(f"- {fix.words}: {fix.cost_words()}", weight="bold")
        writer.x += 0.012
        note = ""
        if fix.source_note and fix.source_note not in noted:
            noted.add(fix.source_note)
            note = f" Price from the plan file: {fix.source_note}"
        elif fix.source_note:
            note = " Price from the plan file: as above."
        writer.line(fix.cost_basis[0].upper() + fix.cost_basis[1:] + "." + note, size=8, color="#333333", gap=0.95)
        writer.x -= 0.012
        writer.space(0.15)
    writer.space(0.2)
    writer.line(diagnosis.cost_words(), size=10, weight="bold", color=HEADING)


# --- page 2: demand against capacity -----------------------------------------------------------

def demand_chart(gaps: list[DemandGap]) -> Figure:
    """Each short workload's demand per quarter (the target, dashed), split into what the plan can
    deliver toward it with every limit held and what is short, each short quarter labelled."""
    figure = Figure(figsize=PAGE_INCHES, layout="constrained")
    axes = figure.subplots(len(gaps), 1, squeeze=False)
    for ax, gap in zip([row[0] for row in axes], gaps, strict=True):
        _demand_panel(ax, gap)
    figure.suptitle("Demand against capacity: the most the plan can deliver with every limit held, and what is "
                    "short", fontsize=12, x=0.01, ha="left")
    return figure


def _demand_panel(ax: Axes, gap: DemandGap) -> None:
    x = list(range(len(gap.periods)))
    precision = gap.precision.upper()
    workload = gap.workload.capitalize()
    met, short = list(gap.met_pflops), list(gap.short_pflops)
    ax.bar(x, met, 0.6, color=MET_COLOUR, linewidth=0, label="delivered, every limit held")
    ax.bar(x, short, 0.6, bottom=met, color=SHORT_COLOUR, linewidth=0, label="short of demand")
    ax.stairs(list(gap.target_pflops), [t - 0.5 for t in range(len(x) + 1)], baseline=None, zorder=5,
              label=f"{gap.workload} demand (the target)", **DEMAND_LINE)
    for t, (done, missing) in enumerate(zip(met, short, strict=True)):
        if missing > 0:
            ax.annotate(f"short {fmt.pflops(missing)}\n({fmt.share(missing / (done + missing))} of demand)",
                        xy=(t, done + missing), xytext=(0, 4), textcoords="offset points", ha="center",
                        va="bottom", fontsize=8, color=ALARM, weight="bold")
    top = max([*gap.target_pflops, *met, 1e-9])
    ax.set_ylim(0, top * 1.3)
    value_axis(ax, f"{workload} compute, {precision} effective", "pflops")
    quarter_axis(ax, gap.periods)
    quarters = sum(1 for missing in short if missing > 0)
    ax.set_title(f"{workload} demand ({precision}, effective compute) against the most the plan can deliver: "
                 f"short in {quarters} quarter{'s' if quarters != 1 else ''}", **TITLE)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
