"""A fleet's report: every page landscape Letter, per-site charts paged with "continued" titles, a
roll-up page whose totals are the sums of the per-site tables, true page numbers in the contents,
one interactive chart per paged chart in report.html, and a terminal power table that names every
site at 80 columns.

Two small plans, each solved once for the module: three sites worked out by hand (the roll-up),
and four sites (each per-site chart on two pages of two sites; `site_pages` is tested alone for
larger fleets, and a report of four keeps the test fast).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest
import yaml
from matplotlib.container import BarContainer
from matplotlib.patches import StepPatch
from rich.console import Console

from planner.answers.run import Options, RunResult, load, optimize
from planner.reports import charts, terminal
from planner.reports.chart_pages import REPORT_CHARTS, contents
from planner.reports.fleet_chart import fleet
from planner.reports.literal import literal_text
from planner.reports.report import write_report
from planner.reports.site_pages import CLOUD, site_pages
from tests.browser import needs_browser, open_page
from tests.conftest import SMALL_CATALOG, base_plan

matplotlib.use("Agg")

LETTER_LANDSCAPE = b"0 0 792 612"
"""A PDF page's MediaBox in points: 11 x 8.5 in."""


def site(site_id: str, grid_mw: float, pue: float, hall_mw: float) -> dict:
    return {"id": site_id, "name": f"Site {site_id}", "pue": pue,
            "power_sources": [{"id": "grid", "kind": "grid", "energy_usd_per_mwh": "$40/MWh",
                               "phases": [{"online": "2026Q1", "available_mw": f"{grid_mw} MW"}]}],
            "halls": [{"id": "hall", "kind": "building", "cooling": ["air", "liquid"], "max_rack_kw": "200 kW",
                       "existing_it_mw": hall_mw}]}


def solve(folder: Path, sites: list[dict]) -> RunResult:
    plan = base_plan(name="fleet", title="A small fleet", horizon={"start": "2026Q1", "end": "2026Q2"}, sites=sites)
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    options = Options(resolve_steps=False)
    return optimize(load(path, SMALL_CATALOG, options), options)


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return solve(tmp_path_factory.mktemp("three"), [site("a", 10, 1.25, 4), site("b", 5, 1.25, 10),
                                                    site("c", 20, 1.0, 2)])


