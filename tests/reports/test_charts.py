"""Charts and report.pdf: what is drawn equals the CSV tables, the summary page carries the
provenance, the files are byte-identical run to run, axes carry units.

One small plan is solved once for the module: two sites over four quarters (2026Q3-2027Q2),
a gas plant that comes online in 2027Q1, and a tent hall whose modules take a quarter.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
import yaml
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.patches import StepPatch

from planner.answers.run import Options, RunResult, load, optimize
from planner.reports import charts
from planner.reports.chart_pages import REPORT_CHARTS
from planner.reports.pdf_report import allocation_pages, limit_pages, render_pages, save_page, summary_page
from planner.reports.report import binding_limits, summary, write_report
from tests.conftest import DATA, SMALL_CATALOG
from tests.pdf import page_streams

matplotlib.use("Agg")

PNGS = ("fleet.png", "power_by_site.png", "chip_mix.png", "budget.png", "compute_over_time.png", "hall_space.png")
"""The two-site plan's charts: a page each (a roll-up, as it has more than one site)."""
TICK_UNIT = re.compile(r"MW|GW|kW|\$|FLOPS|^[0-9.,]+k?$")


def four_quarter_plan(**overrides: object) -> dict:
    """tests/data/one-quarter.yaml grown to two sites and four quarters, with a gas plant and tents."""
    plan = yaml.safe_load((DATA / "one-quarter.yaml").read_text())
    lab = plan["sites"][0]
    lab["halls"][0].update(id="building", existing_it_mw=6)
    lab["halls"].append({
        "id": "tent", "kind": "tent", "cooling": ["liquid"], "max_rack_kw": "200 kW", "module_it_mw": 2,
        "module_capex_usd": "$5M", "lead_quarters": 1, "max_modules": 3, "backup": "none", "availability": 0.95,
    })
    lab["power_sources"].append({
        "id": "gas-plant", "kind": "gas", "phases": [{"online": "2027Q1", "available_mw": "5 MW"}],
        "energy_usd_per_mwh": "$70/MWh",
    })
    annex = {
        "id": "annex", "name": "Annex", "pue": 1.2,
        "power_sources": [{"id": "grid", "kind": "grid", "phases": [{"online": "2026Q4", "available_mw": "4 MW"}],
                           "energy_usd_per_mwh": "$50/MWh"}],
        "halls": [{"id": "building", "kind": "building", "cooling": ["air", "liquid"], "max_rack_kw": "200 kW",
                   "existing_it_mw": 10}],
    }
    plan.update(
        name="four-quarters", title="Four quarters, two sites", horizon={"start": "2026Q3", "end": "2027Q2"},
        sites=[lab, annex], budget=[{"year": 2026, "limit_usd": "$600M"}, {"year": 2027, "limit_usd": "$1B"}],
        demand={"inference_precision": "bf16", "training": [{"from": "2026Q4", "pflops": 2000}]},
    )
    plan.update(overrides)
    return plan


def solve(folder: Path, plan: dict) -> RunResult:
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    options = Options()
    return optimize(load(path, SMALL_CATALOG, options), options)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return solve(tmp_path_factory.mktemp("plan"), four_quarter_plan())


