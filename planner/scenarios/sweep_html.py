"""`sweep.html`: a sweep as one interactive page that works offline, beside its PNG charts.

What was swept, how many runs found a plan, the sweep's charts (lines for a grid, P10-P90 bands and
the objective's spread for samples, the tornado for one input at a time) from the very figures the
PNGs show (`planner.reports.html_charts` reads them), and sweep.csv and sweep_periods.csv.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner import __version__
from planner.reports.html_charts import chart_from_figure
from planner.reports.html_page import Page, escaped
from planner.scenarios.sweep_charts import short_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from planner.reports.output import OutputFolder
    from planner.scenarios.sweep import SweepResult

HTML_NAME = "sweep.html"
CHART_LINKS = {"sweep_lines.png": "Results by value", "sweep_bands.png": "Spread", "tornado.png": "Tornado"}


def write_sweep_html(sweep: SweepResult, figures: dict[str, Figure], folder: OutputFolder) -> None:
    """Write sweep.html into `folder`; `figures` are the drawn sweep charts by PNG name."""
    folder.write_bytes(HTML_NAME, sweep_html(sweep, figures).encode("utf-8"))


def sweep_html(sweep: SweepResult, figures: dict[str, Figure]) -> str:
    """sweep.html's text."""
    title = sweep.title or "sweep"
    page = Page(f"{title}: sweep")
    table = sweep.table
    statuses = ", ".join(f"{count} {status}" for status, count in table["status"].value_counts().sort_index().items())
    periods = sweep.period_names
    subtitle = (f"{len(table)} runs ({statuses}), {periods[0]} to {periods[-1]}; objective in "
                f"{sweep.objective_unit}; planner {__version__}.") if periods else f"{len(table)} runs ({statuses})."
    swept = "".join(
        f"<li>{escaped(short_label(v.path, v.kind))} (<code>{escaped(v.column)}</code>): base {escaped(v.text(v.base))}"
        + (f", from {escaped(v.text(v.low))} to {escaped(v.text(v.high))}" if v.low is not None and v.high is not None
           else "") + (f"; {escaped(v.spread)}" if v.spread else "") + "</li>"
        for v in sweep.variables)
    page.add(f"<header><h1>{escaped('Sweep: ' + title)}</h1><p class=\"subtitle\">{escaped(subtitle)}</p>"
             '<p class="help">Hover a point, a bar or a band for its value; click a legend entry to hide or show '
             "it. The tables at the end are the CSV files written beside this page.</p></header>")
    page.section("swept", "What was swept")
    page.add(f"<ul>{swept}</ul>")
    for name, figure in figures.items():
        page.chart(chart_from_figure(name.removesuffix(".png"), figure, periods), CHART_LINKS.get(name))
    page.section("tables", "Tables")
    page.table("sweep.csv", table, "every run's inputs and headline results")
    page.table("sweep_periods.csv", sweep.periods, "every run's compute, delivery and power per quarter")
    return page.render()
