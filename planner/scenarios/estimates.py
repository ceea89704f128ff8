"""Inputs marked as estimates, as `--set` paths: what the risk sweep moves (`planner.scenarios.risks`).

An input is marked as an estimate when the `sources:` entry that cites it says "estimate"
(`unit_price_usd: "estimate: not announced [23]; ..."`): the plan's own tree (sites, budget, supply,
fabric, ...) and the catalog entries of the parts the plan may buy or holds. Only numbers with a
fraction can be moved by a factor, and only those written in the files (a default the model applies
has no source). Schedules are estimates too: a quarter (a phase's `online`, a window's `from`) moves
by whole quarters, `QUARTERS_PER_FACTOR` per unit of factor (two quarters early or late at x0.8 and
x1.2), and a count of quarters (`lead_quarters`) by the factor, rounded to whole quarters; a count of
modules or units does not move. A source that cites a list (demand steps, a
stack's maturity steps) cites every number in it: one estimate, moved as a whole, with a path per
number. A source that cites a block (`expansion:`) cites each of its numbers: one estimate each.

`exposure` ranks them before any is solved: the first-order change of the headline if the estimate
moved by 100%, read off the base plan's prices (each binding limit the estimate feeds: its shadow
price times its size) and, for a number that scales compute or cost directly, the share of the
headline that flows through what it is about. Estimates are run in that order, as many as the sweep
allows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import pandas as pd
from pydantic import BaseModel

from planner import fmt
from planner.errors import Position
from planner.inputs import schema
from planner.inputs.schema_types import PERIOD_PATTERN
from planner.scenarios.overrides import Override
from planner.scenarios.plan_tree import (
    IDENTITY,
    ROOT,
    CatalogSource,
    Slot,
    as_number,
    field_slot,
    identity,
    shift_period,
    walk_annotation,
)

Kind = Literal["scale", "date", "quarters"]
"""How an estimate moves: a number by the factor; a date by whole quarters (`QUARTERS_PER_FACTOR`);
a count of quarters by the factor, rounded to whole quarters."""

QUARTERS_PER_FACTOR = 10.0
"""A date moves by this many quarters per unit of factor: two quarters earlier at x0.8 and later at
x1.2. Two quarters is the slip a build of this size meets often enough to plan for (a gas plant's
turbines, a utility's interconnection, a hall's fit-out: each month-scale); a factor's +-20% of a
date itself (a year 2028 +- 405) would mean nothing."""

ESTIMATE_WORD = "estimate"
"""The word that marks a source as an estimate (case-insensitive, anywhere in the text)."""

_SPACE = ("hall", "cooling_liquid", "cooling_air", "power", "site_power", "firm")
_MONEY = ("budget", "capex_budget", "opex_budget", "commitment_min", "commitment_max")

FEEDS: dict[str, tuple[str, ...]] = {
    # what a unit takes: IT power against halls, cooling and power
    "unit_it_kw": _SPACE, "fabric_power_share": _SPACE, "power_share": _SPACE, "units": _SPACE,
    "rack_kw": ("hall",), "max_rack_kw": ("hall",), "rack_kw_margin": ("hall",),
    "liquid_share": ("cooling_liquid", "cooling_air"),
    # money against the budget and commitments
    "unit_price_usd": _MONEY, "fabric_capex_share": _MONEY, "capex_share": _MONEY, "module_capex_usd": _MONEY,
    "capex_usd_per_kw": _MONEY, "lease_usd_per_kw_year": _MONEY, "lease_usd_per_mw_year": _MONEY,
    "energy_usd_per_mwh": _MONEY, "usd_per_accelerator_hour": _MONEY, "resale_share_of_book": _MONEY,
    "decommission_share": _MONEY, "maintenance_share_per_year": _MONEY, "adoption_usd": _MONEY,
    "yearly_usd": _MONEY,
    # the limits themselves
    "units_per_quarter": ("supply",), "max_mw": ("expansion",), "existing_it_mw": ("hall",),
    "module_it_mw": ("hall",), "liquid_cooling_share": ("cooling_liquid",), "air_cooling_share": ("cooling_air",),
    "pue": ("power", "site_power"), "design_pue": ("firm",), "unit_mw": ("firm",),
    "available_mw": ("power", "site_power", "firm"), "capacity_factor": ("power", "site_power"),
    "capacity_credit": ("firm",), "duration_h": ("firm",), "firm_duration_h": ("firm",),
    "limit_usd": ("budget",), "capex_limit_usd": ("capex_budget",), "opex_limit_usd": ("opex_budget",),
    "min_usd": ("commitment_min",), "max_usd": ("commitment_max",),
    "min_share": ("share_min",), "max_share": ("share_max",), "pflops": ("demand",),
    # compute per unit, against demand and share policies
    "bf16_pflops": ("demand", "share_min", "share_max"), "fp8_pflops": ("demand",), "utilisation": ("demand",),
    "factor": ("demand",), "availability": ("demand", "share_min", "share_max"),
    # schedules: when power, supply and demand come
    "online": ("power", "site_power", "firm"), "first_start": ("expansion",), "lead_quarters": ("expansion",),
    "start": ("supply", "demand"),
}
"""The limit families (`planner.model.families`) each input field feeds, by field name: which prices
say what moving it is worth. A field not listed is ranked by what it scales directly, if anything."""

IN_RIGHT_HAND_SIDE = frozenset({"unit_mw", "available_mw", "existing_it_mw", "max_mw", "units_per_quarter",
                                "limit_usd", "capex_limit_usd", "opex_limit_usd", "min_usd", "max_usd", "pflops"})
"""Fields whose number is (a term of) the right-hand side of the limits they feed, in the limit's own
unit: what moves is the number, not the whole limit (an N-1 reserve of 35 MW in 615 MW of firm power)."""
SCALES_COMPUTE = frozenset({"bf16_pflops", "fp8_pflops", "utilisation", "factor", "availability",
                            "max_accelerators"})
"""Fields that scale the compute of what they are about: the max-compute headline moves with them."""
SCALES_COST = frozenset(name for name, families in FEEDS.items() if families == _MONEY)
"""Fields that scale a cost: the min-cost headline moves with them."""

FIELD_WORDS = {
    "unit_price_usd": "unit price", "unit_it_kw": "IT kW per unit", "rack_kw": "rack kW",
    "bf16_pflops": "BF16 PFLOPS", "fp8_pflops": "FP8 PFLOPS", "units_per_quarter": "supply a quarter",
    "limit_usd": "budget", "capex_limit_usd": "capex limit", "opex_limit_usd": "opex limit",
    "max_mw": "max MW", "capex_usd_per_kw": "build cost per kW", "energy_usd_per_mwh": "energy price",
    "design_pue": "design PUE", "pue": "annual PUE", "unit_mw": "unit size (N-1 reserve)",
    "existing_it_mw": "existing IT MW", "module_it_mw": "IT MW per module", "module_capex_usd": "module capex",
    "max_rack_kw": "max rack kW", "rack_kw_margin": "rack kW margin", "liquid_cooling_share": "liquid cooling",
    "air_cooling_share": "air cooling", "power_share": "fabric power share", "capex_share": "fabric capex share",
    "resale_share_of_book": "resale share of book value", "decommission_share": "decommissioning cost share",
    "liquid_share": "liquid heat share", "pflops": "demand", "factor": "maturity", "units": "installed units",
    "available_mw": "MW available", "usd_per_accelerator_hour": "lease price",
    "online": "online date", "first_start": "first build start",
    "lead_quarters": "build lead time",
}
"""Input fields as a person names them, on the report's first page."""

