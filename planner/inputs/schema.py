"""Pydantic models mirroring the YAML of plan files and catalogs, nothing more.

Every model forbids unknown keys, refuses NaN, infinity and booleans where numbers are due,
and bounds every number. Quantities accept a number in the unit the key names, or a unit
string (`"1 GW"`, `"$2.5B"`), converted by `planner.inputs.units`. Cross-references (an accelerator
id named in a policy, say) are checked later, in `planner.inputs.resolve`, against the catalog.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import (
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from planner.inputs.loading import MAX_SITES
from planner.inputs.schema_types import (
    MAX_POWER_MW as MAX_POWER_MW,
)
from planner.inputs.schema_types import (
    MAX_USD as MAX_USD,
)
from planner.inputs.schema_types import (
    PERIOD_PATTERN as PERIOD_PATTERN,
)
from planner.inputs.schema_types import (  # the building blocks, re-exported where they were
    AsOf as AsOf,
)
from planner.inputs.schema_types import (
    ComputePFLOPS as ComputePFLOPS,
)
from planner.inputs.schema_types import (
    Id as Id,
)
from planner.inputs.schema_types import (
    MoneyUSD as MoneyUSD,
)
from planner.inputs.schema_types import (
    Period as Period,
)
from planner.inputs.schema_types import (
    PowerKW as PowerKW,
)
from planner.inputs.schema_types import (
    PowerMW as PowerMW,
)
from planner.inputs.schema_types import (
    PriceUSDPerHour as PriceUSDPerHour,
)
from planner.inputs.schema_types import (
    PriceUSDPerKW as PriceUSDPerKW,
)
from planner.inputs.schema_types import (
    PriceUSDPerMWh as PriceUSDPerMWh,
)
from planner.inputs.schema_types import (
    Share as Share,
)
from planner.inputs.schema_types import (
    Sourced as Sourced,
)
from planner.inputs.schema_types import (
    StrictModel as StrictModel,
)
from planner.inputs.schema_types import (
    Text as Text,
)
from planner.inputs.schema_types import (
    period_index as period_index,
)
from planner.inputs.schema_types import (
    period_name as period_name,
)
from planner.inputs.schema_types import (
    unique_ids as unique_ids,
)
from planner.inputs.site_schema import (
    VARIABLE_KINDS as VARIABLE_KINDS,
)
from planner.inputs.site_schema import (  # a site's models, re-exported where they were
    Expansion as Expansion,
)
from planner.inputs.site_schema import (
    HallType as HallType,
)
from planner.inputs.site_schema import (
    Installed as Installed,
)
from planner.inputs.site_schema import (
    PowerPhase as PowerPhase,
)
from planner.inputs.site_schema import (
    PowerSource as PowerSource,
)
from planner.inputs.site_schema import (
    Site as Site,
)

# --- catalog ---------------------------------------------------------------------------------


class Accelerator(Sourced):
    """One catalog entry: an accelerator and the unit it is bought in (a rack or a server)."""

    id: Id
    name: Text
    vendor: Id
    """Who sells it: nvidia, amd, google, meta, aws."""
    ecosystem: Id
    """Its software stack: cuda, rocm, xla, mtia, neuron."""
    unit: Text
    """What one deployment unit is, e.g. 'NVL72 rack' or 'DGX B200 server'."""
    accelerators_per_unit: int = Field(ge=1, le=100_000)
    unit_it_kw: PowerKW = Field(gt=0, le=2_000)
    """All-in IT power of one unit at the rack: chips, hosts, switches, fans (before PUE)."""
    rack_kw: PowerKW = Field(gt=0, le=2_000)
    """Power density of one rack as deployed; a hall must allow at least this."""
    bf16_pflops: float = Field(gt=0, le=1_000)
    """Dense BF16 PFLOPS per accelerator."""
    fp8_pflops: float = Field(gt=0, le=1_000)
    """Dense FP8 PFLOPS per accelerator."""
    hbm_gb: float = Field(gt=0, le=10_000)
    """HBM (or main accelerator memory) per accelerator, GB."""
    unit_price_usd: MoneyUSD | None = Field(default=None, gt=0, le=1e9)
    """Price of one unit; absent for accelerators that can only be leased."""
    first_available: Period
    """First quarter units can be delivered."""
    last_available: Period | None = None
    """Last quarter units can be bought (end of sale); none: still sold at the horizon's end."""
    units_per_quarter: float | None = Field(default=None, ge=0, le=10_000_000)
    """Units one buyer can get per quarter, by default (sourced or an estimate with its
    arithmetic); a plan's `supply:` overrides it in the quarters it names. None: not capped."""
    cooling: Literal["air", "liquid"]
    """Cooling the unit needs; liquid units only fit halls with liquid cooling."""
    liquid_share: Share | None = None
    """Share of the unit's heat its liquid loop carries away; the rest goes to the hall's air.
    By default 0 for air-cooled units and `LIQUID_SHARE_ESTIMATE` for liquid-cooled ones."""
    fabric_power_share: float | None = Field(default=None, ge=0, le=1)
    """This part's own scale-out network, storage and host overhead, as a share of its IT power,
    where it differs from the plan's `fabric` (a part with its own optical fabric, say)."""
    fabric_capex_share: float | None = Field(default=None, ge=0, le=2)
    """The same overhead as a share of its price, where it differs from the plan's `fabric`."""
    workloads: list[Literal["training", "inference"]] = Field(min_length=1, max_length=2)
    life_quarters: int = Field(default=20, ge=1, le=60)
    """Service life; a unit that starts serving in quarter t serves through t + life - 1."""
    ramp: list[Share] = Field(default=[], max_length=8)
    """Share of a plan's supply cap for this part that can be delivered in each of its first
    quarters of availability (`[0.25, 0.5, 0.75]`: a quarter of full volume in the first
    quarter, and so on); full volume after. Scales the plan's `supply:`; a part the plan gives
    no supply for is not capped."""
    commission_quarters: int = Field(default=0, ge=0, le=8)
    """Quarters from delivery to service (installation, burn-in, acceptance): a unit delivered
    in t takes hall space from t and draws power and delivers compute from t + this."""
    family: Id | None = None
    """Parts that can train together as one coherent cluster (one scale-out fabric, one
    software build): the part's own id by default."""
    utilisation: float | None = Field(default=None, gt=0, le=1)
    """Share of its dense peak the part sustains over wall-clock time on real work (model FLOPS
    utilisation x goodput), on a mature software stack: what makes peak FLOPS effective.
    `UTILISATION_ESTIMATE` by default."""

    @field_validator("workloads")
    @classmethod
    def _distinct_workloads(cls, workloads: list[str]) -> list[str]:
        if len(set(workloads)) != len(workloads):
            raise ValueError("workloads must not repeat")
        return workloads

    @model_validator(mode="after")
    def _sold_after_it_ships(self) -> Self:
        if self.last_available is not None and period_index(self.last_available) < period_index(self.first_available):
            raise ValueError(f"`last_available` ({self.last_available}) is before `first_available` "
                             f"({self.first_available})")
        return self


