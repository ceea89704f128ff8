"""Synthetic plans with realistic spreads, for benchmarks and for trying planner at scale.

The draws follow the shipped data's ranges: racks of 72 accelerators at 100-230 kW or
servers of 8 at 10-15 kW, 0.5-5 BF16 PFLOPS each at $20-60k per accelerator; sites of
50-600 MW grid with later phases, some with an on-site gas plant, conventional halls with
slow modules and, on half the sites, tent modules with short lead times and no backup. Budgets
are set to bind in some years; demand stays low enough that every generated plan is feasible.
Numbers are random draws, not sourced: the file says so.
"""

from __future__ import annotations

import random
from typing import Any

from planner.inputs.schema import MAX_USD, UTILISATION_ESTIMATE, period_index, period_name

UNIT_COLUMNS_PER_SITE_PART_QUARTER = 2.4
"""A generated plan's LP columns of units (`planner.model.size.estimated_columns`) per site, part and
quarter: its sites have 1.5 halls on average and a part is bought from a random first quarter on.
Measured with seed 1: 300 x 20 x 20, 271,168 (2.26); 2,000 x 20 x 12, 1,143,420 (2.38)."""

VENDORS = [("nvidia", "cuda"), ("amd", "rocm"), ("google", "xla"), ("meta", "mtia"), ("aws", "neuron")]
START = "2026Q1"


