"""The limit families of the LP, each declared once: what it is, its unit, the step a person
thinks in, its words, and how it gives way when no plan fits.

Every stage that speaks of a family reads this registry: the builder names its rows after
`Family.name`, verification checks them under the same name, `planner.answers.explain` prices one step
of each, `planner.answers.diagnose` relaxes them in `Elastic.rank` order, and the reports print their
`title` and words. Adding a family means a builder function, a check in `planner.answers.verify`, one
entry here and one hand-solved test (docs/design.md, "Adding a limit family").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from planner.model.rows import RowKey


class Role(StrEnum):
    """What a family's rows do in the plan."""

    LIMIT = "limit"
    """Caps what the plan may do (power, space, money, supply): relaxed to close a gap."""
    TARGET = "target"
    """Asks for something (demand, minimum units or shares, committed spend): what falls short."""
    INTERNAL = "internal"
    """Ties the model together (stock balance, dispatch, assignment): no limit a user sets."""


@dataclass(frozen=True)
class Step:
    """One step of a family in a person's terms, and what taking it does, in words."""

    label: str
    """The step as written beside a price: `100 MW`, `$1B`, `1,000 units`, `point`."""
    size: float
    """Units of the row's right-hand side in one step (a share point is sized from the fleet)."""
    words: str
    """Taking one step, with {where} and {period} to fill: "100 MW more at {where} in {period}"."""


@dataclass(frozen=True)
class Elastic:
    """How a family gives way in the diagnosis of a plan that cannot be met."""

    normal: float
    """Units of the row's right-hand side in one normal step: penalties are per normal step."""
    rank: int
    """When limits give to meet every target, lower ranks give first (money before space before
    power before supply); targets have rank 0."""
    gap: str
    """The gap in words, with {amount}, {where} and {period}: "+{amount} at {where} in {period}"."""


@dataclass(frozen=True)
class Family:
    """One family of LP rows (or, for `site_power`, of limits summed over rows)."""

    name: str
    """As rows are named (`name__key__period`) and as `constraints.csv` lists them."""
    design: str
    """The limit of DESIGN.md it implements."""
    title: str
    """A few words for tables: `hall space`, `yearly budget`."""
    unit: str
    """Unit of its right-hand side: MW, USD, units, modules or PFLOPS."""
    role: Role
    step: Step | None = None
    elastic: Elastic | None = None
    full: str | None = None
    """The limit being full, in words, with {where} and {period} (the "because" of a gap)."""

    def words(self, template: str, key: RowKey, period: str, amount: str = "") -> str:
        """`template` (one of this family's) filled in: a key's parts read `site / hall`."""
        return template.format(where=key.label, period=period, amount=amount)


STOCK = Family("stock", "units in service (DESIGN's inst)", "units in service", "units", Role.INTERNAL)
KEPT = Family("kept", "12. retirement: installed units kept, or retired for good", "installed units kept", "units",
              Role.INTERNAL)
LOAD = Family("load", "2. site power: dispatch meets the facility load", "dispatch", "MW", Role.INTERNAL)
ASSIGN = Family("assign", "7. demand: accelerators assigned within the fleet", "assignment", "accelerators",
                Role.INTERNAL)