@pytest.fixture(scope="module")
def report(run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_report(run, out)
    return out


def bars(ax: Axes) -> dict[str, list[float]]:
    """Heights of each labelled bar series of a panel."""
    return {c.get_label(): [p.get_height() for p in c.patches] for c in ax.containers if isinstance(c, BarContainer)}


def steps(ax: Axes) -> dict[str, list[float]]:
    return {p.get_label(): list(p.get_data().values) for p in ax.patches if isinstance(p, StepPatch)}


def stacked(ax: Axes, exclude: str = "\0") -> list[float]:
    series = [v for k, v in bars(ax).items() if exclude not in k]
    return [sum(values) for values in zip(*series, strict=True)]


def by_site(run: RunResult, table: str, column: str, site: str) -> list[float]:
    frame = getattr(run.tables, table)
    rows = frame[frame["site"] == site].set_index("period")[column]
    return [float(rows.get(p, 0.0)) for p in run.plan.periods]


def test_plan_is_interesting(run):
    """The fixture exercises what the charts must show: the gas plant arrives and tent modules are built."""
    sites = run.tables.sites
    assert sites[sites["period"] == "2026Q3"]["source_gas-plant_available_mw"].sum() == 0
    assert sites[sites["period"] == "2027Q1"]["source_gas-plant_available_mw"].sum() == pytest.approx(5)
    assert sites["hall_tent_ready_mw"].max() > 0
    assert set(run.tables.allocation["vendor"]) == {"nvidia", "amd"}


def test_pdf_pages_and_pngs(run, report):
    pdf = (report / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert pages == 1 + len(PNGS) + len(allocation_pages(run)) + len(limit_pages(run))
    assert pages >= 8
    manifest = json.loads((report / "summary.json").read_text())
    for name in (*PNGS, "report.pdf"):
        assert name in manifest["outputs"], name
    for name in PNGS:
        data = (report / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(data[16:20], "big")
        assert width >= 11 * 150, (name, width)  # a landscape page at 150 dpi or more
        assert b"Software" not in data[:4096]


def test_power_by_site_matches_sites_table(run):
    """Bars: each source's firm MW; line: the peak draw at design PUE (sites.csv's columns)."""
    (figure,) = charts.power_by_site(run)
    for ax, site in zip(figure.axes, run.plan.sites, strict=True):
        reserve = by_site(run, "sites", "reserve_mw", site.id)
        firm = [net + held for net, held in zip(by_site(run, "sites", "power_firm_mw", site.id), reserve, strict=True)]
        assert stacked(ax) == pytest.approx(firm)
        for source in site.sources:
            drawn = bars(ax).get(f"{charts._named(source.id, source.kind)}: firm")
            expected = by_site(run, "sites", f"source_{source.id}_firm_mw", site.id)
            assert drawn == pytest.approx(expected) if any(expected) else drawn is None
        peak = steps(ax)["peak facility power (design PUE)"]
        assert peak == pytest.approx(by_site(run, "sites", "power_peak_mw", site.id))
    lab = figure.axes[0]
    assert any("gas-plant online" in t.get_text() for t in lab.texts), "the gas plant's arrival is marked"


def test_chip_mix_matches_allocation(run):
    (figure,) = charts.chip_mix(run)
    allocation = run.tables.allocation
    site_ids = [s.id for s in run.plan.sites] + (["cloud"] if (allocation["site"] == "cloud").any() else [])
    assert len(figure.axes) == 2 * len(site_ids)
    for i, site in enumerate(site_ids):
        chips_ax, pflops_ax = figure.axes[2 * i], figure.axes[2 * i + 1]
        grouped = allocation[allocation["site"] == site].groupby("period")[["accelerators", "bf16_pflops"]].sum()
        chips = [float(grouped["accelerators"].get(p, 0.0)) for p in run.plan.periods]
        pflops = [float(grouped["bf16_pflops"].get(p, 0.0)) for p in run.plan.periods]
        assert (stacked(chips_ax) or [0.0] * len(chips)) == pytest.approx(chips)
        assert (stacked(pflops_ax) or [0.0] * len(pflops)) == pytest.approx(pflops)
    # Every series is coloured by its vendor: alpha (nvidia) green, beta (amd) red.
    colours = {c.get_label(): c.patches[0].get_facecolor() for c in figure.axes[0].containers}
    assert matplotlib.colors.to_hex(colours["nvidia: Alpha rack"]) == charts.VENDOR_COLOURS["nvidia"]
    assert matplotlib.colors.to_hex(colours["amd: Beta server"]) == charts.VENDOR_COLOURS["amd"]


def test_budget_matches_budget_table(run):
    figure = charts.budget(run)
    ax = figure.axes[0]
    table = run.tables.budget
    assert stacked(ax) == pytest.approx(list(table["total_usd"]))
    assert bars(ax)["capex: accelerators"] == pytest.approx(list(table["capex_accelerators_usd"]))
    (limits,) = [c for c in ax.collections if c.get_label().startswith("yearly budget limit")]
    heights = sorted({round(segment[0][1]) for segment in limits.get_segments()})
    assert heights == sorted(round(v) for v in table["limit_usd"])


def test_compute_matches_compute_table(run):
    figure = charts.compute_over_time(run)
    vendor_ax, ecosystem_ax, training_ax, inference_ax = figure.axes
    table = run.tables.compute
    in_service = list(table["bf16_pflops_in_service"])
    assert stacked(vendor_ax) == pytest.approx(in_service)
    assert bars(vendor_ax)["nvidia"] == pytest.approx(list(table["bf16_pflops_nvidia"]))
    # Each vendor runs one stack here (nvidia cuda, amd rocm): a panel by stack would repeat the
    # one by vendor, so the right panel is what each vendor's compute is worth, effective.
    assert stacked(ecosystem_ax) == pytest.approx(list(table["effective_bf16_pflops_in_service"]))
    assert set(bars(ecosystem_ax)) == {"nvidia (cuda)", "amd (rocm)"}
    assert bars(training_ax)["training delivered"] == pytest.approx(list(table["training_pflops"]))
    assert steps(training_ax)["training demand"] == pytest.approx(list(table["training_demand_pflops"]))
    assert "no demand set" in inference_ax.get_title("left")


def test_hall_space_matches_sites_table(run):
    (figure,) = charts.hall_space(run)
    for ax, site in zip(figure.axes, run.plan.sites, strict=True):
        drawn = bars(ax)
        for hall in site.halls:
            name = charts._named(hall.id, hall.kind) + (", no backup power" if hall.backup == "none" else "")
            assert drawn[f"{name}: ready"] == pytest.approx(by_site(run, "sites", f"hall_{hall.id}_ready_mw", site.id))
            occupied = by_site(run, "sites", f"hall_{hall.id}_used_mw", site.id)
            assert drawn[f"{name}: occupied"] == pytest.approx(occupied)
    assert any("tent +" in t.get_text() for t in figure.axes[0].texts), "new tent modules are marked"


def test_summary_page_shows_provenance_and_limits(run):
    data = summary(run)
    figure = summary_page(run, data)
    text = "\n".join(t.get_text() for t in figure.texts)
    for entry in data["provenance"]["inputs"] + data["provenance"]["catalog"]:
        assert entry["sha256"][:12] in text
    assert f"{run.result.solver.name} {run.result.solver.version}" in text
    assert f"Planner version {data['provenance']['planner_version']}" in text
    assert run.plan.title in text
    assert "2026Q3 to 2027Q2" in text
    flat = " ".join(text.split())
    for limit in binding_limits(run)[:3]:
        assert limit.words in flat
    assert "nvidia" in text
    assert "amd" in text
    assert "FLOPS BF16" in flat


def test_same_input_same_bytes(run, report, tmp_path):
    write_report(run, tmp_path)
    for name in (*PNGS, "report.pdf", "report.html"):
        assert (tmp_path / name).read_bytes() == (report / name).read_bytes(), name
    assert b"CreationDate" not in (report / "report.pdf").read_bytes()




def test_pdf_pages_in_reading_order(run, report):
    """Summary, charts, tables: each page as the same figure saved alone would draw it."""
    buffer = io.BytesIO()
    with PdfPages(buffer) as pdf:
        save_page(pdf, summary_page(run, summary(run)))
        for chart in REPORT_CHARTS:
            for _, figure in render_pages(chart.draw, run):
                save_page(pdf, figure)
        for page in [*allocation_pages(run), *limit_pages(run)]:
            save_page(pdf, page)
    assert page_streams((report / "report.pdf").read_bytes()) == page_streams(buffer.getvalue())


def _page_fonts(text: str) -> set[bytes]:
    figure = Figure(figsize=(4, 2))
    figure.text(0.1, 0.5, text)
    buffer = io.BytesIO()
    with PdfPages(buffer) as pdf:
        save_page(pdf, figure)
    return set(re.findall(rb"/BaseFont /([A-Za-z+-]+)", buffer.getvalue()))


def test_pages_use_the_pdf_core_font_unless_a_character_is_missing_from_it():
    """Helvetica (nothing embedded) for Latin text; a name in another script keeps DejaVu Sans,
    embedded, rather than turning into '?'."""
    assert _page_fonts("Prometheus, Ohio: 1,000 MW \u2013 caf\u00e9") == {b"Helvetica"}
    fonts = _page_fonts("\u0627\u0644\u0631\u064a\u0627\u0636 \u2264 1 GW")
    assert b"Helvetica" not in fonts
    assert any(font.endswith(b"DejaVuSans") for font in fonts)


def chart_figures(run: RunResult) -> list[Figure]:
    return [figure for chart in REPORT_CHARTS for figure in chart.draw(run)]


def test_axes_carry_units_and_legends_have_entries(run):
    for figure in chart_figures(run):
        for ax in figure.axes:
            # The ticks carry the unit ("965 MW", "$15B", "2,000 EFLOPS"); the label names the
            # quantity only, so no "(W)" sits beside MW ticks.
            assert ax.get_ylabel(), figure.get_suptitle()
            assert "(" not in ax.get_ylabel(), (figure.get_suptitle(), ax.get_ylabel())
            tick = ax.yaxis.get_major_formatter()(1000.0, 0)
            assert TICK_UNIT.search(tick), (ax.get_ylabel(), tick)
            legend = ax.get_legend()
            assert legend is None or legend.get_texts(), ax.get_title("left")
        bottom = figure.axes[-1]
        assert bottom.get_xlabel() in ("quarter", "calendar year")


def test_tick_labels_are_for_people(run):
    figure = charts.power_by_site(run)[0]
    figure.canvas.draw()
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels() if t.get_text()]
    assert labels[0] == "0"
    assert all(re.fullmatch(r"\d+(\.\d+)? (kW|MW|GW)", label) for label in labels[1:]), labels
    assert charts._trimmed("1.50 GW") == "1.5 GW"
    assert charts._trimmed("$4.00B") == "$4B"
    assert charts._trimmed("350k") == "350k"


def test_no_budget_and_no_demand_still_render(tmp_path):
    run = solve(tmp_path, four_quarter_plan(budget=[], demand={"inference_precision": "bf16"}))
    figure = charts.budget(run)
    ax = figure.axes[0]
    assert "no yearly budget limit" in ax.get_title("left")
    assert not [c for c in ax.collections if c.get_label().startswith("yearly budget limit")]
    assert stacked(ax) == pytest.approx(list(run.tables.budget["total_usd"]))
    compute = charts.compute_over_time(run)
    assert "no demand set" in compute.axes[2].get_title("left")
    assert "no demand set" in compute.axes[3].get_title("left")
    for chart in chart_figures(run):
        for panel in chart.axes:
            legend = panel.get_legend()
            assert legend is None or legend.get_texts()
    data = summary(run)
    text = "\n".join(t.get_text() for t in summary_page(run, data).texts)
    assert "No yearly budget limit is set" in text


def test_vendor_colours_fixed_and_deterministic(run):
    colours = charts.vendor_colours(run)
    assert colours["nvidia"] == "#76b900"
    assert colours["amd"] == "#e0201b"
    fixed = dict(charts.VENDOR_COLOURS)
    assert charts._assign(["zeta", "acme", "nvidia"], fixed) == charts._assign(["acme", "nvidia", "zeta"], fixed)
    assigned = charts._assign(["zeta", "acme"], fixed)
    assert assigned["acme"] == charts.FALLBACK_COLOURS[0]
    assert assigned["zeta"] == charts.FALLBACK_COLOURS[1]


def test_planner_import_does_not_load_matplotlib():
    code = ("import sys, planner.reports.report, planner.cli, planner.reports.terminal; "
            "print('matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_part_keeps_its_colour_whatever_else_is_shown(run):
    """Colours come from the part's place in the catalog, not from the parts a chart happens to
    show: a report with one part and a what-if with two colour it alike."""
    catalog = list(run.plan.catalog)
    alone = charts.accelerator_colours(run, catalog[:1])
    together = charts.accelerator_colours(run, catalog)
    assert alone[catalog[0]] == together[catalog[0]]
    assert len(set(together.values())) == len(catalog)