def _accelerator(rng: random.Random, index: int, quarters: int) -> dict[str, Any]:
    vendor, ecosystem = VENDORS[index % len(VENDORS)]
    rack = rng.random() < 0.6
    per_unit = 72 if rack else 8
    unit_kw = round(rng.uniform(100, 230) if rack else rng.uniform(10, 15), 1)
    bf16 = round(rng.uniform(0.5, 5.0), 3)
    first = period_name(period_index(START) + rng.randrange(0, max(1, quarters // 2)))
    return {
        "id": f"gen-{index + 1:03d}", "name": f"Synthetic {vendor} {'rack' if rack else 'server'} {index + 1}",
        "vendor": vendor, "ecosystem": ecosystem, "unit": "rack" if rack else "server",
        "accelerators_per_unit": per_unit, "unit_it_kw": unit_kw, "rack_kw": unit_kw if rack else round(unit_kw * 4, 1),
        "bf16_pflops": bf16, "fp8_pflops": round(bf16 * 2, 3), "hbm_gb": rng.choice([80, 141, 192, 288, 432]),
        "unit_price_usd": round(per_unit * rng.uniform(20_000, 60_000), -3), "first_available": first,
        "cooling": "liquid" if rack else "air",
        "workloads": ["training", "inference"] if rng.random() < 0.8 else ["inference"],
    }


def _site(rng: random.Random, index: int, quarters: int) -> dict[str, Any]:
    grid_mw = round(rng.uniform(50, 600))
    pue = round(rng.uniform(1.08, 1.3), 3)
    later = period_name(period_index(START) + rng.randrange(1, max(2, quarters)))
    sources: list[dict[str, Any]] = [{
        "id": "grid", "kind": "grid", "energy_usd_per_mwh": round(rng.uniform(45, 95), 1),
        "phases": [{"online": START, "available_mw": grid_mw},
                   {"online": later, "available_mw": round(grid_mw * rng.uniform(1.2, 2.0))}],
    }]
    if rng.random() < 0.3:
        gas_online = period_name(period_index(START) + rng.randrange(0, quarters))
        sources.append({"id": "gas", "kind": "gas", "energy_usd_per_mwh": round(rng.uniform(30, 70), 1),
                        "phases": [{"online": gas_online, "available_mw": round(rng.uniform(100, 400))}]})
    existing = round(grid_mw / pue * rng.uniform(0.2, 0.6))
    halls: list[dict[str, Any]] = [{
        "id": "building", "kind": "building", "cooling": ["air", "liquid"], "max_rack_kw": 250,
        "existing_it_mw": existing, "module_it_mw": round(rng.uniform(50, 150)),
        "module_capex_usd": round(rng.uniform(8e8, 2e9), -6), "lead_quarters": rng.randint(4, 6), "max_modules": 5,
    }]
    if rng.random() < 0.5:
        halls.append({
            "id": "tents", "kind": "tent", "cooling": ["air", "liquid"], "max_rack_kw": 250,
            "module_it_mw": round(rng.uniform(20, 50)), "module_capex_usd": round(rng.uniform(2e8, 5e8), -6),
            "lead_quarters": rng.randint(1, 2), "max_modules": 4, "backup": "none", "availability": 0.98,
        })
    return {"id": f"site-{index + 1:04d}", "name": f"Synthetic campus {index + 1}", "pue": pue,
            "power_sources": sources, "halls": halls}


def generate(sites: int, accelerators: int, quarters: int, seed: int) -> dict[str, Any]:
    """A plan file's data: `sites` campuses, `accelerators` catalog entries, `quarters` quarters."""
    rng = random.Random(seed)  # noqa: S311 - reproducible draws, not security
    catalog = [_accelerator(rng, i, quarters) for i in range(accelerators)]
    site_list = [_site(rng, i, quarters) for i in range(sites)]
    end = period_name(period_index(START) + quarters - 1)
    years = sorted({int(period_name(period_index(START) + t)[:4]) for t in range(quarters)})
    grid_mw = sum(s["power_sources"][0]["phases"][0]["available_mw"] for s in site_list)
    # About what filling the grid's first phase with mid-priced racks costs, spread over the years:
    # enough that budgets bind in some years, never so little that nothing can be bought.
    yearly_usd = min(grid_mw * 12e6 / max(1, len(years)), MAX_USD / 1.5)
    budget = [{"year": y, "limit_usd": round(yearly_usd * rng.uniform(0.6, 1.4), -6)} for y in years]
    # Demand stays below what the existing halls hold of the least dense accelerator: always feasible.
    existing_mw = sum(h.get("existing_it_mw", 0) for s in site_list for h in s["halls"])
    trainers = [a for a in catalog if "training" in a["workloads"]]
    plan: dict[str, Any] = {
        "name": f"synthetic-{sites}x{accelerators}x{quarters}",
        "title": f"Synthetic plan: {sites} sites, {accelerators} accelerators, {quarters} quarters (seed {seed})",
        "horizon": {"start": START, "end": end},
        "objective": "max-compute",
        "sites": site_list,
        "budget": budget,
        "catalog": catalog,
        "policy": {"allow": [a["id"] for a in catalog]},
        "supply": [
            {"accelerator": a["id"], "units_per_quarter": round(rng.uniform(50, 500) * max(1, sites / 10))}
            for a in catalog if rng.random() < 0.3
        ],
    }
    # A vendor cap only where another vendor can fill the rest: with one vendor it forbids any fleet.
    if len({a["vendor"] for a in catalog}) > 1:
        plan["policy"]["shares"] = [{"vendor": "nvidia", "max_share": 0.8}]
    # Training demand only where something can train, and from when it can.
    if trainers:
        least_dense = min(a["accelerators_per_unit"] * a["bf16_pflops"] / (a["unit_it_kw"] / 1000.0)
                          for a in trainers)
        first_available = max(period_index(a["first_available"]) for a in trainers)
        demand_from = period_name(max(period_index(START) + 1, first_available))
        if period_index(demand_from) <= period_index(end):
            deliverable = _deliverable_pflops(plan, trainers, demand_from)
            if "shares" in plan["policy"]:  # nvidia at most 80%: the fleet at most 5x what others deliver
                others = [a for a in catalog if a["vendor"] != "nvidia"]
                deliverable = min(deliverable, 5 * _deliverable_pflops(plan, others, demand_from))
            # Demand counts effective compute: generated parts run at the catalog's default utilisation.
            pflops = min(0.05 * existing_mw * least_dense, 0.5 * deliverable) * UTILISATION_ESTIMATE
            plan["demand"] = {"training_precision": "bf16", "training": [{"from": demand_from,
                                                                          "pflops": round(pflops, 1)}]}
    return plan


def _deliverable_pflops(plan: dict[str, Any], parts: list[dict[str, Any]], by: str) -> float:
    """BF16 PFLOPS of `parts` the supply caps let the plan buy by quarter `by` (infinite with an
    uncapped part)."""
    caps = {entry["accelerator"]: entry["units_per_quarter"] for entry in plan["supply"]}
    total = 0.0
    for a in parts:
        if a["id"] not in caps:
            return float("inf")
        quarters = period_index(by) - period_index(a["first_available"]) + 1
        total += caps[a["id"]] * max(0, quarters) * a["accelerators_per_unit"] * a["bf16_pflops"]
    return total