UTILISATION_ESTIMATE = 0.36
"""Estimate from Meta's Llama 3 405B run on 16,384 H100 (public-figures.md [48]): 380-430 of
989 dense BF16 TFLOPS per GPU = 38-43% model FLOPS utilisation, midpoint 0.40, times >90%
effective training time (goodput, after 466 interruptions in 54 days) = 0.40 x 0.90 = 0.36.
No other part has a published figure at scale; the same base applies to all, and a software
stack's `maturity` carries the difference between stacks."""

LIQUID_SHARE_ESTIMATE = 0.85
"""Estimate (no figure in the reference): direct-to-chip racks such as GB200 NVL72 carry the
GPUs', CPUs' and switch ASICs' heat in liquid, ~80-90% of the rack; fans, power supplies,
NICs and memory leave the rest to air. Midpoint 0.85."""


class CatalogFile(Sourced):
    """An accelerator catalog file: the built-in one, or one given with `--catalog`."""

    mode: Literal["extend", "replace"] = "extend"
    """`extend`: entries replace built-in ones of the same id and add new ones;
    `replace`: the file is the whole catalog."""
    as_of: AsOf | None = None
    """When the catalog's figures were current (`2026-06`): reports say "figures as of" it, unless the
    plan gives its own `as_of`. A date from the inputs, never the clock, so reruns are byte-identical."""
    accelerators: list[Accelerator] = Field(min_length=1, max_length=1_000)

    @model_validator(mode="after")
    def _ids_unique(self) -> Self:
        unique_ids(list(self.accelerators), "accelerator", "accelerators")
        return self


