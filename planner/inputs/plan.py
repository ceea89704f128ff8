"""Plan: the planning problem as plain, frozen domain objects, indexed by quarter.

Everything here is resolved: quarters are positions 0..T-1 on the horizon, phases are
per-quarter MW, every id named in the plan exists in the catalog. The LP builder, the
verifier and the reports read only this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from planner.objective import Objective

HOURS_PER_QUARTER = 8760.0 / 4


@dataclass(frozen=True)
class Accelerator:
    """A catalog entry, with its first quarter as a position on the horizon."""

    id: str
    name: str
    vendor: str
    ecosystem: str
    unit: str
    accelerators_per_unit: int
    unit_it_kw: float
    """IT power of the unit at the rack, as the catalog gives it (no fabric overhead)."""
    rack_kw: float
    bf16_pflops: float
    fp8_pflops: float
    hbm_gb: float
    unit_price_usd: float | None
    first_period: int
    """Position of the first available quarter; negative if before the horizon."""
    cooling: str
    trains: bool
    infers: bool
    life_periods: int
    commission_periods: int = 0
    """Quarters from delivery to service."""
    last_period: int | None = None
    """Position of the last quarter it can be bought (end of sale); None: sold to the end."""
    liquid_share: float = 0.0
    """Share of the rack's own heat carried by liquid (its fabric share is air-cooled)."""
    fabric_power_share: float = 0.0
    """The plan's network, storage and host overhead, as a share of the rack's IT power."""
    fabric_capex_share: float = 0.0
    """The same overhead as a share of the unit's price."""
    utilisation: float = 1.0
    """Share of dense peak sustained on real work, on a mature stack (MFU x goodput)."""
    family: str = ""
    """Parts of one family can train together as one cluster (the part's id by default)."""

    def pflops(self, precision: str) -> float:
        """Dense PFLOPS of one accelerator at `precision` (bf16 or fp8)."""
        return self.bf16_pflops if precision == "bf16" else self.fp8_pflops

    @property
    def unit_it_mw(self) -> float:
        """IT MW one unit brings to its site: the rack and its share of fabric."""
        return self.unit_it_kw * (1.0 + self.fabric_power_share) / 1000.0

    @property
    def liquid_heat_mw(self) -> float:
        """Heat one unit puts into liquid loops."""
        return self.unit_it_kw * self.liquid_share / 1000.0

    @property
    def air_heat_mw(self) -> float:
        """Heat one unit puts into the hall's air: the rest of the rack, and its fabric."""
        return self.unit_it_mw - self.liquid_heat_mw

    @property
    def overhead_it_mw(self) -> float:
        """Of `unit_it_mw`, the fabric's part."""
        return self.unit_it_kw * self.fabric_power_share / 1000.0

    @property
    def unit_capex_usd(self) -> float:
        """Capex of one unit: its price and its share of fabric (0 for a lease-only part)."""
        return (self.unit_price_usd or 0.0) * (1.0 + self.fabric_capex_share)

    @property
    def overhead_capex_usd(self) -> float:
        """Of `unit_capex_usd`, the fabric's part."""
        return (self.unit_price_usd or 0.0) * self.fabric_capex_share

    @property
    def purchasable(self) -> bool:
        return self.unit_price_usd is not None


@dataclass(frozen=True)
class Expansion:
    max_mw: float
    capex_usd_per_mw: float
    lead_periods: int
    first_start: int
    lease_usd_per_mw_year: float = 0.0
    """Leased from a partner (opex from the quarter it is online; no capex); 0: built by the plan."""
    price_note: str = ""
    """Where its price comes from, as the plan file's `sources.expansion` says (empty: not said)."""


