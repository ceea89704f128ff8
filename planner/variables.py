"""The LP's variables (DESIGN's new, mod, gen, disp, lease, train, infer, inst) and the `Model`
that holds them with the PuLP problem, keyed by DESIGN's indices (see `planner.build`).

Variables are created family by family in one batch each; a family's ids are consecutive,
in key order, so numpy arrays of ids stand for whole families when rows are built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pulp import LpProblem, LpVariable, _rustcore

from planner.lp import F, Matrix, Rows, Variables
from planner.plan import Plan
from planner.rows import RowInfo

NewKey = tuple[int, int, str, int]
Category = Literal["Continuous", "Integer"]
FAMILIES = ("new", "mod", "gen", "disp", "lease", "train", "infer", "inst")


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


@dataclass
class Model:
    """The LP and its variables, keyed by DESIGN's indices."""

    pulp_problem: LpProblem | None
    """PuLP's problem; None once released after the hand-over to HiGHS (`release_pulp`)."""
    plan: Plan
    integer: bool
    new: Mapping[NewKey, LpVariable] = field(default_factory=dict)
    mod: Mapping[tuple[int, int, int], LpVariable] = field(default_factory=dict)
    gen: Mapping[tuple[int, int, int], LpVariable] = field(default_factory=dict)
    disp: Mapping[tuple[int, int, int], LpVariable] = field(default_factory=dict)
    lease: Mapping[tuple[int, int], LpVariable] = field(default_factory=dict)
    train: Mapping[tuple[str, int], LpVariable] = field(default_factory=dict)
    infer: Mapping[tuple[str, int], LpVariable] = field(default_factory=dict)
    rows: list[RowInfo] = field(default_factory=list)
    inst: Mapping[NewKey, LpVariable] = field(default_factory=dict)
    """Units in service per (s, h, c, t): the `new` of the last `life` quarters, kept as a
    stock variable (see `add_stock_constraints`) so that every row using it stays short."""
    first_id: dict[str, int] = field(default_factory=dict)
    """Variable id of each family's first variable; a family's ids are consecutive, in key order."""
    matrix: Matrix | None = None
    """The LP as arrays (the PuLP problem's twin), for a direct hand-over to HiGHS."""
    pool: list[str] = field(default_factory=list)
    """Accelerators that can be in service: bought, leased or already installed (catalog order)."""
    halls: list[tuple[int, int]] = field(default_factory=list)
    """(s, h) of every hall type, in site then hall order (position q)."""
    keys: Keys | None = None
    builder: Rows | None = None
    highs: Any = None
    """The solved `highspy.Highs` model (it holds the LP once PuLP's copy is released), or None."""

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the LP."""
        assert self.matrix is not None
        return self.matrix.shape

    @property
    def problem(self) -> LpProblem:
        if self.pulp_problem is None:
            raise RuntimeError("PuLP's copy of this LP was released when HiGHS took it over: "
                               "use Model.highs and Model.matrix, or build the model again")
        return self.pulp_problem

    def release_pulp(self) -> None:
        """Let go of PuLP's problem, its rows and variables, once HiGHS holds the LP: at the solve's
        peak, two copies of a 1.2M-nonzero LP cost ~120 MB. Keys, ids and the matrix stay."""
        for family in FAMILIES:
            variables = getattr(self, family)
            if isinstance(variables, Variables):
                variables.release()
        self.pulp_problem = None

    def ids(self, family: str) -> np.ndarray:
        """Variable ids of a family, in key order."""
        return np.arange(len(getattr(self, family)), dtype=np.int64) + self.first_id.get(family, 0)

    @property
    def k(self) -> Keys:
        assert self.keys is not None
        return self.keys

    @property
    def rows_builder(self) -> Rows:
        assert self.builder is not None
        return self.builder


def installed_units(plan: Plan, s: int, h: int, c: str) -> float:
    return sum(units for a, units in plan.sites[s].halls[h].installed if a == c)


def installed_it_mw(plan: Plan, s: int) -> float:
    """IT MW of the units already in service at site s (constant over the horizon)."""
    return sum(
        units * plan.catalog[a].unit_it_mw for hall in plan.sites[s].halls for a, units in hall.installed
    )


def _variables(model: Model, name: str, keys: list[Any], category: Category = "Continuous") -> Variables:
    """One non-negative variable per key tuple, created in one batch, named `name_k1_k2...`
    (as `LpProblem.add_variable_dict` names them)."""
    if not keys:
        return Variables(model.problem, [], 0)
    core = model.problem._model  # noqa: SLF001 - ids are creation positions
    first = model.first_id[name] = core.num_variables
    pattern = name + "_%s" * len(keys[0])
    rust_category = _rustcore.Category.Integer if category == "Integer" else _rustcore.Category.Continuous
    core.add_variables_batch([pattern % key for key in keys], 0, float("inf"), rust_category)
    return Variables(model.problem, keys, first)


def add_variables(model: Model) -> None:
    """Create new, mod, gen, disp, lease, train, infer and inst in batches."""
    plan = model.plan
    category: Category = "Integer" if model.integer else "Continuous"
    T = len(plan.periods)
    model.halls = [(s, h) for s, site in enumerate(plan.sites) for h in range(len(site.halls))]
    purchasable = [c for c in plan.accelerators if c.purchasable]
    blocks = []  # (q, accelerator, first t) of every (hall, accelerator) pair with variables
    for q, (s, h) in enumerate(model.halls):
        hall = plan.sites[s].halls[h]
        blocks += [(q, c, max(0, c.first_period)) for c in purchasable if hall.fits(c) and c.first_period < T]
    new_keys = [(*model.halls[q], c.id, t) for q, c, first in blocks for t in range(first, T)]
    model.new = _variables(model, "new", new_keys, category)
    mod_keys = [
        (s, h, t)
        for s, site in enumerate(plan.sites)
        for h, hall in enumerate(site.halls)
        if hall.max_modules > 0 and any(hall.fits(c) for c in purchasable)
        for t in range(hall.first_module_start, T - hall.lead_periods)
    ]
    model.mod = _variables(model, "mod", mod_keys, category)
    gen_keys = [
        (s, g, t)
        for s, site in enumerate(plan.sites)
        for g, source in enumerate(site.sources)
        if source.expansion is not None
        for t in range(source.expansion.first_start, T - source.expansion.lead_periods)
    ]
    model.gen = _variables(model, "gen", gen_keys)
    disp_keys = [
        (s, g, t)
        for s, site in enumerate(plan.sites)
        for g, source in enumerate(site.sources)
        for t in range(T)
        if source.available_mw[t] > 0
        or (source.expansion and t >= source.expansion.first_start + source.expansion.lead_periods)
    ]
    model.disp = _variables(model, "disp", disp_keys)
    allowed = {c.id for c in plan.accelerators}
    lease_keys = [
        (k, t)
        for k, offer in enumerate(plan.cloud_offers)
        if offer.accelerator in allowed
        for t in range(T)
        if offer.max_accelerators[t] > 0 and t >= plan.catalog[offer.accelerator].first_period
    ]
    model.lease = _variables(model, "lease", lease_keys)
    for (k, t), variable in model.lease.items():
        variable.upBound = plan.cloud_offers[k].max_accelerators[t]
    model.pool = _pool(model)
    train_keys = [(c, t) for c in model.pool if plan.catalog[c].trains for t in range(T)]
    infer_keys = [(c, t) for c in model.pool if plan.catalog[c].infers for t in range(T)]
    model.train = _variables(model, "train", train_keys)
    model.infer = _variables(model, "infer", infer_keys)
    model.inst = _variables(model, "inst", new_keys)
    model.keys = _keys(model, blocks, len(new_keys))


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
    ids |= {a for site in plan.sites for hall in site.halls for a, _ in hall.installed}
    return [c for c in plan.catalog if c in ids]


def accelerator_array(model: Model, value: Any) -> np.ndarray:
    """A number per accelerator of `Model.pool`: value(accelerator)."""
    return np.array([value(model.plan.catalog[c]) for c in model.pool], dtype=F)


def hall_array(model: Model, value: Any) -> np.ndarray:
    """A number per hall type of `Model.halls`: value(hall)."""
    return np.array([value(model.plan.sites[s].halls[h]) for s, h in model.halls], dtype=F)



def column_bounds(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper bound and integrality of every variable, by id."""
    n = model.problem._model.num_variables  # noqa: SLF001
    lower, upper = np.zeros(n), np.full(n, np.inf)
    if model.lease:
        upper[model.ids("lease")] = [model.plan.cloud_offers[k].max_accelerators[t] for k, t in model.lease]
    integer = np.zeros(n, dtype=bool)
    if model.integer:
        integer[model.ids("new")] = True
        integer[model.ids("mod")] = True
    return lower, upper, integer