# --- plan ------------------------------------------------------------------------------------


class Horizon(StrictModel):
    start: Period
    end: Period

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        quarters = period_index(self.end) - period_index(self.start) + 1
        if quarters < 1:
            raise ValueError(f"`end` ({self.end}) is before `start` ({self.start})")
        if quarters > 80:
            raise ValueError(f"expected at most 80 quarters, found {quarters}")
        return self


class BudgetYear(Sourced):
    """Spending limits for one calendar year: capex plus opex, capex, opex (any of them)."""

    year: int = Field(ge=2000, le=2099)
    limit_usd: MoneyUSD | None = Field(default=None, ge=0, le=MAX_USD)
    """Capex plus opex."""
    capex_limit_usd: MoneyUSD | None = Field(default=None, ge=0, le=MAX_USD)
    """Capex alone (units, hall modules, generation): what capex guidance speaks of."""
    opex_limit_usd: MoneyUSD | None = Field(default=None, ge=0, le=MAX_USD)
    """Opex alone (energy, leases, upkeep)."""

    @model_validator(mode="after")
    def _some_limit(self) -> Self:
        if self.limit_usd is None and self.capex_limit_usd is None and self.opex_limit_usd is None:
            raise ValueError("a budget year needs `limit_usd`, `capex_limit_usd` or `opex_limit_usd`")
        return self


class DemandStep(StrictModel):
    """From `from` on, at least `pflops` of compute (until the next step)."""

    start: Period = Field(alias="from")
    pflops: ComputePFLOPS = Field(ge=0, le=1e9)


class TrainingClusters(Sourced):
    """Training needs coherent clusters: one part family at one site (or one cloud offer), at
    least `min_accelerators` of it on the job; compute outside such clusters serves inference."""

    min_accelerators: int = Field(ge=1, le=10_000_000)
    """Accelerators of one family at one site that one training cluster needs at the least."""
    start: Period | None = Field(default=None, alias="from")
    """First quarter training needs clusters; the horizon's start by default."""


class Demand(Sourced):
    """Compute that must be delivered each quarter, by workload."""

    training: list[DemandStep] = Field(default=[], max_length=200)
    inference: list[DemandStep] = Field(default=[], max_length=200)
    training_precision: Literal["bf16", "fp8"] = "bf16"
    inference_precision: Literal["bf16", "fp8"] = "fp8"
    training_clusters: TrainingClusters | None = None
    """Training served only by coherent clusters (a MILP: one binary per site, family and
    quarter); absent: any accelerator able to train counts toward training."""

    @model_validator(mode="after")
    def _steps_in_order(self) -> Self:
        for name in ("training", "inference"):
            starts = [period_index(step.start) for step in getattr(self, name)]
            if starts != sorted(set(starts)):
                raise ValueError(f"{name} steps must be in order of `from`, one per quarter")
        return self


class ShareBound(StrictModel):
    """Bounds on the share of compute (BF16 PFLOPS in service) of a vendor or ecosystem."""

    vendor: Id | None = None
    ecosystem: Id | None = None
    min_share: Share = 0.0
    max_share: Share = 1.0
    start: Period | None = Field(default=None, alias="from")
    """First quarter the bound applies; the horizon's start by default."""

    @model_validator(mode="after")
    def _one_group(self) -> Self:
        if (self.vendor is None) == (self.ecosystem is None):
            raise ValueError("name exactly one of `vendor` or `ecosystem`")
        if self.min_share > self.max_share:
            raise ValueError("`min_share` is above `max_share`")
        return self


class Commitment(Sourced):
    """Spend with a vendor over the horizon (units bought and leased)."""

    vendor: Id
    min_usd: MoneyUSD = Field(default=0.0, ge=0, le=MAX_USD)
    max_usd: MoneyUSD | None = Field(default=None, ge=0, le=MAX_USD)


class MinUnits(StrictModel):
    """At least `units` of an accelerator in service from quarter `by` on."""

    accelerator: Id
    units: float = Field(gt=0, le=10_000_000)
    by: Period


class Policy(StrictModel):
    """Chip-mix rules."""

    max_stacks: int | None = Field(default=None, ge=1, le=20)
    """At most this many software stacks in use in any year (see `stacks`)."""
    allow: list[Id] | None = None
    """Only these accelerators may be bought or leased (all by default)."""
    exclude: list[Id] = []
    shares: list[ShareBound] = Field(default=[], max_length=100)
    commitments: list[Commitment] = Field(default=[], max_length=100)
    min_units: list[MinUnits] = Field(default=[], max_length=1_000)


