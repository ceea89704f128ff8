"""Charts with a row of panels per site, paged: a fleet's sites run over several pages of one size.

A chart about each site puts at most `SITES_PER_PAGE` sites on a page (`charts.PAGE_INCHES`, landscape
Letter), spread evenly over as few pages as hold them, so that 12 sites make four pages of three
rather than one page 34 inches tall. Each page after the first says where it is in its title:
"Power by site (continued, sites 4-6 of 12)". Leased capacity (the chip mix's row `cloud`) follows
the last site and is not counted as one.

No matplotlib here: the summary page counts a chart's pages (its contents list) without drawing them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

SITES_PER_PAGE = 3
"""Site rows on one page: each panel keeps about 2.4 in of height, room for its marks and legend."""
CLOUD = "cloud"
"""The row of leased capacity, which is no site (allocation.csv's site `cloud`)."""


@dataclass(frozen=True)
class SitePage:
    """One page of a chart drawn a row per site."""

    rows: tuple[str, ...]
    """The ids drawn on this page, in order: sites, then `CLOUD` on the last page where it has a row."""
    number: int
    """1 for the first page."""
    pages: int
    """Pages of the chart."""
    first: int
    """Place of the page's first site among all the chart's sites, counted from 1 (0: no site on it)."""
    sites: int
    """Sites in the chart (leased capacity not counted)."""

    @property
    def site_count(self) -> int:
        return sum(1 for row in self.rows if row != CLOUD)

    def where(self) -> str:
        """'' for a chart on one page; else which sites the page shows: 'sites 4-6 of 12', 'site 12 of
        12 and cloud leases'."""
        if self.pages == 1:
            return ""
        count = self.site_count
        last = self.first + count - 1
        span = (f"site {self.first} of {self.sites}" if count == 1
                else f"sites {self.first}-{last} of {self.sites}" if count else "")
        cloud = "cloud leases" if CLOUD in self.rows else ""
        return " and ".join(part for part in (span, cloud) if part)

    def title(self, name: str, words: str) -> str:
        """The page's title: 'name: words' on the first page (with the sites it shows, where the
        chart has more pages), 'name (continued, sites 4-6 of 12)' on the pages after it."""
        where = self.where()
        if not where:
            return f"{name}: {words}"
        if self.number == 1:
            return f"{name} ({where}): {words}"
        return f"{name} (continued, {where})"

    def is_last_row(self, index: int) -> bool:
        """Whether row `index` of this page is its bottom row (the one that labels the quarter axis)."""
        return index == len(self.rows) - 1


def site_pages(row_ids: Sequence[str], per_page: int = SITES_PER_PAGE) -> list[SitePage]:
    """`row_ids` (sites, then perhaps `CLOUD`) in pages of at most `per_page` rows, as even as they go
    (seven sites: 3, 2, 2), the fuller pages first. One page, however many rows, for no rows at all."""
    rows = list(row_ids)
    pages = max(1, math.ceil(len(rows) / per_page))
    sizes = [len(rows) // pages + (1 if number < len(rows) % pages else 0) for number in range(pages)]
    sites = sum(1 for row in rows if row != CLOUD)
    out: list[SitePage] = []
    start = 0
    for number, size in enumerate(sizes, start=1):
        chunk = tuple(rows[start:start + size])
        first = start + 1 if any(row != CLOUD for row in chunk) else 0
        out.append(SitePage(chunk, number, pages, first, sites))
        start += size
    return out
