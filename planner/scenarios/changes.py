"""What a scenario changed: every input that differs between the base plan's tree and the
scenario's, as a dotted path (the `--set` way of naming things) with both values as written.

A what-if that shows only its title and its result lets a reader credit the wrong lever (a
share policy for a gain that came from more supply); this list says what moved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from planner.scenarios.plan_tree import CatalogSource

NAMING_KEYS = ("id", "accelerator", "year", "vendor", "ecosystem", "online", "from")
"""Keys that name an item of a list (`planner.scenarios.plan_tree.IDENTITY`'s, together)."""
NOT_INPUTS = frozenset({"sources", "scenario"})
"""Citations and the scenario's own title: text beside the inputs, not inputs."""
ABSENT = "not set"


@dataclass(frozen=True)
class InputChange:
    """One input that differs: where, and its value in the base and in the scenario."""

    path: str
    base: str
    scenario: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "base": self.base, "scenario": self.scenario}

    @property
    def words(self) -> str:
        return f"{self.path}: {self.base} -> {self.scenario}"


def input_changes(base: Any, scenario: Any, catalog: CatalogSource) -> list[InputChange]:
    """Every leaf that differs between two plan trees, in the base's order (then what is new).

    A catalog entry a scenario adds to a plan that did not list it starts from the catalog's
    own entry (as the overlay does), so only the fields it changes are listed.
    """
    changes: list[InputChange] = []
    _compare(base, scenario, (), changes, catalog)
    return changes


def _compare(base: Any, scenario: Any, path: tuple[str, ...], out: list[InputChange],
             catalog: CatalogSource) -> None:
    if isinstance(base, dict) and isinstance(scenario, dict):
        for key in [*base, *(k for k in scenario if k not in base)]:
            if key in NOT_INPUTS:
                continue
            _compare(base.get(key, _Absent), scenario.get(key, _Absent), (*path, str(key)), out, catalog)
        return
    if base is _Absent and isinstance(scenario, list) and _named(scenario):
        base = []
    if isinstance(base, list) and isinstance(scenario, list) and _named(base) and _named(scenario):
        before = {_name(item): item for item in base}
        after = {_name(item): item for item in scenario}
        for name in [*before, *(n for n in after if n not in before)]:
            old = before.get(name, _Absent)
            if old is _Absent and path == ("catalog",):
                old = catalog.entries().get(name, (_Absent, None))[0]
            _compare(old, after.get(name, _Absent), (*path, name), out, catalog)
        return
    if base is _Absent and isinstance(scenario, dict):  # an item added: its name is in the path already
        named_by = next((k for k in NAMING_KEYS if k in scenario), None)
        for key, value in scenario.items():
            if key not in NOT_INPUTS and key != named_by:
                _compare(_Absent, value, (*path, str(key)), out, catalog)
        return
    if base != scenario:
        out.append(InputChange(".".join(path), _shown(base), _shown(scenario)))


class _Absent:
    """A key or item one side does not have."""


def _named(items: list[Any]) -> bool:
    return all(isinstance(item, dict) and any(k in item for k in NAMING_KEYS) for item in items)


def _name(item: dict[str, Any]) -> str:
    """`mi455x`, `2027`, or for an item named twice (a share from a quarter) `amd from 2027Q1`."""
    key = next(k for k in NAMING_KEYS if k in item)
    name = str(item[key])
    if key != "from" and "from" in item:
        name += f" from {item['from']}"
    return name


def _shown(value: Any) -> str:
    if value is _Absent:
        return ABSENT
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(", ", ": "), default=str)
    if value is None:
        return "null"
    return str(value)
