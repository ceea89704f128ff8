"""comparison.html and sweep.html: self-contained pages beside the what-if's and the sweep's charts,
with their charts (base against scenario; lines and tornado) and tables, that a real headless browser
opens offline, drawing every chart and logging nothing.

Plans as in test_whatif and test_sweep: tests/data/one-quarter.yaml with the small catalog.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import plotly.offline
import pytest
from typer.testing import CliRunner

from planner.cli import app
from tests.browser import needs_browser, open_page
from tests.conftest import DATA, SMALL_CATALOG

runner = CliRunner()
BASE = DATA / "one-quarter.yaml"
POWER = "sites.lab.power_sources.grid.phases.0.available_mw"
NEW_PLOT = re.compile(r'Plotly\.newPlot\(\s*"([^"]+)"')


@pytest.fixture(scope="module")
def whatif(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("whatif")
    result = runner.invoke(app, ["whatif", str(BASE), "--catalog", str(SMALL_CATALOG), "--out", str(out),
                                 "--set", "policy.exclude=[beta]", "-q"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sweep")
    result = runner.invoke(app, ["sweep", str(BASE), "--catalog", str(SMALL_CATALOG), "--out", str(out),
                                 "--set-range", f"{POWER}=5:15:3", "--workers", "1", "-q"])
    assert result.exit_code == 0, result.output
    return out


def check_page(folder: Path, name: str, charts: tuple[str, ...], tables: tuple[str, ...]) -> str:
    """The page is in the manifest, loads nothing from elsewhere, and has every chart and table."""
    page = (folder / name).read_text(encoding="utf-8")
    manifest = json.loads((folder / "summary.json").read_text())
    assert manifest["outputs"][name] == hashlib.sha256((folder / name).read_bytes()).hexdigest()
    own = page.replace(plotly.offline.get_plotlyjs(), "")
    assert len(own) < len(page) - 4e6  # plotly.js, inlined once
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=", own, re.I)
    assert not re.search(r"https?://", own)
    divs = NEW_PLOT.findall(page)
    for chart in charts:
        assert f'<h2 id="{chart}">' in page
        assert any(div.startswith(chart + "-") for div in divs), chart
    for table in tables:
        assert f"<summary>{table}" in page
        header = (folder / table).read_text(encoding="utf-8").splitlines()[0].split(",")
        assert "<thead><tr>" + "".join(f"<th>{column}</th>" for column in header) + "</tr></thead>" in page
    return page


def test_comparison_page(whatif):
    page = check_page(whatif, "comparison.html", ("chip_mix", "power", "budget", "compute"),
                      ("comparison.csv", "limit_changes.csv", "input_changes.csv"))
    assert "<thead><tr><th>metric</th><th>base</th><th>overrides</th></tr></thead>" in page
    assert '<td class="number">800 <span style="color:#b45f06">-75.0%</span></td>' in page  # the objective


def test_sweep_page(sweep):
    page = check_page(sweep, "sweep.html", ("sweep_lines", "tornado"), ("sweep.csv", "sweep_periods.csv"))
    assert "grid phases 0 available (MW)" in page  # what was swept, in words


def test_no_charts_no_pages(tmp_path):
    result = runner.invoke(app, ["whatif", str(BASE), "--catalog", str(SMALL_CATALOG), "--out", str(tmp_path),
                                 "--set", "policy.exclude=[beta]", "--no-charts", "-q"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "comparison.html").exists()


@needs_browser
@pytest.mark.parametrize(("fixture", "name"), [("whatif", "comparison.html"), ("sweep", "sweep.html")])
def test_opens_offline_and_draws_every_chart(request, fixture, name, tmp_path):
    folder = request.getfixturevalue(fixture)
    opened = open_page(folder / name, tmp_path / "profile")
    panels = len(NEW_PLOT.findall((folder / name).read_text(encoding="utf-8")))
    assert opened.console == []
    assert panels >= 2
    assert opened.attribute("data-charts-drawn") == str(panels)
    assert opened.dom.count('class="main-svg"') >= panels
