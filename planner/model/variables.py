"""The LP's columns (DESIGN's new, mod, gen and its whole units blk, disp, lease, train, infer, inst,
use) and the `Model` that holds them with the linear program, keyed by DESIGN's indices (see
`planner.model.build`).

Columns are numbered family by family; a family's columns are consecutive, in key order, so
numpy arrays of column ids stand for whole families when rows are built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.inputs.plan import Plan
from planner.model.lp import ColumnFamily, F, LinearProgram, Rows
from planner.model.rows import RowInfo, RowKey
from planner.model.size import purchase_blocks
from planner.model.solution import NewKey

FAMILIES = ("new", "mod", "gen", "blk", "disp", "lease", "train", "infer", "inst", "keep", "retire", "ctrain",
            "cluster", "use")


@dataclass
class Keys:
    """`new` and `inst` share their keys (s, h, c, t); these are them as arrays, in variable order."""

    q: np.ndarray
    """Hall type's position among all sites' halls (`Model.halls`)."""
    s: np.ndarray
    c: np.ndarray
    """Position in `Model.pool`."""
    t: np.ndarray
    first: np.ndarray
    """First quarter of the key's (s, h, c): keys of one (s, h, c) are consecutive, one per quarter."""


@dataclass(frozen=True)
class Serving:
    """Every column of units in service, one entry per (s, h, c, t): the plan's own (`inst`)
    and the installed base kept (`keep`); rows that count units in service take both."""

    q: np.ndarray
    s: np.ndarray
    c: np.ndarray
    """Position in `Model.pool`."""
    t: np.ndarray
    column: np.ndarray


Location = tuple[str, int]
"""("site", s) or ("cloud", k): where a training cluster runs."""


def location_key(plan: Plan, location: int, **fields: str) -> RowKey:
    """The key of a row about training location `location` (sites first, then cloud offers,
    as `Model.locations` lists them), with `fields` (an accelerator, a part family)."""
    sites = len(plan.sites)
    if location < sites:
        return RowKey(site=plan.sites[location].id, **fields)
    return RowKey(offer=plan.cloud_offers[location - sites].id, **fields)

LotKey = tuple[int, int, int, int]
"""(site, hall, lot, quarter) of `keep` and `retire`: lot is the position in `Hall.installed`."""