STEP_DATE_WORDS = {schema.DemandStep: "demand dates", schema.MaturityStep: "maturity dates",
                   schema.Supply: "supply start", schema.CloudOffer: "offer start", schema.ShareBound: "share dates",
                   schema.TrainingClusters: "cluster dates"}
"""A `from:` date as a person names it, by the model that holds it (`training demand dates`)."""

_ROW_KEYS = {schema.Site: "site", schema.PowerSource: "source", schema.HallType: "hall",
             schema.Accelerator: "accelerator", schema.Supply: "accelerator", schema.CloudOffer: "offer",
             schema.Stack: "ecosystem", schema.BudgetYear: "year", schema.Commitment: "vendor"}
"""The `RowKey` field (`planner.model.rows`) an item of each model names, so its estimates meet its limits."""


@dataclass(frozen=True)
class Estimate:
    """One input marked as an estimate: the numbers it covers, each a `--set` path."""

    paths: tuple[str, ...]
    values: tuple[float | str, ...]
    """Each path's number in its key's unit (`$2.7M` -> 2.7e6); a date's quarter (`2028Q1`)."""
    source: str
    words: str
    """What it is, as a person names it: `mi455x unit price`."""
    key: str
    """The input key (`unit_price_usd`): what it feeds (`FEEDS`)."""
    ids: Mapping[str, str] = field(default_factory=dict)
    """What it is about, as `RowKey` fields: `{"accelerator": "mi455x"}`."""
    bounds: tuple[float, float] = (-math.inf, math.inf)
    """The key's range (a share within 0 and 1, a PUE from 1): a moved value is kept inside it."""
    kind: Kind = "scale"
    set_paths: tuple[str, ...] = ()
    """`paths` as the overrides set them: an item named by its quarter (a demand step, a power phase)
    addressed by its index, which no shift moves (in a joint draw, a step shifted onto the next one's
    quarter left the next one's path naming two entries). Empty: `paths`."""

    @property
    def path(self) -> str:
        """Its path; for an estimate of a list of numbers, the list's (`demand.training`); of a list's
        dates, the list's with the key (`demand.training.*.from`), so the two never share a path."""
        if len(self.paths) == 1:
            return self.paths[0]
        common: list[str] = []
        for segments in zip(*(p.split(".") for p in self.paths), strict=False):
            if len(set(segments)) > 1:
                break
            common.append(segments[0])
        return ".".join(common) + (f".*.{self.paths[0].rsplit('.', 1)[-1]}" if self.kind == "date" else "")

    @property
    def value_text(self) -> str:
        """Its value as the report shows it: `$2.70M`, `350 MW`, `2028Q1`; a list's first and last."""
        shown = [_value_text(self.key, self.kind, v) for v in self.values]
        return shown[0] if len(set(shown)) == 1 else f"{shown[0]} to {shown[-1]}, {len(shown)} steps"

    def numbers(self) -> tuple[float, ...]:
        """Its numbers (none for a date)."""
        return () if self.kind == "date" else tuple(float(v) for v in self.values)

    def shift(self, factor: float) -> int:
        """Quarters a date moves at `factor` (0 for another kind)."""
        return self.shift_at(factor) if self.kind == "date" else 0

    @staticmethod
    def shift_at(factor: float) -> int:
        """Quarters any date moves at `factor`: `QUARTERS_PER_FACTOR` per unit, to the nearest quarter."""
        return round((factor - 1.0) * QUARTERS_PER_FACTOR)

    def moved(self, factor: float) -> tuple[float | str, ...]:
        """Its values moved by `factor`, each kept within the key's range. A key whose range starts
        above 0 moves by what it holds above that start: a PUE of 1.2 x 1.2 is 1.24 (its overhead of
        0.2, +20%), not 1.44. A date moves by `shift(factor)` quarters; a count of quarters by the
        factor, to the nearest whole quarter."""
        if self.kind == "date":
            return tuple(shift_period(value, self.shift(factor)) for value in self.values)
        low, high = self.bounds
        start = low if math.isfinite(low) and low > 0 else 0.0
        moved = (min(max(start + (value - start) * factor, low), high) for value in self.numbers())
        return tuple(round(value) for value in moved) if self.kind == "quarters" else tuple(moved)

    def move_words(self, factor: float) -> str:
        """What `factor` does to it, in words: `x0.8`, `2 quarters earlier`, `4 quarters`."""
        if self.kind == "date":
            quarters = self.shift(factor)
            if quarters == 0:
                return "as written"
            plural = "s" if abs(quarters) != 1 else ""
            return f"{abs(quarters)} quarter{plural} {'later' if quarters > 0 else 'earlier'}"
        if self.kind == "quarters":
            return " to ".join(dict.fromkeys(_value_text(self.key, self.kind, v) for v in self.moved(factor)))
        return f"x{factor:g}"

    def overrides(self, factor: float) -> list[Override]:
        """`--set` overrides that move it by `factor` (within its key's range)."""
        origin = Position("risks", 1, 1)
        quarters = self.shift(factor)
        paths = self.set_paths or self.paths
        if self.kind == "date":
            return [Override(path, "shift", quarters, origin, f"{quarters:+d}") for path in paths if quarters]
        return [Override(path, "set", value, origin, f"{value:g}")
                for path, value in zip(paths, self.moved(factor), strict=True)]


