"""One self-contained HTML page: Plotly charts, tables and words, with plotly.js inlined once.

The page needs no network: plotly.js (the copy plotly.py ships, `plotly.offline.get_plotlyjs`) is
written into it, once, and nothing is loaded from elsewhere. Every text a person or a plan wrote
(titles, site names, table cells) is HTML-escaped here. The same inputs give the same bytes:
element ids are numbered, not random, and nothing records the time.

What a reader can do: hover a bar or a line for its value with its unit; click a legend entry to
hide or show that series (a part, a power source, a case) in every chart of the page; tick a site
off to hide its panels and its table rows. When every chart is drawn, the page sets
`data-charts-drawn` on its body (what the browser test waits for).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.io
import plotly.offline

from planner.reports.html_charts import PANEL_HEIGHT_PX, Chart

SHOWN_DIGITS = 6
"""Significant digits of a table's numbers on the page (the CSV beside it has 10)."""
PLAIN_COLUMNS = frozenset({"year", "run", "seed"})
"""Columns of numbers that are names, written without thousands separators."""
MAX_TABLE_ROWS = 2000
"""Rows shown of one table; the CSV beside the page has them all."""
PLOT_CONFIG: dict[str, Any] = {
    "displaylogo": False, "responsive": True, "scrollZoom": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
}

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; color: #222;
       margin: 0 auto; max-width: 1500px; padding: 0 24px 48px; line-height: 1.4; }
