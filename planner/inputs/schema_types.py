"""The building blocks of the input models (`planner.inputs.schema`): ids, quarters, one-line text,
quantities with units, bounds, and the strict base models every file's model derives from."""

from __future__ import annotations

import datetime
import re
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from planner.errors import KeyedValueError
from planner.inputs import units

PERIOD_PATTERN = re.compile(r"^(20[0-9]{2})Q([1-4])$")

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$", max_length=48)]
"""Lower-case letters, digits and single hyphens, such as `gb300-nvl72`."""

Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN.pattern)]
"""A quarter, written `2026Q3`."""

_ONE_LINE = r"^[^\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]*$"
Text = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_ONE_LINE)]
"""Free text on one line: no control characters, no bidirectional overrides (which can make a
name display as something else)."""


def _real_date(text: str) -> str:
    """A date written YYYY-MM-DD must exist (2026-02-30 does not); YYYY-MM is kept as written."""
    if len(text) == 10:
        try:
            datetime.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"expected a date that exists, found '{text}'") from None
    return text


AsOf = Annotated[str, StringConstraints(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])(-[0-3][0-9])?$"),
                 AfterValidator(_real_date)]
"""When the figures were current: an ISO date (`2026-06-15`) or a month (`2026-06`), kept as written."""


def _quantity_schema(unit: str, example: str) -> WithJsonSchema:
    """JSON Schema of a quantity: a number in `unit`, or a unit string such as `example`."""
    return WithJsonSchema({
        "anyOf": [{"type": "number"}, {"type": "string", "maxLength": 40, "examples": [example]}],
        "description": f"A number in {unit}, or a string with a unit such as '{example}'.",
    })


PowerMW = Annotated[float, BeforeValidator(units.to_mw), _quantity_schema("MW", "200 MW")]
PowerKW = Annotated[float, BeforeValidator(units.to_kw), _quantity_schema("kW", "132 kW")]
MoneyUSD = Annotated[float, BeforeValidator(units.to_usd), _quantity_schema("USD", "$2.5B")]
PriceUSDPerMWh = Annotated[float, BeforeValidator(units.to_usd_per_mwh), _quantity_schema("USD/MWh", "$79/MWh")]
PriceUSDPerKW = Annotated[float, BeforeValidator(units.to_usd_per_kw), _quantity_schema("USD/kW", "$4000/kW")]
PriceUSDPerHour = Annotated[float, BeforeValidator(units.to_usd_per_h), _quantity_schema("USD/h", "$4.5/h")]
ComputePFLOPS = Annotated[float, BeforeValidator(units.to_pflops), _quantity_schema("PFLOPS", "2.5 EFLOPS")]
Share = Annotated[float, Field(ge=0, le=1)]

MAX_POWER_MW = 50_000.0
MAX_USD = 5e12


def period_index(period: str) -> int:
    """A period's position on a single quarter axis: 2026Q1 -> 8104."""
    match = PERIOD_PATTERN.match(period)
    if match is None:
        raise ValueError(f"expected a quarter like 2026Q3, found {period!r}")
    return int(match[1]) * 4 + int(match[2]) - 1


def period_name(index: int) -> str:
    """The inverse of `period_index`."""
    return f"{index // 4}Q{index % 4 + 1}"


class StrictModel(BaseModel):
    """Base of every input model: strict types, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
        populate_by_name=True,
    )


class Sourced(StrictModel):
    """A model whose numbers cite where they come from."""

    sources: dict[str, Annotated[str, StringConstraints(min_length=3, max_length=600)]] = {}
    """Citation for each numeric key, by key name: `unit_it_kw: "[7] 120-132 kW per rack"`.
    Estimates say `estimate` and show the arithmetic."""

    @field_validator("sources")
    @classmethod
    def _sources_name_fields(cls, sources: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(sources) - set(cls.model_fields))
        if unknown:
            raise ValueError(f"sources name keys this entry does not have: {', '.join(unknown)}")
        return sources


def unique_ids(items: list[BaseModel], what: str, key: str) -> None:
    """Refuse a second entry of list `key` with the same id; the error points at that entry's id."""
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        item_id = getattr(item, "id", None)
        field = "id" if item_id is not None else "accelerator"
        item_id = item_id or getattr(item, "accelerator", None)
        if isinstance(item_id, str) and item_id in seen:
            raise KeyedValueError(f"duplicate {what} id: expected a new id, found '{item_id}' again (first at "
                                  f"{key}[{seen[item_id]}])", (key, index, field))
        if isinstance(item_id, str):
            seen[item_id] = index