@dataclass(frozen=True)
class PowerSource:
    id: str
    kind: str
    available_mw: tuple[float, ...]
    """Average MW the source delivers in each quarter, before any expansion (rating x capacity
    factor): what energy can come from it."""
    energy_usd_per_mwh: float
    expansion: Expansion | None
    rating_mw: tuple[float, ...] = ()
    """Rated MW in each quarter, before any expansion (empty: as `available_mw`)."""
    capacity_factor: float = 1.0
    """Average output / rating (also of what an expansion builds)."""
    firm_share: float = 1.0
    """Share of the rating that counts as firm: a variable source's capacity credit, a
    battery's duration over what the site declares (at most 1)."""
    unit_mw: float = 0.0
    """Largest single unit, for an N-1 reserve (0: not on-site generation)."""
    build_unit_mw: float = 0.0
    """What an expansion builds in whole units of: the plan's `unit_mw`, where it gives one for
    on-site generation (0: built in any amount; the N-1 default of one unit as large as the whole
    source is no size to build in)."""

    def rated_mw(self, t: int) -> float:
        """Rated MW in quarter t, before any expansion."""
        return self.rating_mw[t] if self.rating_mw else self.available_mw[t]

    def firm_mw(self, t: int) -> float:
        """Firm MW in quarter t, before any expansion."""
        return self.rated_mw(t) * self.firm_share

    @property
    def is_battery(self) -> bool:
        return self.kind == "battery"

    @property
    def generates_on_site(self) -> bool:
        """On-site generation: what an N-1 reserve covers (not the grid, not a battery)."""
        return self.kind not in ("grid", "battery")


@dataclass(frozen=True)
class InstalledLot:
    """Units of one part that went into service in one quarter before the horizon."""

    accelerator: str
    units: float
    since_period: int
    """Position of the quarter they went into service (negative: before the horizon)."""
    end_period: int
    """Position of the first quarter they no longer serve (since + life), > 0."""

    def serving_periods(self, count: int) -> range:
        """Quarters of the horizon (of `count`) in which they may still serve."""
        return range(min(count, self.end_period))

    def age_periods(self, t: int) -> int:
        """Quarters in service by the start of quarter t."""
        return t - self.since_period


@dataclass(frozen=True)
class Hall:
    id: str
    kind: str
    cooling: frozenset[str]
    max_rack_kw: float
    existing_it_mw: float
    module_it_mw: float
    module_capex_usd: float
    lead_periods: int
    max_modules: int
    first_module_start: int
    backup: str
    availability: float
    installed: tuple[InstalledLot, ...]
    """Units already in service when the horizon starts."""
    pue: float = 1.0
    """Annual PUE (the site's unless the hall type has its own): energy."""
    design_pue: float = 1.0
    """Design PUE at the hottest hour (the site's unless the hall type has its own): firm power."""
    rack_kw_margin: float = 0.0
    liquid_cooling_share: float | None = None
    """Liquid heat rejection per ready IT MW; None: not limited."""
    air_cooling_share: float | None = None
    """Air heat rejection per ready IT MW; None: not limited."""
    lease_usd_per_mw_year: float = 0.0
    """Leased from a partner, per IT MW (modules from ready, existing MW always); 0: built by the plan."""
    price_note: str = ""
    """Where its module price (or lease) comes from, as the plan file's `sources` says (empty: not said)."""

    def fits(self, accelerator: Accelerator) -> bool:
        """Whether units of `accelerator` can go into this hall (cooling kind, and rack density
        within the rating less its margin)."""
        return (accelerator.cooling in self.cooling
                and accelerator.rack_kw <= self.max_rack_kw * (1.0 - self.rack_kw_margin) + 1e-9)


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    location: str | None
    pue: float
    """Annual PUE; a hall type may have its own (`Hall.pue`)."""
    sources: tuple[PowerSource, ...]
    halls: tuple[Hall, ...]
    design_pue: float = 0.0
    """Design PUE (the annual one where the site gives none; see `design_pue_given`)."""
    design_pue_given: bool = True
    reserve: str = "none"
    """`n-1` or `none`."""
    largest_unit_mw: tuple[float, ...] = ()
    """Firm MW of the largest on-site generating unit that can run in each quarter."""
    reserve_mw: tuple[float, ...] = ()
    """Firm MW held back in each quarter: the largest on-site unit under N-1, else 0."""

    @property
    def firm_limit_says_more(self) -> bool:
        """Whether the firm power limit says more than the sources' energy limits: it does
        unless every hall type's design PUE is its annual one, every source counts as firm
        exactly what it delivers on average, and no reserve is held. Then its row would be the
        sum of the source rows, and two rows binding for one limit would split its shadow price,
        so the LP leaves it out (verification still checks it)."""
        return (any(hall.design_pue != hall.pue for hall in self.halls)
                or any(source.firm_share != source.capacity_factor for source in self.sources)
                or any(mw > 0 for mw in self.reserve_mw))

    def reserve_at(self, t: int) -> float:
        """MW held back for an N-1 reserve in quarter t (0 without one)."""
        return self.reserve_mw[t] if self.reserve_mw else 0.0

    def firm_mw(self, t: int) -> float:
        """Firm MW in quarter t before expansions, net of the reserve."""
        return sum(source.firm_mw(t) for source in self.sources) - self.reserve_at(t)

    @property
    def has_firm_batteries(self) -> bool:
        """Whether a battery counts toward its firm power (then what can charge it bounds that)."""
        return any(source.is_battery and source.firm_share > 0 for source in self.sources)

    def charged_firm_mw(self, t: int) -> float:
        """What is firm in quarter t before expansions, net of the reserve, if the batteries firm no
        more than the rest of the site's rated MW (what can charge them): that rest's firm MW plus
        its rated MW."""
        return sum(s.firm_mw(t) + s.rated_mw(t) for s in self.sources if not s.is_battery) - self.reserve_at(t)


