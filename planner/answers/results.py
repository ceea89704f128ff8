"""A verified solution -> pandas tables: the CSV contract of DESIGN.md, plus headline totals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.answers.accounting import (
    Ledger,
    delivered_pflops,
    depreciation_usd,
    effective_bf16_pflops,
    peak_bf16_pflops_by_vendor,
)
from planner.answers.explain import PRICE_COLUMNS, Prices
from planner.answers.stacks import STACK_KINDS
from planner.inputs.plan import Plan
from planner.model.solution import Solution
from planner.tolerances import SOLVER_NOISE

CONSTRAINT_COLUMNS = PRICE_COLUMNS

ALLOCATION_COLUMNS = [
    "period", "site", "hall", "accelerator", "vendor", "units", "new_units", "accelerators",
    "it_mw", "overhead_it_mw", "facility_mw", "capex_usd", "overhead_capex_usd", "bf16_pflops", "fp8_pflops",
    "effective_bf16_pflops", "retired_units",
]
"""`it_mw` and `capex_usd` include the fabric's share; the `overhead_` columns say how much.
`bf16_pflops` is peak; `effective_bf16_pflops` is what the plan counts: peak x the hall's
availability x the part's utilisation x its stack's maturity that quarter. `retired_units`:
installed units retired early at the start of that quarter (no longer in `units`)."""


ALLOCATION_TEXT_COLUMNS = ("period", "site", "hall", "accelerator", "vendor")


@dataclass(frozen=True)
class Tables:
    """Everything the reports show, as tables."""

    allocation: pd.DataFrame
    sites: pd.DataFrame
    budget: pd.DataFrame
    compute: pd.DataFrame
    constraints: pd.DataFrame


def allocation_table(plan: Plan, solution: Solution, books: Ledger) -> pd.DataFrame:
    """One row per period, site, hall type and accelerator in service or installed."""
    rows = []
    retired: dict[tuple[int, int, str, int], float] = defaultdict(float)
    for (s, h, i, t), n in solution.retire.items():
        retired[s, h, plan.sites[s].halls[h].installed[i].accelerator, t] += n
    # Most (s, h, c, t) hold nothing: drop those before sorting.
    shown = ({k for k, v in books.units.items() if not v <= SOLVER_NOISE}
             | {k for k, v in solution.new.items() if not v <= SOLVER_NOISE}
             | {k for k, v in retired.items() if not v <= SOLVER_NOISE})
    for s, h, c, t in sorted(shown, key=lambda k: (k[3], k[0], k[1], k[2])):
        units = books.units.get((s, h, c, t), 0.0)
        new = solution.new.get((s, h, c, t), 0.0)
        accelerator = plan.catalog[c]
        site = plan.sites[s]
        chips = units * accelerator.accelerators_per_unit
        rows.append({
            "period": plan.periods[t], "site": site.id, "hall": site.halls[h].id, "accelerator": c,
            "vendor": accelerator.vendor, "units": units, "new_units": new, "accelerators": chips,
            "it_mw": units * accelerator.unit_it_mw, "overhead_it_mw": units * accelerator.overhead_it_mw,
            "facility_mw": units * accelerator.unit_it_mw * site.halls[h].pue,
            "capex_usd": new * accelerator.unit_capex_usd, "overhead_capex_usd": new * accelerator.overhead_capex_usd,
            "bf16_pflops": chips * accelerator.bf16_pflops, "fp8_pflops": chips * accelerator.fp8_pflops,
            "effective_bf16_pflops": chips * site.halls[h].availability * accelerator.bf16_pflops
            * plan.effective_share(accelerator, t),
            "retired_units": retired.get((s, h, c, t), 0.0),
        })
    for (k, t), leased in sorted(solution.lease.items(), key=lambda item: (item[0][1], item[0][0])):
        if leased <= SOLVER_NOISE:
            continue
        offer = plan.cloud_offers[k]
        accelerator = plan.catalog[offer.accelerator]
        rows.append({
            "period": plan.periods[t], "site": "cloud", "hall": offer.id, "accelerator": accelerator.id,
            "vendor": accelerator.vendor, "units": leased / accelerator.accelerators_per_unit,
            "new_units": 0.0, "accelerators": leased, "it_mw": 0.0, "overhead_it_mw": 0.0, "facility_mw": 0.0,
            "capex_usd": 0.0, "overhead_capex_usd": 0.0,
            "bf16_pflops": leased * accelerator.bf16_pflops, "fp8_pflops": leased * accelerator.fp8_pflops,
            "effective_bf16_pflops": leased * accelerator.bf16_pflops * plan.effective_share(accelerator, t),
            "retired_units": 0.0,
        })
    table = pd.DataFrame(rows, columns=ALLOCATION_COLUMNS)
    # Numbers are floats even with no row (an empty fleet), so sums and sorts find every column.
    return table.astype({c: float for c in ALLOCATION_COLUMNS if c not in ALLOCATION_TEXT_COLUMNS})


def sites_table(plan: Plan, solution: Solution, books: Ledger) -> pd.DataFrame:
    """Per period and site: power available and used (total and by source), hall MW ready and used."""
    rows = []
    for t, period in enumerate(plan.periods):
        for s, site in enumerate(plan.sites):
            row: dict[str, object] = {
                "period": period, "site": site.id,
                "power_available_mw": sum(books.source_available_mw[s, g, t] for g in range(len(site.sources))),
                "power_used_mw": books.facility_mw(plan, s, t),
                "power_firm_mw": books.firm_mw(plan, s, t),
                "power_peak_mw": books.peak_mw(s, t),
                "reserve_mw": site.reserve_mw[t],
                "it_at_risk_n1_mw": _at_risk_n1_mw(plan, books, s, t),
                "it_without_backup_mw": sum(books.hall_used_mw.get((s, h, t), 0.0)
                                            for h, hall in enumerate(site.halls) if hall.backup == "none"),
                "hall_ready_mw": sum(books.hall_ready_mw[s, h, t] for h in range(len(site.halls))),
                "hall_used_mw": sum(books.hall_used_mw.get((s, h, t), 0.0) for h in range(len(site.halls))),
            }
            # Prefixed so that no id (a hall called `hall`, a source called `power`) can
            # overwrite a total column.
            for g, source in enumerate(site.sources):
                row[f"source_{source.id}_available_mw"] = books.source_available_mw[s, g, t]
                row[f"source_{source.id}_firm_mw"] = books.source_firm_mw[s, g, t]
                row[f"source_{source.id}_used_mw"] = solution.disp.get((s, g, t), 0.0)
            for h, hall in enumerate(site.halls):
                row[f"hall_{hall.id}_ready_mw"] = books.hall_ready_mw[s, h, t]
                row[f"hall_{hall.id}_used_mw"] = books.hall_used_mw.get((s, h, t), 0.0)
                for loop, share, heat in (("liquid", hall.liquid_cooling_share, books.hall_liquid_heat_mw),
                                          ("air", hall.air_cooling_share, books.hall_air_heat_mw)):
                    row[f"hall_{hall.id}_{loop}_heat_mw"] = heat.get((s, h, t), 0.0)
                    if share is not None:
                        row[f"hall_{hall.id}_{loop}_cooling_mw"] = share * books.hall_ready_mw[s, h, t]
            rows.append(row)
    return pd.DataFrame(rows).fillna(0.0)


def _at_risk_n1_mw(plan: Plan, books: Ledger, s: int, t: int) -> float:
    """IT MW that would lose power if the largest on-site unit tripped at the hour of peak draw,
    at a site that holds no reserve (0 under N-1: the firm limit keeps the peak within firm
    power less that unit)."""
    site = plan.sites[s]
    peak = books.peak_mw(s, t)
    if site.reserve == "n-1" or peak <= 0 or not site.largest_unit_mw:
        return 0.0
    lost_mw = min(peak - (books.firm_mw(plan, s, t) - site.largest_unit_mw[t]), site.largest_unit_mw[t], peak)
    return max(0.0, lost_mw) * books.site_it_mw.get((s, t), 0.0) / peak


CAPEX_KINDS = ("accelerators", "modules", "generation", "trade_in")
"""`trade_in` is negative: what retired units fetch, where the plan credits it against capex."""
OPEX_KINDS = ("energy", "lease", "hall_lease", "generation_lease", "maintenance", "decommissioning")
"""`lease` is cloud offers' accelerators; `hall_lease` and `generation_lease` halls and plants
leased from a partner; `decommissioning` taking installed units out early."""


def budget_table(plan: Plan, books: Ledger, depreciation: np.ndarray) -> pd.DataFrame:
    """Per year: capex and opex by kind, each in all and their total, the limits on the total,
    on capex and on opex (empty where none), and the straight-line depreciation of what the
    plan bought (`accounting.depreciation_usd`). `resale_usd` is what installed units retired
    early fetch: income outside the limits, unless the plan trades them in (then it is also in
    `capex_trade_in_usd`, negative). The software stacks' opex kinds have columns where the plan
    names stacks."""
    opex_kinds = OPEX_KINDS + (STACK_KINDS if plan.stacks else ())
    rows = []
    for year in plan.horizon_years:
        quarters = [t for t, y in enumerate(plan.years) if y == year]
        spending = {f"capex_{kind}_usd": sum(books.capex_usd.get((t, kind), 0.0) for t in quarters)
                    for kind in CAPEX_KINDS}
        spending |= {f"opex_{kind}_usd": sum(books.opex_usd.get((t, kind), 0.0) for t in quarters)
                     for kind in opex_kinds}
        capex = sum(v for k, v in spending.items() if k.startswith("capex_"))
        opex = sum(v for k, v in spending.items() if k.startswith("opex_"))
        rows.append({"year": year, **spending, "capex_usd": capex, "opex_usd": opex, "total_usd": capex + opex,
                     "limit_usd": plan.budget_usd.get(year, float("nan")),
                     "capex_limit_usd": plan.capex_budget_usd.get(year, float("nan")),
                     "opex_limit_usd": plan.opex_budget_usd.get(year, float("nan")),
                     "depreciation_usd": float(depreciation[quarters].sum()),
                     "resale_usd": sum(books.resale_usd.get(t, 0.0) for t in quarters)})
    return pd.DataFrame(rows)


def compute_table(plan: Plan, solution: Solution, books: Ledger) -> pd.DataFrame:
    """Per period: compute in service (peak BF16: every accelerator installed or leased, as
    allocation.csv counts them) by vendor; its effective part (x the hall's availability x the
    part's utilisation x its stack's maturity, what demand and max-compute count); and compute
    delivered (effective) by workload against demand."""
    peak_by_vendor = peak_bf16_pflops_by_vendor(plan, solution, books)
    rows = []
    for t, period in enumerate(plan.periods):
        training, inference = delivered_pflops(plan, solution, t)
        by_vendor = peak_by_vendor.get(t, {})
        effective = effective_bf16_pflops(plan, books, t)
        rows.append({
            "period": period,
            "training_pflops": training, "training_demand_pflops": plan.training_pflops[t],
            "inference_pflops": inference, "inference_demand_pflops": plan.inference_pflops[t],
            "bf16_pflops_in_service": sum(by_vendor.values()),
            "effective_bf16_pflops_in_service": effective,
            **{f"bf16_pflops_{vendor}": value for vendor, value in sorted(by_vendor.items())},
        })
    return pd.DataFrame(rows).fillna(0.0)


def constraints_table(prices: Prices) -> pd.DataFrame:
    """Every limit with left and right side, slack, the solver's shadow price, and its price in
    the user's terms (`step_value` per `step`, in `value_unit`), binding ones first, then by the
    best-known worth of a step (re-solved, else marginal; none last), then in the LP's order."""
    solved = prices.solved_step_value
    rank_value = np.where(np.isnan(solved), prices.step_value, solved)
    # lexsort's last key sorts first (binding), NaN sorts last, and equal keys keep the LP's order.
    order = np.lexsort((-rank_value, ~prices.binding))
    return pd.DataFrame({column: values[order] for column, values in prices.columns().items()},
                        columns=CONSTRAINT_COLUMNS)


def make_tables(plan: Plan, solution: Solution, books: Ledger, prices: Prices) -> Tables:
    """All result tables of one verified solution."""
    return Tables(
        allocation=allocation_table(plan, solution, books),
        sites=sites_table(plan, solution, books),
        budget=budget_table(plan, books, depreciation_usd(plan, solution)),
        compute=compute_table(plan, solution, books),
        constraints=constraints_table(prices),
    )
