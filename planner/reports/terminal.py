"""What `plan` prints: rich tables a person reads cold."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from planner import fmt
from planner.answers.decision import unit_cost_words
from planner.reports.console import TextColumn, fitted_table, make_console, narrowest_width
from planner.reports.report import binding_limits
from planner.tolerances import SOLVER_NOISE

if TYPE_CHECKING:
    from planner.answers.diagnosis import Diagnosis
    from planner.answers.fit import Fit
    from planner.answers.outcome import RunResult
    from planner.inputs.schema import Accelerator


def print_summary(run: RunResult, summary: dict[str, Any], out: Path) -> None:
    """The terminal summary of a solved plan."""
    console = make_console()
    plan = run.plan
    totals = summary["totals"]
    solver = summary["solver"]
    solve_s = run.seconds.get("solve", 0.0)
    status = summary["status"]
    if status == "feasible":
        status = "feasible, NOT proven optimal"
        gap = run.result.gap
        # A whole plan's gap and target follow in the units' words (`fmt.whole_units_words`).
        if solver.get("target_gap") is None:
            at_gap = "" if gap is None else f", gap {100 * gap:.2f}% to the best bound"
            status += f" (the solver stopped at a limit{at_gap})"
    console.print(
        f"[bold]{plan.title}[/bold]  ({plan.name}, {plan.periods[0]}-{plan.periods[-1]}, {plan.objective})\n"
        f"{fmt.as_of_words(summary['as_of'])}.\n"
        f"Status: [bold]{status}[/bold], verified against every limit "
        f"({solver['name']} {solver['version']}, {solve_s:.2f} s); {fmt.whole_units_words(solver)}"
    )
    for note in run.notes:
        console.print(f"Note: {note}", markup=False)
    if "decision" in summary:
        console.print(_decision_line(summary["decision"]), markup=False)
    console.print(_fleet_table(run, console))
    console.print(_compute_line(run, totals))
    console.print(_power_table(run, console))
    console.print(_budget_table(run))
    if "stacks" in summary:
        console.print(_stacks_line(summary["stacks"]))
    limits = binding_limits(run)
    if limits:
        console.print("[bold]Limits that bind hardest[/bold] (what one more step of each would add):")
        for number, limit in enumerate(limits[:5], start=1):
            console.print(f"  {number}. {limit.words}")
        if len(limits) > 5:
            console.print(f"  ... {len(limits) - 5} more in {out / 'constraints.csv'}")
    else:
        console.print("No limit binds with a non-zero price: the plan has room on every side.")
    if run.risks is not None:
        console.print(run.risks.summary_line(), markup=False)
    console.print(f"Report: {out}/ ({files_written(summary)})")


def files_written(summary: dict[str, Any]) -> str:
    """The report's files as a reader looks for them: the PDF and the HTML page first, then tables, charts,
    summary.json."""
    names = sorted(summary.get("outputs", {}))
    pngs = [n for n in names if n.endswith(".png")]
    # A chart's pages after its first (a fleet's sites, three a page) are counted, not listed.
    later = [n for n in pngs if n.removesuffix(".png").rpartition("_")[2].isdigit()]
    ordered = ([n for n in names if n.endswith(".pdf")] + [n for n in names if n.endswith(".html")]
               + [n for n in names if n.endswith(".csv")]
               + [n for n in pngs if n not in later])
    if later:
        ordered.append(f"{len(later)} more chart pages as NAME_2.png, NAME_3.png, ...")
    return ", ".join([*ordered, "summary.json"])


def _decision_line(decision: dict[str, Any]) -> str:
    """The plan in a sentence, and its capex per unit of compute and of power it leaves in service."""
    words = unit_cost_words(decision)
    return f"Decision: {decision['sentence']}" + (f" That is {words}." if words else "")


def _compute_line(run: RunResult, totals: dict[str, Any]) -> str:
    """Compute at the end, demand met, and compute delivered over the horizon."""
    plan = run.plan
    line = (f"Compute in service at {totals['end_period']}: {fmt.pflops(totals['bf16_eflops_end'] * 1000)} BF16 / "
            f"{fmt.pflops(totals['fp8_eflops_end'] * 1000)} FP8 peak; "
            f"{fmt.pflops(totals['effective_bf16_eflops_end'] * 1000)} BF16 effective.")
    met = []
    for workload, demand, precision in (("training", plan.training_pflops, plan.training_precision),
                                        ("inference", plan.inference_pflops, plan.inference_precision)):
        if max(demand) > 0:
            met.append(f"{workload} up to {fmt.pflops(max(demand))} {precision.upper()}")
    if met:
        line += f"\nDemand met in every quarter (effective compute): {', '.join(met)}."
    assert run.tables is not None
    compute = run.tables.compute
    peak = float(compute["bf16_pflops_in_service"].sum())
    effective = float(compute["effective_bf16_pflops_in_service"].sum())
    line += (f"\nIn service over the horizon: {fmt.pflops(peak)}-quarters BF16 peak, {fmt.pflops(effective)}-quarters "
             "effective (peak x availability x utilisation x stack maturity).")
    if totals.get("retired_units", 0.0) > 0:
        line += (f"\nRetired early: {fmt.count(totals['retired_units'])} installed units, sold for "
                 f"{fmt.usd(totals['resale_usd'])}.")
    return line


FLEET_COLUMNS = (
    TextColumn("vendor", hide_rank=1), TextColumn("accelerator", identifier=True), TextColumn("where", identifier=True),
    TextColumn("accelerators", "right"), TextColumn("units", "right", hide_rank=2),
    TextColumn("IT power", "right"), TextColumn("BF16", "right"),
)


def _fleet_table(run: RunResult, console: Console) -> Table:
    assert run.tables is not None
    end = run.plan.periods[-1]
    allocation = run.tables.allocation
    at_end = allocation[allocation["period"] == end]
    grouped = at_end.groupby(["vendor", "accelerator", "site", "hall"], sort=True).sum(numeric_only=True)
    grouped = grouped.sort_values("accelerators", ascending=False)
    rows = [
        (str(vendor), str(accelerator), f"{site}/{hall}", fmt.count(row["accelerators"]), fmt.count(row["units"]),
         fmt.mw(row["it_mw"]), fmt.pflops(row["bf16_pflops"]))
        for (vendor, accelerator, site, hall), row in grouped.iterrows()
    ]
    if not rows:
        rows = [("-", "nothing in service", "", "", "", "", "")]
    table, _ = fitted_table(console, FLEET_COLUMNS, rows, title=f"Accelerators in service at {end}")
    return table


SITES_ACROSS_UP_TO = 2
"""Up to this many sites, the power table has a row per quarter and the sites across; more sites
get a row each (a fleet would not fit the terminal's width the other way)."""


def _power_table(run: RunResult, console: Console) -> Table:
    """Peak facility MW (design PUE) of firm MW, and the share used: quarters down and sites
    across for a site or two, else sites down and the last quarter of each year across."""
    assert run.tables is not None
    if len(run.plan.sites) > SITES_ACROSS_UP_TO:
        return _fleet_power_table(run, console)
    sites = run.tables.sites
    # Firm power is net of any N-1 reserve (README, "The site model").
    table = Table(title="Peak draw (design PUE) of firm power", title_justify="left")
    table.add_column("quarter")
    for site in run.plan.sites:
        table.add_column(f"{site.id}", justify="right")
        table.add_column("used", justify="right")
    by_site = {site.id: sites[sites["site"] == site.id].set_index("period") for site in run.plan.sites}
    for period in run.plan.periods:
        cells = [period]
        for site in run.plan.sites:
            used = float(by_site[site.id].loc[period, "power_peak_mw"])
            available = float(by_site[site.id].loc[period, "power_firm_mw"])
            cells += [f"{fmt.mw(used)} of {fmt.mw(available)}", fmt.share(used / available) if available > 0 else "-"]
        table.add_row(*cells)
    return table


ELLIPSIS = "\u2026"
"""The header of the column that stands for years left out of the fleet power table."""


def _fleet_power_table(run: RunResult, console: Console) -> Table:
    """A row per site, then all sites together: peak draw and firm MW in the last quarter, and the
    share of firm power used in the last quarter of each year, as many years as fit the terminal
    (the first ones and the last, an ellipsis column between where years are left out)."""
    assert run.tables is not None
    sites = run.tables.sites
    plan = run.plan
    end = plan.periods[-1]
    years = [t for t, period in enumerate(plan.periods) if period.endswith("Q4") or t == len(plan.periods) - 1]
    frames = [(site.id, sites[sites["site"] == site.id].set_index("period")) for site in plan.sites]
    frames.append(("all sites", sites.groupby("period")[["power_peak_mw", "power_firm_mw"]].sum()))

    def share(frame: Any, period: str) -> str:
        firm = float(frame["power_firm_mw"].get(period, 0.0))
        return fmt.share(float(frame["power_peak_mw"].get(period, 0.0)) / firm) if firm > 0 else "-"

    title = "Peak draw (design PUE) of firm power, by site, and the share of firm power used"
    for shown in _year_choices(years):
        columns = [TextColumn("site", identifier=True), TextColumn(f"peak {end}", "right"),
                   TextColumn(f"firm {end}", "right"),
                   *(TextColumn(plan.periods[t] if t >= 0 else ELLIPSIS, "right") for t in shown)]
        rows = [[name, fmt.mw(float(frame["power_peak_mw"].get(end, 0.0))),
                 fmt.mw(float(frame["power_firm_mw"].get(end, 0.0))),
                 *(share(frame, plan.periods[t]) if t >= 0 else ELLIPSIS for t in shown)] for name, frame in frames]
        if narrowest_width(columns, rows) <= console.width:
            break
    table, _ = fitted_table(console, columns, rows, title=title)
    table.rows[-1].style = "bold"
    return table


def _year_choices(years: list[int]) -> Iterator[list[int]]:
    """The quarters to show, widest first: every one, then the first k - 1 and the last with -1 (an
    ellipsis column) before it, k falling to 1 (the last alone, after the ellipsis)."""
    yield years
    for kept in range(len(years) - 1, 0, -1):
        yield [*years[:kept - 1], -1, years[-1]]


def _stacks_line(by_year: dict[str, list[dict[str, Any]]]) -> str:
    """Software stacks in use each year, and what they cost over the horizon (summary.json's `stacks`):
    a stack adopted within the horizon is marked `new` in its first year in use."""
    years = []
    adoption = running = 0.0
    seen: set[str] = set()
    for year, listed in by_year.items():
        names = [str(s["id"]) + (" (adopting)" if not s["in_use"] else " (new)" if s["adopted"] and s["id"] not in seen
                                 else "") for s in listed]
        seen |= {str(s["id"]) for s in listed if s["in_use"]}
        years.append(f"{year} {', '.join(names) or 'none'}")
        adoption += sum(float(s["adoption_usd"]) for s in listed)
        running += sum(float(s["running_usd"]) for s in listed)
    return (f"Software stacks: {'; '.join(years)}. Their cost over the horizon: {fmt.usd(adoption + running)} "
            f"(adoption {fmt.usd(adoption)}, running {fmt.usd(running)}).")


def _budget_table(run: RunResult) -> Table:
    """Capex and opex by year, each with its parts, so that the columns add up (budget.csv's columns;
    a part that is $0 in every year is left out), against the year's limit: the total one, else the
    capex one."""
    assert run.tables is not None
    budget = run.tables.budget
    leases = budget["opex_lease_usd"] + budget["opex_hall_lease_usd"] + budget["opex_generation_lease_usd"]
    columns = {
        "accelerators": budget["capex_accelerators_usd"] + budget["capex_trade_in_usd"],
        "halls": budget["capex_modules_usd"], "generation": budget["capex_generation_usd"],
        "capex": budget["capex_usd"], "energy": budget["opex_energy_usd"], "leases": leases,
        # upkeep, decommissioning, software stacks
        "other\nopex": budget["opex_usd"] - budget["opex_energy_usd"] - leases,
        "total": budget["total_usd"],
    }
    shown = {name: values for name, values in columns.items()
             if name in ("capex", "total") or (values.abs() > SOLVER_NOISE).any()}
    limits = []
    for row in budget.itertuples(index=False):
        limit, spent, kind = float(row.limit_usd), float(row.total_usd), ""
        if limit != limit and float(row.capex_limit_usd) == float(row.capex_limit_usd):
            limit, spent, kind = float(row.capex_limit_usd), float(row.capex_usd), "capex "
        limits.append((limit, spent, kind))
    kinds = {kind for limit, _, kind in limits if limit == limit}
    heading = f"{kinds.pop()}\nlimit" if len(kinds) == 1 else "limit"
    table = Table(title="Spending by year", title_justify="left")
    for column in ("year", *shown, heading, "used"):
        table.add_column(column, justify="right")
    for i, (year, (limit, spent, kind)) in enumerate(zip(budget["year"], limits, strict=True)):
        used = fmt.share(spent / limit) if limit == limit and limit > 0 else "-"
        written = ("" if heading != "limit" else kind) + fmt.usd(limit) if limit == limit else "none"
        table.add_row(str(year), *(fmt.usd(float(values.iloc[i])) for values in shown.values()), written, used)
    resale = float(budget["resale_usd"].sum())
    if resale > 0:
        table.caption = f"Retired units sold for {fmt.usd(resale)} over the horizon (budget.csv resale_usd), not netted"
        table.caption_justify = "left"
    return table


def print_no_plan(run: RunResult) -> None:
    """What to say when the solver returned no plan."""
    console = make_console(stderr=True)
    status = run.result.status
    if status == "infeasible":
        console.print(f"No plan meets every limit of '{run.plan.name}' ({run.result.solver.name}: infeasible).")
    elif status == "unbounded":
        console.print(
            f"The plan '{run.plan.name}' is unbounded: nothing limits {run.plan.objective}. "
            "Add a budget for every year, or supply caps."
        )
    elif run.result.time_limit_reached:
        limit = run.options.time_limit_s
        console.print(f"{run.result.solver.name} reached the time limit ({limit:g} s) without finding a plan. "
                      "Raise --time-limit, or drop --integer to solve the LP.")
    else:
        console.print(f"The solver stopped without a plan ({run.result.solver.name}: {run.result.detail}).")


def print_diagnosis(diagnosis: Diagnosis, path: Path | None) -> None:
    """What is short, what would close it, and HiGHS's conflicting rows (to stderr)."""
    console = make_console(stderr=True)
    console.print(f"[bold]No plan meets every limit of '{diagnosis.plan}'.[/bold] {diagnosis.headline()}")
    if diagnosis.short:
        console.print("What is short, with every limit held:")
        for item in diagnosis.short:
            console.print(f"  - {item.words}")
    if diagnosis.binding_while_short:
        console.print("Because:")
        for words in diagnosis.binding_while_short[:8]:
            console.print(f"  - {words}")
    if diagnosis.limit_fixes:
        _print_fixes(console, diagnosis)
    elif not diagnosis.closable:
        console.print("No change to power, space, budget or supply closes it: the targets ask for compute "
                      "before any allowed accelerator can serve it.")
    if diagnosis.iis_limits:
        listed = "; ".join(diagnosis.iis_limits[:12]) + (" ..." if len(diagnosis.iis_limits) > 12 else "")
        console.print(f"Limits that conflict, as HiGHS finds them (an irreducible infeasible subsystem): {listed}",
                      markup=False)
    if path is not None:
        console.print(f"Diagnosis: {path}")


def _print_fixes(console: Console, diagnosis: Diagnosis) -> None:
    """Each change that would close the gap with its price and how it is priced (a price's source
    note the first time), the total, then the targets lowered instead."""
    console.print("What would close it, all together, with every target held (money gives first, then space,"
                  " power, supply), and what each costs:")
    noted: set[str] = set()
    for fix in diagnosis.limit_fixes:
        note = ""
        if fix.source_note:
            shown = "as above" if fix.source_note in noted else textwrap.shorten(fix.source_note, 110,
                                                                               placeholder=" ...")
            note = f" (price from the plan file: {shown})"
            noted.add(fix.source_note)
        console.print(f"  - {escape(fix.words)}: [bold]{escape(fix.cost_words())}[/bold]")
        console.print(f"      {fix.cost_basis}{note}", markup=False)
    console.print(f"  {diagnosis.cost_words()}", markup=False)
    if diagnosis.target_fixes:
        console.print("Or, instead, lower the targets (no dollar cost):")
        for fix in diagnosis.target_fixes:
            console.print(f"  - {fix.words}", markup=False)


def print_explanation(run: RunResult) -> None:
    """Every binding limit ranked by what one more step of it is worth."""
    console = make_console()
    limits = binding_limits(run)
    unit = "compute gained" if run.plan.objective.maximises else "cost saved"
    console.print(
        f"[bold]{run.plan.title}[/bold] ({run.plan.name}, {run.plan.objective}, {run.result.status}).\n"
        f"Limits that bind, ranked by the {unit} for one more step of each: re-solved (the step applied, the "
        "plan solved again) where 'found by' says so, else at the margin (the shadow price x the step, which "
        "holds for small steps only and can fall as a step gets larger), ranked after every re-solved one."
    )
    if not limits:
        console.print("No limit binds with a non-zero price.")
        return
    columns = (TextColumn("#", "right"), TextColumn("limit"), TextColumn("where", identifier=True),
               TextColumn("when"), TextColumn("step", "right"), TextColumn(unit, "right"), TextColumn("found by"))
    rows = []
    for number, limit in enumerate(limits, start=1):
        in_compute = limit.value_unit == "PFLOPS-quarters"
        value = fmt.pflops(limit.step_value) + "-q" if in_compute else fmt.usd(limit.step_value)
        rows.append((str(number), limit.family.replace("_", " "), limit.key, limit.period, limit.step, value,
                     limit.method))
    table, _ = fitted_table(console, columns, rows)
    console.print(table)
    console.print("In words:")
    for number, limit in enumerate(limits[:10], start=1):
        console.print(f"  {number}. {limit.words}")
    if run.result.duals_note:
        console.print(f"Note: {run.result.duals_note}", markup=False)


def print_fit(result: Fit) -> None:
    """`plan fit`'s answer, and a claim's verdict."""
    console = make_console()
    budget = f" and {fmt.usd(result.budget_usd)} for units" if result.budget_usd is not None else ""
    cost = (f"units cost {fmt.usd(result.capex_usd)}" if result.capex_usd is not None
            else "no purchase price in the catalog (lease only), so no cost is shown")
    console.print(
        f"[bold]{fmt.count(result.units)} units = {fmt.count(result.accelerators)} {result.accelerator} "
        f"accelerators[/bold] fit {fmt.mw(result.power_mw)} at PUE {result.pue:g}{budget} "
        f"({result.period} or later).\n"
        f"Stopped by: {result.limit}. Each accelerator draws {result.it_kw_per_accelerator:.3g} kW IT, "
        f"{result.facility_kw_per_accelerator:.3g} kW at the facility (x PUE); {cost}."
    )
    claim = result.claim
    if claim is None:
        return
    verdict = "possible" if claim.possible else "NOT possible"
    console.print(
        f"Claim of {fmt.count(claim.accelerators)} accelerators: {verdict} with {result.accelerator} at PUE "
        f"{result.pue:g}: it needs {fmt.mw(claim.facility_mw_needed)} of facility power."
    )
    if not claim.possible:
        pue_words = (
            f"a PUE of {claim.pue_needed:.2f}" if claim.pue_needed >= 1.0
            else f"a PUE of {claim.pue_needed:.2f}, below 1, so no cooling can make it fit"
        )
        console.print(
            f"To hold, each accelerator could draw at most {claim.facility_kw_per_accelerator_allowed:.3g} kW at "
            f"the facility: {pue_words} with this accelerator's {result.it_kw_per_accelerator:.3g} kW IT."
        )


CATALOG_COLUMNS = (
    TextColumn("id", identifier=True), TextColumn("vendor", hide_rank=1), TextColumn("stack", hide_rank=6),
    TextColumn("unit", hide_rank=8), TextColumn("per unit", "right", hide_rank=5),
    TextColumn("unit kW", "right"), TextColumn("BF16 PF", "right"), TextColumn("FP8 PF", "right", hide_rank=10),
    TextColumn("HBM GB", "right", hide_rank=9), TextColumn("unit price", "right", hide_rank=2),
    TextColumn("from", hide_rank=3), TextColumn("until", hide_rank=3), TextColumn("units/qtr", "right", hide_rank=11),
    TextColumn("cooling", hide_rank=4), TextColumn("workloads", hide_rank=7),
)
"""The catalog's columns; on a narrow terminal the highest `hide_rank` goes first."""


def print_catalog(accelerators: list[Accelerator]) -> None:
    """The catalog as a table, as wide as the terminal: ids whole, optional columns hidden to fit."""
    console = make_console()
    rows = [
        (a.id, a.vendor, a.ecosystem, a.unit, str(a.accelerators_per_unit), f"{a.unit_it_kw:g}",
         f"{a.bf16_pflops:g}", f"{a.fp8_pflops:g}", f"{a.hbm_gb:g}",
         fmt.usd(a.unit_price_usd) if a.unit_price_usd else "lease only", a.first_available,
         a.last_available or "-", fmt.count(a.units_per_quarter) if a.units_per_quarter is not None else "-",
         a.cooling, "+".join(a.workloads))
        for a in accelerators
    ]
    table, hidden = fitted_table(console, CATALOG_COLUMNS, rows, title="Accelerator catalog")
    console.print(table)
    if hidden:
        console.print(f"Not shown at {console.width} columns: {', '.join(hidden)}. "
                      "A wider terminal shows them, and `plan catalog --json` gives every field.")
