"""Shadow prices in the user's terms: what one more MW, $1B or 1,000 units of a limit is worth.

The solver's dual of a row is the change of the objective per unit of its right-hand side
(PFLOPS-quarters under max-compute, discounted USD under min-cost). Here each is scaled to a
step a person thinks in (100 MW, $1B, 1,000 units, one point of share) and put in a sentence:
"100 MW more at prometheus in 2026Q4 would add 4.80 EFLOPS-quarters of compute".
A limit with slack left has a price of zero, whatever noise the solver reports.

A large plan has hundreds of thousands of rows, most of them internal (`planner.model.families.INTERNAL`),
so the prices are kept as columns (`Prices`), one entry per limit, and a `LimitPrice` object is
made only for a limit that is ranked; a sentence is written only for a limit that binds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from planner import fmt
from planner.answers.accounting import Ledger
from planner.inputs.plan import Plan
from planner.model.families import PRICED, SITE_POWER, Step
from planner.model.rows import KEY_FIELDS, RowInfo, RowKey
from planner.tolerances import BINDING_SLACK, SOLVER_NOISE, STEP_VALUE_NOISE

Floats = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]
Texts = npt.NDArray[np.object_]
Objects = npt.NDArray[np.object_]


PRICE_COLUMNS = [
    "name", "family", "key", *KEY_FIELDS, "period", "sense", "lhs", "rhs", "slack", "shadow_price", "binding",
    "step_value", "step", "value_unit", "sentence", "solved_step_value", "step_value_method",
]
"""constraints.csv's columns, in order: `Prices`'s fields, with `where` as the dotted `key` and
one column per `RowKey` field ("" where it does not apply)."""
FLOAT_COLUMNS = frozenset({"lhs", "rhs", "slack", "shadow_price", "step_value", "solved_step_value"})


@dataclass(frozen=True)
class LimitPrice:
    """One limit (LP row, or a site's power summed over its sources) with its prices."""

    name: str
    family: str
    where: RowKey
    period: str
    sense: str
    lhs: float
    rhs: float
    slack: float
    shadow_price: float
    """The solver's dual: objective units per unit of right-hand side."""
    binding: bool
    step_value: float
    """What relaxing the limit by one step (`step`) is worth: PFLOPS-quarters gained under
    max-compute, USD saved under min-cost. Zero for a limit with slack."""
    step: str
    value_unit: str
    sentence: str
    solved_step_value: float | None = None
    """The same step's worth found by re-solving with the limit relaxed (see `planner.answers.ranging`);
    the sentence quotes it when present. It is lower than `step_value` when the step runs into
    another limit."""
    solved_how: str = ""
    """How `solved_step_value` was found: `RESOLVED` ("" when it was not re-solved)."""

    @property
    def key(self) -> str:
        """`where` as tables show it: `prometheus.tents`."""
        return str(self.where)

    @property
    def best_step_value(self) -> float:
        return self.step_value if self.solved_step_value is None else self.solved_step_value


@dataclass(frozen=True)
class Prices:
    """Every limit's prices as columns: the LP's rows in order, then a `site_power` line per site
    and quarter. Entry i of every column describes limit i, as `LimitPrice` does; text columns
    are "" and `solved_step_value` is NaN where a `LimitPrice` has "" and None."""

    name: Texts
    family: Texts
    where: Objects
    """Each limit's `RowKey`."""
    period: Texts
    sense: Texts
    lhs: Floats
    rhs: Floats
    slack: Floats
    shadow_price: Floats
    binding: Flags
    step_value: Floats
    step: Texts
    value_unit: Texts
    sentence: Texts
    solved_step_value: Floats
    solved_how: Texts

    def __len__(self) -> int:
        return len(self.name)

    def fields(self) -> dict[str, npt.NDArray[Any]]:
        """Every field by name."""
        return {field.name: getattr(self, field.name) for field in fields(self)}

    @property
    def step_value_method(self) -> Texts:
        """How each step value was found: `re-solved` (the whole step applied, the plan solved again as
        `plan optimize` solves it) or `marginal` (shadow price x step); "" where a limit has no
        priced step."""
        solved = ~np.isnan(self.solved_step_value)
        return np.where(solved, self.solved_how, np.where(self.sentence != "", "marginal", "")).astype(object)

    def columns(self) -> dict[str, npt.NDArray[Any]]:
        """Every column by name, in `PRICE_COLUMNS` order: `where` as texts."""
        keys = _key_columns(self.where)
        return {column: keys[column] if column in keys else getattr(self, column) for column in PRICE_COLUMNS}

    def limit(self, i: int) -> LimitPrice:
        """Limit i as one object."""
        solved = float(self.solved_step_value[i])
        return LimitPrice(
            name=str(self.name[i]), family=str(self.family[i]), where=self.where[i], period=str(self.period[i]),
            sense=str(self.sense[i]), lhs=float(self.lhs[i]), rhs=float(self.rhs[i]), slack=float(self.slack[i]),
            shadow_price=float(self.shadow_price[i]), binding=bool(self.binding[i]),
            step_value=float(self.step_value[i]), step=str(self.step[i]), value_unit=str(self.value_unit[i]),
            sentence=str(self.sentence[i]), solved_step_value=None if solved != solved else solved,
            solved_how=str(self.solved_how[i]),
        )

    def with_solved(self, name: str, value: float, words: str, how: str = "") -> Prices:
        """These prices with the limit called `name` re-solved (`how`: `RESOLVED` by default): its step
        is worth `value`, in `words`."""
        solved, sentences, hows = self.solved_step_value.copy(), self.sentence.copy(), self.solved_how.copy()
        chosen = self.name == name
        solved[chosen], sentences[chosen], hows[chosen] = value, words, how or RESOLVED
        return replace(self, solved_step_value=solved, sentence=sentences, solved_how=hows)


def step_of(family: str) -> Step:
    """The step a priced family is quoted in."""
    step = PRICED[family].step
    assert step is not None
    return step


def _is_binding(slack: float, rhs: float) -> bool:
    return abs(slack) <= BINDING_SLACK * max(1.0, abs(rhs))


def _share_total(plan: Plan, books: Ledger, period: str) -> float:
    """BF16 PFLOPS in service (availability-weighted) in a quarter: a share point's size x 100."""
    t = plan.periods.index(period)
    return sum(n * plan.catalog[c].bf16_pflops for (c, tt), n in books.fleet_accelerators.items() if tt == t)


MARGINAL = "marginal: the shadow price x the step, which holds for small steps only"
"""How a step value that was not re-solved is labelled wherever it is shown."""
RESOLVED = "re-solved"
"""`step_value_method` of a step re-solved as `plan optimize` solves the plan (what a what-if returns)."""


def sentence(plan: Plan, family: str, key: RowKey, period: str, value: float, resolved: bool = False) -> str:
    """One step of a limit and what it is worth: "would add" only for a value re-solved with the
    whole step applied (`resolved`); otherwise the value is labelled as marginal."""
    start = PRICED[family].words(step_of(family).words, key, period)
    if plan.objective.maximises:
        worth = f"{fmt.pflops(value)}-quarters of compute"
        verb = "would add"
    else:
        worth = fmt.usd(value) + (" (present value)" if plan.discount_rate > 0 else "")
        verb = "would save"
    if resolved:
        return f"{start} {verb} {worth}"
    return f"{start}: about {worth} ({MARGINAL})"


def price_limits(
    plan: Plan,
    books: Ledger,
    rows: Sequence[RowInfo],
    duals: dict[str, float],
    slacks: dict[str, float],
    binding_slacks: dict[str, float] | None = None,
) -> Prices:
    """Every row, plus a `site_power` line per site and quarter, with prices in the user's terms.
    `binding_slacks`: the slacks that decide whether a limit binds, when not `slacks` (whole units:
    those of the LP that priced the plan, `solve.SolveResult.binding_slacks`)."""
    value_unit = plan.objective.value_unit
    n = len(rows)
    name, family, sense = (_texts(rows, field) for field in ("name", "family", "sense"))
    rhs = np.fromiter(map(attrgetter("rhs"), rows), dtype=np.float64, count=n)
    slack, dual = _by_row(slacks, name), _by_row(duals, name)
    known = np.fromiter((f in PRICED for f in family.tolist()), dtype=np.bool_, count=n)
    # `_is_binding` on every row at once (fmax, as max(1.0, nan) is 1.0); an equality never binds.
    tolerance = BINDING_SLACK * np.fmax(1.0, np.abs(rhs))
    binding = (sense != "==") & (np.abs(slack) <= tolerance)
    if binding_slacks:
        # A whole plan can leave less than one rack or module of room in a limit that stops it (847 of
        # 847.5 racks of supply): the LP that priced it, units free, fills that limit, at a price.
        # A limit that LP fills at no price, while the plan leaves room in it, does not bind (330 MW
        # of solar unused).
        filled = (sense != "==") & (np.abs(_by_row(binding_slacks, name)) <= tolerance)
        binding |= filled & (np.abs(dual) > SOLVER_NOISE)
    priced = np.flatnonzero(binding & known & (dual == dual))
    scale = np.fromiter((_scale(plan, books, rows[i]) for i in priced.tolist()), dtype=np.float64, count=len(priced))
    step_value = np.zeros(n, dtype=np.float64)
    step_value[priced] = np.abs(dual[priced]) * scale
    # Only a binding limit of a known family has words: most rows (stock, load, assign) have none.
    sentences = np.full(n, "", dtype=object)
    for i in np.flatnonzero(binding & known).tolist():
        sentences[i] = sentence(plan, rows[i].family, rows[i].key, rows[i].period, float(step_value[i]))
    units = {f: step_of(f).label for f in PRICED}
    value_units = np.full(n, "", dtype=object)
    value_units[known] = value_unit
    prices = Prices(
        name=name, family=family, where=_texts(rows, "key"), period=_texts(rows, "period"), sense=sense,
        lhs=np.where(sense == "<=", rhs - slack, rhs + slack), rhs=rhs, slack=slack, shadow_price=dual,
        binding=binding, step_value=step_value,
        step=np.fromiter((units.get(f, "") for f in family.tolist()), dtype=object, count=n),
        value_unit=value_units, sentence=sentences, solved_step_value=np.full(n, np.nan),
        solved_how=np.full(n, "", dtype=object),
    )
    power = [i for i in np.flatnonzero(binding).tolist() if family[i] == "power"]
    return _concatenate(prices, _from_limits(_site_power(plan, books, _best_power(rows, dual, power), value_unit)))


def _texts(rows: Sequence[RowInfo], field: str) -> Texts:
    """One text field of every row."""
    return np.fromiter(map(attrgetter(field), rows), dtype=object, count=len(rows))


def _key_columns(where: Objects) -> dict[str, Texts]:
    """`key` (dotted) and one column per `RowKey` field, "" where a field does not apply. Rows of
    one limit share a `RowKey` object, so each distinct object is read once."""
    identity = np.fromiter(map(id, where.tolist()), dtype=np.int64, count=len(where))
    _, first, inverse = np.unique(identity, return_index=True, return_inverse=True)
    distinct = where[first].tolist()
    columns = {"key": np.array([str(k) for k in distinct] + [""], dtype=object)}
    for name in KEY_FIELDS:
        columns[name] = np.array([getattr(k, name) or "" for k in distinct] + [""], dtype=object)
    # The "" appended above keeps each array an object array of texts even with no rows.
    return {name: values[inverse.reshape(-1)] for name, values in columns.items()}


def _by_row(values: dict[str, float], name: Texts) -> Floats:
    """Each row's value, NaN where there is none: in one pass when `values` holds every row in
    the rows' order, as the solver's duals and slacks do."""
    names = name.tolist()
    if len(values) == len(names) and list(values) == names:
        return np.fromiter(values.values(), dtype=np.float64, count=len(names))
    return np.fromiter((values.get(n, float("nan")) for n in names), dtype=np.float64, count=len(names))


def _scale(plan: Plan, books: Ledger, row: RowInfo) -> float:
    """Natural units of a binding row's step per unit of its right-hand side."""
    if row.family.startswith("share_"):
        # d(objective)/d(share bound) = dual x total compute; one point is 1% of that.
        return 0.01 * _share_total(plan, books, row.period)
    return step_of(row.family).size


def _best_power(rows: Sequence[RowInfo], dual: Floats, power: list[int]) -> dict[tuple[str, str], float]:
    """The largest |dual| of a binding source row, by site and quarter."""
    best: dict[tuple[str, str], float] = defaultdict(float)
    for i in power:
        site = str(rows[i].key.site)
        best[site, rows[i].period] = max(best[site, rows[i].period], abs(float(dual[i])))
    return best


def _site_power(
    plan: Plan, books: Ledger, best_power: dict[tuple[str, str], float], value_unit: str
) -> list[LimitPrice]:
    """Each site's facility power against all its sources: the limit people talk about."""
    out = []
    for s, site in enumerate(plan.sites):
        where = RowKey(site=site.id)
        for t, period in enumerate(plan.periods):
            used = books.facility_mw(plan, s, t)
            available = sum(books.source_available_mw[s, g, t] for g in range(len(site.sources)))
            slack = available - used
            binding = _is_binding(slack, available)
            dual = best_power.get((site.id, period), 0.0) if binding else 0.0
            value = dual * step_of(SITE_POWER.name).size
            out.append(LimitPrice(
                name=f"site_power__{site.id}__{period}".replace("-", "_"), family="site_power", where=where,
                period=period, sense="<=", lhs=used, rhs=available, slack=slack, shadow_price=dual,
                binding=binding, step_value=value, step=step_of(SITE_POWER.name).label, value_unit=value_unit,
                sentence=sentence(plan, "site_power", where, period, value) if binding else "",
            ))
    return out


def _from_limits(limits: list[LimitPrice]) -> Prices:
    """A few limits, one object each, as columns."""
    columns: dict[str, npt.NDArray[Any]] = {}
    for column in (field.name for field in fields(Prices)):
        values = [getattr(p, column) for p in limits]
        if column == "where":
            columns[column] = np.empty(len(values), dtype=object)
            columns[column][:] = values
        elif column == "binding":
            columns[column] = np.array(values, dtype=np.bool_)
        elif column == "solved_step_value":
            columns[column] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        else:
            columns[column] = np.array(values, dtype=np.float64 if column in FLOAT_COLUMNS else object)
    return Prices(**columns)


def _concatenate(first: Prices, second: Prices) -> Prices:
    """The limits of `first`, then those of `second`."""
    return Prices(**{field: np.concatenate([values, getattr(second, field)])
                     for field, values in first.fields().items()})


def ranked(prices: Prices) -> list[LimitPrice]:
    """Binding limits worth something, most valuable step first; a site's power line stands
    for its sources' rows, so those are left out, and so is a limit whose whole step, re-solved,
    is worth nothing (its dual was one of several: another limit binds with it)."""
    solved = prices.solved_step_value
    worth = prices.binding & (prices.step_value > STEP_VALUE_NOISE) & ((solved != solved) | (solved > STEP_VALUE_NOISE))
    chosen = [prices.limit(i) for i in np.flatnonzero(worth).tolist() if prices.family[i] != "power"]
    return sorted(chosen, key=lambda p: (-p.best_step_value, p.family, p.key, p.period))
