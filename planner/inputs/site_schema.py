"""The input models of a site: its power sources (phases, expansion) and hall types (modules,
installed lots, leases), as `sites:` entries and site files hold them."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from planner import fmt
from planner.inputs.schema_types import (
    MAX_POWER_MW,
    MAX_USD,
    Id,
    MoneyUSD,
    Period,
    PowerKW,
    PowerMW,
    PriceUSDPerKW,
    PriceUSDPerMWh,
    Share,
    Sourced,
    StrictModel,
    Text,
    period_index,
    unique_ids,
)

# --- sites -----------------------------------------------------------------------------------


class PowerPhase(StrictModel):
    """From `online` on, the source delivers `available_mw` (replacing any earlier phase)."""

    online: Period
    available_mw: PowerMW = Field(ge=0, le=MAX_POWER_MW)


class Expansion(StrictModel):
    """Capacity the plan may add at this source (a variable of the LP): built and paid for by
    the plan (`capex_usd_per_kw`), or built by a partner and leased (`lease_usd_per_kw_year`)."""

    max_mw: PowerMW = Field(gt=0, le=MAX_POWER_MW)
    capex_usd_per_kw: PriceUSDPerKW | None = Field(default=None, ge=0, le=100_000)
    """Build cost per kW, paid evenly over the lead quarters (capex); what is built keeps a
    book value at the horizon's end."""
    lease_usd_per_kw_year: PriceUSDPerKW | None = Field(default=None, gt=0, le=10_000)
    """Instead of `capex_usd_per_kw`: a partner builds it and the plan pays this much per kW a
    year (`$150/kW`), as opex, in every quarter from the one it is online to the horizon's end;
    no capex, no residual value."""
    lead_quarters: int = Field(ge=0, le=40)
    """Quarters from the start of building to first power."""
    first_start: Period | None = None

    @model_validator(mode="after")
    def _built_or_leased(self) -> Self:
        if (self.capex_usd_per_kw is None) == (self.lease_usd_per_kw_year is None):
            found = "both" if self.capex_usd_per_kw is not None else "neither"
            raise ValueError("an expansion needs exactly one of `capex_usd_per_kw` (built by the plan) or "
                             f"`lease_usd_per_kw_year` (built by a partner, leased as opex); found {found}")
        return self


VARIABLE_KINDS = frozenset({"solar", "wind"})
"""Sources whose output follows the weather: firm only at their capacity credit."""


class PowerSource(Sourced):
    """Grid interconnect, on-site generation or a battery at a site.

    A firm source (grid, gas, nuclear, other) delivers its rating at any hour; a variable one
    (solar, wind) delivers its rating x `capacity_factor` on average and counts toward the
    firm power limit only at `capacity_credit`; a battery adds no energy and counts as firm
    for the hours its `duration_h` covers of what the site declares (`firm_duration_h`).
    """

    id: Id
    kind: Literal["grid", "gas", "solar", "wind", "nuclear", "battery", "other"]
    phases: list[PowerPhase] = Field(default=[], max_length=200)
    """Rated MW by quarter (a variable source's nameplate, a battery's discharge rating); each
    phase replaces the one before."""
    energy_usd_per_mwh: PriceUSDPerMWh = Field(ge=0, le=10_000)
    capacity_factor: Share | None = None
    """Average output / rating: the energy a variable source delivers. Required for solar
    and wind; 1 for firm sources; 0 for a battery (it stores energy, it does not make it)."""
    capacity_credit: Share | None = None
    """Share of the rating that counts toward the firm power limit: 1 for firm sources by
    default, 0 for variable ones (the hour of the peak may be a windless night)."""
    unit_mw: PowerMW | None = Field(default=None, gt=0, le=MAX_POWER_MW)
    """Largest single unit (turbine, engine block) of on-site generation: what an N-1
    reserve holds back (the whole source by default: one unit), and what an expansion is built in
    whole units of (in any amount where the source gives none)."""
    duration_h: float | None = Field(default=None, gt=0, le=1_000)
    """Hours a battery sustains its rating (MWh = rating x hours). Batteries only."""
    expansion: Expansion | None = None

    @model_validator(mode="after")
    def _phases_in_order(self) -> Self:
        onlines = [period_index(p.online) for p in self.phases]
        if onlines != sorted(set(onlines)):
            raise ValueError("phases must be in order of `online`, one per quarter")
        if not self.phases and self.expansion is None:
            raise ValueError("a power source needs `phases`, an `expansion`, or both")
        if self.kind in VARIABLE_KINDS and self.capacity_factor is None:
            raise ValueError(f"a {self.kind} source needs `capacity_factor` (average output / rating, "
                             "e.g. 0.22 for solar in Louisiana)")
        if (self.kind == "battery") != (self.duration_h is not None):
            raise ValueError("`duration_h` is for batteries, and every battery needs one")
        if self.kind == "battery" and self.capacity_factor not in (None, 0.0):
            raise ValueError("a battery makes no energy: leave out `capacity_factor`")
        return self


class Installed(StrictModel):
    """Units already in service in a hall when the horizon starts."""

    accelerator: Id
    units: float = Field(gt=0, le=10_000_000)
    since: Period
    """Quarter the units went into service: they retire at the end of their life (the catalog's
    `life_quarters` from then), or earlier if the plan retires them (`retirement`)."""