def _value_text(name: str, kind: Kind, value: float | str) -> str:
    if kind == "date":
        return str(value)
    if kind == "quarters":
        return f"{value:g} quarter{'s' if value != 1 else ''}"
    return _number_text(name, float(value))


def _number_text(name: str, value: float) -> str:
    if name.endswith("_usd_per_mwh"):
        return f"${value:,.4g}/MWh"
    if name.endswith("_usd_per_kw"):
        return f"${value:,.0f}/kW"
    if name.endswith("_usd"):
        return fmt.usd(value)
    if name.endswith("_mw"):
        return fmt.mw(value)
    if name.endswith("_kw"):
        return f"{value:,.4g} kW"
    if name == "pflops":
        return fmt.pflops(value)
    return f"{value:,.4g}"


def is_estimate(source: Any) -> bool:
    """Whether a `sources:` text marks its number as an estimate."""
    return isinstance(source, str) and ESTIMATE_WORD in source.lower()


def list_estimates(data: Any, catalog: CatalogSource, parts: frozenset[str]) -> list[Estimate]:
    """Every estimate-marked number of the plan tree `data`, then of the catalog entries of `parts`
    that the plan's own `catalog:` does not list, in the order the files write them."""
    found = list(_visit(data, ROOT, _Prefix("", ""), _About()))
    own = (data.get("catalog") or []) if isinstance(data, dict) else []
    listed = {str(identity(entry, ("id",))) for entry in own}
    for part, (entry, _) in catalog.entries().items():
        if part in parts and part not in listed:
            found += _visit(entry, Slot(model=schema.Accelerator), _Prefix(f"catalog.{part}.", f"catalog.{part}."),
                            _About())
    return found