HALL = Family(
    "hall", "1. hall space", "hall space", "MW", Role.LIMIT,
    Step("100 MW", 100.0, "100 MW more hall space ({where}) in {period}"),
    Elastic(100.0, 2, "+{amount} of hall space at {where} in {period}"),
    full="hall space at {where} is full in {period}",
)
MODULES = Family(
    "modules", "1. hall space: modules built", "hall modules", "modules", Role.LIMIT,
    Step("module", 1.0, "one more {where} module"),
    Elastic(1.0, 2, "+{amount} at {where}"),
    full="every {where} module is built",
)
POWER = Family(
    "power", "2. site power: each source's average output (energy)", "power source", "MW", Role.LIMIT,
    Step("100 MW", 100.0, "100 MW more from {where} in {period}"),
    Elastic(100.0, 4, "+{amount} at {where} in {period}"),
    full="power from {where} is full in {period}",
)
SITE_POWER = Family(
    "site_power", "2. site power: all sources of a site (energy)", "site power", "MW", Role.LIMIT,
    Step("100 MW", 100.0, "100 MW more at {where} in {period}"),
)
EXPANSION = Family(
    "expansion", "2. site power: generation built on site", "generation build", "MW", Role.LIMIT,
    Step("100 MW", 100.0, "100 MW more buildable generation at {where}"),
    Elastic(100.0, 4, "+{amount} buildable generation at {where}"),
)
GENERATION_UNITS = Family(
    "generation_units", "2. site power: generation built in whole units of the source's size", "generation units",
    "MW", Role.INTERNAL,
)
"""MW built in a quarter = the source's unit_mw x the units built (`blk`, whole with whole units)."""
FIRM = Family(
    "firm", "8. firm power at design PUE", "firm power", "MW", Role.LIMIT,
    Step("100 MW", 100.0, "100 MW more firm power at {where} in {period}"),
    Elastic(100.0, 4, "+{amount} of firm power at {where} in {period}"),
    full="firm power at {where} is full in {period}",
)
FIRM_CHARGING = Family(
    "firm_charging", "8. firm power: a battery firms no more than the rest of the site can charge",
    "battery charging", "MW", Role.LIMIT,
    Step("100 MW", 100.0, "100 MW more power to charge the batteries at {where} in {period}"),
    Elastic(100.0, 4, "+{amount} of power to charge the batteries at {where} in {period}"),
    full="the batteries at {where} firm all that can charge them in {period}",
)
"""The peak draw within the firm MW of the site's other sources plus their rated MW: a battery's
firm share counts only as far as something can charge it (before any generation, not at all)."""
COOLING = Family(
    "cooling_{kind}", "9. cooling: {kind} heat rejection per hall type", "{kind} cooling", "MW", Role.LIMIT,
    Step("100 MW", 100.0, "100 MW more {kind} cooling ({where}) in {period}"),
    Elastic(100.0, 2, "+{amount} of {kind} cooling at {where} in {period}"),
    full="{kind} cooling at {where} is full in {period}",
)
"""Heat rejection per hall type, one family per kind (liquid loops, air handling) so that
each is priced and relaxed on its own: `of_kind(COOLING, "liquid")`."""
BUDGET = Family(
    "budget", "3. budget", "yearly budget", "USD", Role.LIMIT,
    Step("$1B", 1e9, "$1B more in the {where} budget"),
    Elastic(1e9, 1, "+{amount} of budget in {where}"),
    full="the {where} budget is spent",
)
MONEY_LIMIT = Family(
    "{kind}_budget", "13. money: {kind} limit per year", "{kind} limit", "USD", Role.LIMIT,
    Step("$1B", 1e9, "$1B more {kind} allowed in {where}"),
    Elastic(1e9, 1, "+{amount} of {kind} allowed in {where}"),
    full="the {where} {kind} limit is spent",
)
"""A yearly limit on one kind of spending (capex, opex), beside the `budget` on both."""


def of_kind(template: Family, kind: str) -> Family:
    """A family of `template`'s, its texts' `{kind}` filled in (the other fields stay to fill)."""
    def filled(text: str) -> str:
        return text.replace("{kind}", kind)

    step = template.step and replace(template.step, words=filled(template.step.words))
    elastic = template.elastic and replace(template.elastic, gap=filled(template.elastic.gap))
    return replace(template, name=filled(template.name), design=filled(template.design), title=filled(template.title),
                   step=step, elastic=elastic, full=template.full and filled(template.full))


COOLING_LIQUID, COOLING_AIR = of_kind(COOLING, "liquid"), of_kind(COOLING, "air")
CAPEX_BUDGET, OPEX_BUDGET = of_kind(MONEY_LIMIT, "capex"), of_kind(MONEY_LIMIT, "opex")
SUPPLY = Family(
    "supply", "4. supply", "vendor supply", "units", Role.LIMIT,
    Step("1,000 units", 1000.0, "1,000 more {where} units delivered in {period}"),
    Elastic(1000.0, 5, "+{amount} of {where} supply in {period}"),
    full="{where} supply is used up in {period}",
)
COMMITMENT_MIN = Family(
    "commitment_min", "5. vendor commitments: minimum spend", "vendor min spend", "USD", Role.TARGET,
    Step("$1B", 1e9, "$1B less committed spend with {where}"),
    Elastic(1e9, 0, "committed spend with {where} short by {amount}"),
)
COMMITMENT_MAX = Family(
    "commitment_max", "5. vendor commitments: maximum spend", "vendor max spend", "USD", Role.LIMIT,
    Step("$1B", 1e9, "$1B more allowed spend with {where}"),
    Elastic(1e9, 1, "+{amount} allowed spend with {where}"),
)
SHARE_MIN = Family(
    "share_min", "6. chip-mix policy: minimum share", "minimum share", "PFLOPS", Role.TARGET,
    Step("point", 1.0, "a minimum {where} share one point lower in {period}"),
    Elastic(1000.0, 0, "minimum {where} share in {period} short by {amount} of BF16 compute"),
)
SHARE_MAX = Family(
    "share_max", "6. chip-mix policy: maximum share", "maximum share", "PFLOPS", Role.LIMIT,
    Step("point", 1.0, "a maximum {where} share one point higher in {period}"),
    Elastic(1000.0, 3, "+{amount} of BF16 compute above the maximum {where} share in {period}"),
)
MIN_UNITS = Family(
    "min_units", "6. chip-mix policy: minimum units in service", "minimum units", "units", Role.TARGET,
    Step("1,000 units", 1000.0, "1,000 fewer required {where} units in {period}"),
    Elastic(1000.0, 0, "minimum {where} units in {period} short by {amount}"),
)
DEMAND = Family(
    "demand", "7. demand", "demand", "PFLOPS", Role.TARGET,
    Step("EFLOPS", 1000.0, "1 EFLOPS less {where} demand in {period}"),
    Elastic(1000.0, 0, "{where} demand in {period} is short by {amount}"),
)
CLUSTER = Family(
    "cluster", "15. training clusters: at least N accelerators of one family at one site",
    "training cluster size", "accelerators", Role.TARGET,
    Step("1,000 accelerators", 1000.0, "training clusters of {where} allowed 1,000 accelerators smaller in {period}"),
    Elastic(1000.0, 0, "the {where} training cluster in {period} is short by {amount}"),
)
CLUSTER_SPLIT = Family("cluster_split", "15. training clusters: a part's training, cluster by cluster",
                       "training by location", "accelerators", Role.INTERNAL)
