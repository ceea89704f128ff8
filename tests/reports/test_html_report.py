"""report.html: one self-contained page beside report.pdf, with the PDF's charts (same series, colours,
titles and units, as hoverable Plotly charts), the CSV tables, and every user text escaped; and, in a
real headless browser, it loads offline, draws every chart, logs nothing, and its toggles work.

The plan is test_charts' two sites over four quarters, with a title and a site name that HTML would
take for markup.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import replace
from pathlib import Path

import matplotlib
import pandas as pd
import plotly.offline
import pytest
from matplotlib.container import BarContainer
from typer.testing import CliRunner

from planner.answers.run import RunResult
from planner.cli import app
from planner.reports import charts
from planner.reports.html_charts import chart_from_figure
from planner.reports.html_page import MAX_TABLE_ROWS, Page, cell
from planner.reports.report import write_report
from tests.browser import browser, needs_browser, open_page
from tests.conftest import SMALL_CATALOG, base_plan
from tests.reports.test_charts import four_quarter_plan, solve

matplotlib.use("Agg")

TITLE = 'Lab & annex <script>alert("title")</script>'
SITE_NAME = "Annex <b>&</b> co"
CHART_IDS = ("fleet", "power-by-site", "chip-mix", "budget", "compute-over-time", "hall-space")
TABLES = ("allocation.csv", "sites.csv", "budget.csv", "compute.csv", "constraints.csv")
NEW_PLOT = re.compile(r'Plotly\.newPlot\(\s*"([^"]+)",\s*(\[.*?\]),\s*(\{.*?\}),\s*\{"displaylogo', re.S)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    plan = four_quarter_plan(title=TITLE)
    plan["sites"][1]["name"] = SITE_NAME
    return solve(tmp_path_factory.mktemp("plan"), plan)


@pytest.fixture(scope="module")
def report(run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_report(run, out)
    return out


@pytest.fixture(scope="module")
def page(report: Path) -> str:
    return (report / "report.html").read_text(encoding="utf-8")


def plots(page: str) -> dict[str, tuple[list[dict], dict]]:
    """Each Plotly panel of the page: its div id -> (traces, layout)."""
    return {div: (json.loads(data), json.loads(layout)) for div, data, layout in NEW_PLOT.findall(page)}


def test_written_beside_the_pdf_and_listed_in_the_manifest(report):
    manifest = json.loads((report / "summary.json").read_text())
    digest = hashlib.sha256((report / "report.html").read_bytes()).hexdigest()
    assert manifest["outputs"]["report.html"] == digest
    assert "report.pdf" in manifest["outputs"]
    assert not list(report.glob(".planner-tmp-*"))


def test_no_report_writes_no_html(run, tmp_path):
    write_report(replace(run, options=replace(run.options, charts=False)), tmp_path)
    assert not (tmp_path / "report.html").exists()
    assert not (tmp_path / "report.pdf").exists()


def test_self_contained_one_copy_of_plotly(page):
    """Nothing is fetched: no element loads a file or an address; plotly.js is inlined once (its own
    text names web addresses, for maps this page has none of, so the check reads the page around it)."""
    plotly_js = plotly.offline.get_plotlyjs()
    assert page.count(plotly_js) == 1
    own = page.replace(plotly_js, "")
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b[^>]*\b(src|href)\s*=", own, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", own, re.I)
    assert not re.search(r"https?://", own)
    assert len(re.findall(r"\* plotly\.js v\d", page)) == 1
    assert 4e6 < len(page.encode()) < 8e6


def test_every_chart_and_table(run, page):
    found = plots(page)
    for chart in CHART_IDS:
        assert f'<h2 id="{chart}">' in page
        assert any(div.startswith(chart + "-") for div in found), chart
    # one panel per site (and two for the chip mix), as in the PDF
    assert sum(div.startswith("power-by-site-") for div in found) == len(run.plan.sites)
    assert sum(div.startswith("chip-mix-") for div in found) == 2 * len(run.plan.sites)
    for name in TABLES:
        assert f"<summary>{name}: " in page
        table = getattr(run.tables, name.removesuffix(".csv"))
        head = "".join(f"<th>{column}</th>" for column in table.columns)
        assert f"<thead><tr>{head}</tr></thead>" in page, name


def test_user_text_is_escaped(page):
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in page
    assert "<b>&</b>" not in page
    assert 'data-site-toggle="annex"> Annex &lt;b&gt;&amp;&lt;/b&gt; co</label>' in page


def test_hover_values_carry_units_and_quarters(run, page):
    traces, layout = next(v for k, v in plots(page).items() if k.startswith("power-by-site-"))
    bars = [t for t in traces if t["type"] == "bar"]
    assert bars
    assert all(" MW" in text for t in bars for text in t["text"])
    assert all(any(p in text for p in run.plan.periods) for t in bars for text in t["text"])
    assert layout["yaxis"]["title"]["text"] == "Facility power"
    assert all(label == "0" or label.endswith(("MW", "GW")) for label in layout["yaxis"]["ticktext"])
    assert layout["xaxis"]["ticktext"] == list(run.plan.periods)
    budget = next(v for k, v in plots(page).items() if k.startswith("budget-"))[0]
    assert all("&#36;" in text for t in budget if t["type"] == "bar" for text in t["text"])


def test_panels_show_the_png_charts_series(run):
    """The chip mix's panels: the same bar series, in the same colours, with the same values and titles."""
    (figure,) = charts.chip_mix(run)
    figure.savefig(io.BytesIO(), format="png")  # lays the ticks out, as the PNG's rendering does
    chart = chart_from_figure("chip-mix", figure, run.plan.periods)
    assert chart.title == figure.get_suptitle()
    assert len(chart.panels) == len(figure.axes)
    for ax, panel in zip(figure.axes, chart.panels, strict=True):
        assert panel.title == ax.get_title(loc="left")
        assert panel.site in {site.id for site in run.plan.sites}
        drawn = {c.get_label(): c for c in ax.containers if isinstance(c, BarContainer)}
        shown = {t["name"]: t for t in panel.figure["data"] if t["type"] == "bar"}
        assert set(shown) == {label for label, c in drawn.items() if any(p.get_height() for p in c.patches)}
        for label, trace in shown.items():
            heights = [p.get_height() for p in drawn[label].patches if p.get_height()]
            assert trace["y"] == pytest.approx(heights)
            colour = matplotlib.colors.to_rgb(drawn[label].patches[0].get_facecolor())
            assert trace["marker"]["color"].startswith("rgba({},{},{},".format(*(round(c * 255) for c in colour)))