class _Prefix(NamedTuple):
    """A path so far, as shown (items named by their identity) and as set (`Estimate.set_paths`)."""

    shown: str
    set: str

    def then(self, shown: str, stable: str | None = None) -> _Prefix:
        return _Prefix(f"{self.shown}{shown}.", f"{self.set}{shown if stable is None else stable}.")


def _visit(node: Any, slot: Slot, prefix: _Prefix, about: _About) -> Iterator[Estimate]:
    """The estimates in `node` (of `slot`) and below it."""
    if slot.model is None or not isinstance(node, dict):
        return
    model = slot.model
    about = about.item(model, node)
    sources = node.get("sources")
    for key, text in (sources.items() if isinstance(sources, dict) else ()):
        if is_estimate(text) and key in node:
            yield from _cited(node[key], model, key, prefix, str(text), about)
    for key, value in node.items():
        found = field_slot(model, key)
        if found is None or found[1].model is None:
            continue
        child, inside = found[1], about.within(key)
        if child.is_list:
            yield from _visit_list(value, child, prefix.then(key), inside)
        else:
            yield from _visit(value, child, prefix.then(key), inside)


def _visit_list(items: Any, slot: Slot, prefix: _Prefix, about: _About) -> Iterator[Estimate]:
    for name, stable, item in _named_items(items, slot.model):
        yield from _visit(item, Slot(model=slot.model), prefix.then(name, stable), about)


