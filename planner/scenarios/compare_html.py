"""`comparison.html`: a what-if as one interactive page that works offline, beside comparison.pdf.

The base and each scenario side by side: the metrics of comparison.csv (value, and change from
the base), what each scenario changed and which limits moved, the comparison charts from the very
figures the PNGs and the PDF show (`planner.reports.html_charts` reads them; a legend entry toggles
a case in every chart), and the CSV tables.
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING

import pandas as pd

from planner import __version__
from planner.reports.html_charts import chart_from_figure
from planner.reports.html_page import Page, escaped
from planner.scenarios.comparison import SHOWN_METRICS, format_value, limit_changes, verdict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from planner.reports.output import OutputFolder
    from planner.scenarios.whatif import Case, WhatIf

HTML_NAME = "comparison.html"
CHART_LINKS = {"chip_mix.png": "Chip mix", "power.png": "Power", "budget.png": "Budget", "compute.png": "Compute"}
WORDS_SHOWN = 480
"""Characters of a scenario's changed inputs shown (a changed hall type lists all its fields)."""
GOOD, BAD, NEUTRAL = "#1f5fa8", "#b45f06", "#444444"
"""A change for the better (blue), for the worse (orange), or neither; as comparison.pdf colours them."""


def write_comparison_html(result: WhatIf, tables: dict[str, pd.DataFrame], figures: dict[str, Figure],
                          folder: OutputFolder) -> None:
    """Write comparison.html into `folder`: `tables` by CSV name (comparison.csv first), `figures`
    the drawn comparison charts by PNG name."""
    folder.write_bytes(HTML_NAME, comparison_html(result, tables, figures).encode("utf-8"))


def comparison_html(result: WhatIf, tables: dict[str, pd.DataFrame], figures: dict[str, Figure]) -> str:
    """comparison.html's text."""
    plan = result.base.loaded.plan
    page = Page(f"{plan.title}: what-if")
    subtitle = (f"Plan '{plan.name}', {plan.periods[0]} to {plan.periods[-1]}, objective {plan.objective}; "
                f"base: {result.base.status}; {len(result.scenarios)} scenario(s); planner {__version__}.")
    page.add(f"<header><h1>{escaped('What-if: ' + plan.title)}</h1><p class=\"subtitle\">{escaped(subtitle)}</p>"
             '<p class="help">Hover a bar or a line for its value. Click a case in a legend to hide or show it in '
             "every chart; double-click to show it alone. The tables at the end are the CSV files written beside "
             "this page.</p></header>")
    page.section("summary", "Base and scenarios")
    page.add(_metrics(result, tables.get("comparison.csv")))
    page.add(_cases(result))
    for name, figure in figures.items():
        page.chart(chart_from_figure(name.removesuffix(".png"), figure, plan.periods), CHART_LINKS.get(name))
    page.section("tables", "Tables")
    for name, table in tables.items():
        page.table(name, table)
    return page.render()


def _metrics(result: WhatIf, table: pd.DataFrame | None) -> str:
    """Each metric for the base and every scenario, with its change from the base (comparison.csv)."""
    if table is None or table.empty:
        return "<p>No metric to compare: no side has a plan.</p>"
    maximises = result.base.loaded.plan.objective.maximises
    names = [case.name for case in result.scenarios]
    head = "".join(f"<th>{escaped(name)}</th>" for name in ["metric", "base", *names])
    rows = []
    for metric, label in SHOWN_METRICS.items():
        found = table[table["metric"] == metric]
        if found.empty:
            continue
        unit = str(found["unit"].iloc[0])
        cells = [f"<td>{escaped(label)}</td>",
                 f'<td class="number">{escaped(format_value(float(found["base"].iloc[0]), unit))}</td>']
        for name in names:
            row = found[found["scenario_name"] == name]
            cells.append(_change_cell(metric, row, unit, maximises))
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _change_cell(metric: str, row: pd.DataFrame, unit: str, maximises: bool) -> str:
    if row.empty or math.isnan(float(row["scenario"].iloc[0])):
        return '<td class="number" style="color:#8b0000">no plan</td>'
    value = escaped(format_value(float(row["scenario"].iloc[0]), unit))
    pct = float(row["delta_pct"].iloc[0])
    if math.isnan(pct):
        return f'<td class="number">{value}</td>'
    change = "same" if abs(pct) < 0.05 else f"{pct:+.1f}%"
    good = None if change == "same" else verdict(metric, pct, maximises)
    colour = NEUTRAL if good is None else GOOD if good else BAD
    return f'<td class="number">{value} <span style="color:{colour}">{escaped(change)}</span></td>'


def _cases(result: WhatIf) -> str:
    """Each scenario: its title and status, the inputs it changed, why it has no plan, the limits that moved."""
    items = []
    for case in result.scenarios:
        lines = [f"<b>{escaped(case.name)}</b>: {escaped(case.title)} [{escaped(case.status)}]"]
        lines += [f"{escaped(words)}" for words in _case_words(result, case)]
        items.append("<li>" + "<br>".join(lines) + "</li>")
    return "<h3>Scenarios</h3><ul>" + "".join(items) + "</ul>" if items else ""


def _case_words(result: WhatIf, case: Case) -> list[str]:
    words = []
    if case.changes:
        changed = "; ".join(change.words for change in case.changes)
        words.append(textwrap.shorten(f"inputs changed: {changed}", WORDS_SHOWN,
                                      placeholder=" ... (every change in input_changes.csv)"))
    if case.diagnosis:
        words.append(f"no plan: {case.diagnosis}")
    if case.solved and result.base.solved:
        changes = limit_changes(result.base.run, case.run)
        for became, what in ((True, "became binding"), (False, "stopped binding")):
            listed = "; ".join(change.words for change in changes if change.became == became)
            if listed:
                words.append(f"{what}: {listed}")
    return words