@dataclass(frozen=True)
class ShareBound:
    group_kind: str
    """`vendor` or `ecosystem`."""
    group: str
    min_share: float
    max_share: float
    first_period: int


@dataclass(frozen=True)
class Commitment:
    vendor: str
    min_usd: float
    max_usd: float | None


@dataclass(frozen=True)
class MinUnits:
    accelerator: str
    units: float
    first_period: int


@dataclass(frozen=True)
class CloudOffer:
    id: str
    accelerator: str
    usd_per_accelerator_hour: float
    max_accelerators: tuple[float, ...]
    """Per quarter; 0 outside the offer's window."""


@dataclass(frozen=True)
class Retirement:
    """Early retirement of installed units (the plan file's `retirement`)."""

    early: bool = False
    resale_share_of_book: float = 0.0
    decommission_share: float = 0.0
    trade_in: bool = False
    """Resale credited against capex (else income outside the limits)."""


@dataclass(frozen=True)
class Stack:
    """A software stack: its maturity by quarter and the cost of adopting and running it."""

    id: str
    maturity: tuple[float, ...]
    """Share of a mature stack's throughput, per quarter."""
    in_use: bool
    """In use when the horizon starts (declared, or it has installed units)."""
    adoption_usd: float = 0.0
    adoption_periods: int = 0
    yearly_usd: float = 0.0

    @property
    def costs(self) -> bool:
        """Whether adopting or running it costs anything (else it is no decision)."""
        return self.adoption_usd > 0 or self.yearly_usd > 0 or self.adoption_periods > 0