def _named_items(items: Any, model: type[BaseModel] | None) -> list[tuple[str, str, Any]]:
    """Each item of a list with the path segment that names it: its identity where that names it
    alone (`gb300-nvl72`, `2026`, `2026Q3`), else its index (two supply windows of one part); and
    the segment that sets it: its index where it is named by a quarter, which a shift can move."""
    items = items if isinstance(items, list) else []
    keys = IDENTITY.get(model, ()) if model is not None else ()
    names = [identity(item, keys) if keys else None for item in items]
    named = []
    for j, (name, item) in enumerate(zip(names, items, strict=True)):
        shown = str(name) if name is not None and names.count(name) == 1 else str(j)
        named.append((shown, str(j) if PERIOD_PATTERN.match(shown) else shown, item))
    return named


def _cited(value: Any, model: type[BaseModel], key: str, prefix: _Prefix, text: str,
           about: _About) -> Iterator[Estimate]:
    """The estimates a source for `key` covers: the number itself, each number of a block, or the
    numbers of a list (one estimate)."""
    found = field_slot(model, key)
    if found is None:
        return
    slot = found[1]
    if slot.model is None:
        yield from _estimate(((f"{prefix.shown}{key}", f"{prefix.set}{key}", value),), model, key, text, about)
        return
    inside = about.within(key)
    block = prefix.then(key)
    if not slot.is_list:
        for name, inner in (value.items() if isinstance(value, dict) else ()):
            yield from _estimate(((f"{block.shown}{name}", f"{block.set}{name}", inner),), slot.model, name, text,
                                 inside)
        return
    numbers: dict[str, list[tuple[str, str, Any]]] = {}
    for name, stable, item in _named_items(value, slot.model):
        for inner_key, inner in (item.items() if isinstance(item, dict) else ()):
            numbers.setdefault(inner_key, []).append(
                (f"{block.shown}{name}.{inner_key}", f"{block.set}{stable}.{inner_key}", inner))
    for inner_key, pairs in numbers.items():
        yield from _estimate(tuple(pairs), slot.model, inner_key, text, inside)


def _estimate(pairs: tuple[tuple[str, str, Any], ...], model: type[BaseModel], key: str, text: str,
              about: _About) -> Iterator[Estimate]:
    """An Estimate of these (path, path as set, value) of `model.key`, if that key holds a number
    with a fraction, a quarter, or a count of quarters (`Kind`)."""
    found = field_slot(model, key)
    if found is None:
        return
    name = next((n for n, info in model.model_fields.items() if key in (n, info.alias)), key)
    values: tuple[float | str, ...]
    kind: Kind
    if found[1].is_period:
        if not all(isinstance(value, str) and PERIOD_PATTERN.match(value) for *_, value in pairs):
            return
        values, kind = tuple(str(value) for *_, value in pairs), "date"
    elif found[1].is_number and (_holds_fractions(model, key) or name.endswith("_quarters")):
        try:
            values = tuple(as_number(value, found[1]) for *_, value in pairs)
        except ValueError:
            return
        if not any(values):  # zero times any factor is zero: nothing to move
            return
        kind = "scale" if _holds_fractions(model, key) else "quarters"
    else:
        return
    field_words = STEP_DATE_WORDS.get(model, "start") if name == "start" else FIELD_WORDS.get(name, name)
    words = about.words(field_words.replace("_", " "))
    paths, set_paths = tuple(p for p, _, _ in pairs), tuple(p for _, p, _ in pairs)
    yield Estimate(paths, values, text, words, name, dict(about.ids), _bounds(model, name), kind,
                   set_paths if set_paths != paths else ())