@pytest.fixture(scope="module")
def four(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return solve(tmp_path_factory.mktemp("four"), [site(f"s{i}", 10 + i, 1.2, 5) for i in range(1, 5)])


@pytest.fixture(scope="module")
def four_report(four: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_report(four, out)
    return out


def bars(ax) -> dict[str, list[float]]:
    return {c.get_label(): [p.get_height() for p in c.patches] for c in ax.containers if isinstance(c, BarContainer)}


def steps(ax) -> dict[str, list[float]]:
    return {p.get_label(): list(p.get_data().values) for p in ax.patches if isinstance(p, StepPatch)}


def summed(frame: pd.DataFrame, column: str, periods: list[str]) -> list[float]:
    return [float(v) for v in frame.groupby("period")[column].sum().reindex(periods)]


def test_sites_are_paged_evenly_three_at_most():
    assert [page.rows for page in site_pages(["a", "b", "c"])] == [("a", "b", "c")]
    assert [len(page.rows) for page in site_pages([f"s{i}" for i in range(7)])] == [3, 2, 2]
    assert [len(page.rows) for page in site_pages([f"s{i}" for i in range(12)])] == [3, 3, 3, 3]
    one = site_pages(["lab"])[0]
    assert one.title("Power by site", "what it shows") == "Power by site: what it shows"
    first, last = site_pages(["a", "b", "c", "d", CLOUD])
    assert first.title("Chip mix", "words") == "Chip mix (sites 1-3 of 4): words"
    assert last.title("Chip mix", "words") == "Chip mix (continued, site 4 of 4 and cloud leases)"


def test_fleet_rollup_is_the_sum_of_the_site_tables(three):
    """Three sites over two quarters, nothing to buy but racks, a budget that does not bind:

    - a: 10 MW grid, PUE 1.25, a 4 MW hall: the hall binds, 4 MW IT, 5 MW at the facility;
    - b: 5 MW grid, PUE 1.25, a 10 MW hall: power binds, 5 / 1.25 = 4 MW IT, 5 MW at the facility;
    - c: 20 MW grid, PUE 1.0, a 2 MW hall: the hall binds, 2 MW IT, 2 MW at the facility.

    Fleet: 10 + 5 + 20 = 35 MW firm, 5 + 5 + 2 = 12 MW peak draw; halls 4 + 10 + 2 = 16 MW ready,
    4 + 4 + 2 = 10 MW in use. The best compute per MW is the beta server (0.5 x 8 = 4 PFLOPS for
    0.01 MW), so 10 MW of IT is 1,000 servers, 4,000 PFLOPS (utilisation 1), bought in 2026Q1 for
    1,000 x $200k = $200M; energy 12 MW x 2,190 h x $40/MWh x 2 quarters = $2,102,400 of opex.
    """
    (figure,) = fleet(three)
    assert tuple(figure.get_size_inches()) == charts.PAGE_INCHES
    power, compute, halls, spend = figure.axes
    periods = list(three.plan.periods)
    sites = three.tables.sites
    firm = [sum(values) for values in zip(*bars(power).values(), strict=True)]
    assert firm == pytest.approx([35.0, 35.0])
    assert firm == pytest.approx(summed(sites, "power_firm_mw", periods))
    peak = steps(power)["peak draw (design PUE)"]
    assert peak == pytest.approx([12.0, 12.0])
    assert peak == pytest.approx(summed(sites, "power_peak_mw", periods))
    assert bars(halls)["ready"] == pytest.approx([16.0, 16.0]) == summed(sites, "hall_ready_mw", periods)
    assert bars(halls)["occupied"] == pytest.approx([10.0, 10.0]) == summed(sites, "hall_used_mw", periods)
    allocation = three.tables.allocation
    assert bars(compute) == {"amd": pytest.approx([4000.0, 4000.0])}
    assert bars(compute)["amd"] == pytest.approx(summed(allocation, "effective_bf16_pflops", periods))
    budget = three.tables.budget
    assert bars(spend)["capex"] == pytest.approx([200e6]) == list(budget["capex_usd"])
    assert bars(spend)["opex"] == pytest.approx([2_102_400.0]) == list(budget["opex_usd"])
    assert "peak draw 12.0 MW of 35.0 MW firm in 2026Q2 (34%)" in power.get_title("left")
    assert "10.0 MW IT occupied of 16.0 MW ready" in halls.get_title("left")
    for ax in figure.axes:
        assert ax.get_xlabel() in ("quarter", "calendar year")
        assert ax.get_ylabel()


def test_one_site_has_no_rollup(three):
    alone = SimpleNamespace(plan=SimpleNamespace(sites=three.plan.sites[:1]), tables=three.tables)
    assert fleet(alone) == []


def test_every_page_is_landscape_letter_and_pngs_are_named_per_page(four, four_report):
    pdf = (four_report / "report.pdf").read_bytes()
    boxes = re.findall(rb"/MediaBox \[\s*([^\]]*?)\s*\]", pdf)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert len(boxes) == pages
    assert set(boxes) == {LETTER_LANDSCAPE}
    with literal_text():
        drawn = {chart.name: chart.draw(four) for chart in REPORT_CHARTS}
    assert {name: len(figures) for name, figures in drawn.items()} == {
        "fleet": 1, "power_by_site": 2, "chip_mix": 2, "budget": 1, "compute_over_time": 1, "hall_space": 2}
    assert all(tuple(f.get_size_inches()) == charts.PAGE_INCHES for figures in drawn.values() for f in figures)
    manifest = json.loads((four_report / "summary.json").read_text())
    pngs = sorted(name for name in manifest["outputs"] if name.endswith(".png"))
    expected = sorted(name for chart in REPORT_CHARTS for name in chart.files(len(drawn[chart.name])))
    assert pngs == expected
    assert {"fleet.png", "power_by_site.png", "power_by_site_2.png", "hall_space_2.png"} <= set(pngs)
    for name in pngs:
        data = (four_report / name).read_bytes()
        assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (1650, 1275), name


def test_continued_pages_say_which_sites_and_show_each_once(four):
    with literal_text():
        pages = charts.power_by_site(four)
    titles = [page.get_suptitle() for page in pages]
    assert titles[0].startswith("Power by site (sites 1-2 of 4): firm power")
    assert titles[1:] == ["Power by site (continued, sites 3-4 of 4)"]
    shown = [ax.get_gid() for page in pages for ax in page.axes]
    assert shown == [f"site:s{i}" for i in range(1, 5)]
    for page in pages:  # the bottom panel of each page labels the quarters
        assert page.axes[-1].get_xlabel() == "quarter"


def test_contents_page_numbers_are_true(four, four_report):
    """Page 1's contents: the fleet on page 2, each chart's pages after it, the tables after the charts;
    the PDF holds exactly that many chart pages before the tables."""
    entries = contents(four)
    assert [(e.heading, e.pages) for e in entries] == [
        ("Fleet", "2"), ("Power by site", "3-4"), ("Chip mix", "5-6"), ("Budget", "7"), ("Compute over time", "8"),
        ("Hall space", "9-10"), ("Tables", "11")]
    pdf = (four_report / "report.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    from planner.reports.pdf_report import allocation_pages, limit_pages  # noqa: PLC0415

    assert pages == entries[-1].first - 1 + len(allocation_pages(four)) + len(limit_pages(four))


def test_html_shows_a_paged_chart_as_one_chart_with_every_site(four, four_report):
    page = (four_report / "report.html").read_text(encoding="utf-8")
    ids = re.findall(r'<div id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for anchor, panels in (("fleet", 4), ("power-by-site", 4), ("chip-mix", 8), ("hall-space", 4)):
        assert page.count(f'<h2 id="{anchor}">') == 1
        assert sum(i.startswith(anchor + "-") and i[len(anchor) + 1:].isdigit() for i in ids) == panels, anchor
    assert '<h2 id="power-by-site">Power by site: firm power' in page
    assert "continued" not in page


def test_terminal_power_table_names_every_site_at_80_columns():
    """Twelve sites with long ids over twenty years: each site is a row, the years that do not fit
    are one ellipsis column, and no line is wider than the terminal."""
    periods = [f"{year}Q{q}" for year in range(2026, 2046) for q in range(1, 5)]
    ids = [f"campus-{i:02d}-north-ridge" for i in range(1, 13)]
    frame = pd.DataFrame([{"period": p, "site": s, "power_peak_mw": 90.0 + i, "power_firm_mw": 120.0}
                          for i, s in enumerate(ids) for p in periods])
    run = SimpleNamespace(plan=SimpleNamespace(periods=periods, sites=[SimpleNamespace(id=s) for s in ids]),
                          tables=SimpleNamespace(sites=frame))
    shown = {}
    for width in (80, 160):
        console = Console(width=width, record=True, highlight=False)
        console.print(terminal._power_table(run, console))
        lines = console.export_text().splitlines()
        assert all(len(line) <= width for line in lines), width
        for site_id in [*ids, "all sites"]:
            assert sum(line.startswith(f"│ {site_id} ") for line in lines) == 1, (width, site_id)
        header = " ".join(line for line in lines if "┃" in line)
        assert "2026Q4" in header
        assert "2045Q4" in header
        assert "\u2026" in header
        shown[width] = len(re.findall(r"20\d\dQ4", header))
    assert 3 < shown[80] < shown[160] < 3 + 20

@needs_browser
def test_html_of_a_paged_fleet_draws_every_panel_in_a_browser(four_report, tmp_path):
    page = (four_report / "report.html").read_text(encoding="utf-8")
    # Calls with a chart's id: plotly.js 6.0's own bundle holds one more "Plotly.newPlot(" in its text.
    panels = len(re.findall(r'Plotly\.newPlot\(\s*"([^"]+)"', page))
    opened = open_page(four_report / "report.html", tmp_path / "profile")
    assert opened.console == []
    assert opened.attribute("data-charts-drawn") == str(panels)


def test_the_terminal_counts_a_charts_later_pages_instead_of_listing_them():
    from planner.reports.terminal import files_written  # noqa: PLC0415

    outputs = dict.fromkeys(("report.pdf", "sites.csv", "fleet.png", "power_by_site.png", "power_by_site_2.png",
                             "power_by_site_3.png", "hall_space_2.png"), "")
    assert files_written({"outputs": outputs}) == (
        "report.pdf, sites.csv, fleet.png, power_by_site.png, 3 more chart pages as NAME_2.png, NAME_3.png, ..., "
        "summary.json")
