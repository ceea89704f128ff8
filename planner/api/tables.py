"""The result tables in tidy (long) form: one row per observation, ids as columns.

The CSV files keep their wide shape (a column per power source, hall, vendor or kind of spending:
`source_gas_used_mw`); here each of those ids becomes a value in a column (`site`, `source`,
`vendor`, `kind`), so `df.groupby("source")` and `df.query("site == 'prometheus'")` work without
parsing column names. The numbers are the CSV tables' own, reshaped: nothing is computed again.
Column names are built from the plan's ids and the kinds `planner.answers.results` declares,
never split back from a column name.
"""

from __future__ import annotations

import pandas as pd

from planner.answers.results import CAPEX_KINDS, OPEX_KINDS, Tables
from planner.answers.stacks import STACK_KINDS
from planner.inputs.plan import Plan

SITE_COLUMNS = ["period", "site", "power_available_mw", "power_used_mw", "power_firm_mw", "power_peak_mw",
                "reserve_mw", "it_at_risk_n1_mw", "it_without_backup_mw", "hall_ready_mw", "hall_used_mw"]
SOURCE_MEASURES = ("available_mw", "firm_mw", "used_mw")
HALL_MEASURES = ("ready_mw", "used_mw", "liquid_heat_mw", "air_heat_mw", "liquid_cooling_mw", "air_cooling_mw")
"""A hall's cooling columns are NaN where the hall declares no share for that loop."""
BUDGET_COLUMNS = ["year", "capex_usd", "opex_usd", "total_usd", "limit_usd", "capex_limit_usd", "opex_limit_usd",
                  "depreciation_usd", "resale_usd"]
COMPUTE_COLUMNS = ["period", "training_pflops", "training_demand_pflops", "inference_pflops",
                   "inference_demand_pflops", "bf16_pflops_in_service", "effective_bf16_pflops_in_service"]

TABLE_DOCS = {
    "allocation": "period, site, hall, accelerator: units in service and delivered, MW, capex, PFLOPS",
    "sites": "period, site: power available, used, firm and peak, reserve, hall MW ready and used",
    "sources": "period, site, source: MW available, firm and used",
    "halls": "period, site, hall: MW ready and used, heat and cooling by loop",
    "budget": "year: capex, opex, total and their limits, depreciation, resale",
    "spending": "year, category (capex or opex), kind: USD",
    "compute": "period: delivered training and inference PFLOPS against demand, compute in service",
    "compute_by_vendor": "period, vendor: peak BF16 PFLOPS in service",
    "constraints": "one row per limit: family, its key's fields, period, slack, shadow price, value of a step",
}
"""Each tidy table and what one row of it is (the order `Result.tables` lists them)."""


def tidy_tables(plan: Plan, tables: Tables) -> dict[str, pd.DataFrame]:
    """The run's tables, long form, in the order of `TABLE_DOCS`."""
    out = {
        "allocation": tables.allocation.reset_index(drop=True),
        "sites": tables.sites[SITE_COLUMNS].reset_index(drop=True),
        "sources": _by_part(plan, tables.sites, "source", SOURCE_MEASURES),
        "halls": _by_part(plan, tables.sites, "hall", HALL_MEASURES),
        "budget": tables.budget[BUDGET_COLUMNS].reset_index(drop=True),
        "spending": _spending(plan, tables.budget),
        "compute": tables.compute[COMPUTE_COLUMNS].reset_index(drop=True),
        "compute_by_vendor": _compute_by_vendor(plan, tables.compute),
        "constraints": tables.constraints.reset_index(drop=True),
    }
    return {name: out[name] for name in TABLE_DOCS}


def _by_part(plan: Plan, sites: pd.DataFrame, part: str, measures: tuple[str, ...]) -> pd.DataFrame:
    """One row per period, site and power source (or hall) from sites.csv's per-part columns."""
    frames = []
    for site in plan.sites:
        rows = sites[sites["site"] == site.id]
        ids = [source.id for source in site.sources] if part == "source" else [hall.id for hall in site.halls]
        for part_id in ids:
            columns = {measure: f"{part}_{part_id}_{measure}" for measure in measures}
            frame = pd.DataFrame({"period": rows["period"], "site": site.id, part: part_id})
            for measure, column in columns.items():
                frame[measure] = rows[column] if column in rows.columns else float("nan")
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["period", "site", part, *measures])
    return pd.concat(frames, ignore_index=True).sort_values(["period", "site", part], kind="stable",
                                                            ignore_index=True)


def _spending(plan: Plan, budget: pd.DataFrame) -> pd.DataFrame:
    """One row per year, category and kind of spending, from budget.csv's `capex_<kind>_usd` columns."""
    kinds = [("capex", kind) for kind in CAPEX_KINDS]
    kinds += [("opex", kind) for kind in OPEX_KINDS + (STACK_KINDS if plan.stacks else ())]
    frames = [pd.DataFrame({"year": budget["year"], "category": category, "kind": kind,
                            "usd": budget[f"{category}_{kind}_usd"]}) for category, kind in kinds]
    return pd.concat(frames, ignore_index=True).sort_values(["year"], kind="stable", ignore_index=True)


def _compute_by_vendor(plan: Plan, compute: pd.DataFrame) -> pd.DataFrame:
    """One row per period and vendor in service, from compute.csv's `bf16_pflops_<vendor>` columns."""
    vendors = sorted({accelerator.vendor for accelerator in plan.catalog.values()})
    frames = [pd.DataFrame({"period": compute["period"], "vendor": vendor,
                            "bf16_pflops_in_service": compute[f"bf16_pflops_{vendor}"]})
              for vendor in vendors if f"bf16_pflops_{vendor}" in compute.columns]
    if not frames:
        return pd.DataFrame(columns=["period", "vendor", "bf16_pflops_in_service"])
    return pd.concat(frames, ignore_index=True).sort_values(["period", "vendor"], kind="stable", ignore_index=True)