@dataclass(frozen=True)
class Plan:
    """A resolved planning problem."""

    name: str
    title: str
    objective: Objective
    periods: tuple[str, ...]
    years: tuple[int, ...]
    """Calendar year of each quarter."""
    hours_per_period: float
    sites: tuple[Site, ...]
    catalog: dict[str, Accelerator]
    """Every catalog entry (installed units may be of any)."""
    accelerators: tuple[Accelerator, ...]
    """The accelerators the plan may buy or lease (policy allow/exclude applied)."""
    budget_usd: dict[int, float]
    """Yearly limit on capex + opex; years without an entry are unlimited."""
    training_pflops: tuple[float, ...]
    inference_pflops: tuple[float, ...]
    training_precision: str
    inference_precision: str
    training_weight: float
    inference_weight: float
    objective_precision: str
    """Precision max-compute counts compute in (demand uses each workload's own)."""
    discount_rate: float
    maintenance_share_per_year: float
    supply_units: dict[str, tuple[float | None, ...]]
    shares: tuple[ShareBound, ...]
    commitments: tuple[Commitment, ...]
    min_units: tuple[MinUnits, ...]
    cloud_offers: tuple[CloudOffer, ...]
    capex_budget_usd: dict[int, float] = field(default_factory=dict)
    """Yearly limit on capex alone."""
    opex_budget_usd: dict[int, float] = field(default_factory=dict)
    """Yearly limit on opex alone."""
    residual_value: str = "none"
    """`straight-line` or `none` (see the plan file's `residual_value`)."""
    fabric_power_share: float = 0.0
    """The plan's fabric shares (`fabric:`); a catalog entry may have its own."""
    fabric_capex_share: float = 0.0
    retirement: Retirement = Retirement()
    stacks: dict[str, Stack] = field(default_factory=dict)
    """Stacks the plan names, by id; a stack not named is mature and costs nothing."""
    max_stacks: int | None = None
    """At most this many stacks in use in any year."""
    cluster_min_accelerators: int = 0
    """Training only in clusters of at least this many accelerators of one family at one site
    (0: no clusters needed)."""
    cluster_first_period: int = 0
    """First quarter training needs clusters."""
    as_of: str | None = None
    """When the figures were current (`2026-06`): the plan's `as_of`, else its catalog's; None if neither says."""
    as_of_from: str | None = None
    """Where `as_of` came from: `plan` or `catalog`."""

    @property
    def horizon_years(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.years)))

    def discount_factor(self, t: int) -> float:
        """Present value of $1 spent in quarter t, at the plan's yearly discount rate."""
        return float((1.0 + self.discount_rate) ** (-t / 4.0))

    def pflops_of(self, accelerator: Accelerator, workload: str) -> float:
        """PFLOPS one accelerator delivers to `workload`, at that workload's precision."""
        precision = self.training_precision if workload == "training" else self.inference_precision
        return accelerator.pflops(precision)

    def maturity(self, ecosystem: str, t: int) -> float:
        """Share of a mature stack's throughput that `ecosystem` reaches in quarter t."""
        stack = self.stacks.get(ecosystem)
        return stack.maturity[t] if stack is not None else 1.0

    def effective_share(self, accelerator: Accelerator, t: int) -> float:
        """Effective / peak compute of `accelerator` in quarter t: its utilisation x its stack's
        maturity then."""
        return accelerator.utilisation * self.maturity(accelerator.ecosystem, t)

    def stacks_in_use(self) -> frozenset[str]:
        """Stacks (catalog ecosystems) in use when the horizon starts: those the plan declares in
        use, and those of the units installed before it, named in `stacks` or not."""
        installed = {self.catalog[lot.accelerator].ecosystem
                     for site in self.sites for hall in site.halls for lot in hall.installed}
        return frozenset(installed | {stack.id for stack in self.stacks.values() if stack.in_use})

    def adopted_by_choice(self, ecosystem: str) -> bool:
        """Whether a part of `ecosystem` can be bought or leased only in a year its stack is in use
        (limit 14): the stack is not in use when the horizon starts, and adopting it costs money or
        time (`Stack.costs`), or `max_stacks` counts it. A stack the plan does not name costs
        nothing, so it is a choice only under `max_stacks` (every ecosystem is a stack)."""
        if ecosystem in self.stacks_in_use():
            return False
        stack = self.stacks.get(ecosystem)
        return self.max_stacks is not None or (stack is not None and stack.costs)

    def stack_first_period(self, ecosystem: str) -> int:
        """First quarter a part of `ecosystem` can serve if its stack is adopted at the horizon's
        start: its adoption lead (0 for a stack not named)."""
        stack = self.stacks.get(ecosystem)
        return stack.adoption_periods if stack is not None else 0

    def adoption_period(self, ecosystem: str, year: int) -> int:
        """Quarter in which adopting `ecosystem`, to have it in use from `year` on, is decided and
        paid: its lead before the first quarter its parts can come in that year (the year's first
        quarter of the horizon, or the lead's end if later)."""
        first = self.years.index(year)
        lead = self.stack_first_period(ecosystem)
        return max(first, lead) - lead


@dataclass(frozen=True)
class LoadedPlan:
    """A plan and what it was read from (for provenance)."""

    plan: Plan
    files: tuple[Path, ...]
    catalog_files: tuple[Path, ...]
    digests: dict[Path, str] = field(default_factory=dict)
    """SHA-256 of the bytes parsed, by file in `files` (`Document.digests`)."""

    def sha256(self, path: Path) -> str:
        """The SHA-256 of input `path` as it was parsed (a plan from stdin has no file to hash again)."""
        if path in self.digests:
            return self.digests[path]
        import hashlib  # noqa: PLC0415

        return hashlib.sha256(path.read_bytes()).hexdigest()


def is_finite_limit(value: float | None) -> bool:
    """Whether a per-quarter cap is a real limit (None and infinity mean none)."""
    return value is not None and math.isfinite(value)