h1 { color: #1f2d3d; margin: 24px 0 4px; font-size: 26px; }
h2 { color: #1f2d3d; margin: 36px 0 6px; font-size: 19px; border-bottom: 1px solid #d8dde3; padding-bottom: 4px; }
.subtitle { color: #444; margin: 0 0 12px; }
.lead { font-weight: 600; color: #1f2d3d; font-size: 16px; max-width: 1100px; }
.help { color: #555; font-size: 13px; }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; margin: 14px 0; }
.tile { border: 1px solid #d8dde3; border-radius: 6px; padding: 10px 14px; min-width: 210px; flex: 1; }
.tile .label { color: #555; font-size: 12px; text-transform: uppercase; letter-spacing: 0.03em; }
.tile .value { font-size: 21px; font-weight: 600; color: #1f2d3d; }
.tile .detail { color: #444; font-size: 13px; }
nav { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #d8dde3; padding: 8px 0; z-index: 10;
      font-size: 14px; }
nav a { margin-right: 14px; color: #1f5fa8; text-decoration: none; }
nav .sites { margin-top: 4px; }
nav .sites label { margin-right: 12px; white-space: nowrap; }
figure.panel { margin: 10px 0 18px; }
figure.panel figcaption { font-size: 14px; color: #222; margin: 0 0 2px 8px; }
.notes { color: #555; font-size: 12px; margin: 0 0 0 8px; }
details { margin: 8px 0; }
summary { cursor: pointer; font-weight: 600; color: #1f2d3d; }
.table-wrap { max-height: 520px; overflow: auto; border: 1px solid #d8dde3; margin-top: 6px; }
table { border-collapse: collapse; font-size: 12px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eceff2; white-space: nowrap; }
th { position: sticky; top: 0; background: #f3f5f7; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
ol li { margin-bottom: 4px; }
.provenance { color: #555; font-size: 12px; }
.hidden-by-site { display: none; }
"""

SCRIPT = """
(function () {
  var plots = Array.prototype.slice.call(document.querySelectorAll('.js-plotly-plot'));
  function groupOf(trace) { return trace.legendgroup || trace.name || ''; }
  plots.forEach(function (gd) {
    gd.on('plotly_legendclick', function (event) {
      var clicked = event.data[event.curveNumber];
      var group = groupOf(clicked);
      if (!group) { return true; }
      var visible = clicked.visible === 'legendonly' ? true : 'legendonly';
      plots.forEach(function (other) {
        var indices = [];
        other.data.forEach(function (trace, i) { if (groupOf(trace) === group) { indices.push(i); } });
        if (indices.length) { Plotly.restyle(other, {visible: visible}, indices); }
      });
      return false;
    });
  });
  document.querySelectorAll('input[data-site-toggle]').forEach(function (box) {
    box.addEventListener('change', function () {
      var site = box.getAttribute('data-site-toggle');
      document.querySelectorAll('[data-site]').forEach(function (element) {
        if (element.getAttribute('data-site') !== site) { return; }
        element.classList.toggle('hidden-by-site', !box.checked);
        if (box.checked) {
          element.querySelectorAll('.js-plotly-plot').forEach(function (gd) { Plotly.Plots.resize(gd); });
        }
      });
    });
  });
  var drawn = plots.filter(function (gd) { return gd.querySelector('.main-svg'); }).length;
  document.body.setAttribute('data-charts-drawn', String(drawn));
})();
"""


def escaped(text: object) -> str:
    """Any text as HTML text (quotes too, so it may stand in an attribute)."""
    return html.escape(str(text), quote=True)


@dataclass
class Page:
    """An HTML page being assembled, part by part, in reading order."""

    title: str
    parts: list[str] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    """(anchor, heading) of each section, for the navigation bar."""
    sites: dict[str, str] = field(default_factory=dict)
    """Site id -> name, for the site toggles (shown where there are two or more)."""
    _plots: int = 0

    def add(self, markup: str) -> None:
        """Add markup that the caller built (and escaped)."""
        self.parts.append(markup)

    def section(self, anchor: str, heading: str, link: str | None = None) -> None:
        """A section heading; `link` names it in the navigation bar (the heading, if not given)."""
        self.sections.append((anchor, link or heading))
        self.parts.append(f'<h2 id="{escaped(anchor)}">{escaped(heading)}</h2>')

    def chart(self, chart: Chart, link: str | None = None) -> None:
        """A chart: its title as a section heading (`link` names it in the navigation bar), then
        each panel with its own title."""
        self.sections.append((chart.id, link or chart.title))
        self.parts.append(f'<h2 id="{escaped(chart.id)}">{escaped(chart.title)}</h2>')
        for panel in chart.panels:
            self._plots += 1
            div = plotly.io.to_html(
                panel.figure, config=PLOT_CONFIG, include_plotlyjs=False, full_html=False,
                div_id=f"{chart.id}-{self._plots}", default_height=f"{PANEL_HEIGHT_PX}px", default_width="100%")
            site = f' data-site="{escaped(panel.site)}"' if panel.site is not None else ""
            notes = "".join(f'<p class="notes">{escaped(note)}</p>' for note in panel.notes)
            caption = escaped(panel.title).replace("\n", "<br>")  # a title on two lines keeps them
            self.parts.append(f'<figure class="panel"{site}><figcaption>{caption}</figcaption>'
                              f"{div}{notes}</figure>")

    def table(self, name: str, frame: pd.DataFrame, words: str = "") -> None:
        """A table as the CSV `name` has it, folded under its name (the first MAX_TABLE_ROWS rows)."""
        shown = frame.head(MAX_TABLE_ROWS)
        more = (f" (the first {MAX_TABLE_ROWS:,} of {len(frame):,} rows; {name} has them all)"
                if len(frame) > MAX_TABLE_ROWS else "")
        rows_words = f"{len(frame):,} row{'s' if len(frame) != 1 else ''}, numbers to {SHOWN_DIGITS} digits"
        self.parts.append(
            f"<details><summary>{escaped(name)}: {escaped(words)} ({rows_words}){escaped(more)}</summary>"
            f'<div class="table-wrap">{table_html(shown)}</div></details>')

    def render(self) -> str:
        """The whole page."""
        links = "".join(f'<a href="#{escaped(anchor)}">{escaped(heading)}</a>' for anchor, heading in self.sections)
        toggles = ""
        if len(self.sites) > 1:
            boxes = "".join(f'<label><input type="checkbox" checked data-site-toggle="{escaped(site)}"> '
                            f"{escaped(name)}</label>" for site, name in self.sites.items())
            toggles = f'<div class="sites">Show sites: {boxes}</div>'
        return (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escaped(self.title)}</title>\n<style>{STYLE}</style>\n"
            + (self._plotly() if self._plots else "")
            + "</head>\n<body>\n"
            + "\n".join(self.parts[:1])
            + f"\n<nav>{links}{toggles}</nav>\n"
            + "\n".join(self.parts[1:])
            + f"\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
        )

    @staticmethod
    def _plotly() -> str:
        """plotly.js, inlined (a page without charts goes without it)."""
        return ("<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
                f"<script>{plotly.offline.get_plotlyjs()}</script>\n")


def cell(value: Any, plain: bool = False) -> tuple[str, bool]:
    """A table cell's text and whether it is a number: numbers with thousands separators (not in a
    `plain` column: years, run numbers), floats to SHOWN_DIGITS significant digits (whole numbers
    from 100,000 up), missing values empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "", False
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, int):
        return (str(value) if plain else f"{value:,}"), True
    if isinstance(value, float):
        if math.isinf(value) or plain:
            return f"{value:g}", True
        return (f"{value:,.0f}" if abs(value) >= 1e5 else f"{value:,.{SHOWN_DIGITS}g}"), True
    return str(value), False


def table_html(frame: pd.DataFrame) -> str:
    """`frame` as an HTML table, every cell escaped; rows about a site carry `data-site`."""
    columns = [str(c) for c in frame.columns]
    head = "".join(f"<th>{escaped(c)}</th>" for c in columns)
    plain = [c in PLAIN_COLUMNS for c in columns]
    sites: Sequence[Any] = frame["site"].tolist() if "site" in frame.columns else [None] * len(frame)
    rows = []
    for site, values in zip(sites, frame.itertuples(index=False, name=None), strict=True):
        cells = []
        for value, bare in zip(values, plain, strict=True):
            text, number = cell(value.item() if hasattr(value, "item") else value, bare)
            cells.append(f'<td class="number">{escaped(text)}</td>' if number else f"<td>{escaped(text)}</td>")
        attribute = f' data-site="{escaped(site)}"' if site is not None else ""
        rows.append(f"<tr{attribute}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