@dataclass(frozen=True)
class _About:
    """What a node of the tree is about, on the way down: `RowKey` fields and the names a person reads."""

    ids: Mapping[str, str] = field(default_factory=dict)
    labels: tuple[str, ...] = ()
    """`prometheus/gas-new`, `mi455x`, `2027`: the items the path goes through."""
    qualifier: str = ""
    """A word after the labels: `expansion`, `training`, ..."""
    suffix: str = ""
    """Words after the field's: `(from 2027Q1)` for a supply window."""

    def item(self, model: type[BaseModel], node: dict[str, Any]) -> _About:
        """Inside an item of `model`: its id joins the RowKey fields and the labels."""
        row_key = _ROW_KEYS.get(model)
        keys = ("accelerator",) if model in (schema.Supply, schema.Installed) else IDENTITY.get(model, ("id",))
        name = identity(node, keys) if row_key is not None or model is schema.Installed else None
        if name is None:
            return self
        suffix = f"(from {node['from']})" if model is schema.Supply and node.get("from") else self.suffix
        ids = {**self.ids, row_key: str(name)} if row_key is not None else self.ids
        return _About(ids, (*self.labels, str(name)), self.qualifier, suffix)

    def within(self, key: str) -> _About:
        """Inside the value of `key`: a block or list whose name says what its numbers are."""
        if key in ("training", "inference"):
            return _About({**self.ids, "workload": key}, self.labels, key, self.suffix)
        if key == "expansion":
            return _About(self.ids, self.labels, key, self.suffix)
        return self

    def words(self, field_words: str) -> str:
        named = ["/".join(self.labels)] if self.labels else []
        return " ".join(w for w in (*named, self.qualifier, field_words, self.suffix) if w)


def _holds_fractions(model: type[BaseModel], name: str) -> bool:
    """Whether the key holds a float (a count of quarters or modules is an int: no factor applies)."""
    info = next((i for n, i in model.model_fields.items() if name in (n, i.alias)), None)
    return info is not None and float in set(walk_annotation(info.annotation, field_metadata=True))


def _bounds(model: type[BaseModel], name: str) -> tuple[float, float]:
    """The range the schema allows the key (`ge`/`le`; `gt`/`lt` taken as their edge)."""
    info = model.model_fields[name]
    low, high = -math.inf, math.inf
    for part in [*info.metadata, *walk_annotation(info.annotation, field_metadata=True)]:
        for attribute in ("ge", "gt"):
            if isinstance(getattr(part, attribute, None), int | float):
                low = max(low, float(getattr(part, attribute)))
        for attribute in ("le", "lt"):
            if isinstance(getattr(part, attribute, None), int | float):
                high = min(high, float(getattr(part, attribute)))
    return low, high


@dataclass(frozen=True)
class Limit:
    """A binding limit of the base plan, as exposure reads it: its family, what it is about, its worth."""

    family: str
    ids: Mapping[str, str]
    """Its `RowKey` fields that are set (`{"site": "prometheus", "hall": "tents"}`)."""
    shadow_price: float
    size: float
    """The larger of its two sides, in its own unit."""


@dataclass(frozen=True)
class Flow:
    """A share of the base plan's headline that flows through one site, hall and part (and its ecosystem)
    in one quarter."""

    ids: Mapping[str, str]
    share: float
    period: str = ""


ABOUT_FIELDS = ("site", "hall", "accelerator", "ecosystem")
"""What a share of the headline is known by (the allocation table's columns, and a part's ecosystem)."""