CLUSTER_SITE = Family("cluster_site", "15. training clusters: what a location has in service",
                      "accelerators at a location", "accelerators", Role.INTERNAL)
CLUSTER_OPEN = Family("cluster_open", "15. training clusters: no training without a cluster",
                      "cluster open", "accelerators", Role.INTERNAL)
STACK_PARTS = Family(
    "stack_parts", "14. software stacks: a stack's parts only in a year it is in use", "parts of a stack",
    "units", Role.INTERNAL,
)
"""Units of a part bought in a quarter (accelerators, for a lease) within a bound times whether its
stack is in use that year: a part is never bought, nor leased, under a stack not in use."""
STACK_KEPT = Family("stack_kept", "14. software stacks: once adopted, kept", "stack kept", "stacks", Role.INTERNAL)
MAX_STACKS = Family(
    "max_stacks", "14. software stacks: at most so many in use", "software stacks", "stacks", Role.LIMIT,
    Step("stack", 1.0, "one more software stack allowed in {where}"),
    Elastic(1.0, 3, "+{amount} allowed in {where}"),
    full="as many software stacks as the policy allows are in use in {where}",
)

FAMILIES: dict[str, Family] = {family.name: family for family in (
    STOCK, KEPT, LOAD, ASSIGN, HALL, MODULES, COOLING_LIQUID, COOLING_AIR, POWER, SITE_POWER, EXPANSION,
    GENERATION_UNITS, FIRM, FIRM_CHARGING, BUDGET, CAPEX_BUDGET, OPEX_BUDGET, SUPPLY, COMMITMENT_MIN,
    COMMITMENT_MAX, SHARE_MIN, SHARE_MAX, MIN_UNITS, DEMAND, CLUSTER, CLUSTER_SPLIT, CLUSTER_SITE, CLUSTER_OPEN,
    STACK_PARTS, STACK_KEPT, MAX_STACKS,
)}
"""Every family by name, in DESIGN's order."""

PRICED = {name: family for name, family in FAMILIES.items() if family.step is not None}
"""Families whose binding rows are priced in a person's step."""
INTERNAL = frozenset(name for name, family in FAMILIES.items() if family.role == Role.INTERNAL)
TARGETS = frozenset(name for name, family in FAMILIES.items() if family.role == Role.TARGET)
ELASTIC = {name: family.elastic for name, family in FAMILIES.items() if family.elastic is not None}
"""Families relaxed when no plan fits, with how."""

ROW_SCALE_BY_UNIT = {"USD": 1e-5}
"""What the rows of a family in this unit are multiplied by where an LP goes to HiGHS's
interior-point method (`highs_run.IPM_FROM_COLUMNS`), and where a MILP goes to HiGHS (whose last
check holds each unscaled row to an absolute tolerance: `highs_run.row_scale`): money rows in units of $100k, beside MW
and units of 1-1,000. A 1,000-site plan's yearly budget of $2T (matrix up to 2e9, right-hand sides
up to 2e12) left the IPM without progress and its simplex clean-up running past 13 minutes. The
factor is measured, not derived (bench/README.md): with money rows in $100k that LP solves (96 IPM
iterations) and the 300-site one takes 85 iterations, against 84 in USD; in $M the 300-site LP
took 106, and in $k or $B the IPM stalled on one of the two. Values, duals and slacks come back in
the family's own unit (`planner.model.highs_run`). Smaller LPs go to simplex as built: their
tolerances are the ones the hand-solved tests and verification were written against."""
ROW_SCALE = {name: ROW_SCALE_BY_UNIT.get(family.unit, 1.0) for name, family in FAMILIES.items()}
"""Each family's factor of `ROW_SCALE_BY_UNIT`, by family name."""
