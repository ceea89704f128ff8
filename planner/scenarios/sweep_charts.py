"""A sweep's charts: results against the swept values (grid), the spread of sampled runs (bands
and a histogram of the objective), and one input at a time (tornado). Figures only, except
`write_sweep_charts`, which renders them to PNG through an OutputFolder.

Colours, page size and PNG rendering are those of the what-if charts (`planner.scenarios.compare_charts`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from planner import fmt
from planner.reports.charts import quarter_axis, value_axis
from planner.reports.literal import literal_text
from planner.reports.output import OutputFolder
from planner.scenarios.compare_charts import BASE_COLOUR, CASE_COLOURS, SUPTITLE, TITLE, blank_page, png_bytes
from planner.scenarios.comparison import SHOWN_METRICS

if TYPE_CHECKING:
    from planner.scenarios.sweep import SweepResult


def _trim(text: str) -> str:
    """`1.50 GW` -> `1.5 GW`: tick labels need no trailing zeros."""
    return re.sub(r"(\d)\.(\d*?)0+(?!\d)", lambda m: m.group(1) + ("." + m.group(2) if m.group(2) else ""), text)


def objective_formatter(unit: str) -> Callable[[float], str]:
    """Objective values for ticks and labels: `$4.5B`, or `1,200 EFLOPS-q` (compute summed over quarters)."""
    if unit.startswith("USD"):
        return fmt.usd
    return lambda value: fmt.pflops(value) + "-q"


def _ticks(function: Callable[[float], str]) -> FuncFormatter:
    return FuncFormatter(lambda value, _position: _trim(function(float(value))))


def input_formatter(path: str, kind: str) -> Callable[[float], str]:
    """Swept values on an axis: money, power, factors, slips."""
    if kind == "factor":
        return lambda v: f"x{v:.3g}"
    if kind == "slip":
        return lambda v: f"{v:+.0f} q"
    if path.endswith("_usd"):
        return fmt.usd
    if path.endswith("_mw"):
        return fmt.mw
    return lambda v: f"{v:.4g}"


def short_label(path: str, kind: str = "value") -> str:
    """`catalog.mi455x.first_available` -> `mi455x first available`; sites' source and hall paths
    keep only the source or hall and the key."""
    parts = path.split(".")
    if parts[0] == "catalog" and len(parts) > 2:
        parts = parts[1:]
    elif parts[0] == "sites" and len(parts) > 4 and parts[2] in ("power_sources", "halls"):
        parts = parts[3:]
    words = " ".join(parts).replace("_usd", " ($)").replace("_mw", " (MW)").replace("_", " ")
    return words + {"factor": " (x plan value)", "slip": " slip (quarters)"}.get(kind, "")


def _metric_axis(ax: Axes, metric: str, unit: str, sweep: SweepResult) -> None:
    name = SHOWN_METRICS.get(metric, metric)
    if metric == "objective":
        value_axis(ax, sweep.objective_label, "pflops" if not sweep.objective_unit.startswith("USD") else "usd")
        ax.yaxis.set_major_formatter(_ticks(objective_formatter(sweep.objective_unit)))
    elif unit == "EFLOPS":
        value_axis(ax, name, "pflops")
        ax.yaxis.set_major_formatter(_ticks(lambda v: fmt.pflops(v * 1000)))
    else:
        value_axis(ax, name, {"USD": "usd", "MW": "mw"}.get(unit, "count"))


SWEEP_PANELS = (("objective", "Objective", ""), ("bf16_eflops_end", "BF16 compute in service at the end", "EFLOPS"),
                ("capex_usd", "Capex over the horizon", "USD"))


def sweep_lines(sweep: SweepResult) -> Figure:
    """Grid sweeps: each headline result against the first swept value, a line per value of the others."""
    table = sweep.table[sweep.table["kind"] == "grid"]
    first, others = sweep.variables[0], sweep.variables[1:]
    figure, axes = blank_page(len(SWEEP_PANELS), 1)
    groups = list(table.groupby([v.column for v in others], sort=False)) if others else [((), table)]
    shown = groups[: len(CASE_COLOURS)]
    categorical = not pd.api.types.is_numeric_dtype(table[first.column])
    for i, (key, rows) in enumerate(shown):
        keys = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{short_label(v.path, v.kind)} = {v.text(k)}" for v, k in zip(others, keys, strict=True))
        xs = list(range(len(rows))) if categorical else [float(v) for v in rows[first.column]]
        for ax, (metric, _title, _unit) in zip(axes, SWEEP_PANELS, strict=True):
            ax.plot(xs, rows[metric].to_numpy(dtype=float), color=CASE_COLOURS[i], marker="o", markersize=3.5,
                    linewidth=1.8, label=label or "runs of the grid")
    base = sweep.table[sweep.table["kind"] == "base"]
    for ax, (metric, title, unit) in zip(axes, SWEEP_PANELS, strict=True):
        if not base.empty and base["status"].iloc[0] == "optimal":
            ax.axhline(float(base[metric].iloc[0]), color=BASE_COLOUR, linestyle=":", linewidth=1.2,
                       label="base plan")
        _metric_axis(ax, metric, unit, sweep)
        low = ax.get_ylim()[0]
        ax.set_title(title + (" (zoomed: the axis does not start at zero)" if low > 0 else ""), **TITLE)
        if categorical:
            values = list(dict.fromkeys(table[first.column]))
            ax.set_xticks(range(len(values)), [str(v) for v in values], fontsize=7.5)
        else:
            ax.xaxis.set_major_formatter(_ticks(input_formatter(first.path, first.kind)))
        ax.tick_params(axis="x", labelsize=7.5)
        ax.set_xlabel(short_label(first.path, first.kind), fontsize=8)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    more = f" (first {len(shown)} of {len(groups)} lines)" if len(groups) > len(shown) else ""
    per = f", a line per {', '.join(short_label(v.path, v.kind) for v in others)}" if others else ""
    figure.suptitle(f"Sweep: results against {short_label(first.path, first.kind)}{per}{more}", **SUPTITLE)
    return figure


def sweep_bands(sweep: SweepResult) -> Figure:
    """Sampled sweeps: P10-P90 band and P50 of BF16 compute in service per quarter; the objective's spread."""
    periods_table = sweep.periods[sweep.periods["kind"] == "sample"]
    periods = sweep.period_names
    figure, axes = blank_page(2, 1)
    ax = axes[0]
    pivot = periods_table.pivot(index="run", columns="period", values="bf16_pflops_in_service")[list(periods)]
    p10, p50, p90 = (pivot.quantile(q).to_numpy() for q in (0.1, 0.5, 0.9))
    x = range(len(periods))
    ax.fill_between(x, p10, p90, color=CASE_COLOURS[0], alpha=0.25, linewidth=0,
                    label="P10-P90: 8 runs in 10 fall in this band")
    ax.plot(x, p50, color=CASE_COLOURS[0], linewidth=2, label="P50: the median run, quarter by quarter")
    base = sweep.periods[sweep.periods["kind"] == "base"]
    if not base.empty:
        ax.plot(x, base.set_index("period")["bf16_pflops_in_service"].reindex(list(periods)).to_numpy(),
                color=BASE_COLOUR, linestyle="--", linewidth=1.4, label="base plan (no draw)")
    ax.set_ylim(bottom=0)
    value_axis(ax, "BF16 compute in service, peak", "pflops")
    quarter_axis(ax, periods)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.set_title(f"BF16 compute in service per quarter across {len(pivot)} sampled runs", **TITLE)
    _objective_histogram(axes[1], sweep)
    figure.suptitle("Risk: spread of results under the sampled inputs", **SUPTITLE)
    return figure


