"""A drawn matplotlib chart -> interactive Plotly panels: the same series, colours, titles and units.

The HTML reports show the charts of the PNG and PDF reports, not charts of their own: each panel
(an `Axes`) of a drawn figure becomes one Plotly figure, read from what the panel holds through
matplotlib's public API (`charts.py` keeps every series inspectable): bars from its
`BarContainer`s, lines from its `Line2D`s, per-quarter levels from its `StepPatch`es, limit ticks
from its `LineCollection`s, bands from its `PolyCollection`s, and notes from its texts. Nothing is
computed again from the tables, so the HTML cannot disagree with the PDF.

Hover shows each value in the panel's own tick format ("965 MW", "$4.5B"), with the quarter (or
year, or case) it belongs to; a legend entry toggles every trace of its name (a part, a source, a
case) on the whole page (`html_page`). Every text taken from a chart is HTML-escaped before Plotly
sees it, since Plotly reads its labels as (a subset of) HTML and titles carry user text.

A panel tagged `ax.set_gid("site:<id>")` is about one site (`html_page` toggles panels by site).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle, StepPatch
from matplotlib.text import Annotation, Text
from matplotlib.ticker import FixedLocator, FuncFormatter

from planner.reports.charts import SITE_GID

POINTS_TO_PX = 96 / 72
PANEL_HEIGHT_PX = 430
FONT_SCALE = 1.35
"""Plotly's font size for a note of the chart, per point of the PNG's (which is printed smaller)."""
ALL_QUARTERS_LABELLED = 16
"""Up to this many quarters, every one is labelled on the axis (the PDF labels fewer in narrow panels)."""
DASHES = {"-": "solid", "solid": "solid", "--": "dash", "dashed": "dash", ":": "dot", "dotted": "dot",
          "-.": "dashdot", "dashdot": "dashdot"}
ANCHOR_X = {"left": "left", "center": "center", "right": "right"}
ANCHOR_Y = {"top": "top", "center": "middle", "center_baseline": "middle", "bottom": "bottom", "baseline": "bottom"}


@dataclass(frozen=True)
class Panel:
    """One panel of a chart as a Plotly figure (a plain dict: `data` and `layout`)."""

    title: str
    """The panel's title as the PDF shows it (plain text, not escaped)."""
    figure: dict[str, Any]
    site: str | None = None
    """The site the panel shows, where it shows one."""
    notes: tuple[str, ...] = ()
    """Legend entries with nothing drawn ("solar: no firm MW (up to 40 MW on average)")."""


@dataclass(frozen=True)
class Chart:
    """A chart of the report: its title (the figure's suptitle) and its panels, in reading order."""

    id: str
    title: str
    panels: tuple[Panel, ...]


def chart_from_figure(chart_id: str, figure: Figure, periods: Sequence[str] = ()) -> Chart:
    """The panels of a drawn `figure` (saved at least once, so that its ticks are laid out).

    Args:
        chart_id: a name for the chart, unique on its page ("power-by-site").
        figure: the matplotlib figure the PNG and PDF show.
        periods: the plan's quarters, for hover labels on quarter axes that label only some ticks.
    """
    title = figure.get_suptitle()
    legend = _figure_legend(figure)
    panels = tuple(_panel(ax, periods, legend) for ax in figure.axes if ax.get_visible())
    return Chart(chart_id, title, panels)


def chart_from_pages(chart_id: str, figures: Sequence[Figure], periods: Sequence[str] = ()) -> Chart:
    """One chart of the panels of every page of a paged chart (a row per site, `charts.SitePage`), in
    the pages' order, titled as its pages are without the place of each (the figures' label, which
    `charts` sets on a paged chart; else the first page's title).

    Args:
        chart_id: a name for the chart, unique on its page ("power-by-site").
        figures: the chart's pages, as the PNGs and the PDF show them (at least one).
        periods: the plan's quarters (`chart_from_figure`).
    """
    pages = [chart_from_figure(chart_id, figure, periods) for figure in figures]
    title = str(figures[0].get_label()) or pages[0].title
    return Chart(chart_id, title, tuple(panel for page in pages for panel in page.panels))


