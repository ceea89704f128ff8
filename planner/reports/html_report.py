"""`report.html`: the optimize report as one interactive page that works offline.

It shows what report.pdf shows, from the same sources: the headline numbers and the limits that
bind from summary.json's content, the charts (a fleet's roll-up first) from the very figures the PNGs and the PDF were
drawn from (`html_charts` reads them), and the CSV tables. Written beside report.pdf, whole or
not at all, and listed in the manifest like every other output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planner import fmt
from planner.answers.decision import unit_cost_words
from planner.reports.chart_pages import REPORT_CHARTS
from planner.reports.diagnosis_pdf import diagnosis_sections
from planner.reports.first_page import RISKS_HEADING, risk_lines
from planner.reports.html_charts import chart_from_figure, chart_from_pages
from planner.reports.html_page import Page, escaped

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from planner.answers.diagnosis import Diagnosis
    from planner.answers.outcome import RunResult
    from planner.answers.risks import Risks
    from planner.reports.output import OutputFolder

HTML_NAME = "report.html"
TABLES = (
    ("allocation.csv", "allocation", "units, power, capex and compute per quarter, site, hall and accelerator"),
    ("sites.csv", "sites", "power and hall space per quarter and site"),
    ("budget.csv", "budget", "capex and opex by kind per year, against the limits"),
    ("compute.csv", "compute", "delivered compute against demand per quarter, in service by vendor"),
    ("constraints.csv", "constraints", "every limit: slack, shadow price and the value of one step"),
)
HELP = ("Hover a bar or a line for its value. Click a legend entry to hide or show that series in every chart; "
        "double-click one to show it alone in its chart. Drag to zoom, double-click the chart to zoom back. "
        "The tables at the end are the CSV files written beside this page.")


def write_html_report(run: RunResult, summary: dict[str, Any], figures: dict[str, list[Figure]],
                      folder: OutputFolder) -> None:
    """Write report.html into `folder` from the run's summary, its drawn charts (each chart's pages, by
    the chart's name: `pdf_report.write_charts_and_pdf`) and tables."""
    folder.write_bytes(HTML_NAME, html_report(run, summary, figures).encode("utf-8"))


def html_report(run: RunResult, summary: dict[str, Any], figures: dict[str, list[Figure]]) -> str:
    """report.html's text: a chart with several pages (a fleet's sites) is one chart of all their panels."""
    plan = run.plan
    page = Page(f"{plan.title}: capacity plan")
    page.add(_header(run, summary))
    page.sites = {site.id: site.name for site in plan.sites}
    if run.tables is not None and (run.tables.allocation["site"] == "cloud").any():
        page.sites["cloud"] = "Leased from clouds"
    page.section("summary", "Summary")
    page.add(_headline(summary))
    page.add(_binding(summary))
    if run.risks is not None:
        page.add(_risks(run.risks))
    for chart in REPORT_CHARTS:
        pages = figures.get(chart.name, [])
        if pages:
            page.chart(chart_from_pages(chart.anchor, pages, plan.periods), chart.heading)
    if run.tables is not None:
        page.section("tables", "Tables")
        for name, attribute, words in TABLES:
            page.table(name, getattr(run.tables, attribute), words)
    page.section("provenance", "Status and provenance")
    page.add(_provenance(summary))
    return page.render()


def write_diagnosis_html(run: RunResult, diagnosis: Diagnosis, provenance: dict[str, Any],
                         figures: dict[str, Figure], folder: OutputFolder) -> None:
    """report.html for a plan that cannot be met: what report.pdf says, and its chart (`figures`, by
    PNG name: demand against what the plan can deliver) where a demand is short."""
    plan = run.plan
    page = Page(f"{plan.title}: no plan fits")
    first, last = plan.periods[0], plan.periods[-1]
    page.add(f"<header><h1>{escaped(plan.title)}</h1>"
             f'<p class="lead" style="color:#9b1c1c">No plan meets every limit of capacity plan '
             f"{escaped(repr(plan.name))} ({escaped(first)} to {escaped(last)}).</p>"
             f"<p>{escaped(diagnosis.headline())}</p></header>")
    for number, (title, link, lines) in enumerate(diagnosis_sections(diagnosis), start=1):
        if lines:
            page.section(f"diagnosis-{number}", title, link)
            page.add("<ul>" + "".join(f"<li>{escaped(line)}</li>" for line in lines) + "</ul>")
    for name, figure in figures.items():
        page.chart(chart_from_figure(name.removesuffix(".png").replace("_", "-"), figure, plan.periods),
                   "Demand against capacity")
    page.section("provenance", "Provenance")
    files = [*provenance["inputs"], *provenance["catalog"]]
    lines = [f"Solver: {run.result.solver.name} {run.result.solver.version}. "
             f"Planner version {provenance['planner_version']}.",
             *(f"{entry['path']}: SHA-256 {entry['sha256']}" for entry in files),
             "diagnosis.json, written with this page, has every figure above."]
    page.add('<div class="provenance">' + "".join(f"<p>{escaped(line)}</p>" for line in lines) + "</div>")
    folder.write_bytes(HTML_NAME, page.render().encode("utf-8"))


