"""Text blocks of report.pdf's first page (`planner.reports.pdf_report.summary_page`): a writer that
places lines down a column, the main risks, and the status and provenance at the foot.

Every block reads plain data (summary.json's content, `planner.answers.risks.Risks`); nothing here
solves or varies from run to run.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure

from planner import fmt
from planner.reports.pdf_tables import ASCENT

if TYPE_CHECKING:
    from planner.answers.risks import Risks

SHA_SHOWN = 16
"""Hex digits of each input's SHA-256 on the summary page (summary.json has all 64)."""
MAX_FILES_SHOWN = 9
MAX_ESTIMATES_SHOWN = 5
"""Estimates that matter listed on the first page, the largest swing first (summary.json lists all)."""
FOOT_TOP = 0.25
"""Where the status and provenance start, in figure coordinates: the blocks above stop short of it."""


class Writer:
    """Lines of text placed down a column of a figure, in figure coordinates (every report's text
    pages use it: page 1, the diagnosis, a sweep's first page)."""

    def __init__(self, figure: Figure, x: float, y: float, width_chars: int) -> None:
        self.figure, self.x, self.y, self.width_chars = figure, x, y, width_chars

    def line(self, text: str, size: float = 9.5, gap: float = 1.0, *, scaled: bool = False, **style: Any) -> None:
        """`text` wrapped at `width_chars` (`scaled`: at as many characters of `size` as fit the width
        of `width_chars` characters of 9.5 points), each line `size` points high."""
        for part in self.wrapped(text, size if scaled else 9.5):
            # parse_math off: two "$" in a line ("$58B of $58B") would otherwise be read as TeX.
            # Placed by its baseline, one ascent below the line's top: aligned by its top, a line with
            # an apostrophe or a backtick drops by half a line in the PDF's Helvetica (matplotlib
            # measures those two glyphs far taller than they are).
            baseline = self.y - size * ASCENT / 72 / self.figure.get_figheight()
            self.figure.text(self.x, baseline, part, fontsize=size, va="baseline", ha="left", parse_math=False,
                             **style)
            self.y -= self.height(size, gap)

    def wrapped(self, text: str, size: float = 9.5) -> list[str]:
        width = round(self.width_chars * 9.5 / size)
        return textwrap.wrap(text, width, break_on_hyphens=False) or [""]

    def height(self, size: float = 9.5, gap: float = 1.0, lines: int = 1) -> float:
        """Figure height that `lines` lines of `size` points take."""
        return lines * size * 1.45 * gap / 72 / self.figure.get_figheight()

    def fits(self, text: str, size: float, floor: float) -> bool:
        """Whether `text` (wrapped as `line(..., scaled=True)` wraps it) ends above `floor`."""
        return self.y - self.height(size, lines=len(self.wrapped(text, size))) >= floor

    def heading(self, text: str, size: float = 11.5) -> None:
        self.space(0.6)
        self.line(text, size=size, weight="bold", color="#1f2d3d")
        self.space(0.25)

    def space(self, lines: float = 1.0) -> None:
        self.y -= lines * 9.5 * 1.45 / 72 / self.figure.get_figheight()


RISKS_HEADING = "Main risks: what the estimates could do"


def _dates(risks: Risks) -> str:
    """`, a date up to 2 quarters either way` where a date was drawn (empty otherwise)."""
    moves = [e.high_words for e in risks.screened if risks.matters(e) and e.high_words.endswith(" later")]
    return f", a date up to {moves[0].removesuffix(' later')} either way" if moves else ""


def risk_lines(risks: Risks) -> list[tuple[str, str]]:
    """The main risks in words, as (kind, text): "lead" (the spread), "note" (how it was found),
    "list" (the heading of the estimates that matter) and "item" (one of them, most first). Page 1
    and report.html both show these."""
    if not risks.listed:
        return [("note", "No input of this plan, nor of its parts' catalog entries, is marked as an estimate (a "
                         "`sources:` text that says so): there is nothing to vary.")]
    what = "Effective compute" if risks.maximises else "Cost"
    if not risks.varied:
        return [("lead", f"{what}: {risks.headline_text(risks.base)} in the LP relaxation, whichever estimate moves"),
                ("note", f"None of the {len(risks.screened)} estimates run alone (of {risks.listed}) moves it by more "
                         f"than {risks.threshold_words} at x{risks.low_factor:g} or x{risks.high_factor:g} of its "
                         "value.")]
    failed = f" ({risks.draw_failures()})" if risks.no_plan or risks.unanswered else ""
    lines = [
        ("lead", f"{what}, P10 / P50 / P90: {risks.spread_words(short=True)}"),
        ("note", f"From the LP relaxation (base {risks.headline_text(risks.base)}): {len(risks.draws)} joint draws"
                 f"{failed} of the {_counted(len(risks.varied), 'estimate that matters', 'estimates that matter')}, "
                 f"each uniform in x{risks.low_factor:g} to x{risks.high_factor:g} of its value{_dates(risks)} "
                 f"(seed {risks.seed}); "
                 f"{len(risks.screened)} of the {risks.listed} inputs marked as estimate were run alone, those the "
                 "binding limits price highest first."),
    ]
    ranked = risks.ranked()
    if ranked:
        lines.append(("list", f"Estimates that matter most (each alone at either end; change in "
                              f"{risks.change_unit}):"))
        lines += [("item", f"{number}. {risks.effect_words(effect, compact=True)}")
                  for number, effect in enumerate(ranked[:MAX_ESTIMATES_SHOWN], start=1)]
        if len(ranked) > MAX_ESTIMATES_SHOWN:
            lines.append(("note", f"... {len(ranked) - MAX_ESTIMATES_SHOWN} more in summary.json (risks)"))
    return lines