# --- axes --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Scale:
    """One axis of a panel: its ticks as the PNG shows them, and how a value on it reads."""

    limits: tuple[float, float]
    """As the PNG shows them, left to right or bottom to top (an inverted axis stays inverted)."""
    ticks: list[float]
    labels: list[str]
    title: str
    categorical: bool
    names: dict[int, str] = field(default_factory=dict)
    """Categorical axes: the name at each whole position (each quarter, where only some are labelled)."""
    value: Callable[[float], str] = lambda v: f"{v:,.4g}"

    def at(self, position: float) -> str:
        """How a position on this axis reads: its category, or its value with the axis's unit."""
        if self.categorical:
            return self.names.get(round(position), "")
        return self.value(position)

    def layout(self) -> dict[str, Any]:
        shown = [(t, label) for t, label in zip(self.ticks, self.labels, strict=True)
                 if label and min(self.limits) - 1e-9 <= t <= max(self.limits) + 1e-9]
        return {
            "range": list(self.limits), "tickmode": "array", "tickvals": [t for t, _ in shown],
            "ticktext": [_escaped(label) for _, label in shown], "title": {"text": _escaped(self.title)},
            "zeroline": False, "showline": True, "linecolor": "#444444", "ticks": "outside", "ticklen": 3,
            "automargin": True, "fixedrange": False,
        }


def _scale(axis: Axis, limits: tuple[float, float], title: str, periods: Sequence[str]) -> _Scale:
    formatter = axis.get_major_formatter()
    ticks = [float(t) for t in axis.get_ticklocs()]
    labels = [str(label) for label in formatter.format_ticks(ticks)] if ticks else []
    if isinstance(axis.get_major_locator(), FixedLocator):  # ticks set one by one: quarters, years, cases
        names = {round(t): label for t, label in zip(ticks, labels, strict=True)}
        if any(not label for label in labels) and len(ticks) == len(periods):
            names = {round(t): period for t, period in zip(ticks, periods, strict=True)}
            if len(periods) <= ALL_QUARTERS_LABELLED:  # a page is wider than a panel of the PDF
                labels = list(periods)
        return _Scale(limits, ticks, labels, title, True, names)
    if isinstance(formatter, FuncFormatter):
        return _Scale(limits, ticks, labels, title, False, value=lambda v: str(formatter(v)))
    return _Scale(limits, ticks, labels, title, False)


def _panel(ax: Axes, periods: Sequence[str], figure_legend: dict[str, str]) -> Panel:
    x = _scale(ax.xaxis, ax.get_xlim(), ax.get_xlabel(), periods)
    y = _scale(ax.yaxis, ax.get_ylim(), ax.get_ylabel(), periods)
    names = _Names({**figure_legend, **_legend_names(ax)})
    traces: list[dict[str, Any]] = []
    for container in ax.containers:
        if isinstance(container, BarContainer):
            traces.extend(_bars(container, x, y, names))
    for collection in ax.collections:
        if isinstance(collection, LineCollection):
            traces.append(_segments(collection, x, y, names))
        elif isinstance(collection, PolyCollection):
            traces.extend(_bands(collection, names))
    notes: list[str] = []
    for line in ax.get_lines():
        traced = _line(line, ax, x, y, names)
        if traced is None:
            if _shown_label(line.get_label()) and line.get_linestyle() in ("None", " ", ""):
                notes.append(str(line.get_label()))
        else:
            traces.append(traced)
    traces.extend(_stairs(patch, x, y, names) for patch in ax.patches if isinstance(patch, StepPatch))
    _one_legend_entry_per_name(traces)
    layout: dict[str, Any] = {
        "template": "none", "height": PANEL_HEIGHT_PX, "margin": {"l": 70, "r": 20, "t": 34, "b": 50},
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif", "size": 12,
                 "color": "#222222"},
        "xaxis": x.layout(), "yaxis": {**y.layout(), "gridcolor": "#e3e3e3", "showgrid": True},
        "barmode": "overlay", "bargap": 0, "hovermode": "closest", "showlegend": True,
        "legend": {"x": 1.01, "xanchor": "left", "y": 1, "yanchor": "top", "font": {"size": 11},
                   "itemclick": "toggle", "itemdoubleclick": "toggleothers", "groupclick": "togglegroup"},
        "annotations": [a for a in (_note(text, ax, x, y) for text in ax.texts) if a is not None],
        "hoverlabel": {"namelength": -1, "align": "left"},
    }
    gid = ax.get_gid() or ""
    site = gid.removeprefix(SITE_GID) if gid.startswith(SITE_GID) else None
    title = ax.get_title(loc="left") or ax.get_title() or ax.get_title(loc="right")
    return Panel(title, {"data": traces, "layout": layout}, site, tuple(notes))