@dataclass
class Model:
    """The LP and its columns, keyed by DESIGN's indices."""

    plan: Plan
    integer: bool
    new: list[NewKey] = field(default_factory=list)
    mod: list[tuple[int, int, int]] = field(default_factory=list)
    gen: list[tuple[int, int, int]] = field(default_factory=list)
    blk: list[tuple[int, int, int]] = field(default_factory=list)
    """Whole units of on-site generation started in quarter t, keyed as `gen`: for an expansion whose
    source has a unit size (`gen` = unit_mw x blk, whole with whole units: a 743 MW combined-cycle
    block is built whole or not at all)."""
    disp: list[tuple[int, int, int]] = field(default_factory=list)
    lease: list[tuple[int, int]] = field(default_factory=list)
    train: list[tuple[str, int]] = field(default_factory=list)
    infer: list[tuple[str, int]] = field(default_factory=list)
    inst: list[NewKey] = field(default_factory=list)
    """Units in service per (s, h, c, t): the `new` of the last `life` quarters, kept as a
    stock column (see `add_stock_constraints`) so that every row using it stays short."""
    keep: list[LotKey] = field(default_factory=list)
    """Units of an installed lot still in service in quarter t (until the end of its life)."""
    retire: list[LotKey] = field(default_factory=list)
    """Units of an installed lot retired early at the start of quarter t."""
    locations: list[Location] = field(default_factory=list)
    """Where a training cluster can be: each site, then each cloud offer."""
    ctrain: list[tuple[int, str, int]] = field(default_factory=list)
    """Accelerators of c at location l assigned to training in quarter t, keyed (l, c, t): only
    where the plan needs training clusters."""
    cluster: list[tuple[int, str, int]] = field(default_factory=list)
    """1 if location l trains on a cluster of family f in quarter t, keyed (l, f, t) (binary)."""
    use: list[tuple[str, int]] = field(default_factory=list)
    """Whether a software stack is in use in a calendar year, keyed (ecosystem, year): binary,
    for the stacks adopted by choice (`planner.model.stacks`)."""
    first_id: dict[str, int] = field(default_factory=dict)
    """Column of each family's first key; a family's columns are consecutive, in key order."""
    columns: int = 0
    """Columns created so far."""
    lp: LinearProgram | None = None
    pool: list[str] = field(default_factory=list)
    """Accelerators that can be in service: bought, leased or already installed (catalog order)."""
    halls: list[tuple[int, int]] = field(default_factory=list)
    """(s, h) of every hall type, in site then hall order (position q)."""
    keys: Keys | None = None
    builder: Rows | None = None
    served: Serving | None = None
    highs: Any = None
    """The solved `highspy.Highs` model, kept for re-solves (ranging, IIS), or None."""

    @property
    def linear_program(self) -> LinearProgram:
        assert self.lp is not None
        return self.lp

    @property
    def rows(self) -> Sequence[RowInfo]:
        return self.linear_program.rows

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the LP."""
        return self.linear_program.shape

    def ids(self, family: str) -> np.ndarray:
        """Columns of a family, in key order."""
        return np.arange(len(getattr(self, family)), dtype=np.int64) + self.first_id.get(family, 0)

    def column_families(self) -> list[ColumnFamily]:
        return [ColumnFamily(name, self.first_id.get(name, 0), getattr(self, name)) for name in FAMILIES]

    @property
    def k(self) -> Keys:
        assert self.keys is not None
        return self.keys

    @property
    def serving(self) -> Serving:
        """Columns of units in service: `inst`, then `keep` (made once, after the columns)."""
        if self.served is None:
            self.served = self._serving()
        return self.served

    def _serving(self) -> Serving:
        k = self.k
        position = {c: i for i, c in enumerate(self.pool)}
        hall_of = {pair: q for q, pair in enumerate(self.halls)}
        plan = self.plan
        keep_q = np.array([hall_of[s, h] for s, h, _, _ in self.keep], dtype=np.int64)
        keep_c = np.array([position[plan.sites[s].halls[h].installed[lot].accelerator]
                           for s, h, lot, _ in self.keep], dtype=np.int64)
        keep_t = np.array([t for *_, t in self.keep], dtype=np.int64)
        site_of = np.array([s for s, _ in self.halls], dtype=np.int64)
        return Serving(
            q=np.concatenate([k.q, keep_q]),
            s=np.concatenate([k.s, site_of[keep_q] if len(keep_q) else keep_q]),
            c=np.concatenate([k.c, keep_c]), t=np.concatenate([k.t, keep_t]),
            column=np.concatenate([self.ids("inst"), self.ids("keep")]),
        )

    @property
    def rows_builder(self) -> Rows:
        assert self.builder is not None
        return self.builder


def number_columns(model: Model, name: str, keys: list[Any]) -> list[Any]:
    """One non-negative column per key, numbered on from the columns made so far."""
    model.first_id[name] = model.columns
    model.columns += len(keys)
    return keys


def add_variables(model: Model) -> None:
    """Create new, mod, gen, blk, disp, lease, train, infer and inst in batches."""
    plan = model.plan
    T = len(plan.periods)
    model.halls = [(s, h) for s, site in enumerate(plan.sites) for h in range(len(site.halls))]
    purchasable = [c for c in plan.accelerators if c.purchasable]
    blocks = purchase_blocks(plan, model.halls)  # (q, accelerator, first t) of every pair with variables
    new_keys = [(*model.halls[q], c.id, t) for q, c, first in blocks for t in range(first, T)]
    model.new = number_columns(model, "new", new_keys)
    mod_keys = [
        (s, h, t)
        for s, site in enumerate(plan.sites)
        for h, hall in enumerate(site.halls)
        if hall.max_modules > 0 and any(hall.fits(c) for c in purchasable)
        for t in range(hall.first_module_start, T - hall.lead_periods)
    ]
    model.mod = number_columns(model, "mod", mod_keys)
    gen_keys = [
        (s, g, t)
        for s, site in enumerate(plan.sites)
        for g, source in enumerate(site.sources)
        if source.expansion is not None
        for t in range(source.expansion.first_start, T - source.expansion.lead_periods)
    ]
    model.gen = number_columns(model, "gen", gen_keys)
    blk_keys = [(s, g, t) for s, g, t in gen_keys if plan.sites[s].sources[g].build_unit_mw > 0]
    model.blk = number_columns(model, "blk", blk_keys)
    disp_keys = [
        (s, g, t)
        for s, site in enumerate(plan.sites)
        for g, source in enumerate(site.sources)
        if source.capacity_factor > 0  # a battery stores energy; it makes none
        for t in range(T)
        if source.available_mw[t] > 0
        or (source.expansion and t >= source.expansion.first_start + source.expansion.lead_periods)
    ]
    model.disp = number_columns(model, "disp", disp_keys)
    allowed = {c.id for c in plan.accelerators}
    lease_keys = [
        (k, t)
        for k, offer in enumerate(plan.cloud_offers)
        if offer.accelerator in allowed
        for t in range(T)
        if offer.max_accelerators[t] > 0 and t >= plan.catalog[offer.accelerator].first_period
    ]
    model.lease = number_columns(model, "lease", lease_keys)
    model.pool = _pool(model)
    train_keys = [(c, t) for c in model.pool if plan.catalog[c].trains for t in range(T)]
    infer_keys = [(c, t) for c in model.pool if plan.catalog[c].infers for t in range(T)]
    model.train = number_columns(model, "train", train_keys)
    model.infer = number_columns(model, "infer", infer_keys)
    model.inst = number_columns(model, "inst", new_keys)
    model.keys = _keys(model, blocks, len(new_keys))
    lot_keys = [(s, h, i, t) for s, site in enumerate(plan.sites) for h, hall in enumerate(site.halls)
                for i, lot in enumerate(hall.installed) for t in lot.serving_periods(T)]
    model.keep = number_columns(model, "keep", lot_keys)
    model.retire = number_columns(model, "retire", list(lot_keys))
    _add_cluster_variables(model)


def _add_cluster_variables(model: Model) -> None:
    """ctrain and cluster, where the plan needs training clusters: for each location, each part
    that can train there (in service at a site, or leased from an offer), from the first
    quarter clusters are needed."""
    plan = model.plan
    T = len(plan.periods)
    model.locations = [("site", s) for s in range(len(plan.sites))] + [
        ("cloud", k) for k in range(len(plan.cloud_offers))]
    if plan.cluster_min_accelerators <= 0:
        model.ctrain = number_columns(model, "ctrain", [])
        model.cluster = number_columns(model, "cluster", [])
        return
    live = model.serving
    at_site = set(zip(live.s.tolist(), live.c.tolist(), strict=True))
    leased = {k for k, _ in model.lease}
    pairs = [(s, model.pool[c]) for s, c in sorted(at_site)]
    pairs += [(len(plan.sites) + k, plan.cloud_offers[k].accelerator) for k in sorted(leased)]
    pairs = [(loc, c) for loc, c in pairs if plan.catalog[c].trains]
    quarters = range(plan.cluster_first_period, T)
    model.ctrain = number_columns(model, "ctrain", [(loc, c, t) for loc, c in pairs for t in quarters])
    families = sorted({(loc, plan.catalog[c].family) for loc, c in pairs})
    model.cluster = number_columns(model, "cluster", [(loc, f, t) for loc, f in families for t in quarters])


def _keys(model: Model, blocks: list[tuple[int, Any, int]], count: int) -> Keys:
    """The (q, s, c, t, first t) arrays of the new/inst keys, from their (hall, accelerator) blocks."""
    T = len(model.plan.periods)
    position = {c: i for i, c in enumerate(model.pool)}
    lengths = np.array([T - first for _, _, first in blocks], dtype=np.int64)
    block_of = np.repeat(np.arange(len(blocks)), lengths)
    starts = np.cumsum(lengths) - lengths
    firsts = np.array([first for _, _, first in blocks], dtype=np.int64)
    q = np.array([b[0] for b in blocks], dtype=np.int64)[block_of]
    site_of = np.array([s for s, _ in model.halls], dtype=np.int64)
    return Keys(
        q=q, s=site_of[q] if len(q) else q,
        c=np.array([position[c.id] for _, c, _ in blocks], dtype=np.int64)[block_of],
        t=np.arange(count, dtype=np.int64) - starts[block_of] + firsts[block_of],
        first=firsts[block_of],
    )


def _pool(model: Model) -> list[str]:
    """Accelerators that can be in service: bought, leased or already installed (catalog order)."""
    plan = model.plan
    ids = {c for (_, _, c, _) in model.new}
    ids |= {plan.cloud_offers[k].accelerator for (k, _) in model.lease}
    ids |= {lot.accelerator for site in plan.sites for hall in site.halls for lot in hall.installed}
    return [c for c in plan.catalog if c in ids]


def accelerator_array(model: Model, value: Any) -> np.ndarray:
    """A number per accelerator of `Model.pool`: value(accelerator)."""
    return np.array([value(model.plan.catalog[c]) for c in model.pool], dtype=F)


def hall_array(model: Model, value: Any) -> np.ndarray:
    """A number per hall type of `Model.halls`: value(hall)."""
    return np.array([value(model.plan.sites[s].halls[h]) for s, h in model.halls], dtype=F)



def column_bounds(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper bound and integrality of every variable, by id."""
    n = model.columns
    lower, upper = np.zeros(n), np.full(n, np.inf)
    if model.lease:
        upper[model.ids("lease")] = [model.plan.cloud_offers[k].max_accelerators[t] for k, t in model.lease]
    if model.new:
        # Nothing is bought after a part's end of sale (`new` keeps its keys to the horizon's end,
        # which `inst` shares, so the quarters after it are held at zero).
        never = len(model.plan.periods)
        last = accelerator_array(model, lambda a: never if a.last_period is None else a.last_period)
        upper[model.ids("new")[model.k.t > last[model.k.c]]] = 0.0
    if model.keep:
        lots = [model.plan.sites[s].halls[h].installed[i] for s, h, i, _ in model.keep]
        upper[model.ids("keep")] = [lot.units for lot in lots]
        upper[model.ids("retire")] = [lot.units if model.plan.retirement.early else 0.0 for lot in lots]
    integer = np.zeros(n, dtype=bool)
    # Whether a cluster trains is yes or no whatever `--integer` says: half a cluster is no cluster.
    upper[model.ids("cluster")] = 1.0
    integer[model.ids("cluster")] = True
    if model.integer:
        for family in ("new", "mod", "blk", "keep", "retire"):  # `planner.model.whole`: whole units and modules
            integer[model.ids(family)] = True
    return lower, upper, integer