@dataclass(frozen=True)
class Exposure:
    """The base plan's binding limits and where its headline flows: what ranks the estimates."""

    maximises: bool
    headline: float
    limits: tuple[Limit, ...]
    flows: tuple[Flow, ...]
    date_window_quarters: int = 2
    """A date's slip moves the compute of the quarters this close to it (the risk sweep's shift)."""

    def of(self, estimate: Estimate) -> float:
        """How far the headline could move, to first order, if `estimate` moved by 100%: the prices of
        the binding limits it feeds (each limit's shadow price x its size), plus, for a number that
        scales compute (max-compute) or cost (min-cost) directly, the headline that flows through
        what it is about.

        A limit that does not name what the estimate is about (a budget row, for one part's price)
        moves with it only as far as that thing takes part in it: its share of the headline stands
        for that (a part the plan does not use moves nothing).
        """
        feeds = FEEDS.get(estimate.key, ())
        wanted = self._wanted(estimate)
        numbers = estimate.numbers()
        cap = max(abs(v) for v in numbers) if numbers and estimate.key in IN_RIGHT_HAND_SIDE else math.inf
        value = 0.0
        for limit in self.limits:
            if limit.family not in feeds or any(limit.ids.get(k, "") not in ("", *allowed)
                                                for k, allowed in wanted.items()):
                continue
            unnamed = {k: v for k, v in estimate.ids.items() if k in ABOUT_FIELDS and not limit.ids.get(k)}
            value += limit.shadow_price * min(limit.size, cap) * (self.share_of(unnamed) if unnamed else 1.0)
        if estimate.kind == "date" and any(k in ABOUT_FIELDS for k in estimate.ids):
            # A slip moves what flows through the site, hall or part it dates, near that date. (A lead
            # time is priced by its expansion's limit alone: an expansion the plan does not use to
            # its limit is worth little sooner or later.)
            value += abs(self.headline) * self.share_of(estimate.ids, self._near(estimate))
        elif estimate.key in (SCALES_COMPUTE if self.maximises else SCALES_COST):
            value += abs(self.headline) * self.share_of(estimate.ids)
        return value

    def share_of(self, ids: Mapping[str, str], periods: frozenset[str] | None = None) -> float:
        """The share of the headline through the sites, halls, parts and ecosystem `ids` names (1 if none),
        in `periods` (None: every quarter)."""
        named = {k: v for k, v in ids.items() if k in ABOUT_FIELDS}
        return sum(flow.share for flow in self.flows if all(flow.ids.get(k) == v for k, v in named.items())
                   and (periods is None or flow.period in periods))

    def _near(self, estimate: Estimate) -> frozenset[str]:
        """The quarters within `date_window_quarters` of a date estimate's dates."""
        window = range(-self.date_window_quarters, self.date_window_quarters + 1)
        return frozenset(shift_period(date, quarters) for date in estimate.values for quarters in window)

    def _wanted(self, estimate: Estimate) -> dict[str, tuple[str, ...]]:
        """The `RowKey` values a limit must have (or leave empty) to be about `estimate`: a stack's
        estimates are about the parts of its ecosystem too."""
        out: dict[str, tuple[str, ...]] = {name: (value,) for name, value in estimate.ids.items()}
        if "ecosystem" in estimate.ids:
            out["accelerator"] = tuple(sorted({flow.ids["accelerator"] for flow in self.flows
                                               if flow.ids.get("ecosystem") == estimate.ids["ecosystem"]}))
        return out


def binding_limits(constraints: pd.DataFrame) -> tuple[Limit, ...]:
    """The binding limits of a prices table (`planner.answers.results.Tables.constraints`) with a price."""
    rows = constraints[constraints["binding"] & (constraints["shadow_price"].abs() > 0)]
    fields = [name for name in ("site", "hall", "source", "accelerator", "vendor", "ecosystem", "workload",
                                "offer", "year") if name in rows.columns]
    return tuple(
        Limit(str(row["family"]), {name: str(row[name]) for name in fields if row[name] not in ("", None)},
              abs(float(row["shadow_price"])), max(abs(float(row["lhs"])), abs(float(row["rhs"]))))
        for row in rows.to_dict("records"))