# --- names and colours -------------------------------------------------------------------------

def _shown_label(label: object) -> bool:
    return isinstance(label, str) and bool(label) and not label.startswith("_")


def _colour_key(colour: Any) -> tuple[float, float, float]:
    red, green, blue, _ = to_rgba(colour)
    return round(red, 3), round(green, 3), round(blue, 3)


def _css(colour: Any, alpha: float | None = None) -> str:
    red, green, blue, own = to_rgba(colour)
    shown = own if alpha is None else alpha * own
    return f"rgba({round(red * 255)},{round(green * 255)},{round(blue * 255)},{shown:.3g})"


def _handle_key(handle: Any) -> tuple[tuple[float, float, float], str] | None:
    """A legend handle's colour and line style: what an unlabelled series is matched by."""
    if isinstance(handle, Line2D):
        return _colour_key(handle.get_color()), DASHES.get(str(handle.get_linestyle()), "solid")
    if isinstance(handle, Patch):
        return _colour_key(handle.get_facecolor()), "patch"
    return None


def _entries(legend: Any) -> dict[str, str]:
    entries: dict[str, str] = {}
    for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=False):
        key = _handle_key(handle)
        if key is not None:
            entries.setdefault(repr(key), text.get_text())
    return entries


def _legend_names(ax: Axes) -> dict[str, str]:
    legend = ax.get_legend()
    return {} if legend is None else _entries(legend)


def _figure_legend(figure: Figure) -> dict[str, str]:
    entries: dict[str, str] = {}
    for legend in figure.legends:
        entries.update(_entries(legend))
    return entries


@dataclass(frozen=True)
class _Names:
    """Legend entries by (colour, style): names for series the chart draws without a label (a case's
    line, whose legend is a proxy of its colour), so that hover and toggles can name them."""

    entries: dict[str, str]

    def of(self, label: object, colour: Any, style: str) -> str:
        if _shown_label(label):
            return str(label)
        key = _colour_key(colour)
        found = self.entries.get(repr((key, style))) or self.entries.get(repr((key, "solid"))) \
            or self.entries.get(repr((key, "patch")))
        if found is None:
            return ""
        black = _colour_key("#111111")
        # A line of the case's colour in a style that the legend names in black ("firm power").
        styled = self.entries.get(repr((black, style))) if style != "solid" or key != black else None
        return f"{found}: {styled}" if styled and styled != found else found


def _one_legend_entry_per_name(traces: list[dict[str, Any]]) -> None:
    """Series of one name (a case's capex and opex bars) share one legend entry that toggles them all."""
    seen: set[str] = set()
    for trace in traces:
        name = trace.get("legendgroup", "")
        if not name or name in seen:
            trace["showlegend"] = False
        seen.add(name)


def _named(trace: dict[str, Any], name: str) -> dict[str, Any]:
    shown = _escaped(name)
    return {**trace, "name": shown, "legendgroup": shown}


# --- series ------------------------------------------------------------------------------------

def _hover(name: str, where: str, value: str, scale_title: str = "") -> str:
    head = f"<b>{_escaped(name)}</b><br>" if name else ""
    what = f"{_escaped(scale_title)}: " if scale_title else ""
    return f"{head}{_escaped(where)}<br>{what}{_escaped(value)}"


def _bars(container: BarContainer, x: _Scale, y: _Scale, names: _Names) -> list[dict[str, Any]]:
    """A bar series, each bar where the PNG draws it (stacked bars keep their base)."""
    rectangles = [p for p in container.patches if isinstance(p, Rectangle)]
    horizontal = getattr(container, "orientation", "vertical") == "horizontal"
    length = [r.get_width() if horizontal else r.get_height() for r in rectangles]
    kept = [r for r, v in zip(rectangles, length, strict=True) if abs(v) > 1e-12 and not math.isnan(v)]
    if not kept:
        return []
    colour = kept[0].get_facecolor()
    name = names.of(container.get_label(), colour, "patch")
    if horizontal:
        centres = [r.get_y() + r.get_height() / 2 for r in kept]
        values = [r.get_width() for r in kept]
        bases = [r.get_x() for r in kept]
        widths = [r.get_height() for r in kept]
        text = [_hover(name, y.at(c), x.value(v), x.title) for c, v in zip(centres, values, strict=True)]
        positions = {"y": centres, "x": values, "orientation": "h"}
    else:
        centres = [r.get_x() + r.get_width() / 2 for r in kept]
        values = [r.get_height() for r in kept]
        bases = [r.get_y() for r in kept]
        widths = [r.get_width() for r in kept]
        if x.categorical:
            where = [x.at(c) for c in centres]
        else:  # a histogram's bin: from its left edge to its right
            where = [f"{x.value(r.get_x())} to {x.value(r.get_x() + r.get_width())}" for r in kept]
        text = [_hover(name, w, y.value(v), y.title) for w, v in zip(where, values, strict=True)]
        positions = {"x": centres, "y": values}
    trace = {
        "type": "bar", **positions, "base": bases, "width": widths, "text": text, "hoverinfo": "text",
        "textposition": "none", "marker": {"color": _one_or_each([_css(r.get_facecolor()) for r in kept]),
                                           "line": {"width": 0}},
    }
    return [_named(trace, name or y.title)]


