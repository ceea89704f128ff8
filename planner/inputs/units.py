"""Unit strings in input files ("1 GW", "$2.5B", "$79/MWh") to one canonical float.

A string is first matched by a strict pattern (a number, then at most two short unit words),
so nothing hostile (`9**9**9 W`, a 10 kB string) ever reaches the unit library; pint then
converts it and checks its dimension, so energy where power is due is refused.
Plain numbers are taken as already in the unit the key names (`it_mw: 200`).
"""

from __future__ import annotations

import functools
import math
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pint

_NUMBER = r"(?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]{1,3})?)"
_WORD = r"[A-Za-z]{1,8}"
_MONEY = re.compile(
    rf"^\s*(?P<sign>-)?\s*\$\s*{_NUMBER}\s*(?P<scale>k|K|M|B|bn|T)?\s*"
    rf"(?:/\s*(?P<per>{_WORD}))?\s*$"
)
_QUANTITY = re.compile(
    rf"^\s*(?P<sign>-)?{_NUMBER}\s*(?P<unit>{_WORD}(?:\s*/\s*{_WORD})?)\s*$"
)
_MONEY_SCALE = {None: 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9, "T": 1e12}
_MAX_STRING_CHARS = 40

# Dimension names for messages, keyed by pint's dimensionality string.
_DIMENSION_NAMES = {
    "[power]": "power",
    "[power] * [time]": "energy",
    "[currency]": "money",
    "[currency] / [power] / [time]": "an energy price",
    "[currency] / [time]": "an hourly price",
    "[currency] / [power]": "a price per unit of power",
    "[compute]": "compute",
    "[time]": "time",
}


@functools.cache
def _registry() -> pint.UnitRegistry:
    """A small registry of only the units planner reads (fast to build, no surprises)."""
    import pint  # noqa: PLC0415  (imported on first use: most files hold plain numbers)

    registry = pint.UnitRegistry(None)
    for definition in (
        "kilo- = 1e3 = k-",
        "mega- = 1e6 = M-",
        "giga- = 1e9 = G-",
        "tera- = 1e12 = T-",
        "peta- = 1e15 = P-",
        "exa- = 1e18 = E-",
        "watt = [power] = W",
        "hour = [time] = h",
        "watt_hour = watt * hour = Wh",
        "dollar = [currency] = USD",
        "flops = [compute] = FLOPS",
    ):
        registry.define(definition)
    return registry


def _describe(dimensionality: object) -> str:
    text = str(dimensionality)
    return _DIMENSION_NAMES.get(text, text)


def _convert(value: Any, target_unit: str, example: str) -> float:
    """Convert a number or unit string to `target_unit`; raise ValueError saying what was wrong."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number or a string like '{example}', found a boolean")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise ValueError(
            f"expected a number or a string like '{example}', found {type(value).__name__}"
        )
    if len(value) > _MAX_STRING_CHARS:
        raise ValueError(f"expected a string like '{example}', found {len(value)} characters")
    quantity = _parse(value, example)
    registry = _registry()
    target = registry.parse_units(target_unit)
    if quantity.dimensionality != target.dimensionality:
        raise ValueError(
            f"expected {_describe(target.dimensionality)} like '{example}', "
            f"found {_describe(quantity.dimensionality)} '{value}'"
        )
    number = float(quantity.to(target).magnitude)
    if not math.isfinite(number):
        raise ValueError(f"expected a finite amount like '{example}', found '{value}'")
    return number


def _parse(text: str, example: str) -> pint.Quantity:
    import pint  # noqa: PLC0415

    registry = _registry()
    if money := _MONEY.match(text):
        number = float(money["number"]) * _MONEY_SCALE[money["scale"]]
        unit = "USD" if money["per"] is None else f"USD / {money['per']}"
        sign = -1.0 if money["sign"] else 1.0
    elif quantity := _QUANTITY.match(text):
        number = float(quantity["number"])
        unit = quantity["unit"]
        sign = -1.0 if quantity["sign"] else 1.0
    else:
        raise ValueError(f"expected a number or a string like '{example}', found '{text}'")
    try:
        return registry.Quantity(sign * number, unit)
    except (pint.UndefinedUnitError, pint.DefinitionSyntaxError, AttributeError) as error:
        raise ValueError(f"unknown unit in '{text}'; expected a string like '{example}'") from error


def to_mw(value: Any) -> float:
    """Power in MW: `200`, `"200 MW"`, `"1 GW"`, `"1400 kW"`."""
    return _convert(value, "MW", "200 MW")


def to_kw(value: Any) -> float:
    """Power in kW: `132`, `"132 kW"`, `"0.13 MW"`."""
    return _convert(value, "kW", "132 kW")


def to_usd(value: Any) -> float:
    """Money in USD: `2.5e9`, `"$2.5B"`, `"$3.2M"`, `"$40k"`."""
    return _convert(value, "USD", "$2.5B")


def to_usd_per_mwh(value: Any) -> float:
    """Energy price in USD per MWh: `79`, `"$79/MWh"`, `"$0.079/kWh"`."""
    return _convert(value, "USD / MWh", "$79/MWh")


def to_usd_per_kw(value: Any) -> float:
    """Build cost in USD per kW of capacity: `4000`, `"$4000/kW"`."""
    return _convert(value, "USD / kW", "$4000/kW")


def to_usd_per_h(value: Any) -> float:
    """Hourly price in USD: `4.5`, `"$4.5/h"`."""
    return _convert(value, "USD / h", "$4.5/h")


def to_pflops(value: Any) -> float:
    """Compute in PFLOPS: `2500`, `"2.5 EFLOPS"`, `"800 PFLOPS"`."""
    return _convert(value, "PFLOPS", "2.5 EFLOPS")