def _objective_histogram(ax: Axes, sweep: SweepResult) -> None:
    samples = sweep.table[sweep.table["kind"] == "sample"]
    solved = samples[samples["status"] == "optimal"]
    values = solved["objective"].to_numpy(dtype=float)
    formatter = objective_formatter(sweep.objective_unit)
    if len(values):
        ax.hist(values, bins=min(30, max(5, len(values) // 3)), color=CASE_COLOURS[0], alpha=0.6)
        low, high = float(values.min()), float(values.max())
        for q, style in ((0.1, ":"), (0.5, "-"), (0.9, ":")):
            v = float(np.quantile(values, q))
            ax.axvline(v, color="#111111", linestyle=style, linewidth=1.2)
            right = high > low and (v - low) / (high - low) > 0.75  # near the right edge: label to the left
            ax.annotate(f"P{int(q * 100)}\n{formatter(v)}", xy=(v, 1), xycoords=("data", "axes fraction"),
                        xytext=(-3 if right else 3, -4), textcoords="offset points", fontsize=7.5, va="top",
                        ha="right" if right else "left")
    base = sweep.table[(sweep.table["kind"] == "base") & (sweep.table["status"] == "optimal")]
    if not base.empty:
        ax.axvline(float(base["objective"].iloc[0]), color=BASE_COLOUR, linestyle="--", linewidth=1.4)
        ax.annotate("base plan", xy=(float(base["objective"].iloc[0]), 0.5), xycoords=("data", "axes fraction"),
                    xytext=(-3, 0), textcoords="offset points", fontsize=7.5, ha="right", color=BASE_COLOUR)
    ax.set_ylabel("runs", fontsize=8)
    ax.xaxis.set_major_formatter(_ticks(formatter))
    ax.tick_params(labelsize=7.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(f"objective: {sweep.objective_label}", fontsize=8)
    ax.set_title(f"Objective across sampled runs ({len(values)} found a plan, of {len(samples.index)})", **TITLE)


LOW_COLOUR, HIGH_COLOUR = "#4f81bd", "#c0504d"


def tornado(sweep: SweepResult) -> Figure:
    """One-at-a-time sensitivities: the objective's change with each input at its low and high."""
    figure, axes = blank_page()
    ax = axes[0]
    bars = sorted(sweep.sensitivities(), key=lambda b: abs(b[2] - b[1]))
    formatter = objective_formatter(sweep.objective_unit)
    labels = []
    for i, (variable, low, high) in enumerate(bars):
        labels.append(short_label(variable.path, variable.kind))
        ends = ((low, LOW_COLOUR, variable.low), (high, HIGH_COLOUR, variable.high))
        moved = [(value, colour, variable.text(end)) for value, colour, end in ends if abs(value) > 1e-9]
        failed = [variable.text(end) for value, _, end in ends if math.isnan(value)]
        if failed:
            ax.annotate(f"no plan at {' and '.join(failed)}", xy=(0, i), xytext=(-4, 8), textcoords="offset points",
                        ha="right", va="center", fontsize=7.5, color="#8b0000")
        for value, colour, text in moved:
            ax.barh(i, value, 0.6, color=colour, alpha=0.85)
            ax.annotate(f"{text}: {'+' if value > 0 else '-'}{formatter(abs(value))}", xy=(value, i),
                        xytext=(4 if value > 0 else -4, 0), textcoords="offset points",
                        ha="left" if value > 0 else "right", va="center", fontsize=7.5)
        still = [variable.text(end) for value, end in ((low, variable.low), (high, variable.high))
                 if abs(value) <= 1e-9]
        if still:
            side = 1 if any(value < -1e-9 for value, _, _ in moved) or not moved else -1
            ax.annotate(f"no change at {' and '.join(still)}", xy=(0, i), xytext=(4 * side, 0),
                        textcoords="offset points", ha="left" if side > 0 else "right", va="center",
                        fontsize=7.5, color="#555555")
    ax.set_yticks(range(len(bars)), labels, fontsize=8)
    ax.set_ylim(-0.6, max(len(bars), 4) - 0.4)  # a bar stays a bar, not a wall, when there are few
    ax.axvline(0, color="#111111", linewidth=1)
    ax.xaxis.set_major_formatter(_ticks(formatter))
    ax.tick_params(axis="x", labelsize=7.5)
    ax.set_xlabel(f"change of the objective from the base plan: {sweep.objective_label}", fontsize=8)
    ax.legend(handles=[Patch(color=LOW_COLOUR, label="input at its low end"),
                       Patch(color=HIGH_COLOUR, label="input at its high end")],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    left, right = ax.get_xlim()
    pad = 0.4 * max(abs(left), abs(right), 1e-9)
    ax.set_xlim(min(left, 0) - pad, max(right, 0) + pad)
    ax.grid(axis="x", color="#e3e3e3", linewidth=0.6)
    for edge in ("top", "right"):
        ax.spines[edge].set_visible(False)
    ax.set_title(f"Each input moved alone ({sweep.sensitivity_words}), the others as in the base plan",
                 **TITLE)
    figure.suptitle("Sensitivity (tornado): which input moves the objective most", **SUPTITLE)
    return figure


@literal_text()
def write_sweep_charts(sweep: SweepResult, folder: OutputFolder) -> dict[str, Figure]:
    """The sweep's charts as PNGs: lines (grid), bands (samples), tornado (when run); returns the
    drawn charts by PNG name (sweep.html shows them)."""
    matplotlib.use("Agg")
    written = {}
    kinds = set(sweep.table["kind"])
    charts = []
    if "grid" in kinds:
        charts.append(("sweep_lines.png", sweep_lines))
    if "sample" in kinds and (sweep.table["status"] == "optimal").any():
        charts.append(("sweep_bands.png", sweep_bands))
    if sweep.sensitivities():
        charts.append(("tornado.png", tornado))
    for name, chart in charts:
        figure = written[name] = chart(sweep)
        folder.write_bytes(name, png_bytes(figure))
    return written