def _one_or_each(colours: list[str]) -> str | list[str]:
    """A series' one colour, or a colour per bar where they differ (a legend swatch needs one)."""
    return colours[0] if len(set(colours)) == 1 else colours


def _line_style(colour: Any, width_pt: float, style: object, alpha: float | None = None) -> dict[str, Any]:
    return {"color": _css(colour, alpha), "width": max(0.5, width_pt * POINTS_TO_PX),
            "dash": DASHES.get(str(style), "solid")}


def _line(line: Line2D, ax: Axes, x: _Scale, y: _Scale, names: _Names) -> dict[str, Any] | None:
    """A line of the chart, or None for a legend-only entry (no points)."""
    xs = [float(v) for v in np.asarray(line.get_xdata(), dtype=float)]
    ys = [float(v) for v in np.asarray(line.get_ydata(), dtype=float)]
    if not xs or line.get_linestyle() in ("None", " ", "") and line.get_marker() in ("None", None, "", " "):
        return None
    transform = line.get_transform()
    if transform == ax.get_yaxis_transform():  # axhline: across the panel at a height
        xs = list(x.limits)
    elif transform == ax.get_xaxis_transform():  # axvline: up the panel at a position
        ys = list(y.limits)
    style = DASHES.get(str(line.get_linestyle()), "solid")
    name = names.of(line.get_label(), line.get_color(), style)
    marker = line.get_marker()
    has_marker = marker not in ("None", None, "", " ")
    text = [_hover(name, x.at(a), y.value(b), y.title) for a, b in zip(xs, ys, strict=True)]
    trace = {
        "type": "scatter", "x": xs, "y": ys, "mode": "lines+markers" if has_marker else "lines",
        "line": _line_style(line.get_color(), line.get_linewidth(), line.get_linestyle(), line.get_alpha()),
        "marker": {"size": max(4.0, line.get_markersize() * POINTS_TO_PX), "color": _css(line.get_color())},
        "text": text, "hoverinfo": "text",
    }
    if transform == ax.get_xaxis_transform():
        trace["text"] = [_hover(name, x.at(xs[0]), "", "")] * len(xs)
    return _named(trace, name)


def _stairs(patch: StepPatch, x: _Scale, y: _Scale, names: _Names) -> dict[str, Any]:
    """A per-quarter level (demand, peak draw) as steps across each quarter, as the PNG draws it."""
    steps, boundaries, _baseline = patch.get_data()
    values = [float(v) for v in np.asarray(steps, dtype=float)]
    edges = [float(e) for e in np.asarray(boundaries, dtype=float)]
    style = DASHES.get(str(patch.get_linestyle()), "solid")
    name = names.of(patch.get_label(), patch.get_edgecolor(), style)
    xs = [*edges[:-1], edges[-1]]
    ys = [*values, values[-1]]
    text = [_hover(name, x.at(e + 0.5 if i < len(values) else e - 0.5), y.value(v), y.title)
            for i, (e, v) in enumerate(zip(xs, ys, strict=True))]
    trace = {
        "type": "scatter", "x": xs, "y": ys, "mode": "lines", "line": {
            **_line_style(patch.get_edgecolor(), patch.get_linewidth(), patch.get_linestyle()), "shape": "hv"},
        "text": text, "hoverinfo": "text",
    }
    return _named(trace, name)