class Supply(Sourced):
    """How many units of an accelerator the vendor can deliver per quarter."""

    accelerator: Id
    units_per_quarter: float = Field(ge=0, le=10_000_000)
    start: Period | None = Field(default=None, alias="from")
    until: Period | None = None

    @model_validator(mode="after")
    def _window_in_order(self) -> Self:
        window_in_order(self.start, self.until)
        return self


def window_in_order(start: str | None, until: str | None) -> None:
    """Refuse a window of quarters that ends (`until`) before it starts (`from`).

    Raises:
        ValueError: `until` is before `from`.
    """
    if start is not None and until is not None and period_index(until) < period_index(start):
        raise ValueError(f"expected `until` no earlier than `from` ({start}), found {until}")


class CloudOffer(Sourced):
    """Leased accelerators: no site power, paid per accelerator-hour."""

    id: Id
    accelerator: Id
    usd_per_accelerator_hour: PriceUSDPerHour = Field(gt=0, le=10_000)
    max_accelerators: float = Field(gt=0, le=100_000_000)
    start: Period | None = Field(default=None, alias="from")
    until: Period | None = None

    @model_validator(mode="after")
    def _window_in_order(self) -> Self:
        window_in_order(self.start, self.until)
        return self


FABRIC_POWER_SHARE_ESTIMATE = 0.07
"""Estimate (no public figure is specific): per 132 kW GB200 NVL72 rack, its share of two
tiers of scale-out switches (~4 kW), their optics (72 x 2 ports x ~15 W = ~2 kW), storage
(~1.5 kW) and CPU servers for control (~1.5 kW) = ~9 kW, 9 / 132 = 0.068 -> 0.07."""
FABRIC_CAPEX_SHARE_ESTIMATE = 0.16
"""Estimate from Bernstein's shares of a GB200-era GW (public-figures.md [49]): networking 13%
less the NICs and DPUs inside the rack (~5%, estimate) plus storage ~1.25% = 9.25% of all-in
capex, against the rack's compute hardware $3.4M of $5.9M all-in = 58%: 9.25 / 58 = 0.16."""


class Fabric(Sourced):
    """What each rack brings beyond itself: its share of scale-out network, storage and CPU
    servers, as fractions of the rack's own IT power and price."""

    power_share: float = Field(default=0.0, ge=0, le=1)
    """Extra IT power per unit of rack IT power (0.07: a 132 kW rack brings 9.2 kW more)."""
    capex_share: float = Field(default=0.0, ge=0, le=2)
    """Extra capex per unit of rack price (0.12: a $3.9M rack brings $0.47M of fabric)."""


RESALE_SHARE_OF_BOOK_ESTIMATE = 0.5
"""Estimate (no public figure for rack-scale systems): a used accelerator sells for about half
its straight-line book value once dealer margin, de-installation risk and the discount of an
out-of-warranty part are taken; used H100 servers traded near half of new in 2025 at two to
three years of age, about their book value of 40-60%, so the share is a midpoint, not a quote."""
DECOMMISSION_SHARE_ESTIMATE = 0.02
"""Estimate: de-cabling, draining liquid loops, data sanitisation and freight of a rack, ~2%
of its price (a $3.9M GB300 rack: ~$80k, some 2-3 technician-weeks plus freight)."""


class Retirement(Sourced):
    """Retiring units before their end of life: what a unit sold early fetches, what taking it
    out costs. Applies to units in service when the horizon starts (`installed`)."""

    early: bool = True
    """Whether the plan may retire installed units early (freeing their power and space)."""
    resale_share_of_book: Share = RESALE_SHARE_OF_BOOK_ESTIMATE
    """A retired unit's sale price as a share of its straight-line book value at that age."""
    decommission_share: float = Field(default=DECOMMISSION_SHARE_ESTIMATE, ge=0, le=1)
    """Cost of taking one unit out, as a share of its price (opex)."""
    trade_in: bool = False
    """Whether what a retired unit fetches is credited against the year's capex (a vendor's
    trade-in: it funds new racks within the capex limit); else it is income outside every
    limit, which the objective nets like the residual value."""