class HallType(Sourced):
    """Where racks live: conventional buildings or tent-style prefab modules."""

    id: Id
    kind: Literal["building", "tent"]
    cooling: list[Literal["air", "liquid"]] = Field(min_length=1, max_length=2)
    """Cooling the hall provides; liquid-cooled units need `liquid`."""
    max_rack_kw: PowerKW = Field(gt=0, le=2_000)
    """Rated power and cooling per rack position."""
    rack_kw_margin: Share = 0.0
    """Headroom kept below `max_rack_kw`: a unit fits if its rack kW <= max_rack_kw x (1 - margin)."""
    liquid_cooling_share: float | None = Field(default=None, ge=0, le=2)
    """Heat the hall's liquid loops reject, as a share of its ready IT MW (0.9: 90 MW of liquid
    heat in a 100 MW hall); absent: not limited beyond the `cooling` kinds."""
    air_cooling_share: float | None = Field(default=None, ge=0, le=2)
    """Heat the hall's air handling rejects, as a share of its ready IT MW; absent: not limited."""
    existing_it_mw: PowerMW = Field(default=0.0, ge=0, le=MAX_POWER_MW)
    """IT MW of this hall type ready before the horizon starts."""
    module_it_mw: PowerMW | None = Field(default=None, gt=0, le=MAX_POWER_MW)
    """IT MW one new module adds."""
    module_capex_usd: MoneyUSD = Field(default=0.0, ge=0, le=MAX_USD)
    """Cost of one module (shell, power and cooling plant, not IT)."""
    lease_usd_per_mw_year: MoneyUSD | None = Field(default=None, gt=0, le=1e8)
    """Halls of this type are leased from a partner, not built: USD per IT MW a year (`$1.2M`),
    paid as opex by each module from the quarter it is ready to the horizon's end (and by
    `existing_it_mw` in every quarter). A leased module has no capex (leave out
    `module_capex_usd`) and no residual value."""
    lead_quarters: int = Field(default=0, ge=0, le=40)
    """Quarters from starting a module to racks going in."""
    max_modules: int = Field(default=0, ge=0, le=100_000)
    first_module_start: Period | None = None
    """Earliest quarter a module can be started."""
    backup: Literal["generators", "none"] = "generators"
    pue: float | None = Field(default=None, ge=1.0, le=3.0)
    """Annual PUE of this hall type where it differs from the site's."""
    design_pue: float | None = Field(default=None, ge=1.0, le=3.0)
    """Design (peak-hour) PUE of this hall type where it differs from the site's."""
    availability: float = Field(default=1.0, gt=0, le=1)
    """Share of hours racks deliver compute; below 1 for halls without backup power."""
    installed: list[Installed] = Field(default=[], max_length=1_000)

    @model_validator(mode="after")
    def _modules_complete(self) -> Self:
        if self.max_modules > 0 and self.module_it_mw is None:
            raise ValueError("`max_modules` > 0 needs `module_it_mw`")
        if self.lease_usd_per_mw_year is not None and self.module_capex_usd > 0:
            raise ValueError("a leased hall type (`lease_usd_per_mw_year`) is not built by the plan: leave out "
                             f"`module_capex_usd` (found {fmt.usd(self.module_capex_usd)} a module)")
        if self.pue is not None and self.design_pue is not None and self.design_pue < self.pue:
            raise ValueError(f"`design_pue` ({self.design_pue:g}) is below the annual `pue` ({self.pue:g}): "
                             "the hottest hour needs at least the average")
        return self


class Site(Sourced):
    """A campus: its PUEs, power sources, reserve policy and halls."""

    id: Id
    name: Text
    location: Text | None = None
    pue: float = Field(ge=1.0, le=3.0)
    """Annual PUE (facility energy / IT energy): sizes energy use and its cost."""
    design_pue: float | None = Field(default=None, ge=1.0, le=3.0)
    """Design PUE, at the hottest hour: sizes the firm power limit. The annual `pue` when
    absent (and the report says so)."""
    reserve: Literal["n-1", "none"] = "none"
    """`n-1`: the largest on-site generating unit is held in reserve (it does not count as
    firm); `none`: the site accepts the risk, and reports show the racks exposed."""
    firm_duration_h: float | None = Field(default=None, gt=0, le=1_000)
    """Hours a battery must sustain its rating to count fully as firm (say, the night a solar
    site rides through); a shorter battery counts pro rata. Needed where there is a battery."""
    power_sources: list[PowerSource] = Field(min_length=1, max_length=100)
    halls: list[HallType] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _ids_unique(self) -> Self:
        unique_ids(list(self.power_sources), "power source", "power_sources")
        unique_ids(list(self.halls), "hall", "halls")
        if self.design_pue is not None and self.design_pue < self.pue:
            raise ValueError(f"`design_pue` ({self.design_pue:g}) is below the annual `pue` ({self.pue:g}): "
                             "the hottest hour needs at least the average")
        if any(s.kind == "battery" for s in self.power_sources) and self.firm_duration_h is None:
            raise ValueError("a site with a battery needs `firm_duration_h`: the hours a battery must cover "
                             "to count as firm power")
        return self