def _segments(collection: LineCollection, x: _Scale, y: _Scale, names: _Names) -> dict[str, Any]:
    """Short level marks (a year's budget limit over its bar) as one trace of separate segments."""
    colours = collection.get_colors()
    colour = colours[0] if len(colours) else "#111111"
    styles: Any = collection.get_linestyle()  # a list of (offset, dashes or None), one per segment
    dash = "solid" if not len(styles) or styles[0][1] is None else "dash"
    name = names.of(collection.get_label(), colour, dash)
    xs: list[float | None] = []
    ys: list[float | None] = []
    text: list[str] = []
    for segment in collection.get_segments():
        for a, b in segment:
            xs.append(float(a))
            ys.append(float(b))
            text.append(_hover(name, x.at(float(a)), y.value(float(b)), y.title))
        xs.append(None)
        ys.append(None)
        text.append("")
    widths = np.atleast_1d(collection.get_linewidth())
    width = float(widths[0]) if len(widths) else 1.0
    trace = {"type": "scatter", "x": xs, "y": ys, "mode": "lines", "text": text, "hoverinfo": "text",
             "line": {"color": _css(colour), "width": width * POINTS_TO_PX, "dash": dash}}
    return _named(trace, name)


def _bands(collection: PolyCollection, names: _Names) -> list[dict[str, Any]]:
    """A shaded band (P10-P90) as a filled outline; its edges' values show on the lines drawn over it."""
    colours = collection.get_facecolor()
    colour = colours[0] if len(colours) else "#999999"
    name = names.of(collection.get_label(), colour, "patch")
    traces = []
    for path in collection.get_paths():
        vertices = np.asarray(path.vertices, dtype=float)
        traces.append(_named({
            "type": "scatter", "x": [float(v) for v in vertices[:, 0]], "y": [float(v) for v in vertices[:, 1]],
            "mode": "lines", "fill": "toself", "fillcolor": _css(colour), "line": {"width": 0},
            "hoverinfo": "skip"}, name))
    return traces


# --- notes -------------------------------------------------------------------------------------

def _note(text: Text, ax: Axes, x: _Scale, y: _Scale) -> dict[str, Any] | None:
    """A text of the panel (a mark, a total over a bar, "no demand set") as a Plotly annotation."""
    words = text.get_text()
    if not words or not text.get_visible():
        return None
    note: dict[str, Any] = {
        "text": "<br>".join(_escaped(part) for part in words.split("\n")),
        "showarrow": False,
        "font": {"size": round(float(text.get_fontsize()) * FONT_SCALE, 1), "color": _css(text.get_color())},
        "xanchor": ANCHOR_X.get(str(text.get_horizontalalignment()), "center"),
        "yanchor": ANCHOR_Y.get(str(text.get_verticalalignment()), "middle"),
        "textangle": -float(text.get_rotation()), "align": "center",
    }
    if not isinstance(text, Annotation):
        if text.get_transform() == ax.transAxes:
            note.update(xref="x domain", yref="y domain")
        else:
            note.update(xref="x", yref="y")
        a, b = text.get_position()
        return {**note, "x": float(a), "y": float(b)}
    (a, b), coordinates = text.xy, text.xycoords
    x_ref, y_ref = (coordinates if isinstance(coordinates, tuple) else (coordinates, coordinates))
    note.update(x=float(a), y=float(b), xref=_reference(x_ref, "x"), yref=_reference(y_ref, "y"))
    if None in (note["xref"], note["yref"]):
        return None
    offset = text.get_anncoords()
    at_x, at_y = (float(v) for v in text.xyann)
    if offset == "offset points":
        note.update(xshift=at_x * POINTS_TO_PX, yshift=at_y * POINTS_TO_PX)
    elif offset == "data" and text.arrow_patch is not None:  # a mark: its words above, a line down to the data
        note.update(showarrow=True, arrowhead=0, arrowwidth=0.8, arrowcolor="#999999", ax=at_x, ay=at_y,
                    axref="x", ayref="y", standoff=1)
    elif offset == "data":
        note.update(x=at_x, y=at_y)
    return note


def _reference(coordinates: object, axis: str) -> str | None:
    if coordinates == "data":
        return axis
    if coordinates == "axes fraction":
        return f"{axis} domain"
    return None


def _escaped(text: str) -> str:
    """Text for Plotly, which reads labels as HTML: '<' and '&' in a name shown as written, and '$'
    as an entity, since Plotly takes text with two '$' ("$10B of $12B") for TeX."""
    return html.escape(str(text), quote=False).replace("$", "&#36;")