def _header(run: RunResult, summary: dict[str, Any]) -> str:
    plan = summary["plan"]
    first, last = plan["horizon"]
    sites = len(run.plan.sites)
    subtitle = (f"Capacity plan '{plan['name']}', {first} to {last} ({len(run.plan.periods)} quarters), "
                f"{sites} site{'s' if sites != 1 else ''}; objective {summary['objective']['name']}."
                + (f" {fmt.as_of_words(summary['as_of'])}." if "as_of" in summary else ""))
    parts = [f"<h1>{escaped(run.plan.title)}</h1>", f'<p class="subtitle">{escaped(subtitle)}</p>']
    if "decision" in summary:
        decision = summary["decision"]
        words = unit_cost_words(decision)
        text = decision["sentence"] + (f" Capex per unit: {words}." if words else "")
        parts.append(f'<p class="lead">{escaped(text)}</p>')
    parts.append(f'<p class="help">{escaped(HELP)}</p>')
    return "<header>" + "".join(parts) + "</header>"


def _risks(risks: Risks) -> str:
    """The main risks, as page 1 words them (`first_page.risk_lines`)."""
    parts, items = [f"<h3>{escaped(RISKS_HEADING)}</h3>"], []
    for kind, text in risk_lines(risks):
        if kind == "item":
            items.append(f"<li>{escaped(text.split('. ', 1)[1])}</li>")
            continue
        if items:
            parts.append("<ol>" + "".join(items) + "</ol>")
            items = []
        style = {"lead": "<p><strong>{}</strong></p>", "list": "<p><strong>{}</strong></p>"}.get(
            kind, '<p class="help">{}</p>')
        parts.append(style.format(escaped(text)))
    if items:
        parts.append("<ol>" + "".join(items) + "</ol>")
    return '<div class="risks">' + "".join(parts) + "</div>"


def _tile(label: str, value: str, detail: str) -> str:
    return (f'<div class="tile"><div class="label">{escaped(label)}</div><div class="value">{escaped(value)}</div>'
            f'<div class="detail">{escaped(detail)}</div></div>')


def _headline(summary: dict[str, Any]) -> str:
    """The headline numbers of the PDF's first page, as tiles."""
    totals = summary.get("totals")
    if not totals:
        return f"<p>No plan to report: status {escaped(summary['status'])}.</p>"
    end = totals["end_period"]
    by_vendor = totals["accelerators_end_by_vendor"]
    vendors = ", ".join(f"{vendor} {fmt.count(count)}" for vendor, count in by_vendor.items())
    used, available = totals["facility_mw_used_end"], totals["facility_mw_available_end"]
    share = f" ({fmt.share(used / available)})" if available > 0 else ""
    capex, opex = totals["capex_usd"], totals["opex_usd"]
    limits = []
    if totals["budget_limit_usd"] is not None:
        limits.append(f"budget limits {fmt.usd(totals['budget_limit_usd'])}")
    if totals.get("capex_limit_usd") is not None:
        limits.append(f"capex {fmt.usd(totals['capex_in_capped_years_usd'])} of capex limits "
                      f"{fmt.usd(totals['capex_limit_usd'])}")
    tiles = [
        _tile(f"Accelerators in service, {end}", fmt.count(totals["accelerators_end"]), vendors),
        _tile(f"BF16 compute in service, {end}", fmt.pflops(totals["bf16_eflops_end"] * 1000),
              f"{fmt.pflops(totals['effective_bf16_eflops_end'] * 1000)} effective; "
              f"{fmt.pflops(totals['fp8_eflops_end'] * 1000)} FP8 peak"),
        _tile(f"Peak facility power, {end}", fmt.mw(used),
              f"of {fmt.mw(available)} firm{share}; highest in any quarter {fmt.mw(totals['facility_mw_used_peak'])}"),
        _tile("Spending over the horizon", fmt.usd(capex + opex),
              f"capex {fmt.usd(capex)}, opex {fmt.usd(opex)}; " + ("; ".join(limits) or "no yearly budget limit")),
    ]
    return '<div class="tiles">' + "".join(tiles) + "</div>"


def _binding(summary: dict[str, Any]) -> str:
    limits = summary.get("binding", [])[:5]
    if not limits:
        return "<p>No limit binds with a non-zero price: the plan has room on every side.</p>"
    items = "".join(f"<li>{escaped(limit['words'])}.</li>" for limit in limits)
    return (f"<h3>What limits the plan most</h3><ol>{items}</ol>"
            '<p class="help">Each is the value of relaxing one limit by one step; constraints.csv (below) lists '
            "every limit with its slack.</p>")


def _provenance(summary: dict[str, Any]) -> str:
    solver = summary["solver"]
    verification = summary["verification"]
    provenance = summary["provenance"]
    kind = "MILP, whole racks, modules and generation units" if solver["integer"] else "LP"
    gap = f", gap {solver['gap']:.3g}" if solver.get("gap") is not None else ""
    lines = [
        f"Status: {summary['status']}; every limit re-checked on the returned numbers, "
        f"{verification['violations']} violation(s) (tolerance {verification['tolerance']}).",
        f"Solver: {solver['name']} {solver['version']} ({kind}{gap}); model {summary['model']['rows']} rows, "
        f"{summary['model']['columns']} columns. Planner version {provenance['planner_version']}.",
    ]
    files = [("input", e) for e in provenance["inputs"]] + [("catalog", e) for e in provenance["catalog"]]
    lines += [f"{label} {entry['path']}: SHA-256 {entry['sha256']}" for label, entry in files]
    lines.append("summary.json, written with this page, lists the SHA-256 of every output file.")
    return '<div class="provenance">' + "".join(f"<p>{escaped(line)}</p>" for line in lines) + "</div>"