RISK_STYLES = {"lead": {"size": 9, "weight": "bold"}, "note": {"size": 7.5, "color": "#555555"},
               "list": {"size": 8, "weight": "bold"}, "item": {"size": 8}}
"""How page 1 draws each kind of `risk_lines` line."""


def risks_block(writer: Writer, risks: Risks, floor: float = FOOT_TOP + 0.01) -> None:
    """Main risks (`risk_lines`) in a column of page 1; the estimates stop above `floor`, the rest
    counted in a last line."""
    writer.heading(RISKS_HEADING, size=10.5)
    lines = risk_lines(risks)
    items = sum(kind == "item" for kind, _ in lines)
    shown, full = 0, False
    for kind, text in lines:
        if kind == "list":
            writer.space(0.25)
        if kind == "item":
            full = full or not writer.fits(text, 8, floor + writer.height(7.5))
            if full:
                continue
            shown += 1
        elif kind == "note" and text.startswith("... "):
            continue  # counted below, with the items that did not fit
        writer.line(text, scaled=True, **RISK_STYLES[kind])  # type: ignore[arg-type]
    left = len(risks.ranked()) - shown if items else 0
    if left > 0:
        writer.line(f"... {left} more in summary.json (risks)", size=7.5, color="#555555")


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def provenance_block(figure: Figure, summary: dict[str, Any], x: float = 0.04, width_chars: int = 150) -> None:
    """Status and provenance, small, at the foot of the summary page (no timings: they vary)."""
    writer = Writer(figure, x, FOOT_TOP, width_chars)
    writer.line("Status and provenance", size=9, weight="bold", color="#1f2d3d")
    solver = summary["solver"]
    verification = summary["verification"]
    checked = ("every limit re-checked on the returned numbers, "
               f"{verification['violations']} violation(s) (tolerance {verification['tolerance']})")
    size = 7
    writer.line(f"Status: {summary['status']}; {checked}. Units: {fmt.whole_units_words(solver)}.", size=size)
    writer.line(f"Solver: {solver['name']} {solver['version']}; "
                f"model {summary['model']['rows']} rows, "
                f"{summary['model']['columns']} columns.  Planner version {summary['provenance']['planner_version']}.",
                size=size)
    writer.line(" ".join(assumption_lines(summary["model"]["assumptions"])), size=size)
    writer.space(0.2)
    provenance = summary["provenance"]
    files = [("input", e) for e in provenance["inputs"]] + [("catalog", e) for e in provenance["catalog"]]
    shown = [f"{label:8} SHA-256 {entry['sha256'][:SHA_SHOWN]}...  {entry['path']}"
             for label, entry in files[:MAX_FILES_SHOWN]]
    column = max(len(text) for text in shown) + 2 if shown else 0
    pairs = 2 * column <= writer.width_chars  # two files a line where they fit
    step = 2 if pairs else 1
    for i in range(0, len(shown), step):
        writer.line("".join(text.ljust(column) for text in shown[i:i + step]).rstrip(), size=size,
                    family="monospace")
    if len(files) > MAX_FILES_SHOWN:
        writer.line(f"... and {len(files) - MAX_FILES_SHOWN} more input files, listed in summary.json", size=size)
    options = ", ".join(f"{k}={v}" for k, v in provenance["options"].items() if v is not None)
    writer.line(f"Options: {options}. Full hashes of inputs and of every output file are in summary.json, "
                "written with this report.", size=size, color="#555555")


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


def assumption_lines(assumptions: dict[str, Any]) -> list[str]:
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
