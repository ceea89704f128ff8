"""The report's charts in the order of their pages: each chart's files, heading and page count.

Declared once, for report.pdf (its chart pages, and the contents on page 1 with true page numbers),
the PNG files and report.html. A chart draws one page, several (a row per site, at most
`site_pages.SITES_PER_PAGE` sites a page) or none (the fleet roll-up of a one-site plan). Its first
page is written as `<name>.png`, each further page as `<name>_2.png`, `<name>_3.png` and so on, so a
plan of one to three sites writes the same files it always did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planner.reports.charts import budget, chip_mix, chip_mix_rows, compute_over_time, hall_space, power_by_site
from planner.reports.fleet_chart import fleet
from planner.reports.site_pages import site_pages

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from planner.reports.charts import ChartInput


def _one_page(chart: Callable[[ChartInput], Figure]) -> Callable[[ChartInput], list[Figure]]:
    def draw(run: ChartInput) -> list[Figure]:
        return [chart(run)]

    draw.__doc__ = chart.__doc__
    return draw


def _fleet_pages(run: ChartInput) -> int:
    return 1 if len(run.plan.sites) > 1 else 0


def _site_pages(run: ChartInput) -> int:
    return len(site_pages([site.id for site in run.plan.sites]))


def _chip_mix_pages(run: ChartInput) -> int:
    rows = chip_mix_rows(run) if run.tables is not None else [site.id for site in run.plan.sites]
    return len(site_pages(rows))


def _single_page(_run: ChartInput) -> int:
    return 1


@dataclass(frozen=True)
class ReportChart:
    """A chart of the report."""

    name: str
    """The stem of its PNG files ("power_by_site"); report.html's anchor is the same, hyphenated."""
    heading: str
    """What report.html's navigation and the PDF's contents call it."""
    words: str
    """What it shows, after its heading in the PDF's contents."""
    draw: Callable[[ChartInput], list[Figure]]
    """Its pages, drawn (each a `Figure` of `charts.PAGE_INCHES`)."""
    pages: Callable[[ChartInput], int]
    """How many pages `draw` returns, counted without drawing (page 1's contents)."""

    @property
    def anchor(self) -> str:
        return self.name.replace("_", "-")

    def files(self, pages: int) -> list[str]:
        """The PNG file of each of its `pages` pages: `name.png`, then `name_2.png`, ..."""
        return [f"{self.name}.png" if number == 1 else f"{self.name}_{number}.png" for number in range(1, pages + 1)]


REPORT_CHARTS = (
    ReportChart("fleet", "Fleet", "all sites summed: power, compute, hall space, spending", fleet, _fleet_pages),
    ReportChart("power_by_site", "Power by site", "firm power by source against the peak draw", power_by_site,
                _site_pages),
    ReportChart("chip_mix", "Chip mix", "accelerators and compute by site", chip_mix, _chip_mix_pages),
    ReportChart("budget", "Budget", "capex and opex by year against the limit", _one_page(budget), _single_page),
    ReportChart("compute_over_time", "Compute over time", "by vendor, by ecosystem, against demand",
                _one_page(compute_over_time), _single_page),
    ReportChart("hall_space", "Hall space", "ready and occupied, new modules", hall_space, _site_pages),
)
"""In the order of the report's pages, after the summary page."""
TABLES_HEADING = "Tables"
TABLES_WORDS = "allocation at the end; limits that bind; limits with room"


@dataclass(frozen=True)
class ContentsEntry:
    """A line of the PDF's contents: the pages a part of the report takes, and what it is."""

    first: int
    last: int
    """The same as `first` for a part on one page; the tables' entry gives its first page only."""
    heading: str
    words: str

    @property
    def pages(self) -> str:
        return str(self.first) if self.last == self.first else f"{self.first}-{self.last}"


def contents(run: ChartInput) -> list[ContentsEntry]:
    """What report.pdf holds after its summary page, with the page each part starts on: every chart
    that has a page for this run, then the tables."""
    entries = []
    page = 2
    for chart in REPORT_CHARTS:
        count = chart.pages(run)
        if count:
            entries.append(ContentsEntry(page, page + count - 1, chart.heading, chart.words))
            page += count
    entries.append(ContentsEntry(page, page, TABLES_HEADING, TABLES_WORDS))
    return entries