def test_site_toggles_hide_panels_and_rows(run, page):
    for site in run.plan.sites:
        assert f'data-site-toggle="{site.id}"' in page
        assert page.count(f'<figure class="panel" data-site="{site.id}">') == 4  # power, 2 chip mix, hall space
        assert f'<tr data-site="{site.id}">' in page


# --- in a real browser ------------------------------------------------------------------------

CLICK_AND_TOGGLE = """
<script>
(function () {
  var plots = Array.prototype.slice.call(document.querySelectorAll('.js-plotly-plot'));
  var first = plots.filter(function (gd) { return gd.id.indexOf('chip-mix-') === 0; })[0];
  var name = first.data[0].legendgroup;
  first.emit('plotly_legendclick', {data: first.data, curveNumber: 0});
  var hidden = 0;
  plots.forEach(function (gd) { gd.data.forEach(function (t) {
    if (t.legendgroup === name && t.visible === 'legendonly') { hidden += 1; } }); });
  document.body.setAttribute('data-test-hidden', String(hidden));
  var box = document.querySelector('input[data-site-toggle="annex"]');
  box.checked = false;
  box.dispatchEvent(new Event('change'));
  document.body.setAttribute('data-test-sites-hidden',
    String(document.querySelectorAll('.hidden-by-site').length));
})();
</script>
"""


@needs_browser
def test_opens_offline_draws_every_chart_and_logs_nothing(page, report, tmp_path):
    opened = open_page(report / "report.html", tmp_path / "profile")
    panels = len(plots(page))
    assert opened.console == []
    assert opened.attribute("data-charts-drawn") == str(panels)
    assert opened.dom.count('class="main-svg"') >= panels
    assert opened.dom.count("js-plotly-plot") >= panels


@needs_browser
def test_a_legend_click_hides_a_part_everywhere_and_a_site_can_be_hidden(run, page, tmp_path):
    """The page as written, plus a script that clicks the first legend entry of the chip mix and ticks a site off."""
    probe = tmp_path / "report.html"
    probe.write_text(page.replace("</body>", CLICK_AND_TOGGLE + "</body>"), encoding="utf-8")
    opened = open_page(probe, tmp_path / "profile")
    assert opened.console == []
    assert int(opened.attribute("data-test-hidden") or 0) >= 2  # that part, in its panels of every site
    annex_rows = int((run.tables.allocation["site"] == "annex").sum() + (run.tables.sites["site"] == "annex").sum())
    assert int(opened.attribute("data-test-sites-hidden") or 0) >= 4 + annex_rows


def test_table_cells_read_as_numbers_and_long_tables_say_they_are_cut():
    assert cell(2026, plain=True) == ("2026", True)
    assert cell(1234567.891) == ("1,234,568", True)
    assert cell(71.02280897) == ("71.0228", True)
    assert cell(float("nan")) == ("", False)
    assert cell(True) == ("True", False)
    frame = pd.DataFrame({"year": [2026 + i for i in range(MAX_TABLE_ROWS + 5)], "site": "a<b", "x_mw": 1.5})
    page = Page("t")
    page.table("long.csv", frame)
    text = page.parts[-1]
    assert f"the first {MAX_TABLE_ROWS:,} of {MAX_TABLE_ROWS + 5:,} rows; long.csv has them all" in text
    assert text.count("<tr data-site=") == MAX_TABLE_ROWS
    assert '<tr data-site="a&lt;b"><td class="number">2026</td><td>a&lt;b</td><td class="number">1.5</td></tr>' in text


def test_a_plan_that_cannot_be_met_gets_its_diagnosis_as_a_page(write_plan, tmp_path):
    """What report.pdf says, sections and chart: demand against what the plan can deliver, from the
    very figure of demand_shortfall.png (so plotly.js comes with it)."""
    plan = base_plan(policy={"exclude": ["alpha"]}, demand={"training": [{"from": "2026Q1", "pflops": "5 EFLOPS"}]})
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["optimize", str(write_plan(plan)), "--catalog", str(SMALL_CATALOG),
                                      "--out", str(out), "-q"])
    assert result.exit_code == 3, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "No plan meets every limit" in page
    assert "short by 1.80 EFLOPS" in page
    assert '<h2 id="diagnosis-1">What is short, with every limit held</h2>' in page
    assert "What would close it" in page
    assert "no price in the plan" in page  # the lab's grid has no expansion to price
    assert '<h2 id="demand-shortfall">Demand against capacity' in page
    manifest = json.loads((out / "summary.json").read_text())
    for name in ("report.html", "demand_shortfall.png", "report.pdf"):
        assert manifest["outputs"][name] == hashlib.sha256((out / name).read_bytes()).hexdigest(), name
    if browser() is not None:
        opened = open_page(out / "report.html", tmp_path / "profile")
        assert opened.console == []
        assert opened.attribute("data-charts-drawn") == "1"