class MaturityStep(StrictModel):
    """From `from` on, a software stack delivers `factor` of what a mature stack would."""

    start: Period = Field(alias="from")
    factor: float = Field(gt=0, le=1)


class Stack(Sourced):
    """A software stack (an `ecosystem` of the catalog: cuda, rocm, xla, mtia, neuron): how much
    of a part's utilisation it realises, and what running it costs."""

    id: Id
    maturity: list[MaturityStep] = Field(default=[], max_length=80)
    """Share of a mature stack's throughput its parts reach, by quarter (1 before the first step
    and where not given): kernels, compilers and libraries still catching up."""
    in_use: bool = False
    """Adopted before the horizon: its team and tools exist (a stack with installed units is)."""
    adoption_usd: MoneyUSD = Field(default=0.0, ge=0, le=MAX_USD)
    """One-off cost of adopting it: porting, tooling, hiring (opex, in the year adoption starts)."""
    adoption_quarters: int = Field(default=0, ge=0, le=20)
    """Quarters from the decision to adopt to its first part in service."""
    yearly_usd: MoneyUSD = Field(default=0.0, ge=0, le=MAX_USD)
    """Cost per year of running it while in use (its engineers and licences; opex)."""

    @model_validator(mode="after")
    def _steps_in_order(self) -> Self:
        starts = [period_index(step.start) for step in self.maturity]
        if starts != sorted(set(starts)):
            raise ValueError("maturity steps must be in order of `from`, one per quarter")
        return self


class Weights(StrictModel):
    """How `max-compute` counts compute: a weight per workload, at one precision for both (so
    that FP8 inference does not count double against BF16 training)."""

    training: float = Field(default=1.0, ge=0, le=1_000)
    inference: float = Field(default=1.0, ge=0, le=1_000)
    precision: Literal["bf16", "fp8"] = "bf16"


class PlanFile(Sourced):
    """A plan file: horizon, sites, budget, demand, policy."""

    name: Id
    """Short name; reports go to `reports/<name>/`."""
    title: Text
    description: Annotated[
        str, StringConstraints(max_length=4_000, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]*$")
    ] | None = None
    horizon: Horizon
    as_of: AsOf | None = None
    """When the plan's figures were current (`2026-06` or `2026-06-15`); replaces the catalog's `as_of` in
    the reports' "figures as of"."""
    objective: Literal["max-compute", "min-cost"] = "max-compute"
    weights: Weights = Weights()
    discount_rate: float = Field(default=0.0, ge=0, le=0.5)
    """Yearly rate by which `min-cost` discounts later spending."""
    maintenance_share_per_year: float = Field(default=0.0, ge=0, le=0.5)
    """Yearly upkeep of units in service, as a share of their price (opex)."""
    fabric: Fabric = Fabric()
    """Network, storage and host overhead of every purchased unit (none by default)."""
    residual_value: Literal["straight-line", "none"] = "straight-line"
    """What is left of what the plan bought when the horizon ends, netted from its cost in the
    objective so that a purchase late in the horizon is not charged in full: `straight-line`
    (book value of what is in service then, over each asset's life), or `none`."""
    retirement: Retirement = Retirement()
    """Early retirement of installed units (allowed by default, at estimated resale and cost)."""
    stacks: list[Stack] = Field(default=[], max_length=20)
    """Software stacks: maturity, and the cost of adopting and running each. A stack not listed
    is mature and free, and needs no adoption."""
    sites: list[Site] = Field(min_length=1, max_length=MAX_SITES)
    budget: list[BudgetYear] = Field(default=[], max_length=100)
    demand: Demand = Demand()
    policy: Policy = Policy()
    supply: list[Supply] = Field(default=[], max_length=10_000)
    cloud_offers: list[CloudOffer] = Field(default=[], max_length=1_000)
    catalog: list[Accelerator] = Field(default=[], max_length=1_000)
    """Accelerators added to (or replacing, by id) the built-in catalog for this plan."""

    @model_validator(mode="after")
    def _ids_unique(self) -> Self:
        unique_ids(list(self.sites), "site", "sites")
        unique_ids(list(self.cloud_offers), "cloud offer", "cloud_offers")
        unique_ids(list(self.catalog), "accelerator", "catalog")
        unique_ids(list(self.stacks), "stack", "stacks")
        years = [entry.year for entry in self.budget]
        if len(set(years)) != len(years):
            raise ValueError("budget years must not repeat")
        return self
